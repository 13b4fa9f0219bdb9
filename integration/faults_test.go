package integration

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/deliver"
)

// unique makes a payload's event new to every dedupe store of the process
// (they outlive config loads): its id fields get a suffix and a nonce is added.
func unique(payload []byte) []byte {
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	s := string(payload)
	for _, field := range []string{`"id": "`, `"id":"`, `"transactionId": "`, `"transactionId":"`} {
		s = strings.Replace(s, field, field+suffix, 1)
	}
	return []byte(`{"nonce":"` + suffix + `",` + strings.TrimPrefix(strings.TrimSpace(s), "{"))
}

// faultVendor is a route of each vendor, with a genuine delivery to it.
type faultVendor struct {
	name, block string
	opts        deliver.Options
	timeout     time.Duration // how long the vendor waits for an answer
}

func faultVendors(t *testing.T) []faultVendor {
	return []faultVendor{
		{"faceio", "secret faults-faceio-token", deliver.Options{Vendor: "faceio", Secrets: []string{"faults-faceio-token"}, Payload: readFixture(t, "faceio", "auth.json")}, 6 * time.Second},
		{"entrust", "secret faults-entrust-token", deliver.Options{Vendor: "entrust", Secrets: []string{"faults-entrust-token"}, Payload: readFixture(t, "entrust", "user.created.json")}, 3 * time.Second},
		{"argos", "secret faults-argos-api-key\n\t\t\tmode ecb\n\t\t\tsource_ips 127.0.0.1 ::1", deliver.Options{Vendor: "argos", Secrets: []string{"faults-argos-api-key"}, Payload: readFixture(t, "argos", "approved.json")}, 3 * time.Second},
		{"authenteq", "client_id cid\n\t\t\tsecret faults-authenteq-secret", deliver.Options{Vendor: "authenteq", ClientID: "cid", Secrets: []string{"faults-authenteq-secret"},
			Payload: []byte(`{"id":"7f1c2a4e-0000-4000-8000-000000000009","status":"PASSED"}`)}, 3 * time.Second},
		{"incode", "header X-Key faults-incode-header", deliver.Options{Vendor: "incode", Settings: map[string]string{"header": "X-Key: faults-incode-header"},
			Payload: readFixture(t, "incode", "auth_pass.json")}, 3 * time.Second},
	}
}

// An upstream that is down or too slow gets every vendor an answer that
// makes it retry: a 5xx (Entrust retries nothing else), well within the
// vendor's own timeout; and nothing is remembered as delivered.
func TestUpstreamFaultsThroughCaddy(t *testing.T) {
	slow := newSlowUpstream(t, 1500*time.Millisecond)
	var site strings.Builder
	site.WriteString(":9080 {\n")
	vendors := faultVendors(t)
	for _, v := range vendors {
		for _, fault := range []struct{ path, upstream string }{
			{"/down/" + v.name, "127.0.0.1:1"},
			{"/slow/" + v.name, slow.addr()},
		} {
			// Two routes of one vendor with the same settings: each names
			// its memory of events.
			fmt.Fprintf(&site, `	handle %s {
		biohook %s {
			%s
			dedupe {
				name %s
			}
		}
		reverse_proxy %s {
			transport http {
				dial_timeout 500ms
				response_header_timeout 400ms
			}
		}
	}
`, fault.path, v.name, v.block, strings.Split(fault.path, "/")[1], fault.upstream)
		}
	}
	site.WriteString("}\n")
	startCaddy(t, site.String())
	for _, v := range vendors {
		for _, fault := range []struct {
			path   string
			status int
		}{{"/down/" + v.name, 502}, {"/slow/" + v.name, 504}} {
			t.Run(v.name+fault.path, func(t *testing.T) {
				o := v.opts
				o.URL, o.Payload = caddyBase+fault.path, unique(o.Payload)
				d, err := deliver.Build(o)
				if err != nil {
					t.Fatal(err)
				}
				for attempt := 0; attempt < 2; attempt++ { // the retry is not taken for a duplicate
					start := time.Now()
					status := postOnce(d.URL, d.Body, d.Header)
					if status != fault.status {
						t.Fatalf("attempt %d: %d, want %d", attempt, status, fault.status)
					}
					if took := time.Since(start); took >= v.timeout {
						t.Fatalf("answered after %s; %s waits %s", took, v.name, v.timeout)
					}
				}
			})
		}
	}
	if slow.count() == 0 {
		t.Fatal("the slow upstream was never reached")
	}
}

