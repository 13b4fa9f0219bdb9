package durable

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

// A spooled event is delivered by sending it through the server its route
// lives in, from the top, as the live delivery went: a POST with the host,
// path and client address of the live delivery meets the same matchers, and
// the rest of the route (normally reverse_proxy) is whatever the running
// config says. The request carries a marker no client can set (a context
// value), so that the route's biohook handler knows it for a delivery of
// its own, skips verification and hands the stored event on; a request
// that never reaches that handler (a catch-all respond, a changed matcher)
// is a failed attempt, never a delivery. Every field it is built from is
// authenticated (see recordAuth) before it is built.

// redeliveryKey is the context key of the marker.
type redeliveryKey struct{}

// Redelivery is the marker, and where the route's handler leaves what the
// next handler answered.
type Redelivery struct {
	spool   spooler
	route   string
	rec     *record
	attempt int

	reached bool
	status  int
	err     error
}

var (
	errNoServer = errors.New("the route's server is not known yet")
	errPanicked = errors.New("a handler panicked")
)

// redeliver sends rec through the route's server and reports the outcome.
// The request runs in the spool's goroutine, not in a connection's: a panic
// in any handler of the route is caught here, as net/http would have.
func (rt *Route) redeliver(ctx context.Context, rec *record, attempt int) (res attemptResult) {
	defer func() {
		if p := recover(); p != nil {
			rt.logger.Error("handler panicked delivering a spooled event", zap.String("vendor", rt.vendor),
				zap.String("event_id", rec.ID), zap.Any("panic", p), zap.Stack("stack"))
			res = attemptResult{err: errPanicked}
		}
	}()
	srv := rt.server.Load()
	if srv == nil {
		return attemptResult{err: errNoServer}
	}
	req, err := spooledRequest(ctx, rec, attempt)
	if err != nil {
		return attemptResult{err: err}
	}
	m := &Redelivery{spool: rt.spooler(), route: rt.name, rec: rec, attempt: attempt}
	req = req.WithContext(context.WithValue(req.Context(), redeliveryKey{}, m))
	w := &sink{header: make(http.Header)}
	srv.ServeHTTP(w, req)
	if !m.reached {
		return attemptResult{status: w.status}
	}
	return attemptResult{status: m.status, reached: true, err: m.err}
}

// spooledRequest builds the delivery of rec: a POST to its path, with the
// event's headers and nothing a client chose.
func spooledRequest(ctx context.Context, rec *record, attempt int) (*http.Request, error) {
	if !strings.HasPrefix(rec.Path, "/") {
		return nil, errBadPath
	}
	u, err := url.ParseRequestURI(rec.Path)
	if err != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errBadPath
	}
	req := &http.Request{
		Method: http.MethodPost, URL: u, RequestURI: rec.Path, Host: rec.Host,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: eventHeader(make(http.Header, 7), rec, attempt), RemoteAddr: rec.RemoteAddr,
		Body: http.NoBody, ContentLength: int64(len(rec.Body)),
	}
	if rec.TLS {
		host, _, err := net.SplitHostPort(rec.Host)
		if err != nil {
			host = rec.Host
		}
		req.TLS = &tls.ConnectionState{HandshakeComplete: true, ServerName: host}
	}
	return req.WithContext(ctx), nil
}

var errBadPath = errors.New("the stored path is not a path")

// eventHeader sets the headers a delivery of rec carries: those a live
// delivery's event had, and the attempt's.
func eventHeader(h http.Header, rec *record, attempt int) http.Header {
	if rec.ContentType != "" {
		h.Set("Content-Type", rec.ContentType)
	}
	h.Set("Biohook-Vendor", rec.Vendor)
	h.Set("Biohook-Event-Id", rec.ID)
	h.Set("Idempotency-Key", rec.ID)
	h.Set("Biohook-Attempt", strconv.Itoa(attempt))
	h.Set("Content-Length", strconv.Itoa(len(rec.Body)))
	return h
}

// Redelivered is the marker of a request the spool sends, if r is one. The
// handler that owns it (Route.Owns) hands the event on in place of a live
// delivery: Prepare, the next handler, then Answered.
func Redelivered(r *http.Request) (*Redelivery, bool) {
	m, ok := r.Context().Value(redeliveryKey{}).(*Redelivery)
	return m, ok
}

// Prepare makes r the delivery of the spooled event: its body and its
// headers (the event's own are set again, in case a handler before this
// one changed them; the others it set are kept, as a live delivery's are).
// It notes that the delivery reached the route's handler, and returns the
// event and the vendor that sent it.
func (m *Redelivery) Prepare(r *http.Request) (ev Event, vendor string) {
	m.reached = true
	rec := m.rec
	eventHeader(r.Header, rec, m.attempt)
	r.Body = io.NopCloser(bytes.NewReader(rec.Body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(rec.Body)), nil }
	r.ContentLength = int64(len(rec.Body))
	r.TransferEncoding, r.Trailer = nil, nil
	return Event{Key: rec.Key, ID: rec.ID, Type: rec.Type, Subject: rec.Subject}, rec.Vendor
}

// Answered notes what the next handler answered: its status (0 if none)
// and error. An error with no status written counts with the status the
// error carries, if it is a caddyhttp.HandlerError.
func (m *Redelivery) Answered(status int, err error) {
	m.status, m.err = status, err
	if err != nil && m.status == 0 {
		var he caddyhttp.HandlerError
		if errors.As(err, &he) {
			m.status = he.StatusCode
		}
	}
}

// sink is the end of the line of a spooled delivery: it keeps the first
// final status written to it and drops the answer.
type sink struct {
	header http.Header
	status int
}

func (w *sink) Header() http.Header { return w.header }

func (w *sink) WriteHeader(status int) {
	if w.status == 0 && status >= 200 {
		w.status = status
	}
}

func (w *sink) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}

// findServer is the server whose routes hold owner, searched through
// subroutes and named routes; nil if owner is somewhere it cannot see.
func findServer(app *caddyhttp.App, owner caddyhttp.MiddlewareHandler) *caddyhttp.Server {
	for _, srv := range app.Servers {
		if routesHold(srv.Routes, owner) {
			return srv
		}
		for _, route := range srv.NamedRoutes {
			if route != nil && routesHold(caddyhttp.RouteList{*route}, owner) {
				return srv
			}
		}
	}
	return nil
}

func routesHold(routes caddyhttp.RouteList, owner caddyhttp.MiddlewareHandler) bool {
	for _, route := range routes {
		for _, mh := range route.Handlers {
			if sub, ok := mh.(*caddyhttp.Subroute); ok {
				if routesHold(sub.Routes, owner) {
					return true
				}
			} else if mh == owner { // owner is a pointer: compared, never a panic
				return true
			}
		}
	}
	return false
}
