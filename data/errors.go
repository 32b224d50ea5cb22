// Package data is Gallerist's domain: types, filters, validation rules, limits,
// error codes and the service interfaces the handlers need. It is pure: no HTTP,
// no SQL, no templates.
package data

import (
	"errors"
	"fmt"
)

// Error codes. Each is stable and documented in /api/openapi.json; web maps
// each to exactly one HTTP status.
const (
	ECInvalidJSON         = "invalid_json"                 // 400: the body is not valid JSON
	ECInvalidParameter    = "invalid_parameter"            // 400: a query parameter is malformed or out of range
	ECUnknownParameter    = "unknown_parameter"            // 400: a query parameter the endpoint does not take
	ECEmptyUpdate         = "empty_update"                 // 400: an update names no field
	ECTooManyFiles        = "too_many_files"               // 400: more files than a request may carry
	ECMissingFile         = "missing_file"                 // 400: an upload without a file
	ECInvalidBase64       = "invalid_base64"               // 400: attachment is not valid base64
	ECBadRequest          = "bad_request"                  // 400: anything else malformed
	ECUnauthorized        = "unauthorized"                 // 401: no, bad, expired or revoked credentials
	ECMissingScope        = "missing_scope"                // 403: the token lacks a scope the route needs
	ECForbidden           = "forbidden"                    // 403: the user's role does not allow this
	ECCSRF                = "csrf_failed"                  // 403: a state-changing form without a valid CSRF token
	ECNotFound            = "not_found"                    // 404
	ECMethodNotAllowed    = "method_not_allowed"           // 405
	ECNotImplemented      = "not_implemented"              // 501: a request method the server does not know
	ECInUse               = "in_use"                       // 409: the media item is still used
	ECConflict            = "conflict"                     // 409: a uniqueness rule was broken
	ECPreconditionFailed  = "precondition_failed"          // 412: If-Match did not match
	ECTooLarge            = "too_large"                    // 413: over a size limit
	ECUnsupportedType     = "unsupported_type"             // 415: the bytes are of a type we do not accept
	ECUnsupportedContent  = "unsupported_content_type"     // 415: the request body's Content-Type is not accepted
	ECUnsupportedEncoding = "unsupported_content_encoding" // 415: a compressed request body
	ECInvalidField        = "invalid_field"                // 422: a field's value breaks a rule
	ECUnknownField        = "unknown_field"                // 422: a field we do not know
	ECTooManyPixels       = "too_many_pixels"              // 422: an image over the pixel limits
	ECCorruptFile         = "corrupt_file"                 // 422: truncated or malformed content
	ECEmptyFile           = "empty_file"                   // 422: a file of 0 bytes
	ECNotTrashed          = "not_trashed"                  // 422: purge of an item that is not in the trash
	ECKindMismatch        = "kind_mismatch"                // 422: a replacement file of another kind than the item
	ECGalleryFull         = "gallery_full"                 // 422: a gallery at its image limit
	ECURLNotAllowed       = "url_not_allowed"              // 422: an import URL whose address is refused
	ECFetchFailed         = "fetch_failed"                 // 422: an import URL that could not be fetched
	ECRateLimited         = "rate_limited"                 // 429
	ECInsufficientStorage = "insufficient_storage"         // 507: the server's disk is full
	ECUnavailable         = "unavailable"                  // 503: the server is shutting down, or its file storage cannot be reached
	ECHeadersTooLarge     = "headers_too_large"            // 431: request headers over the server's buffer
	ECRequestTimeout      = "request_timeout"              // 408: the request was not received in time
	ECInternal            = "internal"                     // 500: logged, details never leaked
)

// Error is the one error type of Gallerist: a stable Code, a Message a person can
// act on, and optional Details (e.g. "field", "used_by") carried to JSON clients.
type Error struct {
	Code    string
	Message string
	Details map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns a copy of e with one more detail.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Details = make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		c.Details[k] = v
	}
	c.Details[key] = value
	return &c
}

// ParamError reports an invalid query parameter (400) and names it.
func ParamError(param, format string, args ...any) *Error {
	return Errorf(ECInvalidParameter, format, args...).With("parameter", param)
}

// FieldError reports an invalid field value (422) and names the field.
func FieldError(field, format string, args ...any) *Error {
	return Errorf(ECInvalidField, format, args...).With("field", field)
}

// NotFound is the answer for a missing row and for another organization's row alike.
func NotFound(what string) *Error {
	return Errorf(ECNotFound, "%s not found.", what)
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else ECInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ECInternal
}

// ErrorMessage returns the message of err if it is an *Error, else a generic sentence.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side. Please try again; if it keeps happening, check the server log."
}
