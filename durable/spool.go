package durable

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

// spooler is where a durable route's events wait: a bbolt file for one
// instance, or Redis for several.
type spooler interface {
	caddy.Destructor

	// enqueue stores rec durably; duplicate reports that the spool already
	// knew its event (waiting, dead, or delivered within remember).
	enqueue(rec *record) (duplicate bool, err error)

	// attach makes rt the one that delivers its route's events: the newest
	// config's route takes over from the old one. detach lets go of rt,
	// unless a newer config's route has taken its place.
	attach(rt *Route)
	detach(rt *Route)

	// signal tells the delivery loop to look again.
	signal()

	stats(now time.Time) []routeStats
	deadLetters() ([]*record, error)
	// replay queues again the dead letters pick chooses, onto the route
	// named by route, or their own when it is "".
	replay(pick func(*record) bool, route string) (int, error)

	// where names the spool for people: a path, or a Redis address.
	where() string
}

// spoolRef holds a route's spooler, for an atomic.Pointer.
type spoolRef struct{ spooler }

// spoolPool keeps each spool open across config reloads: routes of the old
// and the new config use the same spool, and the last one to let go closes
// it.
var spoolPool = caddy.NewUsagePool()

// openSpools are the spools open in this process, sorted by where they are.
func openSpools() []spooler {
	var spools []spooler
	spoolPool.Range(func(_, v any) bool {
		spools = append(spools, v.(spooler))
		return true
	})
	slices.SortFunc(spools, func(a, b spooler) int { return strings.Compare(a.where(), b.where()) })
	return spools
}

// verdict is what becomes of an event after an attempt.
type verdict int

const (
	delivered verdict = iota
	retryLater
	deadLettered
)

// decide settles an attempt's outcome into rec (attempts, last answer, next
// time or dead time and reason) and says what to do with the event.
func decide(c *Config, rec *record, res attemptResult, now time.Time) verdict {
	if res.delivered() {
		return delivered
	}
	rec.Attempts++
	rec.LastStatus, rec.LastError = res.status, res.reason()
	next, retry := c.nextAttempt(rec, now)
	switch {
	case res.reached && res.status == http.StatusGone:
		rec.Reason = "the application answered 410 Gone"
	case !retry:
		rec.Reason = "retries spent: " + rec.LastError
	default:
		rec.NextAt = next
		return retryLater
	}
	rec.DeadAt = now
	return deadLettered
}

// noteOutcome counts and logs a settled attempt.
func (rt *Route) noteOutcome(rec *record, v verdict) {
	switch v {
	case delivered:
		rt.metrics.delivered.Inc()
	case retryLater:
		rt.metrics.retried.Inc()
		if ce := rt.logger.Check(zap.DebugLevel, "delivery attempt failed"); ce != nil {
			ce.Write(zap.String("vendor", rt.vendor), zap.String("event_id", rec.ID),
				zap.Int("attempt", rec.Attempts), zap.Time("next", rec.NextAt), zap.String("reason", rec.LastError))
		}
	case deadLettered:
		rt.metrics.dead.Inc()
		rt.logger.Warn("event dead-lettered", zap.String("vendor", rt.vendor),
			zap.String("event_id", rec.ID), zap.Int("attempts", rec.Attempts), zap.String("reason", rec.Reason))
	}
}

// noteUnauthenticated counts and logs a record refused for its MAC. Nothing
// the record says is logged but its key: it is not to be believed.
func (rt *Route) noteUnauthenticated(rec *record) {
	rt.metrics.dead.Inc()
	rt.logger.Error("spooled record failed authentication: dead-lettered, not delivered",
		zap.String("vendor", rt.vendor), zap.String("route", rt.name), zap.String("key", rec.Key),
		zap.String("reason", reasonUnauthenticated))
}
