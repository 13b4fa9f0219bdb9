package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// hooksSite has a route for each vendor whose credentials a log could
// record, with secrets that must never reach a log.
func hooksSite(up *upstream, listen, siteLog string) string {
	return `
` + listen + ` {
	` + siteLog + `
	handle /hooks/faceio {
		biohook faceio {
			secret fc-secret-value-01
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/entrust {
		biohook entrust {
			secret en-secret-value-01
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/authenteq {
		biohook authenteq {
			client_id aq-client
			secret aq-secret-value-01
		}
		reverse_proxy ` + up.addr() + `
	}
	@argos path /hooks/argos/*
	handle @argos {
		rewrite * /hooks/argos
		biohook argos {
			path_token ar-path-value-01
			header X-Argos-Token ar-header-value-01
		}
		reverse_proxy ` + up.addr() + `
	}
}`
}

const credentialWarning = "a log would record this route's credentials in clear"
const everywhereWarning = "the server listens on every interface and a log records this route's credentials"

// Caddy's logs write a request's headers and URI; when one of them would
// write a route's credentials in clear, the config starts with a WARN that
// names the headers and logs, never the values; and another when the server
// also listens on every interface.
func TestLogsRecordingCredentialsWarn(t *testing.T) {
	up := newUpstream(t)
	mark := captured.mark()
	startCaptured(t, "", hooksSite(up, ":9080", ""))
	out := captured.since(mark)
	want := map[string][]string{"faceio": {"Www-Authenticate"}, "entrust": {"Signature"}, "authenteq": {"X-Signature"}, "argos": {"X-Argos-Token"}}
	got := entries(t, out, credentialWarning)
	if len(got) != len(want) {
		t.Fatalf("%d warnings, want %d:\n%s", len(got), len(want), out)
	}
	for _, e := range got {
		if e.Level != "warn" || strings.Join(e.Headers, ",") != strings.Join(want[e.Vendor], ",") || strings.Join(e.Logs, ",") != "default" {
			t.Errorf("warning %+v, want headers %v in log default", e, want[e.Vendor])
		}
		if e.URI != (e.Vendor == "argos") {
			t.Errorf("%s: uri %t", e.Vendor, e.URI)
		}
	}
	if n := len(entries(t, out, everywhereWarning)); n != len(want) {
		t.Errorf("%d warnings about every interface, want %d", n, len(want))
	}
	for _, secret := range []string{"fc-secret-value-01", "en-secret-value-01", "aq-secret-value-01", "ar-path-value-01", "ar-header-value-01"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %s", secret)
		}
	}

	// Listening on loopback only: the credentials warning stays, the other goes.
	mark = captured.mark()
	startCaptured(t, "", hooksSite(up, ":9080", "bind 127.0.0.1"))
	out = captured.since(mark)
	if n := len(entries(t, out, credentialWarning)); n != len(want) {
		t.Errorf("bound to loopback: %d credential warnings, want %d", n, len(want))
	}
	if n := len(entries(t, out, everywhereWarning)); n != 0 {
		t.Errorf("bound to loopback: %d warnings about every interface", n)
	}
}

// recipe is the `without_credentials` snippet of docs/hardening.md, as
// documented.
func recipe(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "docs", "hardening.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	start := strings.Index(text, "(without_credentials) {")
	end := strings.Index(text[start:], "\n}\n")
	if start < 0 || end < 0 {
		t.Fatal("docs/hardening.md has no (without_credentials) snippet")
	}
	return text[start:start+end+3] + "\n"
}

// Following docs/hardening.md (the filter in the default log and in the
// site's access log) silences the warning; a site log left without it is
// named.
func TestHardeningRecipeSilencesLogWarning(t *testing.T) {
	up := newUpstream(t)
	snippet := recipe(t)
	mark := captured.mark()
	caddytest.NewTester(t).InitServer(snippet+captureGlobals("import without_credentials")+
		hooksSite(up, ":9080", "log {\n\t\toutput biohook_capture\n\t\timport without_credentials\n\t}"), "caddyfile")
	if out := captured.since(mark); len(entries(t, out, credentialWarning)) != 0 {
		t.Fatalf("warned with the recipe in every log:\n%s", out)
	}

	mark = captured.mark()
	caddytest.NewTester(t).InitServer(snippet+captureGlobals("import without_credentials")+
		hooksSite(up, ":9080", "log {\n\t\toutput biohook_capture\n\t}"), "caddyfile")
	got := entries(t, captured.since(mark), credentialWarning)
	if len(got) != 4 {
		t.Fatalf("%d warnings with an unfiltered access log, want 4", len(got))
	}
	for _, e := range got {
		if strings.Join(e.Logs, ",") != "log0" {
			t.Errorf("%s: logs %v, want the site's log0 only", e.Vendor, e.Logs)
		}
	}
}
