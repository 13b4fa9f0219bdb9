package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"

	"github.com/biohook/caddy-biohook/deliver"
)

// deliveryFlags are the flags send and sign share.
type deliveryFlags struct {
	vendor, event, file, clientID, id, at string
	secrets, settings                     []string
	header, algorithm, encoding           string
	prefix, privateKey                    string
	samples                               samples
}

func (f *deliveryFlags) register(cmd *cobra.Command, s samples) {
	f.samples = s
	fl := cmd.Flags()
	fl.StringVar(&f.vendor, "vendor", "", "the vendor to act as: "+vendorList())
	fl.StringArrayVar(&f.secrets, "secret", nil, "the secret to sign with (repeatable; {env.NAME} and {file.path} are read)")
	fl.StringVar(&f.clientID, "client-id", "", "the client id, for vendors that send one")
	fl.StringVar(&f.event, "event", "", "a built-in sample event (default: a typical one, e.g. faceio's enroll; a wrong name lists them)")
	fl.StringVar(&f.file, "file", "", "a file holding the payload (JSON) instead of a sample; - reads standard input")
	fl.StringVar(&f.id, "id", "", "the delivery id, for vendors that send one in a header")
	fl.StringVar(&f.header, "header", "", "hmac: the signature header")
	fl.StringVar(&f.algorithm, "algorithm", "", "hmac, sumsub: sha256 (default), sha512 or sha1")
	fl.StringVar(&f.encoding, "encoding", "", "hmac: hex (default), base64 or base64url")
	fl.StringVar(&f.prefix, "prefix", "", "hmac: text before the signature, e.g. sha256=")
	fl.StringVar(&f.privateKey, "private-key", "", "standard_webhooks: a whsk_ ed25519 key, to add a v1a signature ({env.NAME} and {file.path} are read)")
	fl.StringVar(&f.at, "at", "", "when the delivery is sent, RFC 3339 or Unix seconds (default: now)")
	fl.StringArrayVar(&f.settings, "set", nil, "a vendor setting as name=value (repeatable); see docs/cli.md")
}

// options turns the flags into what deliver.Build takes.
func (f *deliveryFlags) options(url string) (deliver.Options, error) {
	if err := checkVendor(f.vendor); err != nil {
		return deliver.Options{}, err
	}
	o := deliver.Options{Vendor: f.vendor, URL: url, ID: f.id, Settings: map[string]string{}}
	for _, s := range f.secrets {
		v, err := expand("--secret", s)
		if err != nil {
			return o, err
		}
		o.Secrets = append(o.Secrets, v)
	}
	var err error
	if f.at != "" {
		if o.Now, err = parseAt(f.at); err != nil {
			return o, err
		}
	}
	if o.ClientID, err = expand("--client-id", f.clientID); err != nil {
		return o, err
	}
	for k, v := range map[string]string{"header": f.header, "algorithm": f.algorithm, "encoding": f.encoding,
		"prefix": f.prefix, "private_key": f.privateKey} {
		if v == "" {
			continue
		}
		if o.Settings[k], err = expand("--"+strings.ReplaceAll(k, "_", "-"), v); err != nil {
			return o, err
		}
	}
	for _, s := range f.settings {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return o, fmt.Errorf("--set %q: want name=value", s)
		}
		if o.Settings[k], err = expand("--set "+k, v); err != nil {
			return o, err
		}
	}
	o.Payload, err = f.payload()
	return o, err
}

// vendorList names the vendors the commands know, comma-separated.
func vendorList() string { return strings.Join(deliver.Vendors(), ", ") }

// checkVendor refuses a missing or unknown --vendor, listing the valid names.
func checkVendor(vendor string) error {
	if vendor == "" {
		return errors.New("--vendor is required: one of " + vendorList())
	}
	if !slices.Contains(deliver.Vendors(), vendor) {
		return fmt.Errorf("unknown vendor %q: valid vendors are %s", vendor, vendorList())
	}
	return nil
}

// expand resolves {env.X} and {file.path} placeholders, as the Caddyfile does.
func expand(what, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	v, err := caddy.NewReplacer().ReplaceOrErr(s, true, true)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return strings.TrimRight(v, "\r\n"), nil
}

