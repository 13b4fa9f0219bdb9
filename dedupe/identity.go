package dedupe

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
)

// A route's identity scopes what its stores remember: two routes of one
// vendor (staging and production, say) must never answer each other's
// events as duplicates. A route named by the user is "<vendor>/<name>", as
// a durable route's name in its spool; an unnamed dedupe route gets
// "<vendor>#<digest>", the digest of its vendor settings.

// namedIdentity is the identity of a route the user named.
func namedIdentity(vendor, name string) string { return vendor + "/" + name }

// routeNamePattern is what a dedupe name may hold: it is part of store keys
// and log lines.
var routeNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// credentialFields are the vendor settings that hold credentials. They
// change with every rotation (a second secret added, the old one dropped),
// so they are left out of a derived identity: a rotation must not start a
// route's memory afresh, or every event it remembers could be replayed
// once more. A vendor that adds a credential setting adds its name here.
// For "headers" (name -> accepted values) only the values are left out.
var credentialFields = map[string]bool{
	"secrets":     true,
	"public_keys": true,
	"path_tokens": true,
	"cbc_iv":      true,
	"headers":     true,
	"bearer":      true, // yoti, socure
	"basic":       true, // yoti, socure: user and password pairs
	"api_key":     true, // veriff's X-AUTH-CLIENT
}

// derivedIdentity is the identity of an unnamed route: the vendor and a
// digest of its settings, credentials aside, in a canonical form (keys
// sorted, spacing gone), so that it is the same on every load of the same
// config, on every instance, and across a rotation of secrets. The
// settings are never logged, digested or not, in any other form.
func derivedIdentity(vendor string, raw json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var settings any
	if err := dec.Decode(&settings); err != nil {
		return "", fmt.Errorf("reading the %s settings: %w", vendor, err)
	}
	canonical, err := json.Marshal(withoutCredentials(settings))
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write([]byte("biohook route\x00" + vendor + "\x00"))
	h.Write(canonical)
	return vendor + "#" + hex.EncodeToString(h.Sum(nil)[:8]), nil
}

// withoutCredentials drops the credentials from decoded JSON, at any depth
// (Incode's oauth block holds secrets of its own).
func withoutCredentials(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, field := range v {
			if !credentialFields[k] {
				v[k] = withoutCredentials(field)
				continue
			}
			if names, ok := field.(map[string]any); ok { // headers: keep the names
				for name := range names {
					names[name] = nil
				}
				continue
			}
			delete(v, k)
		}
	case []any:
		for i := range v {
			v[i] = withoutCredentials(v[i])
		}
	}
	return v
}
