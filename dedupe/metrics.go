package dedupe

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// storeErrorsTotal counts the store's failed operations, per vendor.
var storeErrorsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
	Namespace: "caddy", Subsystem: "biohook", Name: "dedupe_store_errors_total",
	Help: "Failed operations on the dedupe store.",
}, []string{"vendor"})

// RegisterMetrics adds dedupe's collectors to a config's registry (every
// config load brings a new one; the routes of a config share it) and sets
// the vendor's series to zero, so that it is on /metrics before its first
// error.
func RegisterMetrics(reg *prometheus.Registry, vendor string) error {
	storeErrorsTotal.WithLabelValues(vendor)
	if reg == nil {
		return nil
	}
	if err := reg.Register(storeErrorsTotal); err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			return err
		}
	}
	return nil
}
