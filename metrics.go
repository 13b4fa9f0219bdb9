package biohook

import (
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// The module's metrics, on Caddy's own registry, so they appear on its
// /metrics with no extra setup. Labels are bounded: vendor, result, reason,
// status class; never an id.
var (
	deliveriesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy", Subsystem: "biohook", Name: "deliveries_total",
		Help: "Webhook deliveries by vendor and result: forwarded, duplicate or rejected.",
	}, []string{"vendor", "result"})
	rejectionsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy", Subsystem: "biohook", Name: "rejections_total",
		Help: "Refused deliveries by vendor and reason.",
	}, []string{"vendor", "reason"})
	processSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "caddy", Subsystem: "biohook", Name: "process_duration_seconds",
		Help:    "Time to verify and normalise a delivery.",
		Buckets: []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 5e-3, 2.5e-2},
	}, []string{"vendor"})
	upstreamTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy", Subsystem: "biohook", Name: "upstream_responses_total",
		Help: "Answers of the next handler to forwarded deliveries, by status class (2xx..5xx, or error).",
	}, []string{"vendor", "class"})
)

var collectors = []prometheus.Collector{deliveriesTotal, rejectionsTotal, processSeconds, upstreamTotal}

// registerMetrics adds the collectors to a config's registry; every config
// load brings a new registry, and routes of one config share it.
func registerMetrics(reg *prometheus.Registry) error {
	if reg == nil {
		return nil
	}
	for _, c := range collectors {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if !errors.As(err, &already) {
				return err
			}
		}
	}
	return nil
}

// vendorMetrics are one vendor's series, looked up once at provision so
// that a delivery does no label lookups on the way through.
type vendorMetrics struct {
	vendor    string
	forwarded prometheus.Counter
	duplicate prometheus.Counter
	rejected  prometheus.Counter
	process   prometheus.Observer
	upstream  [6]prometheus.Counter // 0: error; 2..5: status class (1 unused)
}

func newVendorMetrics(vendor string) *vendorMetrics {
	m := &vendorMetrics{
		vendor:    vendor,
		forwarded: deliveriesTotal.WithLabelValues(vendor, "forwarded"),
		duplicate: deliveriesTotal.WithLabelValues(vendor, "duplicate"),
		rejected:  deliveriesTotal.WithLabelValues(vendor, "rejected"),
		process:   processSeconds.WithLabelValues(vendor),
	}
	m.upstream[0] = upstreamTotal.WithLabelValues(vendor, "error")
	// No 1xx series: an informational answer (103 Early Hints) goes to the
	// vendor as it comes but is not the answer, which follows it and is
	// counted by its own class.
	for class := 2; class <= 5; class++ {
		m.upstream[class] = upstreamTotal.WithLabelValues(vendor, strconv.Itoa(class)+"xx")
	}
	return m
}

// rejection counts a refusal; the reason label is looked up here, off the
// path of accepted deliveries.
func (m *vendorMetrics) rejection(reason string) {
	m.rejected.Inc()
	rejectionsTotal.WithLabelValues(m.vendor, reason).Inc()
}

// answered counts the next handler's answer: its status class, or an error
// when it answered nothing.
func (m *vendorMetrics) answered(status int, err error) {
	class := status / 100
	if err != nil || class < 2 || class > 5 {
		class = 0
	}
	m.upstream[class].Inc()
}
