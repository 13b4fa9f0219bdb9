package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/spf13/cobra"

	"github.com/biohook/caddy-biohook/vendors"
)

// verifyFlags are the flags of `caddy biohook verify`.
type verifyFlags struct {
	config, adapter, route, url, file, at string
}

func verifyCommand() *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify --config <Caddyfile> [--route <path>|<n>] [--url <signed url>] [--at <time>] < request.http",
		Short: "Checks a captured raw HTTP request against a route's config, offline, and says why it passes or not",
		RunE: caddycmd.WrapCommandFuncForCobra(func(caddycmd.Flags) (int, error) {
			return runVerify(&f, os.Stdout)
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "the config file (a Caddyfile, or JSON)")
	fl.StringVar(&f.adapter, "adapter", "", "the config adapter (default: caddyfile, or none for a .json file)")
	fl.StringVar(&f.route, "route", "", "a request path the route matches, e.g. /hooks/entrust, or n for the n-th biohook handler (default: the request's own path)")
	fl.StringVar(&f.url, "url", "", "the URL the vendor called (scheme, host, path), when the capture does not show it, e.g. behind TLS")
	fl.StringVar(&f.file, "file", "-", "the captured request; - is standard input")
	fl.StringVar(&f.at, "at", "", "judge time windows as of this time (RFC 3339 or Unix seconds) instead of now")
	return cmd
}

// runVerify loads the route, reads the capture and checks it, printing
// the outcome to out. Exit status 0 means the delivery passed.
func runVerify(f *verifyFlags, out io.Writer) (int, error) {
	if f.config == "" {
		return 1, errors.New("--config is required")
	}
	data, err := readInput(f.file)
	if err != nil {
		return 1, err
	}
	c, err := readCapture(data)
	if err != nil {
		return 1, err
	}
	at, err := parseAt(f.at)
	if err != nil {
		return 1, err
	}
	if err := applyURL(c.Request, f.url); err != nil {
		return 1, err
	}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	routes, err := loadRoutes(f.config, f.adapter)
	if err != nil {
		return 1, err
	}
	chosen, err := pickRoute(ctx, routes, f.route, c.Request)
	if errors.Is(err, errNoRoute) {
		fmt.Fprintf(out, "%v; the biohook handlers are, for --route <n>:\n%s", err, listRoutes(routes))
	}
	if err != nil {
		return 1, err
	}
	h, settings, err := loadHandler(ctx, chosen)
	if err != nil {
		return 1, err
	}
	fmt.Fprintf(out, "route:   biohook handler #%d of %d (server %s)\n", chosen.index, len(routes), chosen.server)
	fmt.Fprintf(out, "vendor:  %s\n", settings.Vendor.Name)
	for _, n := range c.Notes {
		fmt.Fprintf(out, "note:    %s\n", n)
	}
	if len(settings.SourceIPs) > 0 {
		fmt.Fprintf(out, "note:    source_ips is not checked: a capture does not show the address it came from\n")
	}
	if status := check(h, settings.normalizes(), c, at, out); status != 0 {
		return status, errDoesNotPass
	}
	return 0, nil
}

var errDoesNotPass = errors.New("the delivery does not pass the route's checks")

func readInput(name string) ([]byte, error) {
	var r io.Reader = os.Stdin
	if name != "-" && name != "" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return io.ReadAll(io.LimitReader(r, maxCapture+64<<10))
}

func parseAt(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--at %q: want RFC 3339 or Unix seconds", s)
	}
	return t, nil
}

// applyURL makes the request look as if it were received at u: the scheme
// (TLS or not), the host and the request target, which signatures over
// the target URI cover.
func applyURL(r *http.Request, u string) error {
	if u == "" {
		return nil
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("--url %q: want an absolute http(s) URL", u)
	}
	r.Host = p.Host
	r.RequestURI = p.RequestURI()
	r.URL.Path, r.URL.RawPath, r.URL.RawQuery = p.Path, p.RawPath, p.RawQuery
	r.TLS = nil
	if p.Scheme == "https" {
		r.TLS = &tls.ConnectionState{}
	}
	return nil
}

