package data

import (
	"context"
	"sync"
)

// A staging scope owns the files staged while one request runs. The media
// service puts every file it stages into the scope of the context it was
// given (OwnStaged), and ending the scope discards each of them; a file
// CreateMedia took is no longer staged, so discarding it does nothing.
// Handlers therefore never discard: bad input, an error after staging, a
// client that hangs up, even a panic, leave no temporary file behind.
type stagingScope struct {
	mu    sync.Mutex
	files []ownedStaged
}

type ownedStaged struct {
	st      *Staged
	discard func(*Staged)
}

type stagingKey struct{}

// WithStaging returns ctx carrying a new staging scope and the function that
// ends it (call it once, when the request ends).
func WithStaging(ctx context.Context) (context.Context, func()) {
	s := &stagingScope{}
	return context.WithValue(ctx, stagingKey{}, s), s.end
}

// OwnStaged hands st to ctx's staging scope, which calls discard(st) when it
// ends. It reports false when ctx has no scope: the caller discards, then.
func OwnStaged(ctx context.Context, st *Staged, discard func(*Staged)) bool {
	s, ok := ctx.Value(stagingKey{}).(*stagingScope)
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files = append(s.files, ownedStaged{st, discard})
	return true
}

func (s *stagingScope) end() {
	s.mu.Lock()
	files := s.files
	s.files = nil
	s.mu.Unlock()
	for _, f := range files {
		f.discard(f.st)
	}
}
