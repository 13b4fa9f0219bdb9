package biohook

import (
	"strings"
	"testing"
)

// ownedHeader knows the module's names in every spelling a server or a
// CGI-style app may fold together, and nothing else.
func TestOwnedHeaderNames(t *testing.T) {
	owned := []string{"Biohook-Vendor", "Biohook-Attempt", "biohook-duplicate", "BIOHOOK_EVENT_ID", "Biohook.Anything",
		"Biohook-", "Idempotency-Key", "idempotency_key", "IDEMPOTENCY.KEY"}
	for _, name := range owned {
		if !ownedHeader(name) {
			t.Errorf("%q is not owned", name)
		}
	}
	notOwned := []string{"Biohook", "Biohooks-Vendor", "X-Biohook-Vendor", "Idempotency-Keys", "Idempotency", "Idempotency-Ke",
		"Content-Type", "", "Webhook-Id"}
	for _, name := range notOwned {
		if ownedHeader(name) {
			t.Errorf("%q is owned", name)
		}
	}
}

// FuzzOwnedHeader holds ownedHeader to its definition, written plainly.
func FuzzOwnedHeader(f *testing.F) {
	for _, s := range []string{"Biohook-Vendor", "Idempotency-Key", "idempotency_key", "Biohook", "X-Biohook-A", "Idempotency-Keyx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		folded := asciiLower(strings.NewReplacer("_", "-", ".", "-").Replace(name))
		want := strings.HasPrefix(folded, "biohook-") || folded == "idempotency-key"
		if got := ownedHeader(name); got != want {
			t.Fatalf("ownedHeader(%q) = %v, want %v", name, got, want)
		}
	})
}

// asciiLower lowers A-Z only: header names are ASCII.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// FuzzIdentityOnly holds identityOnly to its definition, written plainly.
func FuzzIdentityOnly(f *testing.F) {
	for _, s := range []string{"identity", "identity, gzip", "", "IDENTITY", " identity\t", "identity,,identity"} {
		f.Add(s, "identity")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		fields := []string{a, b}
		want := true
		for _, f := range fields {
			for _, member := range strings.Split(f, ",") {
				if asciiLower(strings.Trim(member, " \t")) != "identity" {
					want = false
				}
			}
		}
		if got := identityOnly(fields); got != want {
			t.Fatalf("identityOnly(%q) = %v, want %v", fields, got, want)
		}
	})
}
