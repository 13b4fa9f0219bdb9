package biohook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
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
}

func (f *deliveryFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.vendor, "vendor", "", "the vendor to act as: "+strings.Join(deliver.Vendors(), ", "))
	fl.StringArrayVar(&f.secrets, "secret", nil, "the secret to sign with (repeatable; {env.NAME} and {file.path} are read)")
	fl.StringVar(&f.clientID, "client-id", "", "the client id, for vendors that send one")
	fl.StringVar(&f.event, "event", "", "a built-in sample event (default: the vendor's first; a wrong name lists them)")
	fl.StringVar(&f.file, "file", "", "a file holding the payload (JSON) instead of a sample; - reads standard input")
	fl.StringVar(&f.id, "id", "", "the delivery id, for vendors that send one in a header")
	fl.StringVar(&f.header, "header", "", "hmac: the signature header")
	fl.StringVar(&f.algorithm, "algorithm", "", "hmac: sha256 (default), sha512 or sha1")
	fl.StringVar(&f.encoding, "encoding", "", "hmac: hex (default), base64 or base64url")
	fl.StringVar(&f.prefix, "prefix", "", "hmac: text before the signature, e.g. sha256=")
	fl.StringVar(&f.privateKey, "private-key", "", "standard_webhooks: a whsk_ ed25519 key, to add a v1a signature")
	fl.StringVar(&f.at, "at", "", "when the delivery is sent, RFC 3339 or Unix seconds (default: now)")
	fl.StringArrayVar(&f.settings, "set", nil, "a vendor setting as name=value (repeatable); see docs/cli.md")
}

// options turns the flags into what deliver.Build takes.
func (f *deliveryFlags) options(url string) (deliver.Options, error) {
	if f.vendor == "" {
		return deliver.Options{}, errors.New("--vendor is required")
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
		if v != "" {
			o.Settings[k] = v
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
		return sample(f.vendor, f.event)
	case "-":
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(f.file)
}

func sendCommand() *cobra.Command {
	var f deliveryFlags
	var to, signedURL string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "send --vendor <vendor> --secret <secret> [--event <name>|--file <payload>] --to <url>",
		Short: "Builds a delivery exactly as the vendor would, sends it and prints the answer",
		RunE: caddycmd.WrapCommandFuncForCobra(func(caddycmd.Flags) (int, error) {
			if to == "" {
				return 1, errors.New("--to is required, e.g. --to http://localhost:8080/hooks/" + f.vendor)
			}
			o, err := f.options(to)
			if err != nil {
				return 1, err
			}
			if signedURL != "" {
				o.URL = signedURL
			}
			d, err := deliver.Build(o)
			if err != nil {
				return 1, err
			}
			d.URL = to
			return runSend(d, timeout)
		}),
	}
	f.register(cmd)
	cmd.Flags().StringVar(&to, "to", "", "the route's URL")
	cmd.Flags().StringVar(&signedURL, "url", "", "the URL to sign, when the vendor signs it and it is not --to (behind a proxy)")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Second, "how long to wait for the answer")
	return cmd
}

// runSend sends d and prints the status and the answer. A non-2xx answer
// is exit status 1.
func runSend(d *deliver.Delivery, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res, body, err := d.Send(ctx, &http.Client{Timeout: timeout})
	if err != nil {
		return 1, err
	}
	fmt.Printf("%s %s\n", res.Proto, res.Status)
	printHeader(os.Stdout, res.Header)
	fmt.Printf("\n%s\n", body)
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return 1, fmt.Errorf("the route answered %s", res.Status)
	}
	return 0, nil
}

func signCommand() *cobra.Command {
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
	f.register(cmd)
	cmd.Flags().StringVar(&url, "url", "", "the URL the delivery is for (default http://localhost:8080/hooks/<vendor>)")
	cmd.Flags().BoolVar(&raw, "raw", false, "print the whole request as raw HTTP/1.1, as `caddy biohook verify` reads it")
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
