package integration

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/verify"
)

const (
	genericHMACKey = "veriff-shared-secret"
	genericSWKey   = "whsec_c3RhbmRhcmQtd2ViaG9va3MtdGVzdC1zZWNyZXQ="
	genericSWOld   = "whsec_b2xkLXN0YW5kYXJkLXdlYmhvb2tzLXNlY3JldA=="
)

var genericSWPrivate = ed25519.NewKeyFromSeed([]byte("generic-test-ed25519-seed-32byte"))

func genericSite(up *upstream) string {
	pub := "whpk_" + base64.StdEncoding.EncodeToString(genericSWPrivate.Public().(ed25519.PublicKey))
	return `
:9080 {
	handle /hooks/veriff {
		biohook hmac {
			name veriff
			header X-HMAC-Signature
			algorithm sha256
			encoding hex
			secret {env.BIOHOOK_TEST_HMAC}
			id_field /verification/id
			time_field verification.decisionTime
			mapping {
				subject /verification/vendorData
				event /verification/status
				outcome /verification/status {
					approved approved
					declined rejected
					resubmission_requested pending
				}
				kind verification
			}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/plain {
		biohook hmac {
			header X-Hub-Signature-256
			prefix sha256=
			encoding hex
			secret {env.BIOHOOK_TEST_HMAC}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/sw {
		biohook standard_webhooks {
			secret {env.BIOHOOK_TEST_SW_OLD}
			secret {env.BIOHOOK_TEST_SW}
			public_key ` + pub + `
			mapping {
				time /timestamp
				subject /data/user_id
				outcome /data/status {
					approved approved
					declined rejected
				}
				kind verification
				kind user.deleted deletion
			}
		}
		reverse_proxy ` + up.addr() + `
	}
}
`
}

func setGenericSecrets(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_HMAC", genericHMACKey)
	t.Setenv("BIOHOOK_TEST_SW", genericSWKey)
	t.Setenv("BIOHOOK_TEST_SW_OLD", genericSWOld)
}

func hmacHeaders(t testing.TB, header, prefix string, body []byte, key string) http.Header {
	t.Helper()
	scheme, err := verify.NewBodyHMAC("sha256", "hex", prefix)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(header, scheme.Sign([]byte(key), body))
	return h
}

func swHeaders(t testing.TB, id string, at time.Time, body []byte, signer verify.SWSigner) http.Header {
	t.Helper()
	sw := signer.Sign(id, at, body)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("webhook-id", sw.ID)
	h.Set("webhook-timestamp", sw.Timestamp)
	h.Set("webhook-signature", sw.Signature)
	return h
}

