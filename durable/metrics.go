package durable

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Durable delivery's metrics, per vendor, on the registry of each config
// (see RegisterMetrics). Pending and oldest are what waits in the spool:
// with a Redis spool, the cluster's figures on every instance.
var (
	durableTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "caddy", Subsystem: "biohook", Name: "durable_events_total",
		Help: "Durable delivery by vendor and stage: enqueued, delivered, retried (a failed attempt) or dead.",
	}, []string{"vendor", "stage"})
	durablePending = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "caddy", Subsystem: "biohook", Name: "durable_pending",
		Help: "Events stored and waiting for delivery.",
	}, []string{"vendor"})
	durableOldest = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "caddy", Subsystem: "biohook", Name: "durable_oldest_pending_seconds",
		Help: "Age of the oldest event waiting for delivery; 0 when none waits.",
	}, []string{"vendor"})
)

// RegisterMetrics adds durable delivery's collectors to a config's registry
// (every config load brings a new one; the routes of a config share it)
// and sets the vendor's counters to zero, so that they are on /metrics
// before the first event.
func RegisterMetrics(reg *prometheus.Registry, vendor string) error {
	newRouteMetrics(vendor)
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{durableTotal, durablePending, durableOldest} {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if !errors.As(err, &already) {
				return err
			}
		}
	}
	return nil
}

// routeMetrics are a route's series, looked up once at provision.
type routeMetrics struct {
	enqueued, delivered, retried, dead prometheus.Counter
}

func newRouteMetrics(vendor string) routeMetrics {
	return routeMetrics{
		enqueued:  durableTotal.WithLabelValues(vendor, "enqueued"),
		delivered: durableTotal.WithLabelValues(vendor, "delivered"),
		retried:   durableTotal.WithLabelValues(vendor, "retried"),
		dead:      durableTotal.WithLabelValues(vendor, "dead"),
	}
}

// gaugeEvery is how often a spool publishes its pending gauges.
const gaugeEvery = time.Second

// setGauges publishes, per vendor, how many events wait and the age of the
// oldest; a vendor with nothing waiting any more goes to zero.
func (s *boltSpool) setGauges(now time.Time) {
	type pending struct {
		count  int
		oldest time.Time
	}
	byVendor := make(map[string]*pending)
	for _, rs := range s.routes { // a route with nothing waiting shows 0
		byVendor[rs.vendor] = &pending{oldest: now}
	}
	for _, e := range s.entries {
		vendor := s.route(e.route).vendor
		p := byVendor[vendor]
		if p == nil {
			p = &pending{oldest: now}
			byVendor[vendor] = p
		}
		p.count++
		if e.enqueued.Before(p.oldest) {
			p.oldest = e.enqueued
		}
	}
	for vendor := range s.gaugeVendors {
		if byVendor[vendor] == nil {
			durablePending.WithLabelValues(vendor).Set(0)
			durableOldest.WithLabelValues(vendor).Set(0)
		}
	}
	for vendor, p := range byVendor {
		s.gaugeVendors[vendor] = struct{}{}
		durablePending.WithLabelValues(vendor).Set(float64(p.count))
		durableOldest.WithLabelValues(vendor).Set(now.Sub(p.oldest).Seconds())
	}
}
