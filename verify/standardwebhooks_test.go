package verify

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// Known answers published with the Standard Webhooks reference library.
const (
	swVectorSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swVectorPrivate = "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk="
	swVectorID      = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	swVectorV1      = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	swVectorV1a     = "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag=="
)

var (
	swVectorTime = time.Unix(1614265330, 0)
	swVectorBody = []byte(`{"test": 2432232314}`)
)

func TestSWKnownAnswers(t *testing.T) {
	secret, err := ParseSWSecret(swVectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParseSWPrivateKey(swVectorPrivate)
	if err != nil {
		t.Fatal(err)
	}
	h := SWSigner{Secrets: [][]byte{secret}, PrivateKeys: []ed25519.PrivateKey{priv}}.Sign(swVectorID, swVectorTime, swVectorBody)
	if h.Signature != swVectorV1+" "+swVectorV1a || h.Timestamp != "1614265330" || h.ID != swVectorID {
		t.Fatalf("got %+v", h)
	}
	pub := "whpk_" + base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
	pk, err := ParseSWPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []SWVerifier{
		{Secrets: NewSecrets([][]byte{secret}), Tolerance: time.Minute},
		{PublicKeys: []ed25519.PublicKey{pk}, Tolerance: time.Minute},
	} {
		if err := v.Verify(h, swVectorBody, swVectorTime.Add(59*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := v.Verify(h, swVectorBody, swVectorTime.Add(61*time.Second)); !errors.Is(err, ErrSignatureStale) {
			t.Fatalf("stale: %v", err)
		}
		if err := v.Verify(h, swVectorBody, swVectorTime.Add(-61*time.Second)); !errors.Is(err, ErrSignatureFuture) {
			t.Fatalf("future: %v", err)
		}
	}
}

func TestParseSWSignatures(t *testing.T) {
	sig := "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	cases := []struct {
		in      string
		n       int
		wantErr bool
	}{
		{"v1," + sig, 1, false},
		{"v1," + sig + "  v2,xyz   v1a," + sig, 3, false},
		{"", 0, true},
		{"   ", 0, true},
		{"v1" + sig, 0, true},
		{",abc", 0, true},
		{"v1,", 0, true},
		{"v1,abc", 0, true},
		{"v1," + strings.TrimRight(sig, "="), 0, true},
		{strings.Repeat("v9,a ", 40), swMaxSignatures, false},
	}
	for _, c := range cases {
		got, err := ParseSWSignatures(c.in)
		if (err != nil) != c.wantErr || len(got) != c.n {
			t.Errorf("%q: %d signatures, %v", c.in, len(got), err)
		}
	}
}

func TestSWKeysRefused(t *testing.T) {
	for _, s := range []string{"", "whsec_", "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 23)),
		"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65)), "whsec_$$$"} {
		if _, err := ParseSWSecret(s); err == nil {
			t.Errorf("secret %q accepted", s)
		}
	}
	for _, s := range []string{"whpk_", "whpk_" + base64.StdEncoding.EncodeToString(make([]byte, 31))} {
		if _, err := ParseSWPublicKey(s); err == nil {
			t.Errorf("public key %q accepted", s)
		}
	}
}

func TestSWVerifyRefuses(t *testing.T) {
	secret, _ := ParseSWSecret(swVectorSecret)
	v := SWVerifier{Secrets: NewSecrets([][]byte{secret}), Tolerance: time.Minute}
	good := SWSigner{Secrets: [][]byte{secret}}.Sign(swVectorID, swVectorTime, swVectorBody)
	for name, c := range map[string]struct {
		h    SWHeaders
		want error
	}{
		"no id":            {SWHeaders{"", good.Timestamp, good.Signature}, ErrSWMissing},
		"id with dot":      {SWHeaders{"a.b", good.Timestamp, good.Signature}, ErrSWID},
		"signed timestamp": {SWHeaders{good.ID, "+" + good.Timestamp, good.Signature}, ErrSWTimestamp},
		"huge timestamp":   {SWHeaders{good.ID, "9999999999999", good.Signature}, ErrSWTimestamp},
		"only v2":          {SWHeaders{good.ID, good.Timestamp, "v2," + good.Signature[3:]}, ErrSWNoSupported},
		"v1a with no keys": {SWHeaders{good.ID, good.Timestamp, swVectorV1a}, ErrSignatureMismatch},
	} {
		if err := v.Verify(c.h, swVectorBody, swVectorTime); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
}

// FuzzSWSignatureHeader: arbitrary webhook-signature, webhook-id and
// webhook-timestamp values never panic, and nothing but the genuine
// signature verifies.
func FuzzSWSignatureHeader(f *testing.F) {
	f.Add(swVectorV1, swVectorID, "1614265330")
	f.Add(swVectorV1+" "+swVectorV1a, swVectorID, "1614265330")
	f.Add("v1a,AAAA v1,=== ,, v1", "", "-1")
	f.Add("v2,x v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE", "a.b", "1e9")
	secret, _ := ParseSWSecret(swVectorSecret)
	priv, _ := ParseSWPrivateKey(swVectorPrivate)
	v := SWVerifier{Secrets: NewSecrets([][]byte{secret}), PublicKeys: []ed25519.PublicKey{priv.Public().(ed25519.PublicKey)}, Tolerance: 100 * 365 * 24 * time.Hour}
	genuine := SWSigner{Secrets: [][]byte{secret}, PrivateKeys: []ed25519.PrivateKey{priv}}
	f.Fuzz(func(t *testing.T, signature, id, ts string) {
		sigs, err := ParseSWSignatures(signature)
		if err == nil && len(sigs) == 0 {
			t.Fatal("no error and no signatures")
		}
		h := SWHeaders{ID: id, Timestamp: ts, Signature: signature}
		if v.Verify(h, swVectorBody, swVectorTime) == nil {
			sec, _ := parseSWTimestamp(ts)
			want := genuine.Sign(id, time.Unix(sec, 0), swVectorBody)
			// Accepted: it must carry one of the genuine signatures.
			ok := false
			for _, s := range strings.Fields(want.Signature) {
				ok = ok || strings.Contains(" "+strings.Join(strings.Fields(signature), " ")+" ", " "+s+" ")
			}
			if !ok || want.Timestamp != ts {
				t.Fatalf("forged delivery verified: %q %q %q", signature, id, ts)
			}
		}
	})
}