func mustSWKey(t testing.TB, s string) []byte {
	t.Helper()
	k, err := verify.ParseSWSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Every hmac fixture, signed as a Veriff-style vendor signs it, reaches the
// upstream as its golden event: the Caddyfile's mapping gives the same
// event as the golden test's.
func TestHMACThroughCaddy(t *testing.T) {
	setGenericSecrets(t)
	up := newUpstream(t)
	tester := startCaddy(t, genericSite(up))
	for _, name := range fixtureNames(t, "hmac") {
		body := readFixture(t, "hmac", name)
		res, answer := post(t, tester, "/hooks/veriff", body, hmacHeaders(t, "X-HMAC-Signature", "", body, genericHMACKey))
		mustStatus(t, res, answer, http.StatusOK)
		got := up.take()
		if len(got) != 1 {
			t.Fatalf("%s: upstream got %d requests", name, len(got))
		}
		assertGolden(t, "hmac", name, got[0].Body)
		if got[0].Header.Get("X-Hmac-Signature") != "" {
			t.Error("the signature reached the upstream")
		}
		if v := got[0].Header.Get("Biohook-Vendor"); v != "veriff" {
			t.Errorf("Biohook-Vendor %q, want the configured name", v)
		}
	}
	// Without a mapping: kind other, outcome none, the derived id, raw kept.
	body := readFixture(t, "hmac", "decision_approved.json")
	res, answer := post(t, tester, "/hooks/plain", body, hmacHeaders(t, "X-Hub-Signature-256", "sha256=", body, genericHMACKey))
	mustStatus(t, res, answer, http.StatusOK)
	ev := decodeEvent(t, up.take())
	if ev.Data.Kind != "other" || ev.Data.Outcome != "none" || ev.Type != "io.biohook.vendor.event" || ev.Source != "urn:biohook:hmac" || !jsonEqual(t, ev.Data.Raw, body) {
		t.Errorf("unmapped event: %+v", ev)
	}
}

// genericEvent is the part of an event these tests look at.
type genericEvent struct {
	ID, Source, Type, Subject, Time string
	Data                            struct {
		Vendor      string          `json:"vendor"`
		VendorEvent string          `json:"vendor_event"`
		Kind        string          `json:"kind"`
		Outcome     string          `json:"outcome"`
		Raw         json.RawMessage `json:"raw"`
	}
}

func decodeEvent(t *testing.T, got []received) genericEvent {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("upstream got %d requests", len(got))
	}
	var ev genericEvent
	if err := json.Unmarshal(got[0].Body, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// Standard Webhooks deliveries signed with v1 under either secret of a
// rotation, and with v1a, reach the upstream with the webhook-id as the
// event id and the mapping applied; webhook-signature is stripped.
func TestStandardWebhooksThroughCaddy(t *testing.T) {
	setGenericSecrets(t)
	up := newUpstream(t)
	tester := startCaddy(t, genericSite(up))
	signers := []verify.SWSigner{
		{Secrets: [][]byte{mustSWKey(t, genericSWKey)}},
		{Secrets: [][]byte{mustSWKey(t, genericSWOld)}},
		{PrivateKeys: []ed25519.PrivateKey{genericSWPrivate}},
	}
	want := map[string][3]string{ // kind, outcome, subject
		"verification.approved.json": {"verification", "approved", "usr_8f2k1"},
		"verification.declined.json": {"verification", "rejected", "usr_3c9a7"},
		"user.deleted.json":          {"deletion", "none", "usr_8f2k1"},
	}
	for i, name := range fixtureNames(t, "standard_webhooks") {
		body := readFixture(t, "standard_webhooks", name)
		id := "msg_" + strings.TrimSuffix(name, ".json")
		id = strings.ReplaceAll(id, ".", "_")
		res, answer := post(t, tester, "/hooks/sw", body, swHeaders(t, id, time.Now(), body, signers[i%3]))
		mustStatus(t, res, answer, http.StatusOK)
		got := up.take()
		if len(got) == 1 && (got[0].Header.Get("Webhook-Signature") != "" || got[0].Header.Get("Webhook-Id") != id) {
			t.Errorf("%s: headers upstream %v", name, got[0].Header)
		}
		ev := decodeEvent(t, got)
		w := want[name]
		if ev.ID != id || ev.Data.Kind != w[0] || ev.Data.Outcome != w[1] || ev.Subject != w[2] || ev.Time == "" {
			t.Errorf("%s: %+v", name, ev)
		}
	}
}

// Each way a generic delivery fails is refused with 401 and its reason,
// and nothing reaches the upstream.
func TestGenericRejectionsThroughCaddy(t *testing.T) {
	setGenericSecrets(t)
	up := newUpstream(t)
	tester := startCaddy(t, genericSite(up))
	body := readFixture(t, "standard_webhooks", "verification.approved.json")
	key := mustSWKey(t, genericSWKey)
	sw := func(at time.Time, k []byte) http.Header {
		return swHeaders(t, "msg_1", at, body, verify.SWSigner{Secrets: [][]byte{k}})
	}
	cases := []struct {
		name, path string
		header     http.Header
		code       string
	}{
		{"hmac wrong key", "/hooks/veriff", hmacHeaders(t, "X-HMAC-Signature", "", body, "wrong"), "signature_mismatch"},
		{"hmac no header", "/hooks/veriff", http.Header{"Content-Type": {"application/json"}}, "missing_signature"},
		{"hmac missing prefix", "/hooks/plain", hmacHeaders(t, "X-Hub-Signature-256", "", body, genericHMACKey), "malformed_signature"},
		{"sw wrong key", "/hooks/sw", sw(time.Now(), []byte("some-other-key-of-24-bytes!")), "signature_mismatch"},
		{"sw stale", "/hooks/sw", sw(time.Now().Add(-6*time.Minute), key), "stale_signature"},
		{"sw future", "/hooks/sw", sw(time.Now().Add(6*time.Minute), key), "signature_in_future"},
		{"sw no headers", "/hooks/sw", http.Header{"Content-Type": {"application/json"}}, "missing_signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, answer := post(t, tester, c.path, body, c.header)
			mustStatus(t, res, answer, http.StatusUnauthorized)
			if answer != errorBody(c.code) {
				t.Errorf("answer %s, want %s", answer, errorBody(c.code))
			}
			if got := up.take(); len(got) != 0 {
				t.Errorf("upstream got %d requests", len(got))
			}
		})
	}
}
