package vendors

import (
	"bytes"
	"crypto/aes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"

	"github.com/biohook/caddy-biohook/verify"
)

// ecbSplice encrypts the two payloads under the test key, as two genuine
// ECB deliveries, and returns base's ciphertext with the blocks at the
// given indices taken from donor's: what anyone holding two captured
// deliveries can do without the key.
func ecbSplice(t testing.TB, base, donor []byte, blocks ...int) []byte {
	t.Helper()
	c, err := verify.NewPayloadCipher([]byte(argosTestKey), verify.CipherOptions{Mode: verify.ModeECB})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.Encrypt(base, rand.Reader)
	b, _ := c.Encrypt(donor, rand.Reader)
	forged := bytes.Clone(a)
	for _, i := range blocks {
		copy(forged[i*aes.BlockSize:(i+1)*aes.BlockSize], b[i*aes.BlockSize:(i+1)*aes.BlockSize])
	}
	return forged
}

func argosFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "argos", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Two genuine ECB deliveries, user-2002 rejected and user-2001 approved,
// cut and pasted at blocks 1 and 4 (`gger": "rejected` and `": "rejected",`)
// make user-2002 approved: the forgery decrypts, is one valid JSON object,
// and normalises to an approval with an id of its own, so deduplication
// does not stop it. Nothing in the cipher can tell; only a check the
// ciphertext does not carry can, which is why such a route needs one.
func TestARGOSECBSpliceForgeryDecrypts(t *testing.T) {
	rejected, approved := argosFixture(t, "rejected.json"), argosFixture(t, "approved.json")
	forged := ecbSplice(t, rejected, approved, 1, 4)
	v := provisioned(t, &ARGOS{Secrets: []string{argosTestKey}, Mode: "ecb"})
	body, _ := json.Marshal(map[string]string{"data": verify.EncodeCiphertext(forged, verify.Base64)})
	d := jsonDelivery(body)
	if err := v.Verify(d); err != nil {
		t.Fatalf("the forgery no longer decrypts, the test proves nothing: %v", err)
	}
	ev, err := v.Normalize(d)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Data.Outcome != OutcomeApproved || ev.Subject != "user-2002" {
		t.Fatalf("forgery: outcome %q for %q", ev.Data.Outcome, ev.Subject)
	}
	genuine, _ := v.Normalize(jsonDelivery(argosSeal(t, verify.CipherOptions{Mode: verify.ModeECB}, verify.Base64, rejected)))
	if ev.ID == genuine.ID {
		t.Fatal("the forgery shares the genuine delivery's id")
	}
	if v.SourceCheckRequired() == "" {
		t.Fatal("an ECB route without a header must require source_ips")
	}
}

// Which settings prove a delivery by themselves: ECB does not, with or
// without a path token (it travels in the URL); a header does; CBC and
// GCM keep the checks they had.
func TestARGOSSourceCheckRequired(t *testing.T) {
	hdr := map[string][]string{"X-Argos-Token": {"argos-header-token-01"}}
	cases := []struct {
		name string
		v    *ARGOS
		need bool
	}{
		{"ecb", &ARGOS{Secrets: []string{"k-test-secret-0001"}, Mode: "ecb"}, true},
		{"ecb and path token", &ARGOS{Secrets: []string{"k-test-secret-0001"}, Mode: "ecb", PathTokens: []string{"p-test-path-token-01"}}, true},
		{"ecb and header", &ARGOS{Secrets: []string{"k-test-secret-0001"}, Mode: "ecb", Headers: hdr}, false},
		{"cbc", &ARGOS{Secrets: []string{"k-test-secret-0001"}, Mode: "cbc"}, false},
		{"gcm", &ARGOS{Secrets: []string{"k-test-secret-0001"}, Mode: "gcm"}, false},
		{"header only", &ARGOS{Headers: hdr}, false},
		{"path token only", &ARGOS{PathTokens: []string{"p-test-path-token-01"}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reason := provisioned(t, c.v).SourceCheckRequired()
			if (reason != "") != c.need {
				t.Fatalf("reason %q", reason)
			}
			if c.need && (!strings.Contains(reason, "cut and pasted") || !strings.Contains(reason, "header")) {
				t.Errorf("the reason should say why and what else would do: %q", reason)
			}
		})
	}
}

// A secret without a mode no longer means ECB: the route does not start,
// and the message names the modes.
func TestARGOSSecretNeedsMode(t *testing.T) {
	for _, v := range []*ARGOS{
		{Secrets: []string{"k-test-secret-0001"}},
		{Secrets: []string{"k-test-secret-0001"}, PathTokens: []string{"p-test-path-token-01"}},
	} {
		err := v.Provision(testContext(t))
		if err == nil || !strings.Contains(err.Error(), "mode ecb") || !strings.Contains(err.Error(), "mode cbc") {
			t.Errorf("%+v: %v", v, err)
		}
	}
}
