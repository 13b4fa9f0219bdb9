package vendors

import (
	"strings"

	"github.com/biohook/caddy-biohook/verify"
)

// The secrets each vendor shares with its sender, for KeyMaterialer: the
// ones that sign or encrypt first, then those that travel in requests.

// KeyMaterial is the client secrets.
func (a *Authenteq) KeyMaterial() [][]byte { return secretKeys(a.secrets) }

// KeyMaterial is the webhook tokens.
func (e *Entrust) KeyMaterial() [][]byte { return secretKeys(e.secrets) }

// KeyMaterial is the webhook tokens.
func (f *FACEIO) KeyMaterial() [][]byte { return secretKeys(f.secrets) }

// KeyMaterial is the shared secrets.
func (h *HMAC) KeyMaterial() [][]byte { return secretKeys(h.sig.secrets) }

// KeyMaterial is the symmetric secrets; none with public keys only.
func (s *StandardWebhooks) KeyMaterial() [][]byte { return secretKeys(s.verifier.Secrets) }

// KeyMaterial is the OAuth client secrets, then the static headers' values.
func (in *Incode) KeyMaterial() [][]byte {
	var keys [][]byte
	if in.OAuth != nil {
		keys = secretKeys(in.OAuth.secrets)
	}
	return append(keys, in.headers.keys()...)
}

// KeyMaterial is the decryption secrets, then the path tokens, then the
// static headers' values.
func (a *ARGOS) KeyMaterial() [][]byte {
	keys := append(secretKeys(a.secrets), secretKeys(a.pathTokens)...)
	return append(keys, a.headers.keys()...)
}

// RedactPath replaces the path token, the path's last segment, when the
// route checks one: the token stays out of the spool and of the logs of
// the spool's deliveries.
func (a *ARGOS) RedactPath(escapedPath string) string {
	if len(a.pathTokens) == 0 {
		return escapedPath
	}
	return escapedPath[:strings.LastIndexByte(escapedPath, '/')+1] + RedactedSegment
}

// RedactedSegment stands in the path for a path token.
const RedactedSegment = "redacted"

// KeyMaterial is the shared secret keys, for each vendor that signs the
// body with one.
func (v *Veriff) KeyMaterial() [][]byte { return secretKeys(v.sig.secrets) }

// KeyMaterial is the webhook tokens.
func (o *Onfido) KeyMaterial() [][]byte { return secretKeys(o.sig.secrets) }

// KeyMaterial is the signing keys.
func (i *IDenfy) KeyMaterial() [][]byte { return secretKeys(i.sig.secrets) }

// KeyMaterial is the webhook secrets.
func (m *MetaMap) KeyMaterial() [][]byte { return secretKeys(m.sig.secrets) }

// KeyMaterial is the secret keys.
func (s *Sumsub) KeyMaterial() [][]byte { return secretKeys(s.sig.secrets) }

// KeyMaterial is the webhook secret keys.
func (d *Didit) KeyMaterial() [][]byte { return secretKeys(d.sig.secrets) }

// KeyMaterial is the endpoint secrets.
func (s *Stripe) KeyMaterial() [][]byte { return secretKeys(s.check.secrets) }

// KeyMaterial is the webhook secrets.
func (p *Persona) KeyMaterial() [][]byte { return secretKeys(p.check.secrets) }

// KeyMaterial is the secret keys.
func (s *Shufti) KeyMaterial() [][]byte { return secretKeys(s.secrets) }

// KeyMaterial is the Bearer tokens, then the Basic credentials.
func (y *Yoti) KeyMaterial() [][]byte { return y.auth.keys() }

// KeyMaterial is the Bearer tokens, then the Basic credentials.
func (s *Socure) KeyMaterial() [][]byte { return s.auth.keys() }

// KeyMaterial is the values of the headers a proxy adds, if any: Jumio
// signs nothing, so a route with none needs a record_key.
func (j *Jumio) KeyMaterial() [][]byte { return j.headers.keys() }

// KeyMaterial is the values of the headers a proxy adds, if any.
func (o *Ondato) KeyMaterial() [][]byte { return o.headers.keys() }

func (a authCheck) keys() [][]byte { return append(secretKeys(a.bearer), secretKeys(a.basic)...) }

func secretKeys(ss verify.Secrets) [][]byte {
	keys := make([][]byte, 0, len(ss))
	for _, s := range ss {
		keys = append(keys, s.Key())
	}
	return keys
}

func (c headerChecks) keys() [][]byte {
	var keys [][]byte
	for _, h := range c {
		keys = append(keys, secretKeys(h.values)...)
	}
	return keys
}

// Interface guards
var (
	_ KeyMaterialer = (*Authenteq)(nil)
	_ KeyMaterialer = (*Entrust)(nil)
	_ KeyMaterialer = (*FACEIO)(nil)
	_ KeyMaterialer = (*HMAC)(nil)
	_ KeyMaterialer = (*StandardWebhooks)(nil)
	_ KeyMaterialer = (*Incode)(nil)
	_ KeyMaterialer = (*ARGOS)(nil)
	_ PathRedactor  = (*ARGOS)(nil)
)
