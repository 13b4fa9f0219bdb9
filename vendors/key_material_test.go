package vendors

import (
	"slices"
	"testing"
)

// Each vendor hands over its shared secrets for the spool's record key,
// signing ones first; a vendor with public keys only has none.
func TestKeyMaterial(t *testing.T) {
	keys := func(v KeyMaterialer) []string {
		var out []string
		for _, k := range v.KeyMaterial() {
			out = append(out, string(k))
		}
		return out
	}
	argos := provisioned(t, &ARGOS{Mode: "ecb", Secrets: []string{"argos-api-key-new-01", "argos-api-key-old-01"},
		PathTokens: []string{"argos-path-token-0123"}, Headers: StaticHeaders{"X-Token": {"argos-header-value-01"}}})
	incode := provisioned(t, &Incode{Headers: StaticHeaders{"X-Incode": {"incode-header-value-01"}}})
	cases := map[string]struct {
		v    KeyMaterialer
		want []string
	}{
		"argos":            {argos, []string{"argos-api-key-new-01", "argos-api-key-old-01", "argos-path-token-0123", "argos-header-value-01"}},
		"incode":           {incode, []string{"incode-header-value-01"}},
		"entrust":          {provisioned(t, &Entrust{Secrets: []string{"entrust-secret-0001", "entrust-secret-0002"}}), []string{"entrust-secret-0001", "entrust-secret-0002"}},
		"faceio":           {provisioned(t, &FACEIO{Secrets: []string{"faceio-secret-00001"}}), []string{"faceio-secret-00001"}},
		"public keys only": {provisioned(t, &StandardWebhooks{PublicKeys: []string{swPublic}}), nil},
	}
	for name, c := range cases {
		if got := keys(c.v); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
}

// The ARGOS path token, the path's last segment, is replaced; a route
// without one keeps the path.
func TestARGOSRedactPath(t *testing.T) {
	withToken := provisioned(t, &ARGOS{PathTokens: []string{"argos-path-token-0123"}})
	for in, want := range map[string]string{
		"/hooks/argos/argos-path-token-0123":     "/hooks/argos/" + RedactedSegment,
		"/hooks/argos/a%2Fargos-path-token-0123": "/hooks/argos/" + RedactedSegment,
		"/argos-path-token-0123":                 "/" + RedactedSegment,
	} {
		if got := withToken.RedactPath(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	if got := provisioned(t, &ARGOS{Mode: "ecb", Secrets: []string{"k-test-secret-0001"}}).RedactPath("/hooks/argos"); got != "/hooks/argos" {
		t.Errorf("without a path token: %s", got)
	}
}
