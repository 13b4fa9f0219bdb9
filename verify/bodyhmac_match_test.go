package verify

import (
	"errors"
	"sync"
	"testing"
)

// Match, the check after Decode, agrees with MAC for every hash: SHA-256
// through each secret's reused keyed hash (concurrently, as requests use
// it), SHA-1 and SHA-512 keyed per call; and a secret built without
// NewSecret, which has no keyed hash, still works.
func TestBodyHMACMatch(t *testing.T) {
	body := []byte(`{"type":"applicantReviewed"}`)
	for _, alg := range []string{"sha256", "sha512", "sha1"} {
		b, err := NewBodyHMAC(alg, "hex", "")
		if err != nil {
			t.Fatal(err)
		}
		secrets := NewSecrets([][]byte{[]byte("old"), []byte("new")})
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 50; j++ {
					if err := b.Match(b.MAC([]byte("new"), body), body, secrets); err != nil {
						t.Errorf("%s: %v", alg, err)
						return
					}
					if err := b.Match(b.MAC([]byte("other"), body), body, secrets); !errors.Is(err, ErrSignatureMismatch) {
						t.Errorf("%s: other key: %v", alg, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		bare := Secrets{{key: []byte("new")}}
		if err := b.Match(b.MAC([]byte("new"), body), body, bare); err != nil {
			t.Errorf("%s, bare secret: %v", alg, err)
		}
		if err := b.Match(b.MAC([]byte("new"), body)[:4], body, secrets); !errors.Is(err, ErrSignatureMismatch) {
			t.Errorf("%s: a truncated MAC: %v", alg, err)
		}
	}
}
