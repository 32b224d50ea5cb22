package web

import (
	"errors"
	"net/http"

	"gallerist/data"

	"github.com/gofiber/fiber/v2"
)

// statusByCode is the one place where error codes become HTTP statuses.
var statusByCode = map[string]int{
	data.ECInvalidJSON:         http.StatusBadRequest,
	data.ECInvalidParameter:    http.StatusBadRequest,
	data.ECUnknownParameter:    http.StatusBadRequest,
	data.ECEmptyUpdate:         http.StatusBadRequest,
	data.ECTooManyFiles:        http.StatusBadRequest,
	data.ECMissingFile:         http.StatusBadRequest,
	data.ECInvalidBase64:       http.StatusBadRequest,
	data.ECBadRequest:          http.StatusBadRequest,
	data.ECUnauthorized:        http.StatusUnauthorized,
	data.ECMissingScope:        http.StatusForbidden,
	data.ECForbidden:           http.StatusForbidden,
	data.ECCSRF:                http.StatusForbidden,
	data.ECNotFound:            http.StatusNotFound,
	data.ECMethodNotAllowed:    http.StatusMethodNotAllowed,
	data.ECInUse:               http.StatusConflict,
	data.ECConflict:            http.StatusConflict,
	data.ECPreconditionFailed:  http.StatusPreconditionFailed,
	data.ECTooLarge:            http.StatusRequestEntityTooLarge,
	data.ECUnsupportedType:     http.StatusUnsupportedMediaType,
	data.ECUnsupportedContent:  http.StatusUnsupportedMediaType,
	data.ECUnsupportedEncoding: http.StatusUnsupportedMediaType,
	data.ECInsufficientStorage: http.StatusInsufficientStorage,
	data.ECUnavailable:         http.StatusServiceUnavailable,
	data.ECInvalidField:        http.StatusUnprocessableEntity,
	data.ECUnknownField:        http.StatusUnprocessableEntity,
	data.ECTooManyPixels:       http.StatusUnprocessableEntity,
	data.ECCorruptFile:         http.StatusUnprocessableEntity,
	data.ECEmptyFile:           http.StatusUnprocessableEntity,
	data.ECNotTrashed:          http.StatusUnprocessableEntity,
	data.ECKindMismatch:        http.StatusUnprocessableEntity,
	data.ECGalleryFull:         http.StatusUnprocessableEntity,
	data.ECURLNotAllowed:       http.StatusUnprocessableEntity,
	data.ECFetchFailed:         http.StatusUnprocessableEntity,
	data.ECRateLimited:         http.StatusTooManyRequests,
	data.ECHeadersTooLarge:     http.StatusRequestHeaderFieldsTooLarge,
	data.ECRequestTimeout:      http.StatusRequestTimeout,
	data.ECInternal:            http.StatusInternalServerError,
	data.ECNotImplemented:      http.StatusNotImplemented,
}

// StatusFor returns the HTTP status of an error code.
func StatusFor(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorCodes lists every error code with its status (for the API documentation).
func ErrorCodes() map[string]int {
	out := make(map[string]int, len(statusByCode))
	for k, v := range statusByCode {
		out[k] = v
	}
	return out
}

// AsDataError turns any error (ours, Fiber's, or an unexpected one) into a *data.Error.
func AsDataError(err error) *data.Error {
	var de *data.Error
	if errors.As(err, &de) {
		return de
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case http.StatusNotFound:
			return data.Errorf(data.ECNotFound, "No such page or endpoint.")
		case http.StatusMethodNotAllowed:
			return data.Errorf(data.ECMethodNotAllowed, "This endpoint does not accept that method.")
		case http.StatusRequestEntityTooLarge:
			return data.Errorf(data.ECTooLarge, "The request body is too large.")
		case http.StatusUnsupportedMediaType:
			return data.Errorf(data.ECUnsupportedContent, "The request body's Content-Type is not accepted here.")
		case http.StatusUnprocessableEntity:
			return data.Errorf(data.ECInvalidField, "%s", fe.Message)
		case http.StatusTooManyRequests:
			return data.Errorf(data.ECRateLimited, "Too many requests; wait a little and try again.")
		case http.StatusRequestHeaderFieldsTooLarge:
			return data.Errorf(data.ECHeadersTooLarge, "The request's headers are too large.")
		case http.StatusRequestTimeout:
			return data.Errorf(data.ECRequestTimeout, "The request was not received in time; send it again.")
		case http.StatusForbidden:
			return data.Errorf(data.ECForbidden, "%s", fe.Message)
		case http.StatusUnauthorized:
			return data.Errorf(data.ECUnauthorized, "%s", fe.Message)
		}
		if fe.Code >= 400 && fe.Code < 500 {
			return data.Errorf(data.ECBadRequest, "The request could not be understood: %s.", fe.Message)
		}
	}
	return &data.Error{Code: data.ECInternal, Message: data.ErrorMessage(nil)}
}

// JSONError is the body of every API error.
type JSONError struct {
	Error map[string]any `json:"error"`
}

// errorBody renders e as {"error": {"code", "message", ...details}}.
func errorBody(e *data.Error) JSONError {
	m := map[string]any{"code": e.Code, "message": e.Message}
	for k, v := range e.Details {
		if k != "code" && k != "message" {
			m[k] = v
		}
	}
	return JSONError{Error: m}
}

// WriteJSONError answers e as JSON with its status from the one table: the
// only place an error becomes a JSON body (the API, and the admin UI's
// script requests).
func WriteJSONError(c *fiber.Ctx, e *data.Error) error {
	return c.Status(StatusFor(e.Code)).JSON(errorBody(e))
}

// unavailableRetryAfter is the Retry-After of a 503 for a part of the
// server that is away (the blob store): its client already retried for
// some seconds before giving up.
const unavailableRetryAfter = "30"

// HTMLErrorRenderer renders an error page (set by the views layer).
type HTMLErrorRenderer func(c *fiber.Ctx, status int, e *data.Error) error

func (s *Server) handleError(c *fiber.Ctx, err error) error {
	e := AsDataError(err)
	if c.Locals(bodyLocal) != nil {
		select {
		case <-s.stopping: // a streaming request cut short by the shutdown, whatever the handler made of it
			e = errStopping
			c.Set(fiber.HeaderRetryAfter, "5")
		default:
		}
	}
	status := StatusFor(e.Code)
	if e.Code == data.ECUnavailable && len(c.Response().Header.Peek(fiber.HeaderRetryAfter)) == 0 {
		c.Set(fiber.HeaderRetryAfter, unavailableRetryAfter)
	}
	if status >= 500 {
		s.log.Error("request failed", "method", c.Method(), "route", c.Route().Path, "request_id", RequestID(c), "err", err)
		if e.Code != data.ECInsufficientStorage && e.Code != data.ECUnavailable { // server-side errors a person can act on
			e = &data.Error{Code: data.ECInternal, Message: data.ErrorMessage(nil)}
		}
	}
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead && status >= 400 {
		// The client may still be sending a body we did not read: do not parse it as the next request.
		c.Set(fiber.HeaderConnection, "close")
	}
	if status == http.StatusUnauthorized && isAPI(c) {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="gallerist"`)
	}
	if isAPI(c) || s.htmlError == nil || c.Locals(routedLocal) == nil {
		return WriteJSONError(c, e)
	}
	c.Status(status)
	if err := s.htmlError(c, status, e); err != nil {
		s.log.Error("render error page", "err", err)
		return c.SendString(e.Message)
	}
	return nil
}
