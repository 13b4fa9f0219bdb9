package biohook

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// samples are the vendors' fixtures, shipped in the binary so that `caddy
// biohook send --vendor x` works with no file.
//
//go:embed testdata/faceio/*.json testdata/entrust/*.json testdata/hmac/*.json testdata/standard_webhooks/*.json
var samples embed.FS

// defaultSamples is the event sent when none is named.
var defaultSamples = map[string]string{
	"faceio":            "enroll",
	"entrust":           "face.biometric.created",
	"hmac":              "decision_approved",
	"standard_webhooks": "verification.approved",
}

// sampleNames lists the built-in events of vendor.
func sampleNames(vendor string) []string {
	entries, _ := fs.ReadDir(samples, path.Join("testdata", vendor))
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			names = append(names, strings.TrimSuffix(e.Name(), ".json"))
		}
	}
	sort.Strings(names)
	return names
}

// sample returns the built-in payload name of vendor, or its default.
func sample(vendor, name string) ([]byte, error) {
	if name == "" {
		name = defaultSamples[vendor]
	}
	b, err := samples.ReadFile(path.Join("testdata", vendor, name+".json"))
	if err != nil {
		names := sampleNames(vendor)
		if len(names) == 0 {
			return nil, fmt.Errorf("no built-in events for vendor %q: give a payload with --file", vendor)
		}
		return nil, fmt.Errorf("no built-in event %q for %s; there are: %s", name, vendor, strings.Join(names, ", "))
	}
	return b, nil
}
