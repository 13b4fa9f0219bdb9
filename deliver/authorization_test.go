package deliver_test

import (
	"testing"

	"github.com/biohook/caddy-biohook/deliver"
	"github.com/biohook/caddy-biohook/vendors"
)

// Yoti and Socure deliveries, built here with either scheme, verify with
// the vendor modules; other credentials fail. Jumio and Ondato send the
// proxy's header when given one.
func TestBuiltAuthorizationVerifies(t *testing.T) {
	creds := vendors.AuthCredentials{Basic: []vendors.BasicCredential{{User: "u", Password: "p:w-0123456789abcd"}}, Bearer: []string{"tok-0123456789abcd"}}
	for _, v := range []vendors.Vendor{&vendors.Yoti{AuthCredentials: creds}, &vendors.Socure{AuthCredentials: creds}} {
		v = provision(t, v)
		name, body := "socure", []byte(`{"event_type":"evaluation_completed","data":{"decision":"ACCEPT"}}`)
		if _, ok := v.(*vendors.Yoti); ok {
			name, body = "yoti", []byte(`{"session_id":"s","topic":"session_completion"}`)
		}
		built := func(o deliver.Options) *deliver.Delivery {
			o.Vendor, o.URL, o.Payload = name, url, body
			d, err := deliver.Build(o)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		check(t, v, built(deliver.Options{Secrets: []string{"tok-0123456789abcd"}}), "")
		check(t, v, built(deliver.Options{Secrets: []string{"p:w-0123456789abcd"}, ClientID: "u", Settings: map[string]string{"auth": "basic"}}), "")
		check(t, v, built(deliver.Options{Secrets: []string{"tok-0123456789abce"}}), "credential_mismatch")
		check(t, v, built(deliver.Options{Secrets: []string{"p:w-0123456789abce"}, ClientID: "u", Settings: map[string]string{"auth": "basic"}}), "credential_mismatch")
	}
	for _, o := range []deliver.Options{
		{Vendor: "yoti"},
		{Vendor: "socure", Secrets: []string{"p"}, Settings: map[string]string{"auth": "basic"}},
		{Vendor: "yoti", Secrets: []string{"p"}, Settings: map[string]string{"auth": "digest"}},
		{Vendor: "jumio", Settings: map[string]string{"header": "no colon"}},
	} {
		o.URL, o.Payload = url, payload
		if _, err := deliver.Build(o); err == nil {
			t.Errorf("%+v: built", o)
		}
	}
	jumio := provision(t, &vendors.Jumio{Headers: vendors.StaticHeaders{"X-Proxy-Secret": {"jumio-proxy-secret-01"}}})
	d := build(t, deliver.Options{Vendor: "jumio", Settings: map[string]string{"header": "X-Proxy-Secret: jumio-proxy-secret-01"}})
	if err := jumio.Verify(received(t, d)); err != nil {
		t.Fatal(err)
	}
	bare := build(t, deliver.Options{Vendor: "ondato"})
	if len(bare.Header) != 1 || bare.Header.Get("Content-Type") != "application/json" {
		t.Errorf("ondato sends no credential: %v", bare.Header)
	}
}
