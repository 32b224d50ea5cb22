-- Public file URLs are per organization: /files/{file_key}.{ext}, where
-- file_key is an HMAC of the content hash under the organization's secret
-- (storage/filekeys.go), so a URL tells nothing about what other
-- organizations hold, while blobs stay shared on disk. Existing rows get
-- their keys when the database is opened.
ALTER TABLE orgs ADD COLUMN file_secret BLOB;
ALTER TABLE media ADD COLUMN file_key TEXT;
CREATE INDEX media_file_key ON media (file_key);
