package vendors

import (
	"errors"
	"testing"
)

func init() {
	goldenVendors["faceio"] = func(t testing.TB) Vendor { return provisioned(t, &FACEIO{Secrets: []string{"faceio-webhook-token"}}) }
}

func TestFACEIOVerify(t *testing.T) {
	f := provisioned(t, &FACEIO{Secrets: []string{"faceio-old-token", "faceio-new-token"}, AppID: "fioa1b2c"})
	body := []byte(`{"eventName":"AUTH","facialId":"x","appId":"fioa1b2c"}`)
	other := []byte(`{"eventName":"AUTH","facialId":"x","appId":"someone-else"}`)
	cases := []struct {
		name   string
		header []string
		body   []byte
		code   string
	}{
		{"bearer", []string{"Bearer faceio-new-token"}, body, ""},
		{"bearer lower-case scheme", []string{"bearer faceio-old-token"}, body, ""},
		{"bare token", []string{"faceio-new-token"}, body, ""},
		{"no header", nil, body, "missing_token"},
		{"two headers", []string{"Bearer faceio-new-token", "Bearer faceio-new-token"}, body, "duplicate_header"},
		{"wrong token", []string{"Bearer faceio-new-tokem"}, body, "token_mismatch"},
		{"empty bearer", []string{"Bearer "}, body, "token_mismatch"},
		{"prefix of token", []string{"Bearer faceio-new-"}, body, "token_mismatch"},
		{"other app", []string{"Bearer faceio-new-token"}, other, "app_id_mismatch"},
		{"not json", []string{"Bearer faceio-new-token"}, []byte(`{"eventName":`), "invalid_json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := jsonDelivery(c.body)
			for _, v := range c.header {
				d.Request.Header.Add("WWW-Authenticate", v)
			}
			assertCode(t, f.Verify(d), c.code)
		})
	}
}

func TestFACEIOProvisionRefusesNoSecret(t *testing.T) {
	err := (&FACEIO{}).Provision(testContext(t))
	if err == nil {
		t.Fatal("a FACEIO route without a secret must not start")
	}
	t.Setenv("BIOHOOK_TEST_EMPTY", "")
	if err := (&FACEIO{Secrets: []string{"{env.BIOHOOK_TEST_EMPTY}"}}).Provision(testContext(t)); err == nil {
		t.Fatal("a secret that resolves to nothing must not start")
	}
}

func assertCode(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("want success, got %v", err)
		}
		return
	}
	var rej *Rejection
	if !errors.As(err, &rej) {
		t.Fatalf("want rejection %q, got %v", code, err)
	}
	if rej.Code != code {
		t.Fatalf("want %q, got %q (%v)", code, rej.Code, rej.Err)
	}
}
