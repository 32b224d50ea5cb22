package data

// Toast is a message shown once to the person who made a change, on the
// next page (a "flash"): the session carries it (web) and the layout shows
// it (views), so both use this one type.
type Toast struct {
	Message string `json:"message"`
	Kind    string `json:"kind,omitempty"` // "", "error"
	// Action is a button posting to ActionURL (e.g. Undo).
	Action    string `json:"action,omitempty"`
	ActionURL string `json:"action_url,omitempty"`
	// Link is a plain link (e.g. View).
	Link    string `json:"link,omitempty"`
	LinkURL string `json:"link_url,omitempty"`
}
