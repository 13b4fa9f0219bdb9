// Package deliver builds webhook deliveries exactly as each supported vendor
// sends them: the same headers, signatures, digests, encodings and body
// layout. The biohook CLI uses it to test a route before the vendor is
// wired up; the tests use it to sign with one side and verify with the
// other. The signing primitives live next to the verifying ones, in verify.
package deliver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// Options describe one delivery to build.
type Options struct {
	// The vendor: faceio, entrust, hmac, standard_webhooks, authenteq, argos,
	// incode, yoti, socure, jumio, ondato, stripe, persona, shufti, veriff,
	// onfido, idenfy, metamap, sumsub, didit.
	Vendor string

	// The secrets to sign with. Most vendors use the first; Standard
	// Webhooks, Stripe and Persona sign with each, as a sender in a
	// rotation does.
	Secrets []string

	// The client id, for vendors that send one (Authenteq), or the user of
	// HTTP Basic credentials (Yoti and Socure with auth=basic).
	ClientID string

	// The payload, as the vendor's JSON.
	Payload []byte

	// The URL the delivery is sent to. Entrust signs it.
	URL string

	// When the delivery is sent. Zero: now.
	Now time.Time

	// The delivery id, for vendors that send one in a header (Standard
	// Webhooks). Default: derived from the payload and the time.
	ID string

	// Vendor settings, named as in the vendor's Caddyfile block: for hmac
	// "header", "algorithm", "encoding", "prefix"; for standard_webhooks
	// "private_key" (whsk_..., adds a v1a signature); for authenteq and shufti "digest";
	// for argos "mode", "encoding", "iv", "layout", "header", "header_value";
	// for incode "header" ("Name: value"), "token_path" (fetch a token there
	// with ClientID and the first secret) or "token"; for yoti and socure
	// "auth" (bearer, the default, or basic); for jumio and ondato "header"
	// ("Name: value", as a proxy in front would add it);
	// for veriff "api_key"; for sumsub "algorithm".
	Settings map[string]string

	// The client for requests made while building (Incode's token), such as
	// one that trusts a local CA. Default: http.DefaultClient.
	Client *http.Client
}

// Delivery is a built request, ready to send or to print.
type Delivery struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

type builder func(o *Options) (*Delivery, error)

var builders = map[string]builder{}

func register(vendor string, b builder) { builders[vendor] = b }

// Vendors lists the vendors Build supports.
func Vendors() []string {
	out := make([]string, 0, len(builders))
	for v := range builders {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// Build returns the delivery the vendor would send for o.
func Build(o Options) (*Delivery, error) {
	b, ok := builders[o.Vendor]
	if !ok {
		return nil, fmt.Errorf("deliver: unsupported vendor %q (supported: %v)", o.Vendor, Vendors())
	}
	if o.URL == "" {
		return nil, fmt.Errorf("deliver: no target URL")
	}
	if _, err := url.ParseRequestURI(o.URL); err != nil {
		return nil, fmt.Errorf("deliver: target URL: %w", err)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Settings == nil {
		o.Settings = map[string]string{}
	}
	return b(&o)
}

// firstSecret is the secret a single-key vendor signs with.
func (o *Options) firstSecret() ([]byte, error) {
	if len(o.Secrets) == 0 || o.Secrets[0] == "" {
		return nil, fmt.Errorf("deliver: %s needs a secret", o.Vendor)
	}
	return []byte(o.Secrets[0]), nil
}

func (o *Options) setting(name, def string) string {
	if v, ok := o.Settings[name]; ok && v != "" {
		return v
	}
	return def
}

func jsonDelivery(o *Options) *Delivery {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return &Delivery{Method: http.MethodPost, URL: o.URL, Header: h, Body: o.Payload}
}

// Request returns d as an *http.Request.
func (d *Delivery) Request(ctx context.Context) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, d.Method, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return nil, err
	}
	for k, v := range d.Header {
		r.Header[k] = append([]string(nil), v...)
	}
	return r, nil
}

// WriteRaw writes d as an HTTP/1.1 request on the wire, the form a proxy or
// `curl --trace` captures and `caddy biohook verify` reads.
func (d *Delivery) WriteRaw(w io.Writer) error {
	u, err := url.Parse(d.URL)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s %s HTTP/1.1\r\nHost: %s\r\n", d.Method, u.RequestURI(), u.Host)
	h := d.Header.Clone()
	h.Set("Content-Length", strconv.Itoa(len(d.Body)))
	if err := h.Write(bw); err != nil {
		return err
	}
	bw.WriteString("\r\n")
	bw.Write(d.Body)
	return bw.Flush()
}

// Send posts d with client and returns the response, its body read.
func (d *Delivery) Send(ctx context.Context, client *http.Client) (*http.Response, []byte, error) {
	r, err := d.Request(ctx)
	if err != nil {
		return nil, nil, err
	}
	res, err := client.Do(r)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res, body, err
}
