package fetch

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Error codes carried by Error.Code.
const (
	// CodeNotAllowed: the URL, or where it leads (redirects, DNS answers, the
	// address actually dialled), is not something Gallerist may fetch.
	CodeNotAllowed = "url_not_allowed"
	// CodeFetchFailed: the URL was allowed but fetching it did not work
	// (unreachable, timed out, error status, too many redirects, compressed…).
	CodeFetchFailed = "fetch_failed"
	// CodeTooLarge: the body is larger than the caller's limit.
	CodeTooLarge = "too_large"
)

// Error is a refused or failed fetch. Code is one of CodeNotAllowed,
// CodeFetchFailed or CodeTooLarge; Message is a sentence for a person that
// names the URL; URL is the URL the caller asked for (with any password
// redacted).
//
// For CodeNotAllowed the message never says why an address was refused: a
// private literal, a name that resolves to a private address, a name that
// does not resolve, and a redirect to a private address all read the same, so
// the error cannot be used to map an internal network.
type Error struct {
	Code, Message, URL string

	err error // cause, for errors.Is (e.g. context.Canceled); never shown
}

// Error returns the Message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the underlying cause when there is one that callers may test
// for (context cancellation); it is nil for refusals.
func (e *Error) Unwrap() error { return e.err }

// Is makes errors.Is(err, ErrTooLarge) (and any *Error without a URL, used
// as a code template) match every *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.URL == "" && t.Code == e.Code
}

// ErrTooLarge is matched (with errors.Is) by every too_large Error: a body
// read past the caller's limit, or a Content-Length above it.
var ErrTooLarge = &Error{Code: CodeTooLarge, Message: "the file is larger than allowed"}

// ErrNotAllowed is matched (with errors.Is) by every url_not_allowed Error.
var ErrNotAllowed = &Error{Code: CodeNotAllowed, Message: "the URL is not allowed"}

// ErrFetchFailed is matched (with errors.Is) by every fetch_failed Error.
var ErrFetchFailed = &Error{Code: CodeFetchFailed, Message: "the fetch failed"}

// refusal is the internal form of a url_not_allowed decision. Its kind picks
// the public message; detail is for tests and debugging only.
type refusal struct {
	kind   refusalKind
	detail string
}

type refusalKind int

const (
	refuseDestination refusalKind = iota // not a public address (any reason), or unresolvable
	refuseScheme                         // not http or https
	refuseUserinfo                       // user:pass@
	refuseMalformed                      // not a usable URL: no host, bad port, bad host syntax
)

func (r *refusal) Error() string { return "fetch: refused: " + r.detail }

func refuse(kind refusalKind, format string, args ...any) *refusal {
	return &refusal{kind: kind, detail: fmt.Sprintf(format, args...)}
}

// errTooManyRedirects is returned by CheckRedirect.
var errTooManyRedirects = errors.New("fetch: too many redirects")

// errCompressed reports a Content-Encoding other than identity.
var errCompressed = errors.New("fetch: compressed response")

// shownURL is the URL as it may appear in a message: password redacted and
// length bounded.
func shownURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		raw = u.Redacted()
		if _, has := u.User.Password(); !has {
			// Redacted keeps a bare user name; drop it too.
			u.User = nil
			raw = u.String()
		}
	}
	const max = 200
	if len(raw) > max {
		raw = raw[:max] + "…"
	}
	if raw == "" {
		return `""`
	}
	return raw
}

func notAllowedError(rawURL string, r *refusal) *Error {
	return notAllowedFor("import from", "only http and https URLs can be imported", rawURL, r)
}

// notAllowedFor is the refusal of rawURL for an action ("import from",
// "deliver to"); schemes says which schemes are accepted.
func notAllowedFor(action, schemes, rawURL string, r *refusal) *Error {
	shown := shownURL(rawURL)
	var msg string
	switch r.kind {
	case refuseScheme:
		msg = fmt.Sprintf("Cannot %s %s: %s.", action, shown, schemes)
	case refuseUserinfo:
		msg = fmt.Sprintf("Cannot %s %s: URLs containing a user name or password are not accepted.", action, shown)
	case refuseMalformed:
		msg = fmt.Sprintf("Cannot %s %s: it is not a valid web address.", action, shown)
	default:
		msg = fmt.Sprintf("Cannot %s %s: it does not lead to a public internet address.", action, shown)
	}
	return &Error{Code: CodeNotAllowed, Message: msg, URL: shown}
}

func failedError(rawURL, reason string, cause error) *Error {
	shown := shownURL(rawURL)
	return &Error{
		Code:    CodeFetchFailed,
		Message: fmt.Sprintf("Could not fetch %s: %s.", shown, reason),
		URL:     shown,
		err:     cause,
	}
}

func tooLargeError(rawURL string, limit int64) *Error {
	shown := shownURL(rawURL)
	return &Error{
		Code:    CodeTooLarge,
		Message: fmt.Sprintf("Cannot import %s: it is larger than the %s limit.", shown, formatBytes(limit)),
		URL:     shown,
	}
}

func timeoutReason(d time.Duration) string {
	return "timed out after " + d.String()
}

// formatBytes renders n for a person: 25 MB, 512 KB, 100 bytes.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	case n == 1:
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
