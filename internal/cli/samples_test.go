package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// Every vendor has built-in events, its default among them, and each reads
// as a JSON payload (Authenteq's: the result part of the whole request).
func TestSamples(t *testing.T) {
	s := samples{os.DirFS("../..")} // the module's root, whose testdata the binary embeds
	for vendor, def := range defaultSamples {
		names := s.names(vendor)
		if len(names) == 0 {
			t.Errorf("%s: no built-in events", vendor)
			continue
		}
		for _, name := range append(names, "") {
			b, err := s.payload(vendor, name)
			if err != nil || !json.Valid(b) {
				t.Errorf("%s/%s: %v", vendor, name, err)
			}
		}
		if _, err := s.payload(vendor, def); err != nil {
			t.Errorf("%s: default %s: %v", vendor, def, err)
		}
	}
	_, err := s.payload("faceio", "no-such-event")
	if err == nil || !strings.Contains(err.Error(), "there are: ") {
		t.Errorf("an unknown event: %v", err)
	}
	if _, err := (samples{}).payload("faceio", ""); err == nil || !strings.Contains(err.Error(), "--file") {
		t.Errorf("no samples at all: %v", err)
	}
}
