package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// descName reads a collector's name and label names from its description;
// prometheus.Desc has no accessors, but its String is stable.
var descName = regexp.MustCompile(`^Desc\{fqName: "([^"]+)", .*variableLabels: \{([^}]*)\}\}$`)

// A config with a dedupe route and a durable route registers, on Caddy's
// registry, every caddy_biohook_* metric with the labels that dashboards
// and alerts query: the list in testdata/metrics.txt, no more and no less.
// A series need not exist yet (a gauge before the first tick, a rejection
// reason never seen): the registry's descriptions list them all.
func TestMetricNames(t *testing.T) {
	up := newUpstream(t)
	spool := filepath.Join(t.TempDir(), "spool.db")
	startCaddy(t, `
:9080 {
	handle /hooks/entrust {
		biohook entrust {
			secret entrust-metrics-token
			dedupe
		}
		reverse_proxy `+up.addr()+`
	}
	handle /hooks/faceio {
		biohook faceio {
			secret faceio-metrics-token
			durable {
				spool bolt `+spool+`
			}
		}
		reverse_proxy `+up.addr()+`
	}
}
`)
	ctx := caddy.ActiveContext() // the config just loaded
	descs := make(chan *prometheus.Desc)
	go func() {
		ctx.GetMetricsRegistry().Describe(descs)
		close(descs)
	}()
	var got []string
	for d := range descs {
		m := descName.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("unreadable metric description %s", d)
		}
		if strings.HasPrefix(m[1], "caddy_biohook_") {
			got = append(got, m[1]+" "+m[2])
		}
	}
	slices.Sort(got)
	got = slices.Compact(got)

	const golden = "../testdata/metrics.txt"
	if *update {
		if err := os.WriteFile(golden, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (-update writes it)", err)
	}
	want := strings.Split(strings.TrimSpace(string(data)), "\n")
	for _, name := range want {
		if !slices.Contains(got, name) {
			t.Errorf("not registered any more: %s", name)
		}
	}
	for _, name := range got {
		if !slices.Contains(want, name) {
			t.Errorf("registered but not in %s: %s (-update adds it)", golden, name)
		}
	}
}