func (f *deliveryFlags) payload() ([]byte, error) {
	switch f.file {
	case "":
		return f.samples.payload(f.vendor, f.event)
	case "-":
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(f.file)
}

func sendCommand(s samples) *cobra.Command {
	var f deliveryFlags
	var to, signedURL, caCert string
	var timeout time.Duration
	var insecure bool
	cmd := &cobra.Command{
		Use:   "send --vendor <vendor> --secret <secret> [--event <name>|--file <payload>] --to <url>",
		Short: "Builds a delivery exactly as the vendor would, sends it and prints the answer",
		RunE: caddycmd.WrapCommandFuncForCobra(func(caddycmd.Flags) (int, error) {
			if to == "" {
				return 1, errors.New("--to is required, e.g. --to http://localhost:8080/hooks/" + f.vendor)
			}
			client, err := sendClient(timeout, insecure, caCert)
			if err != nil {
				return 1, err
			}
			o, err := f.options(to)
			if err != nil {
				return 1, err
			}
			if signedURL != "" {
				o.URL = signedURL
			}
			o.Client = client
			d, err := deliver.Build(o)
			if err != nil {
				return 1, err
			}
			d.URL = to
			return runSend(d, client, timeout)
		}),
	}
	f.register(cmd, s)
	cmd.Flags().StringVar(&to, "to", "", "the route's URL")
	cmd.Flags().StringVar(&signedURL, "url", "", "the URL to sign, when the vendor signs it and it is not --to (behind a proxy)")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long to wait for the answer")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "https: accept any certificate (a local site with a self-signed or internal one)")
	cmd.Flags().StringVar(&caCert, "cacert", "", "https: also trust the CA certificates in this PEM file, e.g. Caddy's local root: "+
		"<caddy data dir>/pki/authorities/local/root.crt")
	return cmd
}

// sendClient is the client send uses, for the delivery and for a token it
// fetches first.
func sendClient(timeout time.Duration, insecure bool, caCert string) (*http.Client, error) {
	if insecure && caCert != "" {
		return nil, errors.New("--insecure and --cacert: give one; --insecure checks no certificate at all")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	switch {
	case insecure:
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	case caCert != "":
		pem, err := os.ReadFile(caCert)
		if err != nil {
			return nil, fmt.Errorf("--cacert: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--cacert %s: no PEM certificate in it", caCert)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return &http.Client{Timeout: timeout, Transport: tr}, nil
}

// routeHeader is the header of every answer of a biohook route (the
// handler sets it), whoever writes the answer.
const routeHeader = "Biohook-Route"

// runSend sends d and prints the status and the answer. A non-2xx answer
// is exit status 1, and so is a 2xx that no biohook route gave: Caddy
// answers a request that no route matches (a wrong path, a missing ARGOS
// path token) with an empty 200, which proves nothing was delivered.
func runSend(d *deliver.Delivery, client *http.Client, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, body, err := d.Send(ctx, client)
	if err != nil {
		return 1, err
	}
	fmt.Printf("%s %s\n", res.Proto, res.Status)
	printHeader(os.Stdout, res.Header)
	fmt.Printf("\n%s\n", body)
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return 1, fmt.Errorf("the route answered %s", res.Status)
	}
	if res.Header.Get(routeHeader) == "" {
		what := "a " + res.Status + " answer"
		if len(body) == 0 {
			what = "an empty " + res.Status + ", as Caddy gives when no route matches"
		}
		return 1, fmt.Errorf("no biohook route answered (no %s header): %s; check the path of --to "+
			"(and ARGOS's path token) against the Caddyfile", routeHeader, what)
	}
	return 0, nil
}

func signCommand(s samples) *cobra.Command {
	var f deliveryFlags
	var url string
	var raw bool
	cmd := &cobra.Command{
		Use:   "sign --vendor <vendor> --secret <secret> [--event <name>|--file <payload>] [--url <url>] [--raw]",
		Short: "Prints the headers a vendor would send (and the body, where it transforms it)",
		RunE: caddycmd.WrapCommandFuncForCobra(func(caddycmd.Flags) (int, error) {
			if url == "" {
				url = "http://localhost:8080/hooks/" + f.vendor
			}
			o, err := f.options(url)
			if err != nil {
				return 1, err
			}
			d, err := deliver.Build(o)
			if err != nil {
				return 1, err
			}
			if raw {
				return 0, d.WriteRaw(os.Stdout)
			}
			printHeader(os.Stdout, d.Header)
			if string(d.Body) != string(o.Payload) {
				fmt.Printf("\n%s\n", d.Body)
			}
			return 0, nil
		}),
	}
	f.register(cmd, s)
	cmd.Flags().StringVar(&url, "url", "", "the URL the delivery is for (default http://localhost:8080/hooks/<vendor>)")
	cmd.Flags().BoolVar(&raw, "raw", false, "print the whole request as raw HTTP/1.1, the form caddy biohook verify reads")
	return cmd
}

// printHeader writes header fields one a line, sorted by name.
func printHeader(w io.Writer, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
}
