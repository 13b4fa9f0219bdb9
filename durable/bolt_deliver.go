package durable

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// dispatch starts the attempts that are due, oldest event first, and says
// how long the loop may sleep. An event with an order key waits while an
// older event with that key is waiting. The pass stops once every route is
// busy: with a backlog, it looks at a handful of events, not all of them.
func (s *boltSpool) dispatch(now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.gaugesAt) >= gaugeEvery {
		s.gaugesAt = now
		s.setGauges(now)
	}
	sleep := idleCheck
	free := s.freeSlots()
	orderSeen := make(map[string]struct{})
	live := s.order[:0]
	i := 0
	for ; i < len(s.order) && free > 0; i++ {
		e := s.entries[s.order[i]]
		if e == nil {
			continue // delivered or dead: compacted away here
		}
		live = append(live, e.seq)
		if e.order != "" {
			key := e.route + "\x00" + e.order
			if _, older := orderSeen[key]; older {
				continue
			}
			orderSeen[key] = struct{}{}
		}
		rs := s.route(e.route)
		if e.inFlight || !rs.ready() {
			continue
		}
		if wait := e.nextAt.Sub(now); wait > 0 {
			sleep = min(sleep, wait)
			continue
		}
		if rs.inFlight >= rs.route.cfg.Concurrency {
			continue // an attempt ending wakes the loop
		}
		e.inFlight = true
		rs.inFlight++
		free--
		s.wg.Add(1)
		go s.attempt(e, rs.route)
	}
	live = append(live, s.order[i:]...)
	clear(s.order[len(live):])
	s.order = live
	return sleep
}

// freeSlots is how many more attempts the active routes may start.
func (s *boltSpool) freeSlots() int {
	free := 0
	for _, rs := range s.routes {
		if rs.route != nil {
			free += max(0, rs.route.cfg.Concurrency-rs.inFlight)
		}
	}
	return free
}

// attempt delivers one event through its route and settles the outcome.
func (s *boltSpool) attempt(e *entry, rt *Route) {
	defer s.wg.Done()
	rec, err := s.file.load(e.seq)
	if errors.Is(err, errNoRecord) {
		s.finish(e, func() { s.drop(e) })
		return
	}
	if errors.Is(err, errBadRecord) {
		// Left in the file for inspection, out of the queue, so that it
		// holds up nothing behind it.
		s.logger.Error("spooled event unreadable; left in the file, no longer delivered", zap.Uint64("seq", e.seq))
		s.finish(e, func() { s.drop(e) })
		return
	}
	if err != nil {
		s.logger.Error("reading a spooled event", zap.Error(err))
		s.finish(e, func() { e.nextAt = time.Now().Add(time.Second) })
		return
	}
	if !rt.authentic(rec, true) {
		s.refuse(e, rt, rec)
		return
	}
	if len(rec.MAC) == 0 {
		rt.adopt(rec) // signed when the attempt is recorded
	}
	ctx, cancel := context.WithTimeout(s.ctx, time.Duration(rt.cfg.AttemptTimeout))
	res := rt.redeliver(ctx, rec, e.attempts+1)
	cancel()
	if s.ctx.Err() != nil {
		// The spool is closing: the event stays as it was, for the next start.
		s.finish(e, nil)
		return
	}
	s.settle(e, rt, rec, res)
}

// refuse dead-letters a record whose MAC does not verify (a key rotated
// away, or a file written by another hand): it is never delivered. It stays
// as it was, for inspection, and for a replay once the key is back.
func (s *boltSpool) refuse(e *entry, rt *Route, rec *record) {
	now := time.Now()
	rec.Attempts, rec.DeadAt, rec.Reason = e.attempts, now, reasonUnauthenticated
	if err := s.file.dead(rec); err != nil {
		s.logger.Error("dead-lettering an unauthenticated record; trying again", zap.Error(err))
		s.finish(e, func() { e.nextAt = now.Add(time.Second) })
		return
	}
	rt.noteUnauthenticated(rec)
	s.finish(e, func() { s.drop(e) })
}

// attemptResult is what one attempt came to.
type attemptResult struct {
	status  int   // the status the next handler answered; 0 if none
	reached bool  // the request reached this route's biohook handler
	err     error // the next handler's error, or why the attempt could not be made
}

func (r attemptResult) delivered() bool {
	return r.reached && r.err == nil && r.status >= 200 && r.status < 300
}

// reason is a short, secret-free account of a failed attempt.
func (r attemptResult) reason() string {
	switch {
	case r.err != nil && !r.reached:
		return r.err.Error()
	case !r.reached:
		return fmt.Sprintf("the request did not reach the biohook route (answered %d)", r.status)
	case r.err != nil:
		return r.err.Error()
	}
	return fmt.Sprintf("the application answered %d", r.status)
}

