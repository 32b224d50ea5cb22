package storage

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"

	"gallerist/data"
)

// OrgService implements data.OrgService.
type OrgService struct{ db *DB }

// NewOrgService returns the organization service.
func NewOrgService(db *DB) *OrgService { return &OrgService{db: db} }

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// CreateOrg creates an organization with a unique slug.
func (s *OrgService) CreateOrg(ctx context.Context, slug, name string) (*data.Org, error) {
	slug = strings.TrimSpace(slug)
	name = strings.TrimSpace(name)
	if !slugRE.MatchString(slug) {
		return nil, data.FieldError("slug", "Slug must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit.")
	}
	if name == "" {
		name = slug
	}
	var org *data.Org
	err := s.db.update(ctx, func(tx *sql.Tx) error {
		now := s.db.Now()
		res, err := tx.ExecContext(ctx, `INSERT INTO orgs (slug, name, created_at, file_secret) VALUES (?, ?, ?, ?)`, slug, name, ms(now), newFileSecret())
		if isUniqueViolation(err) {
			return data.Errorf(data.ECConflict, "An organization with slug %q already exists.", slug).With("field", "slug")
		}
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		org = &data.Org{ID: id, Slug: slug, Name: name, CreatedAt: fromMS(ms(now))}
		return nil
	})
	return org, err
}

// FindOrgBySlug returns the organization with the slug.
func (s *OrgService) FindOrgBySlug(ctx context.Context, slug string) (*data.Org, error) {
	var org *data.Org
	err := s.db.view(ctx, func(tx *sql.Tx) error {
		var err error
		org, err = findOrgBySlug(ctx, tx, slug)
		return err
	})
	return org, err
}

// FindOrgByID returns the organization with the id.
func (s *OrgService) FindOrgByID(ctx context.Context, id int64) (*data.Org, error) {
	var o data.Org
	var created int64
	err := s.db.read.QueryRowContext(ctx, `SELECT id, slug, name, created_at FROM orgs WHERE id = ?`, id).
		Scan(&o.ID, &o.Slug, &o.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, data.NotFound("Organization")
	}
	o.CreatedAt = fromMS(created)
	return &o, err
}

func findOrgBySlug(ctx context.Context, tx *sql.Tx, slug string) (*data.Org, error) {
	var o data.Org
	var created int64
	err := tx.QueryRowContext(ctx, `SELECT id, slug, name, created_at FROM orgs WHERE slug = ?`, slug).
		Scan(&o.ID, &o.Slug, &o.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, data.Errorf(data.ECNotFound, "No organization with slug %q.", slug)
	}
	if err != nil {
		return nil, err
	}
	o.CreatedAt = fromMS(created)
	return &o, nil
}

// EnsureDefaultOrg creates the organization with slug "default" if no
// organization exists, and returns the default one (or the first one).
func (s *OrgService) EnsureDefaultOrg(ctx context.Context) (*data.Org, error) {
	var org *data.Org
	err := s.db.update(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orgs`).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO orgs (slug, name, created_at, file_secret) VALUES (?, ?, ?, ?)`,
				data.DefaultOrgSlug, "My store", ms(s.db.Now()), newFileSecret()); err != nil {
				return err
			}
		}
		var err error
		org, err = findOrgBySlug(ctx, tx, data.DefaultOrgSlug)
		if data.ErrorCode(err) == data.ECNotFound {
			var slug string
			if err := tx.QueryRowContext(ctx, `SELECT slug FROM orgs ORDER BY id LIMIT 1`).Scan(&slug); err != nil {
				return err
			}
			org, err = findOrgBySlug(ctx, tx, slug)
		}
		return err
	})
	return org, err
}
