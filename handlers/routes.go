package handlers

import (
	"slices"

	"gallerist/data"
	"gallerist/web"

	"github.com/gofiber/fiber/v2"
)

// The routes table: Gallerist's whole HTTP surface, every route with the
// scope it needs, in one place. web wraps each entry in the one authorize
// step (bearer token for api, login session for page), buffers the body of
// all but streamed ones, and adds HEAD to every GET; Routes adds the strict
// query check to /api routes and holds sessions on a one-time password at
// /account/password.
//
// Order matters where paths overlap: a route with a literal segment
// (/media/status, /media/bulk, /products/new) comes before the :param route
// that would match it too.
func (h *Handlers) table() []endpoint {
	mRead, mCreate, mUpdate, mDelete := data.ScopeMediaRead, data.ScopeMediaCreate, data.ScopeMediaUpdate, data.ScopeMediaDelete
	pRead, pWrite := data.ScopeProductsRead, data.ScopeProductsWrite
	manage := data.ScopeSettingsManage
	eRead, hooks := data.ScopeEventsRead, data.ScopeWebhooksManage
	return []endpoint{
		// ---- /api: bearer token, JSON; query parameters beyond those listed are refused.
		publicAPI("GET", "/api/openapi.json", h.handleOpenAPI),
		publicAPI("GET", "/api/ping", h.handlePing),

		// Media (media.go)
		api("GET", "/api/media", mRead, h.handleMediaList, mediaList.params()...),
		streamed(api("POST", "/api/media", mCreate, h.handleMediaCreate)),
		api("GET", "/api/media/:id", mRead, h.handleMediaGet, "fields"),
		api("PATCH", "/api/media/:id", mUpdate, h.handleMediaPatch),
		api("DELETE", "/api/media/:id", mDelete, h.handleMediaDelete, "force", "purge"),
		api("POST", "/api/media/:id/restore", mDelete, h.handleMediaRestore),
		api("POST", "/api/media/:id/reprocess", mUpdate, h.handleMediaReprocess),
		api("GET", "/api/media/:id/usage", mRead, h.handleMediaUsage),
		// Replacing the file, previous files (versions.go)
		streamed(api("POST", "/api/media/:id/replace", mUpdate, h.handleMediaReplace)),
		api("GET", "/api/media/:id/versions", mRead, h.handleMediaVersions, "limit", "offset"),
		api("PATCH", "/api/media/:id/versions/:vid", mUpdate, h.handleMediaVersionPatch),
		api("POST", "/api/media/:id/versions/:vid/restore", mUpdate, h.handleMediaVersionRestore),
		api("GET", "/api/media/:id/versions/:vid/download", mRead, h.handleMediaVersionFile(true)),
		api("HEAD", "/api/media/:id/versions/:vid/download", mRead, h.handleMediaVersionFile(true)),
		api("GET", "/api/media/:id/download", mRead, h.handleMediaOriginal(true)),
		api("HEAD", "/api/media/:id/download", mRead, h.handleMediaOriginal(true)),

		// Products (products.go)
		api("GET", "/api/products", pRead, h.handleProductList, productList.params()...),
		api("POST", "/api/products", pWrite, h.handleProductCreate),
		api("GET", "/api/products/:id", pRead, h.handleProductGet, "fields"),
		api("PATCH", "/api/products/:id", pWrite, h.handleProductPatch),
		api("DELETE", "/api/products/:id", pWrite, h.handleProductDelete),

		// Variants (variants.go)
		api("GET", "/api/products/:id/variants", pRead, h.handleVariantList, variantList.params()...),
		api("POST", "/api/products/:id/variants", pWrite, h.handleVariantCreate),
		api("GET", "/api/products/:id/variants/:vid", pRead, h.handleVariantGet, "fields"),
		api("PATCH", "/api/products/:id/variants/:vid", pWrite, h.handleVariantPatch),
		api("DELETE", "/api/products/:id/variants/:vid", pWrite, h.handleVariantDelete),
		api("PUT", "/api/products/:id/variants/:vid/image", pWrite, h.handleVariantImage),

		// Galleries: a product's images (galleries.go). Adding an upload or an
		// import also needs media:create, checked before the body is read.
		api("GET", "/api/products/:id/images", pRead, h.handleGalleryList, galleryList.params()...),
		streamed(api("POST", "/api/products/:id/images", pWrite, h.handleGalleryAdd)),
		api("POST", "/api/products/:id/images/reorder", pWrite, h.handleGalleryReorder),
		api("GET", "/api/products/:id/images/:image_id", pRead, h.handleGalleryImageGet, "fields"),
		api("PATCH", "/api/products/:id/images/:image_id", pWrite, h.handleGalleryImagePatch),
		api("PUT", "/api/products/:id/images/:image_id", pWrite, h.handleGalleryImagePut),
		api("DELETE", "/api/products/:id/images/:image_id", pWrite, h.handleGalleryImageDelete),

		// Bulk import from a zip (imports.go): also needs products:write, checked before the body is read.
		streamed(api("POST", "/api/imports", mCreate, h.handleImportCreate, "dry_run", "create_products")),

		// Collections (collections.go)
		api("GET", "/api/collections", pRead, h.handleCollectionList, collectionList.params()...),
		api("POST", "/api/collections", pWrite, h.handleCollectionCreate),
		api("GET", "/api/collections/:id", pRead, h.handleCollectionGet, "fields"),
		api("PATCH", "/api/collections/:id", pWrite, h.handleCollectionPatch),
		api("DELETE", "/api/collections/:id", pWrite, h.handleCollectionDelete),
		api("PUT", "/api/collections/:id/image", pWrite, h.handleCollectionImage),

		// The log of changes, and webhooks that receive it (events.go, webhooks.go)
		api("GET", "/api/events", eRead, h.handleEventList, eventListParams...),
		api("GET", "/api/webhooks", hooks, h.handleWebhookList),
		api("POST", "/api/webhooks", hooks, h.handleWebhookCreate),
		api("GET", "/api/webhooks/:id", hooks, h.handleWebhookGet),
		api("DELETE", "/api/webhooks/:id", hooks, h.handleWebhookDelete),
		api("GET", "/api/webhooks/:id/deliveries", hooks, h.handleWebhookDeliveries, "limit"),
		api("POST", "/api/webhooks/:id/ping", hooks, h.handleWebhookPing),

		// ---- Files: public, content-addressed, cached for good (files.go).
		public("GET", "/files/:name", h.handleFileOriginal),
		public("HEAD", "/files/:name", h.handleFileOriginal),
		public("GET", "/files/:key/:file", h.handleFileRendition),
		public("HEAD", "/files/:key/:file", h.handleFileRendition),
		// A media item's stable URL: a redirect to its current file (versions.go).
		public("GET", "/m/:id/:key", h.handleStableURL),
		public("HEAD", "/m/:id/:key", h.handleStableURL),

		// ---- Admin UI: login session, HTML (and the small JSON of uijson.go).
		// Setup and login (login.go)
		public("GET", "/", h.handleHome),
		public("GET", "/setup", h.handleSetupForm),
		public("POST", "/setup", h.handleSetup),
		public("GET", "/login", h.handleLoginForm),
		public("POST", "/login", h.handleLogin),
		anyRole("POST", "/logout", h.handleLogout),

		// The library (media.go)
		page("GET", "/media", mRead, h.handleLibrary),
		streamed(page("POST", "/media/upload", mCreate, h.handleLibraryUpload)),
		page("GET", "/media/status", mRead, h.handleMediaStatus), // media_status.go
		// Selections and the alt text editor (media_bulk.go)
		page("POST", "/media/bulk", mUpdate, h.handleBulkForm),
		page("GET", "/media/bulk/delete", mDelete, h.handleBulkDeleteConfirm),
		page("POST", "/media/bulk/delete", mDelete, h.handleBulkDeleteForm),
		page("POST", "/media/bulk/restore", mDelete, h.handleBulkRestoreForm),
		page("GET", "/media/bulk/purge", mDelete, h.handleBulkPurgeConfirm),
		page("POST", "/media/bulk/purge", mDelete, h.handleBulkPurgeForm),
		page("GET", "/media/bulk/add", pWrite, h.handleBulkAddDialog),
		page("POST", "/media/bulk/add", pWrite, h.handleBulkAddForm),
		page("GET", "/media/alt", mUpdate, h.handleAltEditor),
		page("POST", "/media/alt", mUpdate, h.handleAltEditorForm),
		// One item (media.go)
		page("GET", "/media/:id", mRead, h.handleMediaPage),
		page("POST", "/media/:id/alt", mUpdate, h.handleMediaAltForm),
		page("POST", "/media/:id/rename", mUpdate, h.handleMediaRenameForm),
		page("POST", "/media/:id/poster", mUpdate, h.handleMediaPosterForm),
		page("POST", "/media/:id/focal", mUpdate, h.handleMediaFocalForm),
		streamed(page("POST", "/media/:id/replace", mUpdate, h.handleMediaReplaceForm)), // versions.go
		page("POST", "/media/:id/versions/:vid/restore", mUpdate, h.handleMediaVersionRestoreForm),
		page("POST", "/media/:id/versions/:vid/pin", mUpdate, h.handleMediaVersionPinForm),
		page("GET", "/media/:id/delete", mDelete, h.handleMediaDeleteConfirm),
		page("POST", "/media/:id/delete", mDelete, h.handleMediaDeleteForm),
		page("POST", "/media/:id/restore", mDelete, h.handleMediaRestoreForm),
		page("POST", "/media/:id/reprocess", mUpdate, h.handleMediaReprocessForm),
		page("GET", "/media/:id/purge", mDelete, h.handleMediaPurgeConfirm),
		page("POST", "/media/:id/purge", mDelete, h.handleMediaPurgeForm),
		page("GET", "/media/:id/download", mRead, h.handleMediaOriginal(true)),
		page("GET", "/media/:id/file", mRead, h.handleMediaOriginal(false)),
		page("GET", "/media/:id/versions/:vid/download", mRead, h.handleMediaVersionFile(true)),
		page("GET", "/media/:id/versions/:vid/file", mRead, h.handleMediaVersionFile(false)),
		page("GET", "/trash", mRead, h.handleTrash),
		// Show more of a history (events.go)
		page("GET", "/history", eRead, h.handleHistoryPage),

		// Settings › API tokens (settings.go)
		page("GET", "/settings", manage, func(c *fiber.Ctx) error { return c.Redirect("/settings/tokens", fiber.StatusSeeOther) }),
		page("GET", "/settings/tokens", manage, h.handleTokensPage),
		page("POST", "/settings/tokens", manage, h.handleTokenCreateForm),
		page("GET", "/settings/tokens/:id/revoke", manage, h.handleTokenRevokeConfirm),
		page("POST", "/settings/tokens/:id/revoke", manage, h.handleTokenRevokeForm),

		// Settings › Webhooks (webhooks.go)
		page("GET", "/settings/webhooks", hooks, h.handleWebhooksPage),
		page("POST", "/settings/webhooks", hooks, h.handleWebhookCreateForm),
		page("POST", "/settings/webhooks/:id/ping", hooks, h.handleWebhookPingForm),
		page("GET", "/settings/webhooks/:id/delete", hooks, h.handleWebhookDeleteConfirm),
		page("POST", "/settings/webhooks/:id/delete", hooks, h.handleWebhookDeleteForm),

		// Settings › People (people.go); the invite link's secret is its key.
		page("GET", peoplePath, manage, h.handlePeoplePage),
		page("POST", peoplePath, manage, h.handlePersonAddForm),
		page("GET", peoplePath+"/:id/role", manage, h.handlePersonRoleConfirm),
		page("POST", peoplePath+"/:id/role", manage, h.handlePersonRoleForm),
		page("GET", peoplePath+"/:id/remove", manage, h.handlePersonRemoveConfirm),
		page("POST", peoplePath+"/:id/remove", manage, h.handlePersonRemoveForm),
		page("GET", peoplePath+"/:id/password", manage, h.handlePersonPasswordPage),
		page("POST", peoplePath+"/:id/password", manage, h.handlePersonPasswordForm),
		page("POST", peoplePath+"/:id/invite", manage, h.handlePersonInviteForm),
		public("GET", "/invite/:secret", h.handleInvitePage),
		public("POST", "/invite/:secret", h.handleInviteForm),

		// Your account: anyone logged in (account.go)
		anyRole("GET", "/account", h.handleAccountPage),
		anyRole("GET", ownPasswordPath, h.handleOwnPasswordPage),
		anyRole("POST", ownPasswordPath, h.handleOwnPasswordForm),

		// Products (products.go)
		page("GET", "/products", pRead, h.handleProductsPage),
		page("GET", "/products/new", pWrite, h.handleProductNewPage),
		// Import from a zip (imports.go): also needs media:create, checked before the zip is read.
		page("GET", "/products/import", pWrite, h.handleImportPage),
		streamed(page("POST", "/products/import", pWrite, h.handleImportUpload)),
		page("GET", "/products/import/:id", pWrite, h.handleImportJobPage),
		page("POST", "/products/import/:id/run", pWrite, h.handleImportRunForm),
		page("POST", "/products/import/:id/cancel", pWrite, h.handleImportCancelForm),
		page("POST", "/products", pWrite, h.handleProductCreateForm),
		page("GET", "/products/:id", pRead, h.handleGalleryEditor),
		page("POST", "/products/:id", pWrite, h.handleProductUpdateForm),
		page("GET", "/products/:id/delete", pWrite, h.handleProductDeleteConfirm),
		page("POST", "/products/:id/delete", pWrite, h.handleProductDeleteForm),
		// The gallery editor (galleries.go)
		page("POST", "/products/:id/gallery/reorder", pWrite, h.handleGalleryReorderForm),
		streamed(page("POST", "/products/:id/images/upload", pWrite, h.handleGalleryUpload)),
		page("POST", "/products/:id/images", pWrite, h.handleGalleryAttachForm),
		page("GET", "/products/:id/picker", pWrite, h.handleGalleryPicker),
		page("POST", "/products/:id/images/:image_id/move", pWrite, h.handleGalleryMoveForm),
		page("POST", "/products/:id/images/:image_id/alt", pWrite, h.handleGalleryAltForm),
		page("GET", "/products/:id/images/:image_id/detach", pWrite, h.handleGalleryDetachConfirm),
		page("POST", "/products/:id/images/:image_id/detach", pWrite, h.handleGalleryDetachForm),
		// Variants (variants.go)
		page("POST", "/products/:id/variants", pWrite, h.handleVariantCreateForm),
		page("POST", "/products/:id/variants/:variant_id/image", pWrite, h.handleVariantImageForm),

		// Collections (collections.go)
		page("GET", "/collections", pRead, h.handleCollectionsPage),
		page("POST", "/collections", pWrite, h.handleCollectionCreateForm),
		page("GET", "/collections/:id", pRead, h.handleCollectionPage),
		page("POST", "/collections/:id", pWrite, h.handleCollectionUpdateForm),
		page("GET", "/collections/:id/picker", pWrite, h.handleCollectionPicker),
		page("POST", "/collections/:id/image", pWrite, h.handleCollectionImageForm),
		page("GET", "/collections/:id/delete", pWrite, h.handleCollectionDeleteConfirm),
		page("POST", "/collections/:id/delete", pWrite, h.handleCollectionDeleteForm),
	}
}

