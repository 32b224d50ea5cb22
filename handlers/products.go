package handlers

import "gallerist/web"

// catalogRoutes are the /api routes of products, variants, collections and galleries.
func (h *Handlers) catalogRoutes() []web.Route {
	return nil
}
