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
func (h *HMAC) KeyMaterial() [][]byte { return secretKeys(h.secrets) }

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
