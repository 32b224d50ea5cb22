// Package static embeds the admin UI's assets: the built Tailwind CSS, app.js
// (core) with library.js and gallery.js (per-area behaviour),
// the favicon, and vendored htmx and SortableJS (versions in VERSIONS). Sources (the CSS
// entry in src/) stay out of the binary. Each asset is served at a URL carrying
// a hash of its bytes, so it can be cached for a year.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"mime"
	"path"
)

//go:embed app.css app.js library.js gallery.js htmx.min.js Sortable.min.js favicon.svg
var files embed.FS

// Asset is one embedded file, with its gzip form precomputed.
type Asset struct {
	Name        string
	ContentType string
	Body        []byte
	Gzip        []byte
	Hash        string // first 16 hex digits of the SHA-256 of Body
}

var assets = map[string]*Asset{}

func init() {
	entries, err := files.ReadDir(".")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		body, err := files.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		var gz bytes.Buffer
		w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		w.Write(body)
		w.Close()
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		if ct == "" {
			ct = "application/octet-stream"
		}
		assets[e.Name()] = &Asset{Name: e.Name(), ContentType: ct, Body: body, Gzip: gz.Bytes(), Hash: hex.EncodeToString(sum[:8])}
	}
}

// Get returns the asset with the name, or nil.
func Get(name string) *Asset { return assets[name] }

// URL is the cache-busting URL of an asset: /static/NAME?v=HASH.
func URL(name string) string {
	a := assets[name]
	if a == nil {
		panic("static: no asset " + name)
	}
	return "/static/" + name + "?v=" + a.Hash
}
