package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"

	"github.com/caddyserver/caddy/v2/caddytest"
)

// The X-SIGNATURE covers the body, not the Content-Type that names the
// boundary. These tests hold what an attacker can do with a captured
// delivery: send it again under another boundary, or (with digest
// secret_body) extend it; each must be refused before the upstream hears of
// it.

const (
	// framingBoundary is the boundary the genuine deliveries use.
	framingBoundary = "AuthenteqBoundary4f0c9e1b7d2a"
	// framingEvil is the attacker's boundary.
	framingEvil = "EVIL"
	// framingSecretBody is the secret of the secret_body route.
	framingSecretBody = "authenteq-secret-body-2026"
)

// framingForged is a result part an attacker writes under framingEvil:
// a passed verification with an id of their choice.
const framingForged = "\r\n--" + framingEvil + "\r\n" +
	"Content-Disposition: form-data; name=\"result\"\r\n" +
	"Content-Type: application/json\r\n\r\n" +
	`{"id":"00000000-forged-0000-0000-000000000001","status":"PASSED","documentData":{"givenNames":"MALLORY","surname":"X"}}` +
	"\r\n--" + framingEvil + "--\r\n"

func framingSite(up *upstream) string {
	return `
:9080 {
	handle /hooks/authenteq {
		biohook authenteq {
			client_id {env.BIOHOOK_TEST_AUTHENTEQ_ID}
			secret {env.BIOHOOK_TEST_AUTHENTEQ_OLD}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /hooks/authenteq-secret-body {
		biohook authenteq {
			client_id {env.BIOHOOK_TEST_AUTHENTEQ_ID}
			secret {env.BIOHOOK_TEST_AUTHENTEQ_SB}
			digest secret_body insecure_length_extension
		}
		reverse_proxy ` + up.addr() + `
	}
}
`
}

func startFraming(t *testing.T) (*upstream, func(path string, body []byte, h http.Header) (*http.Response, string)) {
	t.Helper()
	t.Setenv("BIOHOOK_TEST_AUTHENTEQ_ID", authenteqClientID)
	t.Setenv("BIOHOOK_TEST_AUTHENTEQ_OLD", authenteqOldSecret)
	t.Setenv("BIOHOOK_TEST_AUTHENTEQ_SB", framingSecretBody)
	up := newUpstream(t)
	tester := startCaddy(t, framingSite(up))
	return up, func(path string, body []byte, h http.Header) (*http.Response, string) {
		return post(t, tester, path, body, h)
	}
}

