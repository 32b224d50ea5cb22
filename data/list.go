package data

// The page sizes of every list but a gallery (which defaults to the whole
// gallery): the API's limit= and the storage's default when none is given.
const (
	DefaultPage = 24
	MaxPage     = 100
)
