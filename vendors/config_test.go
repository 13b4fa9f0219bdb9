package vendors

import (
	"strings"
	"testing"
)

func TestResolveSecretLength(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_SECRET", "exactly-16-bytes\n")
	for _, c := range []struct {
		configured string
		short      ShortSecrets
		ok         bool
	}{
		{"exactly-16-bytes", ShortSecrets{}, true},
		{"{env.BIOHOOK_TEST_SECRET}", ShortSecrets{}, true}, // a file's or variable's trailing newline is not counted
		{"fifteen-bytes-x", ShortSecrets{}, false},
		{" fifteen-bytes-x", ShortSecrets{}, false},
		{"fifteen-bytes-x", ShortSecrets{Option: "allow_short_secret"}, false},
		{"fifteen-bytes-x", ShortSecrets{Allowed: true, Option: "allow_short_secret"}, true},
		{"x", ShortSecrets{Allowed: true, Option: "allow_short_secret"}, true},
		{" \t ", ShortSecrets{Allowed: true, Option: "allow_short_secret"}, false},
		{"", ShortSecrets{Allowed: true, Option: "allow_short_secret"}, false},
	} {
		v, err := resolveSecret("test secret #1", c.configured, c.short)
		if (err == nil) != c.ok {
			t.Errorf("%q %+v: %q, %v", c.configured, c.short, v, err)
		}
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "test secret #1") || strings.Contains(msg, "fifteen") {
				t.Errorf("%q: message %q", c.configured, msg)
			}
			if c.short.Option != "" && strings.TrimSpace(c.configured) != "" && !strings.Contains(msg, c.short.Option) {
				t.Errorf("%q: message %q does not name %s", c.configured, msg, c.short.Option)
			}
		}
	}
	if _, err := ResolveValue("faceio app_id", "f1"); err != nil {
		t.Errorf("a short id refused: %v", err)
	}
	if _, err := ResolveValue("faceio app_id", "  "); err == nil {
		t.Error("a blank id accepted")
	}
}