// endpoint is one entry of the routes table: the route web registers, the
// query parameters an /api route takes (the one list the strict check and
// the OpenAPI document's test read), and whether a session route is meant
// for any role (no scope on purpose, not forgotten).
type endpoint struct {
	web.Route
	Query   []string
	AnyRole bool
}

// api is an /api route needing scope, taking the given query parameters.
func api(method, path string, scope data.Scope, fn fiber.Handler, query ...string) endpoint {
	return endpoint{Route: web.Route{Method: method, Path: path, Scope: scope, API: true, Handler: fn}, Query: query}
}

// publicAPI is an /api route anyone may call, without a token or query parameters.
func publicAPI(method, path string, fn fiber.Handler) endpoint {
	return endpoint{Route: web.Route{Method: method, Path: path, Public: true, API: true, Handler: fn}}
}

// page is an admin UI route needing a login session whose role holds scope.
func page(method, path string, scope data.Scope, fn fiber.Handler) endpoint {
	return endpoint{Route: web.Route{Method: method, Path: path, Scope: scope, Handler: fn}}
}

// anyRole is an admin UI route for everyone logged in, whatever their role.
func anyRole(method, path string, fn fiber.Handler) endpoint {
	return endpoint{Route: web.Route{Method: method, Path: path, Handler: fn}, AnyRole: true}
}

