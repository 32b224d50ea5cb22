-- Catalog: products, variants, collections, and the attachments of media to them.

CREATE TABLE products (
	id              INTEGER PRIMARY KEY,
	org_id          INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	title           TEXT    NOT NULL,
	handle          TEXT    NOT NULL,
	status          TEXT    NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
	-- bumped by every change to the gallery; the gallery's ETag
	gallery_version INTEGER NOT NULL DEFAULT 1,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	UNIQUE (org_id, handle)
);
CREATE INDEX products_org ON products(org_id, id);

-- A product's gallery: positions 1..n, contiguous (kept by the code that writes it).
CREATE TABLE gallery_images (
	id         INTEGER PRIMARY KEY,
	org_id     INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
	media_id   INTEGER NOT NULL REFERENCES media(id),
	position   INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (product_id, media_id)
);
CREATE INDEX gallery_images_product ON gallery_images(product_id, position);
CREATE INDEX gallery_images_media   ON gallery_images(media_id);

CREATE TABLE variants (
	id         INTEGER PRIMARY KEY,
	org_id     INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
	title      TEXT    NOT NULL,
	sku        TEXT    NOT NULL DEFAULT '',
	options    TEXT    NOT NULL DEFAULT '{}',
	image_id   INTEGER REFERENCES gallery_images(id) ON DELETE SET NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX variants_product ON variants(product_id, id);
CREATE INDEX variants_image   ON variants(image_id);

CREATE TABLE collections (
	id         INTEGER PRIMARY KEY,
	org_id     INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
	title      TEXT    NOT NULL,
	handle     TEXT    NOT NULL,
	media_id   INTEGER REFERENCES media(id),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (org_id, handle)
);
CREATE INDEX collections_media ON collections(media_id);

-- Where a force-deleted media item was, so restoring it can put it back.
CREATE TABLE detachments (
	id            INTEGER PRIMARY KEY,
	media_id      INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
	product_id    INTEGER,
	position      INTEGER,
	variant_id    INTEGER,
	collection_id INTEGER,
	created_at    INTEGER NOT NULL
);
CREATE INDEX detachments_media ON detachments(media_id);
