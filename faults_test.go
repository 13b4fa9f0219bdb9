package biohook

import (
	"fmt"
	"strconv"
	"strings"
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
		{"faceio", "secret ftok", deliver.Options{Vendor: "faceio", Secrets: []string{"ftok"}, Payload: readFixture(t, "faceio", "auth.json")}, 6 * time.Second},
		{"entrust", "secret etok", deliver.Options{Vendor: "entrust", Secrets: []string{"etok"}, Payload: readFixture(t, "entrust", "user.created.json")}, 3 * time.Second},
		{"argos", "secret akey", deliver.Options{Vendor: "argos", Secrets: []string{"akey"}, Payload: readFixture(t, "argos", "approved.json")}, 3 * time.Second},
		{"authenteq", "client_id cid\n\t\t\tsecret atok", deliver.Options{Vendor: "authenteq", ClientID: "cid", Secrets: []string{"atok"},
			Payload: []byte(`{"id":"7f1c2a4e-0000-4000-8000-000000000009","status":"PASSED"}`)}, 3 * time.Second},
		{"incode", "header X-Key ikey", deliver.Options{Vendor: "incode", Settings: map[string]string{"header": "X-Key: ikey"},
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
			fmt.Fprintf(&site, `	handle %s {
		biohook %s {
			%s
			dedupe
		}
		reverse_proxy %s {
			transport http {
				dial_timeout 500ms
				response_header_timeout 400ms
			}
		}
	}
`, fault.path, v.name, v.block, fault.upstream)
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