// public is a route without authentication (files, setup, login, invites).
func public(method, path string, fn fiber.Handler) endpoint {
	return endpoint{Route: web.Route{Method: method, Path: path, Public: true, Handler: fn}}
}

// streamed marks an endpoint whose handler reads the request body itself.
func streamed(e endpoint) endpoint {
	e.Stream = true
	return e
}

// Routes is the routes table as web registers it: /api routes refuse query
// parameters they do not declare, and UI routes hold a session that must
// choose its own password.
func (h *Handlers) Routes() []web.Route {
	var out []web.Route
	for _, e := range h.table() {
		r := e.Route
		if r.API {
			r.Handler = strictQuery(e.Query, r.Handler)
		}
		out = append(out, r)
	}
	return h.requireOwnPassword(out)
}

// apiRoutes are the /api entries of the table.
func (h *Handlers) apiRoutes() []endpoint {
	return slices.DeleteFunc(h.table(), func(e endpoint) bool { return !e.API })
}

// APIQueryParams lists the query parameters each /api operation takes,
// keyed by "METHOD /api/path/{param}" as the OpenAPI document names it.
func APIQueryParams() map[string][]string {
	out := map[string][]string{}
	for _, e := range (&Handlers{}).apiRoutes() {
		out[e.Method+" "+routeParamRE.ReplaceAllString(e.Path, "{$1}")] = slices.Clone(e.Query)
	}
	return out
}
