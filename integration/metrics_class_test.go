package integration

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The upstream answer classes are 2xx..5xx and error, as documented: an
// informational 103 that the app sends before its answer reaches the vendor
// but is counted as the 2xx that follows, and no 1xx series exists.
func TestMetricsUpstreamClasses(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(app.Close)
	tester := startCaddy(t, `
:9080 {
	handle /hooks/entrust {
		biohook entrust {
			secret entrust-dedupe-token
		}
		reverse_proxy `+strings.TrimPrefix(app.URL, "http://")+`
	}
}
`)
	series := `caddy_biohook_upstream_responses_total{class="2xx",vendor="entrust"}`
	before := metricValue(t, series)
	body, h := entrustEvent(t, "metrics-103")
	if res, answer := post(t, tester, "/hooks/entrust", body, h); res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, answer)
	}
	if got := metricValue(t, series) - before; got != 1 {
		t.Errorf("%s: +%v, want +1", series, got)
	}
	if m := scrape(t); strings.Contains(m, `class="1xx"`) {
		t.Errorf("a 1xx class on /metrics:\n%s", grepLines(m, `class="1xx"`))
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
