package storage

import (
	"context"
	"errors"
	"net/url"
	"path"
	"sync"

	"gallerist/data"
	"gallerist/storage/fetch"
)

// DefaultFetchesPerOrg is how many URL imports one organization may run at
// once (the fetcher's own bound is shared by all).
const DefaultFetchesPerOrg = 2

// fetchSlot waits for one of the organization's import slots, within ctx.
func (s *MediaService) fetchSlot(ctx context.Context) (release func(), err error) {
	org, err := orgID(ctx)
	if err != nil {
		return nil, err
	}
	s.fetchMu.Lock()
	if s.fetchSlots == nil {
		s.fetchSlots = map[int64]chan struct{}{}
	}
	slots := s.fetchSlots[org]
	if slots == nil {
		n := s.FetchesPerOrg
		if n <= 0 {
			n = DefaultFetchesPerOrg
		}
		slots = make(chan struct{}, n)
		s.fetchSlots[org] = slots
	}
	s.fetchMu.Unlock()
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// StageURL fetches rawURL through the one SSRF-hardened fetcher and stages
// the body exactly like an upload (same sniffing, limits and pixel checks).
// An organization runs at most FetchesPerOrg imports at once; the wait for
// a slot counts towards the fetch timeout.
func (s *MediaService) StageURL(parent context.Context, rawURL string) (*data.Staged, error) {
	if s.Fetcher == nil {
		return nil, data.Errorf(data.ECFetchFailed, "Importing by URL is not configured on this server.")
	}
	ctx, cancel := context.WithTimeout(parent, s.Fetcher.Timeout())
	defer cancel()
	release, err := s.fetchSlot(ctx)
	if err != nil {
		if parent.Err() != nil {
			return nil, parent.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, data.Errorf(data.ECFetchFailed, "Could not import %s: this store's other imports kept its download slots busy for %s. Try again shortly.",
				rawURL, s.Fetcher.Timeout()).With("url", rawURL)
		}
		return nil, err
	}
	defer release()
	if org, err := orgID(ctx); err == nil {
		ctx = fetch.ForTenant(ctx, org)
	}
	resp, err := s.Fetcher.Fetch(ctx, rawURL, s.limits.MaxAnyBytes())
	if err != nil {
		if parent.Err() != nil {
			return nil, parent.Err()
		}
		return nil, fetchError(rawURL, err)
	}
	defer resp.Body.Close()
	st, err := s.Stage(ctx, resp.Body, nameFromURL(resp.URL))
	if err != nil {
		if parent.Err() != nil {
			return nil, parent.Err()
		}
		return nil, fetchError(rawURL, err)
	}
	st.SourceURL = rawURL
	return st, nil
}

// StageURLs imports several URLs in parallel (the fetcher bounds how many run
// at once), all or nothing: on any failure every staged file is discarded and
// the first failure, in the order given, is returned.
func (s *MediaService) StageURLs(ctx context.Context, urls []string) ([]*data.Staged, error) {
	staged := make([]*data.Staged, len(urls))
	errs := make([]error, len(urls))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = data.Safely(func() (err error) {
				staged[i], err = s.StageURL(ctx, u)
				return err
			})
			if pe, ok := errs[i].(*data.PanicError); ok {
				s.db.Log.Error("URL import panicked", "url", u, "panic", pe.Value, "stack", string(pe.Stack))
			}
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	var first error
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			first = err
			break
		}
	}
	if first == nil {
		for _, err := range errs {
			if err != nil {
				first = err
				break
			}
		}
	}
	if first != nil {
		for _, st := range staged {
			s.Discard(st)
		}
		return nil, first
	}
	return staged, nil
}

// fetchError turns fetcher and staging errors into data errors naming the URL.
func fetchError(rawURL string, err error) error {
	var fe *fetch.Error
	if errors.As(err, &fe) {
		code := data.ECFetchFailed
		switch fe.Code {
		case fetch.CodeNotAllowed:
			code = data.ECURLNotAllowed
		case fetch.CodeTooLarge:
			code = data.ECTooLarge
		}
		return (&data.Error{Code: code, Message: fe.Message}).With("url", fe.URL)
	}
	var de *data.Error
	if errors.As(err, &de) {
		return de.With("url", rawURL)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return data.Errorf(data.ECFetchFailed, "Could not read %s: the connection failed.", rawURL).With("url", rawURL)
}

func nameFromURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." {
		return u.Hostname()
	}
	return name
}
