// Package openapitest checks answers of Roster's JSON API against its
// OpenAPI description (GET /api/openapi.json) in tests, with kin-openapi:
// the web package's test servers check every /api/ answer they give, and
// cmd/roster's tests every answer they receive. Only tests import it.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Load loads and validates a description (OpenAPI 3.1: kin-openapi
// validates its schemas as JSON Schema 2020-12).
func Load(ctx context.Context, doc []byte) (*openapi3.T, error) {
	t, err := openapi3.NewLoader().LoadFromData(doc)
	if err != nil {
		return nil, err
	}
	if err := t.Validate(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// Checker checks answers against one description.
type Checker struct {
	router routers.Router
}

var checkers sync.Map // string(doc) → *Checker or error

// New returns the checker of doc; every test server of a run describes
// the same API, so checkers are kept per description.
func New(doc []byte) (*Checker, error) {
	if v, ok := checkers.Load(string(doc)); ok {
		if err, bad := v.(error); bad {
			return nil, err
		}
		return v.(*Checker), nil
	}
	d, err := Load(context.Background(), doc)
	var r routers.Router
	if err == nil {
		r, err = legacy.NewRouter(d)
	}
	if err != nil {
		err = fmt.Errorf("the API description: %w", err)
		checkers.Store(string(doc), err)
		return nil, err
	}
	c := &Checker{router: r}
	checkers.Store(string(doc), c)
	return c, nil
}

// Check checks the answer to req: its status must be one the operation
// describes (the default answer is the error shape), its body must match
// the schema. A request that is no operation of the description (an
// unknown path, a wrong method, a CORS preflight) is not checked.
func (c *Checker) Check(req *http.Request, status int, header http.Header, body []byte) error {
	if !strings.HasPrefix(req.URL.Path, "/api/") {
		return nil
	}
	probe := req.Clone(context.Background())
	probe.Body = http.NoBody
	route, params, err := c.router.FindRoute(probe)
	if err != nil {
		return nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		b := string(body)
		if len(b) > 600 {
			b = b[:600] + "…"
		}
		return fmt.Errorf("OpenAPI: %s %s (operation %s %s) answered %d, which the description does not allow: %v\nbody: %s",
			req.Method, req.URL.RequestURI(), route.Method, route.Path, status, err, b)
	}
	return nil
}

// recorder passes an answer on and keeps a copy of it.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	rec.body.Write(b)
	return rec.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// Flush passes a flush on.
func (rec *recorder) Flush() {
	if f, ok := rec.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Handler wraps h so that each of its /api/ answers is checked; a
// mismatch fails t with the request and the answer.
func Handler(t testing.TB, h http.Handler, c *Checker) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			h.ServeHTTP(w, r)
			return
		}
		req := r.Clone(r.Context()) // the handler may change r
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		if err := c.Check(req, rec.status, rec.Header(), rec.body.Bytes()); err != nil {
			t.Errorf("%v", err)
		}
	})
}
