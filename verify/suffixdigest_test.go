package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// Self-derived vectors of the two secret-suffix digests a vendor may use,
// computed with Python's hashlib and recomputed here: the key is the
// secret's hex SHA-256, or the secret itself.
const (
	suffixVectorSecret = "shufti_secret"
	suffixVectorBody   = `{"reference":"ref-1","event":"verification.accepted"}`
	suffixVectorHashed = "6b830f84803176ea7e6f1e33fe72779718e13148983fc98a4e47502bbde50446"
	suffixVectorRaw    = "102e181342ddd0bc7dfd8e64e13bb682519ef85d729b993ee7b8ab66b23083ed"
)

func hexSHA256(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return []byte(hex.EncodeToString(sum[:]))
}

func suffixVerifier(t testing.TB, keys ...[]byte) *SuffixDigest {
	t.Helper()
	d, err := NewSuffixDigest(NewSecrets(keys))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSuffixDigestVectors(t *testing.T) {
	body := []byte(suffixVectorBody)
	for _, c := range []struct {
		name string
		key  []byte
		want string
	}{
		{"key is the secret's hex SHA-256", hexSHA256(suffixVectorSecret), suffixVectorHashed},
		{"key is the secret", []byte(suffixVectorSecret), suffixVectorRaw},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := SignSuffixDigest(body, c.key); got != c.want {
				t.Fatalf("signed %s", got)
			}
			sum := sha256.Sum256(append([]byte(suffixVectorBody), c.key...))
			if hex.EncodeToString(sum[:]) != c.want {
				t.Fatal("recomputed differently")
			}
			d := suffixVerifier(t, []byte("another-key-of-a-rotation"), c.key)
			for _, v := range []string{c.want, strings.ToUpper(c.want), " " + c.want + "\t"} {
				if err := d.Verify(v, body); err != nil {
					t.Errorf("%q: %v", v, err)
				}
			}
			if err := d.Verify(c.want, append(body, ' ')); !errors.Is(err, ErrSignatureMismatch) {
				t.Errorf("longer body: %v", err)
			}
		})
	}
	// Neither construction verifies as the other.
	if err := suffixVerifier(t, []byte(suffixVectorSecret)).Verify(suffixVectorHashed, body); !errors.Is(err, ErrSignatureMismatch) {
		t.Fatalf("hashed digest under the raw key: %v", err)
	}
}

func TestSuffixDigestRefuses(t *testing.T) {
	d := suffixVerifier(t, []byte(suffixVectorSecret))
	for _, v := range []string{"", suffixVectorRaw[:62], suffixVectorRaw + "00", "sha256=" + suffixVectorRaw, strings.Repeat("z", 64), suffixVectorRaw[:32] + " " + suffixVectorRaw[33:]} {
		if err := d.Verify(v, []byte(suffixVectorBody)); !errors.Is(err, ErrSuffixDigestEncoding) {
			t.Errorf("%q: %v", v, err)
		}
	}
	if _, err := NewSuffixDigest(nil); err == nil {
		t.Error("no key accepted")
	}
}

// BenchmarkSuffixDigest verifies a 2 KiB body under one key, beside its
// floor: SHA-256 of the same body and key.
//
//	go test -run '^$' -bench 'SuffixDigest' -benchmem ./verify/
func BenchmarkSuffixDigest(b *testing.B) {
	body := []byte(`{"reference":"r","data":"` + strings.Repeat("x", 2048-28) + `"}`)
	key := hexSHA256(suffixVectorSecret)
	sig := SignSuffixDigest(body, key)
	b.Run("verify", func(b *testing.B) {
		d := suffixVerifier(b, key)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := d.Verify(sig, body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			h := sha256.New()
			h.Write(body)
			h.Write(key)
			h.Sum(nil)
		}
	})
}

// FuzzSuffixDigest: any header value and body never panic, and only the
// genuine digest of the body verifies.
func FuzzSuffixDigest(f *testing.F) {
	f.Add(suffixVectorHashed, []byte(suffixVectorBody))
	f.Add(" "+strings.ToUpper(suffixVectorRaw), []byte(suffixVectorBody))
	f.Add("0x"+suffixVectorRaw[2:], []byte(""))
	key := hexSHA256(suffixVectorSecret)
	d := suffixVerifier(f, key)
	f.Fuzz(func(t *testing.T, value string, body []byte) {
		if d.Verify(value, body) == nil && !strings.EqualFold(strings.TrimSpace(value), SignSuffixDigest(body, key)) {
			t.Fatalf("%q verified without the genuine digest", value)
		}
	})
}

// With one key or several, a match allocates nothing, and every key of a
// rotation verifies.
func TestSuffixDigestRotationAllocations(t *testing.T) {
	body := []byte(suffixVectorBody)
	keys := [][]byte{[]byte("first-key-of-three"), hexSHA256(suffixVectorSecret), []byte("third-key-of-three")}
	for n := 1; n <= len(keys); n++ {
		d := suffixVerifier(t, keys[:n]...)
		for _, k := range keys[:n] {
			if err := d.Verify(SignSuffixDigest(body, k), body); err != nil {
				t.Fatalf("%d keys: %v", n, err)
			}
		}
		if err := d.Verify(SignSuffixDigest(body, []byte("not-a-key")), body); !errors.Is(err, ErrSignatureMismatch) {
			t.Fatalf("%d keys: %v", n, err)
		}
		sig := SignSuffixDigest(body, keys[n-1])
		if a := testing.AllocsPerRun(50, func() { _ = d.Verify(sig, body) }); a != 0 && !raceEnabled {
			t.Errorf("%d keys: %v allocations", n, a)
		}
	}
}
