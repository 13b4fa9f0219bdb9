package verify

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

const (
	testSecret = "argos-test-api-key"
	testPlain  = `{"webhook_trigger":"approved"}`
	// Produced independently of this package:
	//   K=$(printf argos-test-api-key | sha256sum | cut -d' ' -f1)
	//   printf '<plain>' | openssl enc -aes-256-ecb -K $K -nosalt | base64
	//   printf '<plain>' | openssl enc -aes-256-cbc -K $K -iv 000102...0f -nosalt | xxd -p
	// and, for GCM, Python's cryptography AESGCM with nonce 00..0b, printed
	// as nonce || ciphertext || tag.
	ecbBase64 = "AWD5g1VRluM8vt17kgO4gJ+HSqH5yKkJiBVAVsSGqYk="
	cbcHex    = "000102030405060708090a0b0c0d0e0f" + "725c0f84d1cff6c91b28c55b6504afa4786a201240bdae7fff9fe0c008408119"
	gcmHex    = "000102030405060708090a0bb8f9407be15e1c7ff3109417dfa965a22d745c0660da6c20b7191292c78b07d32478f8230fa0e959752c64e0d101"
)

func mustCipher(t testing.TB, opts CipherOptions) *PayloadCipher {
	t.Helper()
	c, err := NewPayloadCipher([]byte(testSecret), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The three modes decrypt what OpenSSL and Python's cryptography produce
// with the key SHA-256(secret).
func TestDecryptKnownAnswers(t *testing.T) {
	cases := []struct {
		name string
		opts CipherOptions
		text string
	}{
		{"ecb base64", CipherOptions{Mode: ModeECB}, ecbBase64},
		{"ecb base64url", CipherOptions{Mode: ModeECB}, strings.NewReplacer("+", "-", "/", "_").Replace(ecbBase64)},
		{"ecb base64 unpadded", CipherOptions{Mode: ModeECB}, strings.TrimRight(ecbBase64, "=")},
		{"cbc hex prefix iv", CipherOptions{Mode: ModeCBC}, cbcHex},
		{"cbc upper-case hex", CipherOptions{Mode: ModeCBC}, strings.ToUpper(cbcHex)},
		{"gcm hex", CipherOptions{Mode: ModeGCM}, gcmHex},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ct, err := DecodeCiphertext(c.text)
			if err != nil {
				t.Fatal(err)
			}
			got, err := mustCipher(t, c.opts).Decrypt(ct)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != testPlain {
				t.Fatalf("got %q", got)
			}
		})
	}
}

// Every mode and layout reads back what Encrypt wrote, for lengths around
// the block size; and another key never reads it.
func TestEncryptRoundTrip(t *testing.T) {
	all := []CipherOptions{
		{Mode: ModeECB},
		{Mode: ModeCBC, CBCIV: IVPrefix},
		{Mode: ModeCBC, CBCIV: IVZero},
		{Mode: ModeCBC, CBCIV: IVKey},
		{Mode: ModeGCM, GCMLayout: NonceCiphertextTag},
		{Mode: ModeGCM, GCMLayout: NonceTagCiphertext},
		{Mode: ModeGCM, NonceSize: 16},
	}
	other, _ := NewPayloadCipher([]byte("another-key"), CipherOptions{Mode: ModeECB})
	for _, opts := range all {
		c := mustCipher(t, opts)
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 100} {
			plain := bytes.Repeat([]byte{'x'}, n)
			ct, err := c.Encrypt(plain, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			for _, enc := range []CiphertextEncoding{Base64, Base64URL, Hex} {
				back, err := DecodeCiphertext(EncodeCiphertext(ct, enc))
				if err != nil || !bytes.Equal(back, ct) {
					t.Fatalf("%v %s: encoding did not round-trip: %v", opts, enc, err)
				}
			}
			got, err := c.Decrypt(ct)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("%+v, %d bytes: got %q, %v", opts, n, got, err)
			}
			if opts.Mode == ModeECB {
				if got, err := other.Decrypt(ct); err == nil && bytes.Equal(got, plain) {
					t.Fatalf("another key decrypted it")
				}
			}
		}
	}
}

