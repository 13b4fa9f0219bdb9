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
	argos := provisioned(t, &ARGOS{Mode: "ecb", Secrets: []string{"api-new", "api-old"}, PathTokens: []string{"tok"},
		Headers: StaticHeaders{"X-Token": {"hv"}}})
	incode := provisioned(t, &Incode{Headers: StaticHeaders{"X-Incode": {"ih"}}})
	cases := map[string]struct {
		v    KeyMaterialer
		want []string
	}{
		"argos":            {argos, []string{"api-new", "api-old", "tok", "hv"}},
		"incode":           {incode, []string{"ih"}},
		"entrust":          {provisioned(t, &Entrust{Secrets: []string{"e1", "e2"}}), []string{"e1", "e2"}},
		"faceio":           {provisioned(t, &FACEIO{Secrets: []string{"f"}}), []string{"f"}},
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
	withToken := provisioned(t, &ARGOS{PathTokens: []string{"tok"}})
	for in, want := range map[string]string{
		"/hooks/argos/tok":     "/hooks/argos/" + RedactedSegment,
		"/hooks/argos/a%2Ftok": "/hooks/argos/" + RedactedSegment,
		"/tok":                 "/" + RedactedSegment,
	} {
		if got := withToken.RedactPath(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	if got := provisioned(t, &ARGOS{Mode: "ecb", Secrets: []string{"k"}}).RedactPath("/hooks/argos"); got != "/hooks/argos" {
		t.Errorf("without a path token: %s", got)
	}
}
