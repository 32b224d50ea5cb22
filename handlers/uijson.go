package handlers

// galleryUploadResult is what a gallery upload answers app.js.
type galleryUploadResult struct {
	ID       int64  `json:"id"`
	Filename string `json:"filename"`
	HTML     string `json:"html"`
}

// uploadResult is what the library's upload answers app.js for one file.
type uploadResult struct {
	ID           int64  `json:"id"`
	Filename     string `json:"filename"`
	HTML         string `json:"html,omitempty"`
	DuplicateOf  int64  `json:"duplicate_of,omitempty"`
	DuplicateURL string `json:"duplicate_url,omitempty"`
	Message      string `json:"message,omitempty"`
}

// mediaStatus is what a waiting tile needs to update itself: the state of its
// thumbnails and, once they are ready, their URLs by width (JPEG/PNG only,
// as thumbnail() shows them).
type mediaStatus struct {
	ID         int64             `json:"id"`
	Processing string            `json:"processing"`
	Error      string            `json:"processing_error,omitempty"`
	Renditions []statusRendition `json:"renditions"`
	Summary    string            `json:"summary"`
}

type statusRendition struct {
	URL   string `json:"url"`
	Width int    `json:"width"`
}

// altSaved is what the bulk alt editor's save answers library.js for one image.
type altSaved struct {
	ID    int64  `json:"id"`
	Alt   string `json:"alt"`
	Saved bool   `json:"saved"`
	Error string `json:"error,omitempty"`
}
