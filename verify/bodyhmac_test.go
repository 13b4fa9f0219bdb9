package verify

import (
	"errors"
	"strings"
	"testing"
)

// GitHub's published example: HMAC-SHA256 of "Hello, World!" under
// "It's a Secret to Everybody", hex with a "sha256=" prefix.
func TestBodyHMACKnownAnswer(t *testing.T) {
	b, err := NewBodyHMAC("sha256", "hex", "sha256=")
	if err != nil {
		t.Fatal(err)
	}
	const want = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	key, body := []byte("It's a Secret to Everybody"), []byte("Hello, World!")
	if got := b.Sign(key, body); got != want {
		t.Fatalf("got %s", got)
	}
	secrets := NewSecrets([][]byte{[]byte("old"), key})
	if err := b.Verify(want, body, secrets); err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(strings.ToUpper(want[:7])+want[7:], body, secrets); !errors.Is(err, ErrBodyHMACPrefix) {
		t.Fatalf("prefix is matched exactly: %v", err)
	}
	if err := b.Verify(want, []byte("Hello, World?"), secrets); !errors.Is(err, ErrSignatureMismatch) {
		t.Fatalf("tampered body: %v", err)
	}
}

func TestBodyHMACRefusesUnknown(t *testing.T) {
	for _, c := range [][2]string{{"md5", "hex"}, {"SHA256", "hex"}, {"", "hex"}, {"sha256", "base32"}, {"sha256", ""}} {
		if _, err := NewBodyHMAC(c[0], c[1], ""); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
}

// FuzzBodyHMAC: any header value never panics, and only the genuine MAC of
// the body verifies.
func FuzzBodyHMAC(f *testing.F) {
	f.Add("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", []byte("Hello, World!"), uint8(0))
	f.Add("dXBzaWRl", []byte(""), uint8(1))
	f.Add("sha256=", []byte("x"), uint8(2))
	key := []byte("It's a Secret to Everybody")
	f.Fuzz(func(t *testing.T, value string, body []byte, enc uint8) {
		encoding := []string{"hex", "base64", "base64url"}[enc%3]
		b, err := NewBodyHMAC("sha256", encoding, "sha256=")
		if err != nil {
			t.Fatal(err)
		}
		if b.Verify(value, body, NewSecrets([][]byte{key})) == nil {
			mac, _ := b.Decode(value)
			if string(mac) != string(b.MAC(key, body)) {
				t.Fatalf("%q verified without the genuine MAC", value)
			}
		}
	})
}
