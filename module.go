// Package biohook is a Caddy HTTP handler that receives identity and
// face-authentication webhooks: it proves each delivery came from its vendor,
// rewrites it into one CloudEvents event and hands it to the next handler,
// normally reverse_proxy to the application.
package biohook

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/biohook/caddy-biohook/vendors"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// DefaultMaxSize is the body limit for vendors that send JSON.
const DefaultMaxSize = 1 << 20

// Handler verifies webhook deliveries from one vendor and forwards each as a
// normalised event. Whatever does not prove itself is refused with a 4xx and
// never reaches the next handler.
type Handler struct {
	// The vendor that sends the deliveries, with its settings: a module in
	// the http.handlers.biohook.vendors namespace, named by "name".
	VendorRaw json.RawMessage `json:"vendor,omitempty" caddy:"namespace=http.handlers.biohook.vendors inline_key=name"`

	// The largest body accepted, in bytes. A larger one is refused with 413
	// before anything parses it. Default: the vendor's own, 1 MiB for vendors
	// that send JSON.
	MaxSize int64 `json:"max_size,omitempty"`

	// Whether to rewrite the body into a normalised event. Default: true.
	// With false, deliveries are verified and forwarded as they came.
	Normalize *bool `json:"normalize,omitempty"`

	// Forward each event once; see Dedupe.
	Dedupe *Dedupe `json:"dedupe,omitempty"`

	// Store each event before answering the vendor, then deliver it with
	// retries; see Durable.
	Durable *Durable `json:"durable,omitempty"`

	// The addresses deliveries may come from: IP addresses and CIDR ranges,
	// IPv4 or IPv6 ({env.*} and {file.*} may hold several, separated by
	// spaces or commas). Each request's client address, as Caddy determines
	// it (the connection's peer; behind the server's trusted_proxies, the
	// address they forward), must be in one of them, or the request is
	// refused with 403 before its body is read. Required where the vendor's
	// settings do not prove a delivery by themselves (ARGOS with mode ecb
	// and no header). An empty list is refused.
	SourceIPs []string `json:"source_ips,omitempty"`

	vendor     vendors.Vendor
	vendorName string
	sources    []netip.Prefix
	normalize  bool
	mediaTypes []string
	strip      []string
	acker      vendors.Acknowledger
	endpoint   vendors.EndpointServer
	head       vendors.HeaderVerifier
	metrics    *vendorMetrics
	logger     *zap.Logger

	durable *durableRoute // set up when Durable is
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.biohook",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision loads the vendor and works out, once, everything a request needs.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if h.VendorRaw == nil {
		return errors.New("biohook: no vendor configured: name one, e.g. `biohook faceio { secret ... }`")
	}
	mod, err := ctx.LoadModule(h, "VendorRaw")
	if err != nil {
		return fmt.Errorf("biohook: loading vendor: %w", err)
	}
	v, ok := mod.(vendors.Vendor)
	if !ok {
		return fmt.Errorf("biohook: module %T is not a vendor", mod)
	}
	h.vendor = v
	h.vendorName = caddy.GetModuleName(mod)
	h.normalize = h.Normalize == nil || *h.Normalize
	h.provisionOptional(v)
	if err := h.provisionSources(); err != nil {
		return err
	}
	h.warnSourceOnly()
	if err := registerMetrics(ctx.GetMetricsRegistry()); err != nil {
		return fmt.Errorf("biohook: metrics: %w", err)
	}
	h.metrics = newVendorMetrics(h.vendorName)
	if h.Dedupe != nil {
		if err := h.Dedupe.provision(ctx, h.vendorName); err != nil {
			return err
		}
	}
	if h.Durable != nil {
		return h.provisionDurable(ctx)
	}
	return nil
}

// Cleanup lets go of the dedupe store; the last route using it closes it.
func (h *Handler) Cleanup() error {
	if h.Dedupe != nil {
		return h.Dedupe.cleanup()
	}
	return nil
}

// provisionOptional picks up what the vendor offers beyond Vendor.
func (h *Handler) provisionOptional(v vendors.Vendor) {
	if h.MaxSize == 0 {
		h.MaxSize = DefaultMaxSize
		if s, ok := v.(vendors.MaxSizer); ok {
			h.MaxSize = s.DefaultMaxSize()
		}
	}
	h.mediaTypes = []string{"application/json"}
	if m, ok := v.(vendors.MediaTyper); ok {
		h.mediaTypes = m.MediaTypes()
	}
	if c, ok := v.(vendors.CredentialHeaderer); ok {
		h.strip = c.CredentialHeaders()
	}
	h.acker, _ = v.(vendors.Acknowledger)
	h.endpoint, _ = v.(vendors.EndpointServer)
	h.head, _ = v.(vendors.HeaderVerifier)
}

