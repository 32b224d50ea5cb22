package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// Webhook deliveries use the same Fetcher as URL imports: the same address
// checks at resolve and connect time, the same allow-list (--fetch-allow)
// and timeout, but a pool of parallel slots of their own (and their own
// User-Agent), so endpoints that hang cannot hold up imports. They follow no
// redirects: a 3xx is the endpoint's answer, like any other non-2xx.

const deliverTo = "deliver to"
const deliverSchemes = "webhook URLs must be http or https"

// CheckURL reports whether rawURL may be posted to, by the rules Fetch and
// Post apply (http or https, no user name or password, every address the host
// resolves to public unless allowed), resolving a host name now. The error
// is an *Error with CodeNotAllowed (a name that does not resolve reads as
// refused, like a private one).
func (f *Fetcher) CheckURL(ctx context.Context, rawURL string) error {
	rawURL = strings.TrimSpace(rawURL)
	u, err := parseURL(rawURL)
	if err != nil {
		return notAllowedFor(deliverTo, deliverSchemes, rawURL, refuse(refuseMalformed, "%v", err))
	}
	literal, r := f.checkURL(u)
	if r != nil {
		return notAllowedFor(deliverTo, deliverSchemes, rawURL, r)
	}
	if literal {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	if _, err := f.resolveChecked(cctx, u.Hostname()); err != nil {
		var rf *refusal
		if errors.As(err, &rf) {
			return notAllowedFor(deliverTo, deliverSchemes, rawURL, rf)
		}
		return failedError(rawURL, "its host name could not be looked up", nil)
	}
	return nil
}

// PostResult is the answer to a Post, whatever its status.
type PostResult struct {
	Status int
	// Body is the start of the answer, at most the limit given to Post.
	Body     []byte
	Duration time.Duration
}

// Post sends body to rawURL as a POST with header, following no redirects,
// within the Fetcher's timeout, and reads at most maxBytes of the answer
// (the rest is dropped). Any status is a result; errors are *Error:
// url_not_allowed, or fetch_failed when no answer came (unreachable,
// timed out, cancelled). The result's Duration is set on errors too.
func (f *Fetcher) Post(ctx context.Context, rawURL string, header http.Header, body []byte, maxBytes int64) (*PostResult, error) {
	start := time.Now()
	res := &PostResult{}
	rawURL = strings.TrimSpace(rawURL)
	u, err := parseURL(rawURL)
	if err != nil {
		return res, notAllowedFor(deliverTo, deliverSchemes, rawURL, refuse(refuseMalformed, "%v", err))
	}
	literal, r := f.checkURL(u)
	if r != nil {
		return res, notAllowedFor(deliverTo, deliverSchemes, rawURL, r)
	}
	fctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	free, err := f.posts.acquire(fctx)
	if err != nil {
		res.Duration = time.Since(start)
		if ctx.Err() != nil {
			return res, f.postError(ctx, fctx, rawURL, ctx.Err())
		}
		return res, deliveryWording(failedError(rawURL, timeoutReason(f.timeout)+" waiting for a connection slot (other deliveries kept them all busy)", context.DeadlineExceeded))
	}
	defer free()
	if !literal {
		if _, err := f.resolveChecked(fctx, u.Hostname()); err != nil {
			res.Duration = time.Since(start)
			return res, f.postError(ctx, fctx, rawURL, err)
		}
	}
	req, err := http.NewRequestWithContext(fctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return res, notAllowedFor(deliverTo, deliverSchemes, rawURL, refuse(refuseMalformed, "%v", err))
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", f.postAgent)
	resp, err := f.poster.Do(req)
	if err != nil {
		res.Duration = time.Since(start)
		return res, f.postError(ctx, fctx, rawURL, err)
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	res.Body, err = io.ReadAll(io.LimitReader(resp.Body, max(maxBytes, 0)))
	res.Duration = time.Since(start)
	if err != nil && fctx.Err() != nil {
		// The status came; a body cut off by the deadline is kept as read.
		err = nil
	}
	return res, err
}

// postError is classify's answer with the delivery's wording.
func (f *Fetcher) postError(parent, fctx context.Context, rawURL string, err error) *Error {
	var r *refusal
	if errors.As(err, &r) {
		return notAllowedFor(deliverTo, deliverSchemes, rawURL, r)
	}
	return deliveryWording(f.classify(parent, fctx, rawURL, err))
}

// deliveryWording rewords a fetch_failed *Error for a delivery.
func deliveryWording(fe *Error) *Error {
	fe.Message = strings.Replace(fe.Message, "Could not fetch", "Could not deliver to", 1)
	fe.Message = strings.Replace(fe.Message, "the import was cancelled", "the delivery was cancelled", 1)
	return fe
}