// settle records the outcome: delivered, tried again later, or dead. The
// queue changes only once the file has: if the write fails, the event stays
// as it was and is tried again in a second.
func (s *boltSpool) settle(e *entry, rt *Route, rec *record, res attemptResult) {
	now := time.Now()
	rec.Attempts = e.attempts
	v := decide(rt.cfg, rec, res, now)
	var err error
	switch v {
	case delivered:
		err = s.file.delivered(rec.Seq, rec.Key, now)
	case retryLater:
		err = s.file.rescheduled(rec)
	case deadLettered:
		err = s.file.dead(rec)
	}
	if err != nil {
		s.logger.Error("recording a delivery attempt; trying the event again", zap.String("event_id", rec.ID), zap.Error(err))
		s.finish(e, func() { e.nextAt = now.Add(time.Second) })
		return
	}
	rt.noteOutcome(rec, v)
	s.finish(e, func() {
		switch v {
		case delivered:
			s.deliveredLocked(e)
		case retryLater:
			e.attempts, e.nextAt = rec.Attempts, rec.NextAt
			s.routes[e.route].failing = true
		case deadLettered:
			s.drop(e)
			s.routes[e.route].failing = true
		}
	})
}

// drop takes e out of the queue, unless a replay has already put a new
// entry in its place.
func (s *boltSpool) drop(e *entry) {
	if s.entries[e.seq] == e {
		delete(s.entries, e.seq)
	}
}

// deliveredLocked drops a delivered event. The first success after failures
// means the application is back: its other events go now, not when their
// backoff ends.
func (s *boltSpool) deliveredLocked(e *entry) {
	s.drop(e)
	rs := s.routes[e.route]
	if !rs.failing {
		return
	}
	rs.failing = false
	now := time.Now()
	for _, other := range s.entries {
		if other.route == e.route && other.nextAt.After(now) {
			other.nextAt = now
		}
	}
}

// finish ends an attempt: update runs under the lock, the route gets its
// slot back and the loop looks again.
func (s *boltSpool) finish(e *entry, update func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.inFlight = false
	s.routes[e.route].inFlight--
	if update != nil {
		update()
	}
	s.signal()
}

// forget drops delivered events past the longest remember of the spool's
// routes, and dead letters past the longest keep_dead.
func (s *boltSpool) forget() {
	s.retireOrphans(time.Now())
	var remember, keepDead time.Duration
	s.mu.Lock()
	for _, rs := range s.routes {
		if rs.route != nil {
			remember = max(remember, time.Duration(rs.route.cfg.Remember))
			keepDead = max(keepDead, time.Duration(rs.route.cfg.KeepDead))
		}
	}
	s.mu.Unlock()
	if remember == 0 {
		return // no running route says how long: keep everything
	}
	now := time.Now()
	if err := s.file.forget(now.Add(-remember), now.Add(-keepDead)); err != nil && !errors.Is(err, errSpoolClosed) {
		s.logger.Error("forgetting old events", zap.Error(err))
	}
}

// retireOrphans dead-letters the events of routes no running config has
// (removed, renamed, or moved to another spool) once they are older than the
// longest max_age of the spool's running routes, or the default max_age if
// none runs: they stay visible, and replayable onto a route that runs.
func (s *boltSpool) retireOrphans(now time.Time) {
	s.mu.Lock()
	maxAge := time.Duration(0)
	for _, rs := range s.routes {
		if rs.route != nil {
			maxAge = max(maxAge, time.Duration(rs.route.cfg.MaxAge))
		}
	}
	if maxAge == 0 {
		maxAge = DefaultMaxAge
	}
	var orphans []*entry
	for _, e := range s.entries {
		if rs := s.route(e.route); rs.route == nil && !e.inFlight && now.Sub(e.enqueued) > maxAge {
			e.inFlight = true // no attempt starts while it is retired
			orphans = append(orphans, e)
		}
	}
	s.mu.Unlock()
	for _, e := range orphans {
		s.retire(e, now)
	}
}

func (s *boltSpool) retire(e *entry, now time.Time) {
	rec, err := s.file.load(e.seq)
	if err == nil {
		rec.Attempts, rec.DeadAt = e.attempts, now
		rec.Reason = "no running config has its route " + e.route
		err = s.file.dead(rec)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e.inFlight = false
	if err != nil && !errors.Is(err, errNoRecord) {
		s.logger.Error("dead-lettering an event of a route gone", zap.Error(err))
		return
	}
	s.drop(e)
	if err == nil {
		durableTotal.WithLabelValues(routeVendor(e.route), "dead").Inc()
		s.logger.Warn("event dead-lettered", zap.String("event_id", rec.ID), zap.String("reason", rec.Reason))
	}
}