// examples/Caddyfile.production keeps its promises, run as it is: genuine
// deliveries from every vendor pass with secrets read from files; an app
// too slow for Entrust gets it a 504 inside its 3 s, an app that is down
// gets every vendor a 502 or 503 inside its own timeout; and no credential
// reaches Caddy's logs, whose handler errors and access log record the
// request's headers.
func TestProductionExample(t *testing.T) {
	pause := new(atomic.Int64)
	app := newUpstream(t)
	inner := app.Server.Config.Handler
	app.Server.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(pause.Load()))
		inner.ServeHTTP(w, r)
	})
	secretDir := t.TempDir()
	secrets := map[string]string{
		"faceio_token": "prod-faceio-4be1", "entrust_token": "prod-entrust-93ac", "argos_api_key": "prod-argos-key-6d02",
		"argos_path_token": "prod-argos-path-7c55", "authenteq_client_id": "prod-authenteq-client",
		"authenteq_secret": "prod-authenteq-e810", "incode_client_id": "prod-incode-client", "incode_secret": "prod-incode-2f4d",
	}
	for name, value := range secrets {
		if err := os.WriteFile(filepath.Join(secretDir, name), []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	caddyfile, err := os.ReadFile(filepath.Join("..", "examples", "Caddyfile.production"))
	if err != nil {
		t.Fatal(err)
	}
	const site = "http://127.0.0.1:17280"
	inst := startInstance(t, string(caddyfile), "127.0.0.1:17280", "BIOHOOK_SITE="+site, "BIOHOOK_APP="+app.addr(),
		"BIOHOOK_ADMIN=127.0.0.1:17219", "BIOHOOK_SECRETS="+secretDir, "ARGOS_SOURCES=127.0.0.1/32")
	vendors := []struct {
		name    string
		opts    deliver.Options
		timeout time.Duration
	}{
		{"faceio", deliver.Options{Vendor: "faceio", URL: site + "/hooks/faceio", Secrets: []string{secrets["faceio_token"]},
			Payload: readFixture(t, "faceio", "auth.json")}, 6 * time.Second},
		{"entrust", deliver.Options{Vendor: "entrust", URL: site + "/hooks/entrust", Secrets: []string{secrets["entrust_token"]},
			Payload: readFixture(t, "entrust", "user.created.json")}, 3 * time.Second},
		{"argos", deliver.Options{Vendor: "argos", URL: site + "/hooks/argos/" + secrets["argos_path_token"],
			Secrets: []string{secrets["argos_api_key"]}, Payload: readFixture(t, "argos", "approved.json")}, 5 * time.Second},
		{"authenteq", deliver.Options{Vendor: "authenteq", URL: site + "/hooks/authenteq", ClientID: secrets["authenteq_client_id"],
			Secrets: []string{secrets["authenteq_secret"]}, Payload: []byte(`{"id":"7f1c2a4e-0000-4000-8000-0000000000b1","status":"PASSED"}`)},
			5 * time.Second},
		{"incode", deliver.Options{Vendor: "incode", URL: site + "/hooks/incode", ClientID: secrets["incode_client_id"],
			Secrets: []string{secrets["incode_secret"]}, Settings: map[string]string{"token_path": "/hooks/incode/token"},
			Payload: readFixture(t, "incode", "auth_pass.json")}, 5 * time.Second},
	}
	var sent []string // credentials the deliveries carried
	deliver1 := func(i int) (int, time.Duration) {
		o := vendors[i].opts
		o.Payload = unique(o.Payload)
		d, err := deliver.Build(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"WWW-Authenticate", "Signature", "X-Signature", "Authorization"} {
			if v := d.Header.Get(name); v != "" {
				sent = append(sent, strings.TrimPrefix(v, "Bearer "))
			}
		}
		start := time.Now()
		return postOnce(d.URL, d.Body, d.Header), time.Since(start)
	}
	for i, v := range vendors {
		if status, _ := deliver1(i); status != 200 {
			t.Fatalf("%s: genuine delivery answered %d", v.name, status)
		}
	}
	if n := len(app.take()); n != len(vendors) {
		t.Fatalf("the app received %d deliveries, want %d", n, len(vendors))
	}
	// ARGOS from an address not in ARGOS_SOURCES is refused on its head.
	other := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext}}
	i := 2
	o := vendors[i].opts
	d, err := deliver.Build(o)
	if err != nil {
		t.Fatal(err)
	}
	if status := postWith(other, d.URL, d.Body, d.Header); status != 403 || len(app.take()) != 0 {
		t.Fatalf("ARGOS from an address not listed: %d", status)
	}

	pause.Store(int64(2500 * time.Millisecond)) // past Entrust's response_header_timeout
	status, took := deliver1(1)
	t.Logf("entrust, app too slow: %d after %s", status, took.Round(time.Millisecond))
	if status != 504 || took >= vendors[1].timeout {
		t.Fatalf("entrust, app too slow: %d after %s", status, took)
	}
	app.Close() // down: connections refused
	for i, v := range vendors {
		status, took := deliver1(i)
		t.Logf("%s, app down: %d after %s", v.name, status, took.Round(time.Millisecond))
		if (status != 502 && status != 503) || took >= v.timeout {
			t.Errorf("%s, app down: %d after %s (waits %s)", v.name, status, took, v.timeout)
		}
	}
	time.Sleep(200 * time.Millisecond) // the last log lines
	logs := inst.logs()
	for _, want := range []string{`"logger":"http.log.error`, `"logger":"http.log.access.log0"`, `"/hooks/argos/REDACTED"`} {
		if !strings.Contains(logs, want) {
			t.Fatalf("the logs have no %s: the test saw nothing", want)
		}
	}
	for _, s := range append(values(secrets), sent...) {
		if strings.HasSuffix(s, "-client") {
			continue // a client id is no secret
		}
		if strings.Contains(logs, s) {
			i := strings.Index(logs, s)
			t.Errorf("%q is in the logs: ...%s...", s, logs[max(0, i-300):min(len(logs), i+50)])
		}
	}
}
