package handlers

import (
	"mime/multipart"
	"slices"

	"gallerist/data"
	"gallerist/views"
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

// handleImportPage is "Import from a zip": the upload form.
func (h *Handlers) handleImportPage(c *fiber.Ctx) error {
	return render(c, views.ImportUploadPage(h.page(c, "Import from a zip", "products"), h.importUpload(c, "")))
}

func (h *Handlers) importUpload(c *fiber.Ctx, msg string) *views.ImportUpload {
	limit := h.Limits.MaxImportBytes
	if limit <= 0 {
		limit = data.MaxImportBytes
	}
	waiting, _ := h.Imports.ListImports(c.UserContext())
	return &views.ImportUpload{Error: msg, MaxBytes: limit, Waiting: waiting}
}

// importStarted is the answer to app.js's upload of a zip: the job's page.
type importStarted struct {
	Redirect string `json:"redirect"`
}

// handleImportUpload takes the zip (a multipart "file", after the _csrf
// field of the no-JavaScript form), checks it and starts its dry run.
func (h *Handlers) handleImportUpload(c *fiber.Ctx) error {
	job, err := h.startImport(c)
	if err != nil {
		if wantsJSON(c) || web.AsDataError(err).Code == data.ECInternal {
			return err
		}
		return web.Render(c, web.StatusFor(web.AsDataError(err).Code),
			views.ImportUploadPage(h.page(c, "Import from a zip", "products"), h.importUpload(c, data.ErrorMessage(err))))
	}
	to := "/products/import/" + job.ID
	if wantsJSON(c) {
		return c.Status(fiber.StatusCreated).JSON(importStarted{Redirect: to})
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

func (h *Handlers) startImport(c *fiber.Ctx) (*data.ImportJob, error) {
	mt, params := uploadType(c)
	if mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, data.Errorf(data.ECUnsupportedContent, "Choose a zip file and send the form again.")
	}
	mr := multipart.NewReader(web.Body(c), params["boundary"])
	for n := 1; n <= 3; n++ {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		switch part.FormName() {
		case web.CSRFField: // checked by web.CSRF
		case "file":
			if part.FileName() == "" {
				return nil, data.Errorf(data.ECMissingFile, "Choose a zip file to import.")
			}
			job, err := h.Imports.StartImport(c.UserContext(), &bodyReader{r: part}, part.FileName())
			return job, bodyError(err)
		default:
			return nil, data.Errorf(data.ECUnknownField, "Unknown form field %q; send the zip as \"file\".", part.FormName())
		}
	}
	return nil, data.Errorf(data.ECMissingFile, "Choose a zip file to import.")
}

// handleImportJobPage shows a job: progress, plan or summary; htmx's
// polling gets the panel alone.
func (h *Handlers) handleImportJobPage(c *fiber.Ctx) error {
	job, err := h.Imports.FindImport(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	p := h.page(c, "Import from a zip", "products")
	if web.WantsFragment(c) {
		return render(c, views.ImportJobPanel(p, job))
	}
	return render(c, views.ImportJobPage(p, job))
}

// handleImportRunForm starts the real run of a planned job.
func (h *Handlers) handleImportRunForm(c *fiber.Ctx) error {
	opt := data.ImportOptions{CreateProducts: c.FormValue("create_products") == "true",
		CreateHint: "choose \"Create missing products\" to create it"}
	job, err := h.Imports.RunImport(c.UserContext(), c.Params("id"), opt)
	if err != nil {
		return err
	}
	return web.RedirectAfterPost(c, "/products/import/"+job.ID)
}

// handleImportCancelForm forgets a job and its zip.
func (h *Handlers) handleImportCancelForm(c *fiber.Ctx) error {
	if err := h.Imports.CancelImport(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	toast(c, web.Toast{Message: "Import cancelled; nothing was changed."})
	if c.FormValue("from") == "list" {
		return web.RedirectAfterPost(c, "/products/import")
	}
	return web.RedirectAfterPost(c, "/products")
}
