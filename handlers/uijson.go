package handlers

// The private JSON of the admin UI: what the UI endpoints answer when
// static/app.js, library.js or gallery.js ask with "Accept:
// application/json". It is not part of the /api contract (the OpenAPI
// document does not describe it) and may change with the scripts, but the
// field names here and the scripts that read them change together. Errors
// come in the API's shape ({"error": {"code", "message"}}) from
// web.WriteJSONError.

// libraryUploadAnswer is what POST /media/upload answers (201) to app.js's
// uploadOne, which reads items[0]: a card to put in place of the upload's
// tile, or duplicate_of when the bytes were already in the library.
type libraryUploadAnswer struct {
	Items []uploadResult `json:"items"`
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

// galleryUploadAnswer is what POST /products/:id/images/upload answers
// (201) to app.js's uploadOne: the new tiles, and the gallery's version,
// which app.js keeps on [data-gallery] (the newest of parallel uploads).
type galleryUploadAnswer struct {
	Items   []galleryUploadResult `json:"items"`
	Version int64                 `json:"version"`
}

// galleryUploadResult is what a gallery upload answers app.js.
type galleryUploadResult struct {
	ID       int64  `json:"id"`
	Filename string `json:"filename"`
	HTML     string `json:"html"`
}

// galleryVersionAnswer is what a gallery change from the editor answers
// (galleryAnswer): gallery.js's saveOrder stores version on the list as
// data-version and sends it with the next change.
type galleryVersionAnswer struct {
	Version int64 `json:"version"`
}

// mediaStatusAnswer is what GET /media/status answers app.js's pollStatus.
type mediaStatusAnswer struct {
	Items []mediaStatus `json:"items"`
}

// mediaStatus is what a waiting tile needs to update itself: the state of its
// thumbnails and, once they are ready, their URLs by width (JPEG/PNG only,
// as thumbnail() shows them). app.js's applyStatus reads every field.
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

// altSaveAnswer is what POST /media/alt answers library.js's save (200, or
// 422 when one did not save), which reads items[0].
type altSaveAnswer struct {
	Items []altSaved `json:"items"`
}

// altSaved is what the bulk alt editor's save answers library.js for one image.
type altSaved struct {
	ID    int64  `json:"id"`
	Alt   string `json:"alt"`
	Saved bool   `json:"saved"`
	Error string `json:"error,omitempty"`
}