// Checker is what verify asks of the route's handler: its own checks, in
// its own order, run on a captured delivery without forwarding it, with
// time windows judged as of at. It returns the body the route would hand
// on (the event), or the *vendors.Rejection the vendor would get.
type Checker interface {
	Check(r *http.Request, body []byte, at time.Time) (event []byte, err error)
}

// handlerSettings are the handler's settings verify reports on.
type handlerSettings struct {
	Vendor struct {
		Name string `json:"name"`
	} `json:"vendor"`
	Normalize *bool    `json:"normalize"`
	SourceIPs []string `json:"source_ips"`
}

// normalizes reports whether the route rewrites deliveries into events.
func (s handlerSettings) normalizes() bool { return s.Normalize == nil || *s.Normalize }

// loadHandler provisions the biohook handler of the route, as Caddy
// would: secrets are resolved from the environment now.
func loadHandler(ctx caddy.Context, rt *biohookRoute) (Checker, handlerSettings, error) {
	var settings handlerSettings
	if err := json.Unmarshal(rt.handler, &settings); err != nil {
		return nil, settings, err
	}
	var fields map[string]jsontext.Value
	if err := json.Unmarshal(rt.handler, &fields); err != nil {
		return nil, settings, err
	}
	delete(fields, "handler") // the inline key names the module; the module does not read it
	// Verifying forwards nothing: the route's store and spool stay shut (and
	// they belong to a running config, which this context is not).
	delete(fields, "dedupe")
	delete(fields, "durable")
	raw, err := json.Marshal(fields)
	if err != nil {
		return nil, settings, err
	}
	mod, err := ctx.LoadModuleByID("http.handlers.biohook", raw)
	if err != nil {
		return nil, settings, fmt.Errorf("loading the route's biohook handler: %w", err)
	}
	h, ok := mod.(Checker)
	if !ok {
		return nil, settings, fmt.Errorf("module %T cannot check a delivery", mod)
	}
	return h, settings, nil
}

// check runs the route's checks on the capture, through the handler's own
// Check, and prints the outcome. It returns the exit status.
func check(h Checker, normalizes bool, c *capture, at time.Time, out io.Writer) int {
	event, err := h.Check(c.Request, c.Body, at)
	if err != nil {
		return fail(out, vendors.AsRejection(err))
	}
	if !normalizes {
		fmt.Fprintf(out, "result:  PASS (normalize off: the body is forwarded as received)\n")
		return 0
	}
	fmt.Fprintf(out, "result:  PASS\nevent:\n")
	v := jsontext.Value(event)
	_ = v.Indent(jsontext.WithIndent("  "))
	fmt.Fprintf(out, "%s\n", v)
	return 0
}

// fail prints a refusal: the status and reason the vendor would get and
// the cause. Neither ever holds a secret or an expected value.
func fail(out io.Writer, rej *vendors.Rejection) int {
	fmt.Fprintf(out, "result:  FAIL\nstatus:  %d\nreason:  %s\n", rej.Status, rej.Code)
	if rej.Err != nil {
		fmt.Fprintf(out, "cause:   %v\n", rej.Err)
	}
	if hint := hints[rej.Code]; hint != "" {
		fmt.Fprintf(out, "hint:    %s\n", hint)
	}
	return 1
}

// hints say what commonly causes a refusal.
var hints = map[string]string{
	"signature_mismatch": "a different secret, a body changed on the way (re-encoded JSON, a trailing newline), or, where the URL is signed, " +
		"another URL than the vendor called: give it with --url",
	"digest_mismatch":        "the body is not the one the vendor sent: check the capture holds the exact bytes",
	"stale_signature":        "the capture is older than the allowed window: judge it as of its time with --at",
	"signature_in_future":    "the clocks disagree, or --at is earlier than the capture",
	"missing_created":        "the route has require_created and the signature carries no created parameter",
	"unsupported_media_type": "the Content-Type is not the vendor's",
	"token_mismatch":         "the token is not any configured secret",
	"algorithm_mismatch":     "the hash set for the webhook in Sumsub's Webhook manager is not the route's algorithm",
	"api_key_mismatch":       "X-AUTH-CLIENT is another Veriff integration's API key than the route's api_key",
	"malformed_timestamp":    "X-Timestamp must be Unix seconds, as Didit sends it",
}