// Validate checks the handler's own settings.
func (h *Handler) Validate() error {
	if h.MaxSize < 0 {
		return errors.New("biohook: max_size must not be negative")
	}
	if h.vendor == nil {
		return errors.New("biohook: no vendor configured")
	}
	if err := h.validateSources(); err != nil {
		return err
	}
	var skew time.Duration
	if s, ok := h.vendor.(vendors.Skewer); ok {
		skew = s.SignatureWindow()
	}
	if h.Dedupe != nil && h.Durable != nil {
		return errors.New("biohook: durable delivers each event once already; drop dedupe from this route")
	}
	if h.Dedupe != nil {
		return h.Dedupe.validate(skew)
	}
	if h.Durable != nil {
		return h.Durable.validate(skew)
	}
	return nil
}

// ServeHTTP verifies and normalises one delivery, then hands it on.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if h.Durable != nil { // only a durable route's own spool marks requests
		if m, ok := r.Context().Value(redeliveryKey{}).(*redelivery); ok && h.ownsRedelivery(m) {
			return h.serveRedelivery(w, r, next, m)
		}
	}
	// First of all: a request from an address not listed is refused on
	// its head alone, whatever it asks for.
	if rej := h.checkSource(r); rej != nil {
		return h.refuse(w, r, rej)
	}
	if h.endpoint != nil {
		if handled, err := h.endpoint.ServeEndpoint(w, r); handled {
			return err
		}
	}
	if rej := h.checkRequest(w, r); rej != nil {
		return h.refuse(w, r, rej)
	}
	// A proof carried in the head is checked before the body is read.
	if h.head != nil {
		if err := h.head.VerifyHeader(r); err != nil {
			return h.refuse(w, r, vendors.AsRejection(err))
		}
	}
	// A durable spool keeps the event after the request ends: its buffers
	// are its own, never reused.
	pooled := h.Durable == nil
	body, rej := readBody(w, r, h.MaxSize, pooled)
	if rej != nil {
		return h.refuse(w, r, rej)
	}
	// Clipped: a pooled buffer's spare capacity holds earlier deliveries'
	// bytes, which no slice of this one may reach.
	d := &vendors.Delivery{Request: r, Body: slices.Clip(body.buf), Received: time.Now()}
	out, meta, err := h.process(d, body, pooled)
	h.metrics.process.Observe(time.Since(d.Received).Seconds())
	// Nothing reads the raw body after this (the event holds copies), so it
	// is let go before the event is forwarded: a small buffer goes back to
	// the pool, and a large one, with images, is garbage while the event is
	// on its way rather than held until the app answers.
	body.release()
	if err != nil {
		return h.refuse(w, r, vendors.AsRejection(err))
	}
	defer out.release()
	h.prepareUpstream(r, out, meta)
	if h.Durable != nil {
		return h.enqueue(w, r, out.buf, meta)
	}
	aw := newAnswerWriter(w, h.acker)
	if h.Dedupe != nil {
		err = h.forwardOnce(aw, r, next, meta.Source, meta.ID)
	} else {
		err = next.ServeHTTP(aw, r)
	}
	if aw.status != 0 || err != nil {
		h.metrics.forwarded.Inc()
		h.metrics.answered(aw.status, err)
	}
	return err
}

// eventMeta is what the handler, dedupe and the spool need of an event
// besides its bytes.
type eventMeta struct {
	Source, ID, Type, Subject string
}

// process verifies the delivery and, unless normalisation is off, encodes its
// event. It returns the body to forward, held once for the caller, and the
// event's envelope. A panic in a vendor becomes a 500 for this request,
// never a crashed server.
func (h *Handler) process(d *vendors.Delivery, body *lease, pooled bool) (out *lease, meta eventMeta, err error) {
	defer func() {
		if p := recover(); p != nil {
			h.logger.Error("vendor panicked", zap.String("vendor", h.vendorName),
				zap.Any("panic", p), zap.Stack("stack"))
			err = vendors.Reject(http.StatusInternalServerError, "internal_error", errors.New("vendor panicked"))
			out, meta = nil, eventMeta{}
		}
	}()
	if err := h.vendor.Verify(d); err != nil {
		return nil, meta, err
	}
	if !h.normalize {
		body.retain()
		return body, eventMeta{Source: vendors.Source(h.vendorName), ID: vendors.DerivedID(h.vendorName, d.Body)}, nil
	}
	ev, err := h.vendor.Normalize(d)
	if err != nil {
		return nil, meta, err
	}
	out = newLease(ev.SizeHint(), pooled)
	if out.buf, err = ev.AppendEncode(out.buf); err != nil {
		out.release()
		return nil, meta, vendors.BadPayload("invalid_json", err)
	}
	return out, eventMeta{Source: ev.Source, ID: ev.ID, Type: ev.Type, Subject: ev.Subject}, nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
