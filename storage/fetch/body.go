package fetch

import (
	"context"
	"errors"
	"io"
	"time"
)

// body is Response.Body: it counts bytes as they arrive, stops at the
// limit, turns transport errors into *Error, and releases the parallel slot
// on Close or on a terminal error.
type body struct {
	rc      io.ReadCloser
	limit   int64 // bytes the caller may read
	n       int64 // bytes received from rc
	err     error // sticky terminal error (io.EOF or *Error)
	rawURL  string
	parent  context.Context // the caller's context
	fctx    context.Context // the fetch's context, with the deadline
	timeout time.Duration
	release func() // idempotent
}

// Read reads at most the limit; the byte after it turns into a too_large
// error. Only one extra byte is ever requested from the wire.
func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	// b.n <= b.limit here, so this cannot overflow even for a huge limit.
	if left := b.limit - b.n; int64(len(p)) > left {
		p = p[:left+1]
	}
	k, err := b.rc.Read(p)
	b.n += int64(k)
	if b.n > b.limit {
		k -= int(b.n - b.limit)
		b.fail(tooLargeError(b.rawURL, b.limit))
		return k, b.err
	}
	switch {
	case err == nil:
		return k, nil
	case err == io.EOF:
		b.err = io.EOF
		return k, io.EOF
	}
	b.fail(b.classify(err))
	return k, b.err
}

// classify maps a transport error while reading to an *Error.
func (b *body) classify(err error) *Error {
	switch {
	case b.parent.Err() != nil:
		return failedError(b.rawURL, "the import was cancelled", b.parent.Err())
	case errors.Is(b.fctx.Err(), context.DeadlineExceeded):
		return failedError(b.rawURL, timeoutReason(b.timeout), context.DeadlineExceeded)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return failedError(b.rawURL, "the server closed the connection before sending the whole file", nil)
	}
	return failedError(b.rawURL, "the connection broke while downloading", nil)
}

// fail records a terminal error, drops the connection and frees the slot.
func (b *body) fail(e *Error) {
	b.err = e
	b.rc.Close()
	b.release()
}

// Close closes the connection's body and releases the parallel slot; it may
// be called more than once.
func (b *body) Close() error {
	err := b.rc.Close()
	b.release()
	return err
}