// framingDelivery is a failed verification as Authenteq's own multipart
// writer frames it: the opening delimiter at byte 0, the closing one at the
// end. The address proof is the user's upload, so its bytes are the user's
// choice: here a PDF that carries framingForged.
func framingDelivery(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.SetBoundary(framingBoundary); err != nil {
		t.Fatal(err)
	}
	parts := []struct{ disposition, contentType, data string }{
		{`form-data; name="result"`, "application/json",
			`{"id":"5d1e8f3a-77b2-4c0e-9a14-6f2b8c3d9e01","status":"FAILED","documentData":{"givenNames":"MARI","surname":"MAASIKAS"}}`},
		{`form-data; name="faceImage"; filename="faceImage.jpg"`, "image/jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00face\xff\xd9"},
		{`form-data; name="addressProofDocument"; filename="bill.pdf"`, "application/pdf",
			"%PDF-1.4\n1 0 obj <<>> stream" + framingForged + "endstream\n%%EOF\n"},
	}
	for _, p := range parts {
		pw, err := w.CreatePart(textproto.MIMEHeader{"Content-Disposition": {p.disposition}, "Content-Type": {p.contentType}})
		if err != nil {
			t.Fatal(err)
		}
		pw.Write([]byte(p.data))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func framingHeaders(boundary, signature string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	h.Set("X-Client-Id", authenteqClientID)
	h.Set("X-Signature", signature)
	return h
}

func bodySecretSig(body []byte, secret string) string {
	sum := sha256.Sum256(append(bytes.Clone(body), secret...))
	return hex.EncodeToString(sum[:])
}

func secretBodySig(body []byte, secret string) string {
	sum := sha256.Sum256(append([]byte(secret), body...))
	return hex.EncodeToString(sum[:])
}

// A genuine delivery sent again under a boundary that occurs only inside
// the user's upload would read the forged part as the result: a failed
// verification turned into a passed one with a new id. It is refused, as
// are signed bodies with a preamble or an epilogue; the genuine delivery
// still passes as sent.
func TestAuthenteqReframedDeliveryThroughCaddy(t *testing.T) {
	up, send := startFraming(t)
	body := framingDelivery(t)
	sig := bodySecretSig(body, authenteqOldSecret)
	for _, c := range []struct {
		name     string
		body     []byte
		boundary string
	}{
		{"another boundary, inside an image", body, framingEvil},
		{"preamble", append([]byte("This is a multi-part message in MIME format.\r\n"), body...), framingBoundary},
		{"line break before the opening", append([]byte("\r\n"), body...), framingBoundary},
		{"epilogue", append(bytes.Clone(body), "epilogue\r\n"...), framingBoundary},
		{"two line breaks after the closing", append(bytes.Clone(body), "\r\n"...), framingBoundary},
		{"a second closing delimiter", append(bytes.Clone(body), "--"+framingBoundary+"--\r\n"...), framingBoundary},
	} {
		s := sig
		if c.boundary == framingBoundary {
			s = bodySecretSig(c.body, authenteqOldSecret) // signed as sent: only the framing is wrong
		}
		res, answer := send("/hooks/authenteq", c.body, framingHeaders(c.boundary, s))
		if res.StatusCode != http.StatusBadRequest || answer != errorBody("invalid_multipart") {
			t.Errorf("%s: %d %s, want 400 %s", c.name, res.StatusCode, answer, errorBody("invalid_multipart"))
		}
		if got := up.take(); len(got) != 0 {
			t.Errorf("%s: the upstream received %d events: %.400s", c.name, len(got), got[0].Body)
		}
	}
	res, answer := send("/hooks/authenteq", body, framingHeaders(framingBoundary, sig))
	mustStatus(t, res, answer, http.StatusOK)
	got := up.take()
	if len(got) != 1 {
		t.Fatalf("upstream got %d events", len(got))
	}
	var ev struct {
		ID   string
		Data struct {
			Outcome string
			Images  []struct{ Name string }
		}
	}
	if err := json.Unmarshal(got[0].Body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID != "5d1e8f3a-77b2-4c0e-9a14-6f2b8c3d9e01" || ev.Data.Outcome != "rejected" || len(ev.Data.Images) != 2 {
		t.Errorf("genuine delivery: id %q, outcome %q, %d images", ev.ID, ev.Data.Outcome, len(ev.Data.Images))
	}
}

// sha256Pad is the padding SHA-256 appends to a message of n bytes.
func sha256Pad(n int) []byte {
	pad := []byte{0x80}
	for (n+len(pad))%64 != 56 {
		pad = append(pad, 0)
	}
	return binary.BigEndian.AppendUint64(pad, uint64(n)*8)
}

// sha256Extend is SHA-256 length extension: from digest = SHA-256(m) and
// n = len(m) alone, the digest of m || sha256Pad(n) || suffix. It resumes
// crypto/sha256 from the state that digest is: "sha\x03", the eight words,
// an empty block buffer, and the length hashed so far.
func sha256Extend(t *testing.T, digest []byte, n int, suffix []byte) []byte {
	t.Helper()
	state := append([]byte("sha\x03"), digest...)
	state = append(state, make([]byte, 64)...)
	state = binary.BigEndian.AppendUint64(state, uint64(n+len(sha256Pad(n))))
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	h.Write(suffix)
	return h.Sum(nil)
}

// With digest secret_body, SHA-256(secret || body), one captured delivery
// and its X-SIGNATURE sign that body with bytes of the attacker's choice
// appended: the attacker tries each secret length, one request each, and
// one of them verifies. Appended under another boundary, the forged part
// would be the result. With the opt-in the route starts, and the framing
// refuses the extended body: 400 for the try that verified, 401 for the
// others, nothing upstream. The genuine delivery still passes.
func TestAuthenteqLengthExtensionThroughCaddy(t *testing.T) {
	up, send := startFraming(t)
	body := framingDelivery(t)
	captured, _ := hex.DecodeString(secretBodySig(body, framingSecretBody))
	verified := 0
	for secretLen := 16; secretLen <= 48; secretLen++ {
		n := secretLen + len(body)
		forged := append(append(bytes.Clone(body), sha256Pad(n)...), framingForged...)
		sig := sha256Extend(t, captured, n, []byte(framingForged))
		if secretLen == len(framingSecretBody) && hex.EncodeToString(sig) != secretBodySig(forged, framingSecretBody) {
			t.Fatal("the length extension does not compute SHA-256(secret || forged body)")
		}
		res, answer := send("/hooks/authenteq-secret-body", forged, framingHeaders(framingEvil, hex.EncodeToString(sig)))
		switch {
		case res.StatusCode == http.StatusBadRequest && answer == errorBody("invalid_multipart"):
			verified++
			if secretLen != len(framingSecretBody) {
				t.Errorf("secret length %d: the forged signature verified", secretLen)
			}
		case res.StatusCode == http.StatusUnauthorized && answer == errorBody("signature_mismatch"):
		default:
			t.Errorf("secret length %d: %d %s", secretLen, res.StatusCode, answer)
		}
		if got := up.take(); len(got) != 0 {
			t.Errorf("secret length %d: the upstream received %.400s", secretLen, got[0].Body)
		}
	}
	if verified != 1 {
		t.Errorf("%d forged signatures verified, want exactly the one with the secret's length", verified)
	}
	res, answer := send("/hooks/authenteq-secret-body", body, framingHeaders(framingBoundary, secretBodySig(body, framingSecretBody)))
	mustStatus(t, res, answer, http.StatusOK)
	if got := up.take(); len(got) != 1 {
		t.Errorf("genuine delivery: upstream got %d events", len(got))
	}
}

// digest secret_body without the explicit opt-in does not start, nor does
// the opt-in on another construction.
func TestAuthenteqSecretBodyRefusesToStart(t *testing.T) {
	for digest, reason := range map[string]string{
		"secret_body":                            "open to length extension",
		"hmac insecure_length_extension":         "applies only to digest secret_body",
		"secret_body insecure_length_extensions": "unknown digest option",
	} {
		t.Run(digest, func(t *testing.T) {
			caddytest.AssertLoadError(t, globals+fmt.Sprintf(`
:9080 {
	biohook authenteq {
		client_id c
		secret authenteq-secret-0001
		digest %s
	}
	respond ok
}`, digest), "caddyfile", reason)
		})
	}
}
