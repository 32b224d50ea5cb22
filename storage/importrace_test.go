package storage

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"gallerist/data"
)

// createFirstCatalog runs before() the first time a product is created
// through it: another import getting there first.
type createFirstCatalog struct {
	data.CatalogService
	before func()
	done   bool
}

func (c *createFirstCatalog) CreateProduct(ctx context.Context, in data.ProductCreate) (*data.Product, error) {
	if !c.done {
		c.done = true
		c.before()
	}
	return c.CatalogService.CreateProduct(ctx, in)
}

// Two imports of one zip at once: the one that finds its product created
// by the other between its look-up and its create takes that product (no
// "handle taken" error) and finds the files in its gallery already.
func TestImportProductCreatedMeanwhile(t *testing.T) {
	e := newTestEnv(t)
	zipBytes := zipOfFiles(map[string]string{
		"tshirt.png":   string(imageTestdata(t, "video-001.png")),
		"tshirt-2.jpg": string(imageTestdata(t, "video-001.jpeg")),
		"tshirt-3.gif": string(imageTestdata(t, "video-001.gif")),
	})
	other := NewImporter(e.media, e.catalog, e.staging, data.DefaultLimits())
	defer other.Close()
	var otherRep *data.ImportReport
	cat := &createFirstCatalog{CatalogService: e.catalog, before: func() {
		var err error
		if otherRep, err = other.ImportZip(e.ctx, bytes.NewReader(zipBytes), "photos.zip", data.ImportOptions{CreateProducts: true}); err != nil {
			t.Errorf("the other import: %v", err)
		}
	}}
	im := NewImporter(e.media, cat, e.staging, data.DefaultLimits())
	defer im.Close()
	rep, err := im.ImportZip(e.ctx, bytes.NewReader(zipBytes), "photos.zip", data.ImportOptions{CreateProducts: true})
	if err != nil {
		t.Fatalf("the import that lost the race: %v", err)
	}
	if otherRep == nil || otherRep.Attached != 3 {
		t.Fatalf("the other import: %+v", otherRep)
	}
	if len(rep.Failed) != 0 || rep.Attached != 0 || rep.AlreadyInGallery != 3 || len(rep.CreatedProducts) != 0 {
		t.Errorf("the import that lost the race: failed %v, attached %d, in gallery %d, created %v", rep.Failed, rep.Attached, rep.AlreadyInGallery, rep.CreatedProducts)
	}
	if len(rep.Products) != 1 || !rep.Products[0].Exists || rep.Products[0].ProductID == 0 {
		t.Errorf("its product: %+v", rep.Products)
	}
	ps, _, err := e.catalog.FindProducts(e.ctx, data.ProductFilter{Handle: "tshirt", Limit: 1})
	if err != nil || len(ps) != 1 {
		t.Fatalf("tshirt: %v %v", ps, err)
	}
	g, err := e.catalog.FindGallery(e.ctx, ps[0].ID, data.GalleryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, gi := range g.Images {
		names = append(names, gi.Media.Filename)
	}
	if !slices.Equal(names, []string{"tshirt.png", "tshirt-2.jpg", "tshirt-3.gif"}) {
		t.Errorf("tshirt's gallery %v", names)
	}
}