// Truncated, unaligned, tampered or empty ciphertexts fail with ErrDecrypt,
// never with a panic or a partial plaintext.
func TestDecryptRejects(t *testing.T) {
	ecb, cbc, gcm := mustCipher(t, CipherOptions{Mode: ModeECB}), mustCipher(t, CipherOptions{Mode: ModeCBC}), mustCipher(t, CipherOptions{Mode: ModeGCM})
	ecbCT, _ := DecodeCiphertext(ecbBase64)
	cbcCT, _ := hex.DecodeString(cbcHex)
	gcmCT, _ := hex.DecodeString(gcmHex)
	flip := func(b []byte, i int) []byte { b = bytes.Clone(b); b[i] ^= 1; return b }
	cases := []struct {
		name string
		c    *PayloadCipher
		ct   []byte
	}{
		{"ecb empty", ecb, nil},
		{"ecb not block aligned", ecb, ecbCT[:len(ecbCT)-1]},
		{"ecb truncated to one block", ecb, ecbCT[:16]},
		{"ecb last block changed", ecb, flip(ecbCT, len(ecbCT)-1)},
		{"cbc iv only", cbc, cbcCT[:16]},
		{"cbc shorter than an iv", cbc, cbcCT[:7]},
		{"cbc not block aligned", cbc, cbcCT[:len(cbcCT)-3]},
		{"gcm shorter than nonce and tag", gcm, gcmCT[:27]},
		{"gcm tag changed", gcm, flip(gcmCT, len(gcmCT)-1)},
		{"gcm ciphertext changed", gcm, flip(gcmCT, 14)},
		{"gcm nonce changed", gcm, flip(gcmCT, 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.c.Decrypt(c.ct)
			if !errors.Is(err, ErrDecrypt) || got != nil {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestUnpad(t *testing.T) {
	block := func(tail ...byte) []byte {
		return append(bytes.Repeat([]byte{'a'}, 16-len(tail)), tail...)
	}
	good := map[string]struct {
		in   []byte
		keep int
	}{
		"one":         {block(1), 15},
		"three":       {block(3, 3, 3), 13},
		"whole block": {bytes.Repeat([]byte{16}, 16), 0},
	}
	for name, c := range good {
		got, err := unpad(c.in)
		if err != nil || len(got) != c.keep {
			t.Errorf("%s: kept %d, %v", name, len(got), err)
		}
	}
	bad := map[string][]byte{
		"zero":        block(0),
		"above 16":    block(17),
		"mismatch":    block(2, 3, 3),
		"one differs": append(bytes.Repeat([]byte{16}, 15), 15),
	}
	for name, in := range bad {
		if _, err := unpad(in); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestDecodeCiphertext(t *testing.T) {
	for _, s := range []string{"", "   ", "abc!", "ab+c-d", "Zm9v=Zm9v", "xyz"} {
		if _, err := DecodeCiphertext(s); err == nil {
			t.Errorf("%q decoded", s)
		}
	}
	got, err := DecodeCiphertext(" 00ff \n")
	if err != nil || !bytes.Equal(got, []byte{0, 0xff}) {
		t.Errorf("hex with spaces: %x, %v", got, err)
	}
}

func TestNewPayloadCipherRejectsBadOptions(t *testing.T) {
	bad := []CipherOptions{
		{}, // no mode: ECB is never chosen for the caller
		{Mode: "ctr"},
		{Mode: ModeCBC, CBCIV: "random"},
		{Mode: ModeGCM, GCMLayout: "tag_first"},
		{Mode: ModeGCM, NonceSize: 8},
	}
	for _, o := range bad {
		if _, err := NewPayloadCipher([]byte(testSecret), o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if _, err := NewPayloadCipher(nil, CipherOptions{Mode: ModeECB}); err == nil {
		t.Error("empty secret accepted")
	}
}

// FuzzDecrypt feeds arbitrary text through decoding and every mode: nothing
// panics, and whatever decrypts re-encrypts (ECB) to the same ciphertext.
func FuzzDecrypt(f *testing.F) {
	f.Add(ecbBase64)
	f.Add(cbcHex)
	f.Add(gcmHex)
	f.Add(strings.TrimRight(ecbBase64, "="))
	f.Add("")
	ciphers := []*PayloadCipher{
		mustCipher(f, CipherOptions{Mode: ModeECB}),
		mustCipher(f, CipherOptions{Mode: ModeCBC}),
		mustCipher(f, CipherOptions{Mode: ModeCBC, CBCIV: IVZero}),
		mustCipher(f, CipherOptions{Mode: ModeGCM}),
		mustCipher(f, CipherOptions{Mode: ModeGCM, GCMLayout: NonceTagCiphertext}),
	}
	f.Fuzz(func(t *testing.T, text string) {
		ct, err := DecodeCiphertext(text)
		if err != nil {
			return
		}
		for i, c := range ciphers {
			plain, err := c.Decrypt(ct)
			if err != nil {
				continue
			}
			if i == 0 {
				again, _ := c.Encrypt(plain, rand.Reader)
				if !bytes.Equal(again, ct) {
					t.Fatalf("ECB did not round-trip")
				}
			}
		}
	})
}
