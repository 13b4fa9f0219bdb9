package biohook

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// A bad max_size says what a size looks like, not how the parser failed;
// a size past what the JSON field holds is refused too.
func TestCaddyfileMaxSizeError(t *testing.T) {
	for _, size := range []string{"lots", "1.5.3MB", "64 KiB", "9EiB", "-1"} {
		in := "biohook faceio {\n\tmax_size " + size + "\n}"
		if size == "64 KiB" {
			in = "biohook faceio {\n\tmax_size 64 KiB\n}" // two arguments
		}
		err := new(Handler).UnmarshalCaddyfile(caddyfile.NewTestDispenser(in))
		if err == nil {
			t.Errorf("max_size %s: no error", size)
			continue
		}
		if strings.Contains(err.Error(), "strconv") || strings.Contains(err.Error(), "ParseFloat") {
			t.Errorf("max_size %s: %v", size, err)
		}
		if size != "64 KiB" && !strings.Contains(err.Error(), `max_size: want a size like 1MiB, got "`+size+`"`) {
			t.Errorf("max_size %s: %v", size, err)
		}
	}
}
