// Package vendors holds one type per webhook vendor, each a Caddy module in
// the http.handlers.biohook.vendors namespace, behind the Vendor interface.
// A vendor proves that a delivery is genuine and rewrites it into the common
// Event. Adding a vendor, ours or a third party's, is adding a module.
package vendors

import (
	"net/http"
	"time"
)

// Vendor proves and normalises the deliveries of one webhook sender.
// A vendor value is shared by every request on its route: it must keep
// per-request state in the Delivery, never in itself.
type Vendor interface {
	// Verify proves that the delivery came from the vendor, over the exact
	// bytes received. It returns a *Rejection (or an error wrapping one) when
	// the delivery does not prove itself.
	Verify(d *Delivery) error

	// Normalize rewrites a verified delivery into the common event.
	// A payload it cannot read is a *Rejection with status 400.
	Normalize(d *Delivery) (*Event, error)
}

// Delivery is one webhook request as received.
type Delivery struct {
	// Request is the request as received: method, URL and headers. Its body
	// has already been read into Body.
	Request *http.Request

	// Body holds the raw bytes exactly as received.
	Body []byte

	// Received is when the handler started on the delivery.
	Received time.Time

	// Scratch lets Verify hand what it decoded to Normalize, so that a
	// payload read for a check is not decoded twice.
	Scratch any
}

// MaxSizer is implemented by vendors whose deliveries need a larger default
// body limit than the handler's 1 MiB (multipart with images, for example).
type MaxSizer interface {
	DefaultMaxSize() int64
}

// MediaTyper is implemented by vendors that send something other than JSON.
// The handler answers 415 to any other Content-Type before reading the body.
type MediaTyper interface {
	MediaTypes() []string
}

// CredentialHeaderer is implemented by vendors whose credentials travel in
// headers; the handler removes them before the request goes upstream.
type CredentialHeaderer interface {
	CredentialHeaders() []string
}

// Answer is what the vendor is told instead of the upstream's own answer.
type Answer struct {
	Status      int
	ContentType string
	Body        []byte
}

// Acknowledger is implemented by vendors that need a particular answer for a
// success (exactly 200, or 200 with a JSON body). Acknowledge sees the
// upstream's status and headers; replace=false keeps the upstream's answer.
type Acknowledger interface {
	Acknowledge(status int, header http.Header) (answer Answer, replace bool)
}

// EndpointServer is implemented by vendors that serve a request of their own
// on the route, such as an OAuth token endpoint. ServeEndpoint runs before
// any other check; handled=true means the request was answered.
type EndpointServer interface {
	ServeEndpoint(w http.ResponseWriter, r *http.Request) (handled bool, err error)
}

// Skewer is implemented by vendors that sign a time: SignatureWindow is how
// far from this server's clock a delivery may be. Deduplication must
// remember events at least that long, or a replay could outlive the memory
// of the original.
type Skewer interface {
	SignatureWindow() time.Duration
}

// SourceCheckRequirer is implemented by vendors whose settings may leave a
// delivery unproved: a vendor that signs nothing, or a cipher whose
// ciphertexts can be recombined. SourceCheckRequired reports, for the
// settings as provisioned, why they do not prove a delivery by themselves
// and what in the vendor's own settings would (a sentence for an error
// message), or "" when they do. The handler then refuses to start a route
// that lists no source_ips, saying why, and on a route that lists them logs
// the reason as a warning at startup: the source address is the check.
type SourceCheckRequirer interface {
	SourceCheckRequired() string
}

// HeaderVerifier is implemented by vendors whose proof travels in the
// request's head alone (a bearer token, a static header). The handler calls
// VerifyHeader before it reads the body, so that a request without the
// proof is refused before its body is read. Verify must still check the
// same on its own: it is complete without VerifyHeader.
type HeaderVerifier interface {
	VerifyHeader(r *http.Request) error
}
