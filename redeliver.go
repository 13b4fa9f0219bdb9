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
	req, err := spooledRequest(ctx, rec, attempt)
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

// serveRedelivery hands a spooled event to the next handler in place of a
// live delivery, and notes what it answered. Headers the handlers before
// this one set are kept, as a live delivery's are; the event's own are set
// again, in case one of them changed them.
func (h *Handler) serveRedelivery(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, m *redelivery) error {
	m.reached = true
	rec := m.rec
	eventHeader(r.Header, rec, m.attempt)
	r.Body = io.NopCloser(bytes.NewReader(rec.Body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(rec.Body)), nil }
	r.ContentLength = int64(len(rec.Body))
	r.TransferEncoding, r.Trailer = nil, nil
	addPlaceholders(r, rec.Vendor, eventMeta{ID: rec.ID, Type: rec.Type, Subject: rec.Subject})
	sw := &statusWriter{ResponseWriter: w}
	err := next.ServeHTTP(sw, r)
	if err == nil && sw.status == 0 {
		h.logNoUpstream(r, rec.ID)
		err = errNoUpstream
	}
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
