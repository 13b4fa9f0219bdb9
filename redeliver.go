package biohook

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

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

// A spooled event is delivered by sending it through the server its route
// lives in, from the top, as the live delivery went: the same method, host,
// path and client address meet the same matchers, and the rest of the route
// (normally reverse_proxy) is whatever the running config says. The request
// carries a marker no client can set (a context value), so that the route's
// biohook handler knows it for a delivery of its own, skips verification and
// hands the stored event on; a request that never reaches that handler (a
// catch-all respond, a changed matcher) is a failed attempt, never a
// delivery.

// redeliveryKey is the context key of the marker.
type redeliveryKey struct{}

// redelivery is the marker, and where the route's handler leaves what the
// next handler answered.
type redelivery struct {
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
func (h *Handler) redeliver(ctx context.Context, rec *record, attempt int) (res attemptResult) {
	defer func() {
		if p := recover(); p != nil {
			h.logger.Error("handler panicked delivering a spooled event", zap.String("vendor", h.vendorName),
				zap.String("event_id", rec.ID), zap.Any("panic", p), zap.Stack("stack"))
			res = attemptResult{err: errPanicked}
		}
	}()
	srv := h.durable.server.Load()
	if srv == nil {
		return attemptResult{err: errNoServer}
	}
	req, err := spooledRequest(ctx, rec)
	if err != nil {
		return attemptResult{err: err}
	}
	m := &redelivery{spool: h.durable.spooler(), route: h.durable.name, rec: rec, attempt: attempt}
	req = req.WithContext(context.WithValue(req.Context(), redeliveryKey{}, m))
	w := &statusWriter{header: make(http.Header)}
	srv.ServeHTTP(w, req)
	if !m.reached {
		return attemptResult{status: w.status}
	}
	return attemptResult{status: m.status, reached: true, err: m.err}
}

// spooledRequest rebuilds the live request from the record.
func spooledRequest(ctx context.Context, rec *record) (*http.Request, error) {
	u, err := url.ParseRequestURI(rec.URI)
	if err != nil {
		return nil, err
	}
	req := &http.Request{
		Method: rec.Method, URL: u, RequestURI: rec.URI, Host: rec.Host,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: rec.Header.Clone(), RemoteAddr: rec.RemoteAddr,
		Body: http.NoBody,
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

// serveRedelivery hands a spooled event to the next handler in place of a
// live delivery, and notes what it answered.
func (h *Handler) serveRedelivery(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, m *redelivery) error {
	m.reached = true
	rec := m.rec
	// The headers the module owns are set again from the record, never
	// taken from what it stored: a record of an older version may hold
	// a sender's.
	r.Header = rec.Header.Clone()
	vendor := r.Header.Get("Biohook-Vendor")
	stripOwned(r.Header)
	r.Header.Set("Biohook-Vendor", vendor)
	r.Header.Set("Biohook-Event-Id", rec.ID)
	r.Header.Set("Idempotency-Key", rec.ID)
	r.Header.Set("Biohook-Attempt", strconv.Itoa(m.attempt))
	r.Header.Set("Content-Length", strconv.Itoa(len(rec.Body)))
	r.Body = io.NopCloser(bytes.NewReader(rec.Body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(rec.Body)), nil }
	r.ContentLength = int64(len(rec.Body))
	addPlaceholders(r, vendor, eventMeta{ID: rec.ID, Type: rec.Type, Subject: rec.Subject})
	sw := &statusWriter{ResponseWriter: w}
	err := next.ServeHTTP(sw, r)
	m.status, m.err = sw.status, err
	if err != nil && m.status == 0 {
		var he caddyhttp.HandlerError
		if errors.As(err, &he) {
			m.status = he.StatusCode
		}
	}
	return err
}

// statusWriter keeps the first final status written through it. With no
// ResponseWriter under it, it is the end of the line: the answer is dropped.
type statusWriter struct {
	http.ResponseWriter
	header http.Header
	status int
}

func (w *statusWriter) Header() http.Header {
	if w.ResponseWriter == nil {
		return w.header
	}
	return w.ResponseWriter.Header()
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 && status >= 200 {
		w.status = status
	}
	if w.ResponseWriter != nil {
		w.ResponseWriter.WriteHeader(status)
	}
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.ResponseWriter == nil {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// findServer is the server whose routes hold h, searched through subroutes
// and named routes; nil if h is somewhere it cannot see.
func findServer(app *caddyhttp.App, h *Handler) *caddyhttp.Server {
	for _, srv := range app.Servers {
		if routesHold(srv.Routes, h) {
			return srv
		}
		for _, route := range srv.NamedRoutes {
			if route != nil && routesHold(caddyhttp.RouteList{*route}, h) {
				return srv
			}
		}
	}
	return nil
}

func routesHold(routes caddyhttp.RouteList, h *Handler) bool {
	for _, route := range routes {
		for _, mh := range route.Handlers {
			switch mh := mh.(type) {
			case *Handler:
				if mh == h {
					return true
				}
			case *caddyhttp.Subroute:
				if routesHold(mh.Routes, h) {
					return true
				}
			}
		}
	}
	return false
}
