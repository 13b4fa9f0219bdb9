package verify

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dunglas/httpsfv"
)

// FuzzSignature feeds arbitrary Signature-Input and Signature values through
// parsing, base building and verification: nothing may panic, and nothing but
// the genuine signature may verify.
func FuzzSignature(f *testing.F) {
	m := rfcRequest()
	f.Add(m.Header.Get("Signature-Input"), m.Header.Get("Signature"), "sig-b25")
	f.Add(`sig=("@method" "@target-uri" "content-digest");created=1700000000;alg="hmac-sha256"`, "sig=:AAAA:", "sig")
	f.Add(`sig=("@query" "@path" "@scheme" "@request-target" "@authority" "x")`, "sig=:AAAA:", "sig")
	f.Add(`a=(), b=("\"");x=?1`, `a=:=:`, "a")
	f.Fuzz(func(t *testing.T, input, signature, label string) {
		h := http.Header{"Signature-Input": {input}, "Signature": {signature}, "Content-Digest": {"sha-256=:AAAA:"}, "X": {"y"}}
		msg := Message{Method: "POST", TargetURI: "https://example.com:8443/a/b?c=d", Header: h}
		profile := HMACProfile{Label: label, Alg: "hmac-sha256", MaxSkew: time.Minute}
		if err := profile.Verify(msg, NewSecrets([][]byte{[]byte("fuzz-key")}), time.Unix(1700000000, 0)); err == nil {
			// A random signature verifying would be a forgery; only a
			// genuine one may, and the fuzzer does not know the key.
			t.Fatalf("verified: %q %q", input, signature)
		}
	})
}

// FuzzContentDigest: arbitrary field values never panic and never match a
// body they were not computed over.
func FuzzContentDigest(f *testing.F) {
	f.Add("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", []byte(`{"hello": "world"}`))
	f.Add("sha-512=:AAAA:, md5=:AAAA:;x", []byte(""))
	f.Add("sha-256=?1", []byte("x"))
	f.Fuzz(func(t *testing.T, value string, body []byte) {
		if err := CheckContentDigest([]string{value}, body); err == nil {
			if value != ContentDigest("sha-256", body) && value != ContentDigest("sha-512", body) {
				// Accepted: it must hold a genuine digest of body among its members.
				if CheckContentDigest([]string{value}, append(body, 'x')) == nil {
					t.Fatalf("%q accepted for two bodies", value)
				}
			}
		}
	})
}

// FuzzSingleByteSeq holds the fast reading of `key=:base64:` to the general
// structured-field parser: wherever it answers, the two agree.
func FuzzSingleByteSeq(f *testing.F) {
	f.Add("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:")
	f.Add(" sig=:AAAA: ")
	f.Add("*a.b-c_9=::")
	f.Add("sig=:AA AA:")
	f.Add("Sig=:AAAA:")
	f.Add("sig=:AAAA:;x=1")
	f.Add("\ta=::") // found by fuzzing: only SP is trimmed by the parser
	f.Add("a=:\n:") // found by fuzzing: the base64 decoder skips newlines
	f.Fuzz(func(t *testing.T, value string) {
		m, ok := singleByteSeq([]string{value})
		if !ok {
			return
		}
		dict, err := httpsfv.UnmarshalDictionary([]string{value})
		if err != nil {
			t.Fatalf("%q: fast path accepted, parser refused: %v", value, err)
		}
		names := dict.Names()
		if len(names) != 1 || names[0] != m.key {
			t.Fatalf("%q: keys %v, fast path %q", value, names, m.key)
		}
		member, _ := dict.Get(m.key)
		item, isItem := member.(httpsfv.Item)
		got, isBytes := item.Value.([]byte)
		if !isItem || !isBytes || string(got) != string(m.value) || len(item.Params.Names()) != 0 {
			t.Fatalf("%q: parser %#v, fast path %x", value, member, m.value)
		}
	})
}

// FuzzFastSignatureInput holds the fast reading of Signature-Input to the
// general parser: wherever it answers, the general parser gives the same
// components, parameters and "@signature-params" text.
func FuzzFastSignatureInput(f *testing.F) {
	f.Add(`sig=("@method" "@target-uri" "content-digest");created=1700000000;keyid="k";alg="hmac-sha256"`)
	f.Add(`sig=();nonce="n";tag="t";expires=0`)
	f.Add(`sig=("a" "a")`)
	f.Add(`sig=("a"  "b")`)
	f.Add(`sig=("a");created=01`)
	f.Add(`sig=("a");x=?1`)
	f.Add(`sig=("a"), sig2=("b")`)
	f.Fuzz(func(t *testing.T, value string) {
		fast, ok := fastSignatureInput([]string{value}, "sig")
		if !ok {
			return
		}
		dict, err := httpsfv.UnmarshalDictionary([]string{value})
		if err != nil {
			t.Fatalf("%q: fast path accepted, parser refused: %v", value, err)
		}
		member, found := dict.Get("sig")
		list, isList := member.(httpsfv.InnerList)
		if !found || !isList || len(dict.Names()) != 1 {
			t.Fatalf("%q: parser found %v", value, dict.Names())
		}
		general, err := newSignatureInput("sig", list)
		if err != nil {
			t.Fatalf("%q: fast path accepted, general refused: %v", value, err)
		}
		if fast.params != general.params || strings.Join(fast.Components, "|") != strings.Join(general.Components, "|") ||
			fast.Alg != general.Alg || fast.KeyID != general.KeyID || fast.Nonce != general.Nonce || fast.Tag != general.Tag ||
			!fast.Created.Equal(general.Created) || !fast.Expires.Equal(general.Expires) {
			t.Fatalf("%q:\nfast    %+v\ngeneral %+v", value, fast, general)
		}
	})
}
