package verify

import (
	"encoding/base64"
	"errors"
	"net/http"
	"testing"
	"time"
)

// The shared key of RFC 9421 Appendix B.1.5, "test-shared-secret".
const rfcSharedSecret = "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ=="

func rfcRequest() Message {
	h := http.Header{}
	h.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
	h.Set("Content-Type", "application/json")
	h.Set("Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:")
	h.Set("Signature-Input", `sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"`)
	h.Set("Signature", "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:")
	return Message{Method: "POST", TargetURI: "http://example.com/foo?param=Value&Pet=dog", Header: h}
}

// RFC 9421 B.2.5: the published base and HMAC-SHA256 signature.
func TestRFC9421Vector(t *testing.T) {
	m := rfcRequest()
	in, sig, err := ParseSignature(m.Header, "sig-b25")
	if err != nil {
		t.Fatal(err)
	}
	base, err := in.Base(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `"date": Tue, 20 Apr 2021 02:07:55 GMT
"@authority": example.com
"content-type": application/json
"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"`
	if string(base) != want {
		t.Fatalf("base:\n%s\nwant:\n%s", base, want)
	}
	key, _ := base64.StdEncoding.DecodeString(rfcSharedSecret)
	secrets := NewSecrets([][]byte{[]byte("another key"), key})
	if !secrets.MatchHMACSHA256(base, sig) {
		t.Fatal("the RFC's signature does not verify")
	}
	if in.Created.Unix() != 1618884473 || in.KeyID != "test-shared-secret" {
		t.Errorf("params: %+v", in)
	}
	if NewSecrets([][]byte{[]byte("another key")}).MatchHMACSHA256(base, sig) {
		t.Fatal("a wrong key verified")
	}
}

// RFC 9530 section 6: the digests of {"hello": "world"}.
func TestContentDigestVector(t *testing.T) {
	body := []byte(`{"hello": "world"}`)
	for _, v := range []string{
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
		"sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, unixsum=:AAAA:",
	} {
		if err := CheckContentDigest([]string{v}, body); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
	if got := ContentDigest("sha-256", body); got != "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:" {
		t.Errorf("ContentDigest = %s", got)
	}
	bad := map[string]error{
		"":                 ErrDigestUnsupported,
		"sha-256=:AAAA:":   ErrDigestMismatch,
		"md5=:AAAA:":       ErrDigestUnsupported,
		"sha-256=X48E9q":   ErrDigestMalformed,
		"sha-256=(:AAAA:)": ErrDigestMalformed,
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:AAAA:": ErrDigestMismatch,
	}
	for v, want := range bad {
		if err := CheckContentDigest([]string{v}, body); !errors.Is(err, want) {
			t.Errorf("%q: got %v, want %v", v, err, want)
		}
	}
	if err := CheckContentDigest(nil, body); !errors.Is(err, ErrDigestMissing) {
		t.Errorf("no header: %v", err)
	}
}

func TestSignRoundTrip(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Digest", ContentDigest("sha-256", []byte("{}")))
	m := Message{Method: "POST", TargetURI: "https://h.example/p?q=1", Header: h}
	signer := HMACSigner{Label: "sig", Components: []string{"@method", "@target-uri", "content-digest", "@authority", "@path", "@query", "@scheme", "@request-target"}, Key: []byte("k"), Created: time.Now(), KeyID: "x"}
	in, sig, err := signer.Sign(m)
	if err != nil {
		t.Fatal(err)
	}
	h.Set("Signature-Input", in)
	h.Set("Signature", sig)
	profile := HMACProfile{Label: "sig", Required: []string{"@method", "@target-uri", "content-digest"}, Alg: "hmac-sha256", MaxSkew: time.Minute}
	if err := profile.Verify(m, NewSecrets([][]byte{[]byte("k")}), time.Now()); err != nil {
		t.Fatal(err)
	}
	m.TargetURI = "https://h.example/p?q=2"
	if err := profile.Verify(m, NewSecrets([][]byte{[]byte("k")}), time.Now()); !errors.Is(err, ErrSignatureMismatch) {
		t.Fatalf("changed query: %v", err)
	}
}

func TestParseSignatureRefuses(t *testing.T) {
	cases := map[string][2]string{
		"duplicate component":   {`sig=("@method" "@method");alg="hmac-sha256"`, "sig=:AAAA:"},
		"component parameter":   {`sig=("content-digest";sf)`, "sig=:AAAA:"},
		"item, not inner list":  {`sig="@method"`, "sig=:AAAA:"},
		"signature not bytes":   {`sig=("@method")`, `sig="AAAA"`},
		"empty signature":       {`sig=("@method")`, "sig=::"},
		"created not a number":  {`sig=("@method");created="now"`, "sig=:AAAA:"},
		"negative created":      {`sig=("@method");created=-1`, "sig=:AAAA:"},
		"label missing":         {`other=("@method")`, "sig=:AAAA:"},
		"garbage":               {`sig=(`, "sig=:AAAA:"},
		"upper-case field name": {`sig=("Content-Digest")`, "sig=:AAAA:"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			h := http.Header{"Signature-Input": {c[0]}, "Signature": {c[1]}, "Content-Digest": {"x"}}
			in, sig, err := ParseSignature(h, "sig")
			if err == nil {
				_, err = in.Base(Message{Method: "POST", TargetURI: "https://x/", Header: h})
			}
			if err == nil {
				t.Fatalf("accepted: %+v %x", in, sig)
			}
		})
	}
}

func TestSecretsMatchToken(t *testing.T) {
	ss := NewSecrets([][]byte{[]byte("alpha"), []byte("beta")})
	for tok, want := range map[string]bool{"alpha": true, "beta": true, "alph": false, "alphaa": false, "": false, "BETA": false} {
		if got := ss.MatchToken([]byte(tok)); got != want {
			t.Errorf("%q: %v", tok, got)
		}
	}
	if !EqualString("a", "a") || EqualString("a", "b") || EqualString("a", "") {
		t.Error("EqualString")
	}
}
