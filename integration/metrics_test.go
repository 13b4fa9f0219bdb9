package integration

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"
)

// metricValue reads one series from Caddy's /metrics on the admin endpoint.
func metricValue(t *testing.T, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+]+)$`).FindStringSubmatch(scrape(t))
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// Deliveries show on Caddy's own /metrics by vendor and result, refusals by
// reason, upstream answers by status class, and the processing time.
func TestMetricsOnCaddyRegistry(t *testing.T) {
	up := newUpstream(t)
	tester := startCaddy(t, dedupeSite(up, "store memory"))
	series := map[string]string{
		"forwarded": `caddy_biohook_deliveries_total{result="forwarded",vendor="entrust"}`,
		"duplicate": `caddy_biohook_deliveries_total{result="duplicate",vendor="entrust"}`,
		"rejected":  `caddy_biohook_deliveries_total{result="rejected",vendor="entrust"}`,
		"reason":    `caddy_biohook_rejections_total{reason="missing_digest",vendor="entrust"}`,
		"2xx":       `caddy_biohook_upstream_responses_total{class="2xx",vendor="entrust"}`,
		"timed":     `caddy_biohook_process_duration_seconds_count{vendor="entrust"}`,
	}
	before := map[string]float64{}
	for k, s := range series {
		before[k] = metricValue(t, s)
	}
	body, h := entrustEvent(t, "metrics-1")
	post(t, tester, "/hooks/entrust", body, h)
	post(t, tester, "/hooks/entrust", body, h)
	post(t, tester, "/hooks/entrust", body, http.Header{"Content-Type": {"application/json"}})
	want := map[string]float64{"forwarded": 1, "duplicate": 1, "rejected": 1, "reason": 1, "2xx": 1, "timed": 3}
	for k, s := range series {
		if got := metricValue(t, s) - before[k]; got != want[k] {
			t.Errorf("%s: +%v, want +%v", s, got, want[k])
		}
	}
	up.take()
}
