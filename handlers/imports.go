package handlers

import (
	"slices"

	"gallerist/data"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// Bulk import from a zip: POST /api/imports runs it in the request (the
// zip is the body); the admin UI's /products/import uploads it, shows the
// dry run's plan, then runs it as a job it polls. Both go through
// data.ImportService, which checks the zip before any work.

// zipTypes are the Content-Types a zip body may come as.
var zipTypes = []string{"application/zip", "application/x-zip-compressed", "application/octet-stream"}

// handleImportCreate is POST /api/imports.
func (h *Handlers) handleImportCreate(c *fiber.Ctx) error {
	if mt, _ := uploadType(c); !slices.Contains(zipTypes, mt) {
		return data.Errorf(data.ECUnsupportedContent, "Send the zip as the body, with Content-Type: application/zip.")
	}
	dry, err := queryBool(c, "dry_run")
	if err != nil {
		return err
	}
	create, err := queryBool(c, "create_products")
	if err != nil {
		return err
	}
	opt := data.ImportOptions{DryRun: dry != nil && *dry, CreateProducts: create != nil && *create,
		CreateHint: "send create_products=true to create it"}
	rep, err := h.Imports.ImportZip(c.UserContext(), &bodyReader{r: web.Body(c)}, "", opt)
	if err != nil {
		return bodyError(err)
	}
	return c.JSON(rep)
}
