package durable

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// boltSpool is one spool file, the queue of events waiting in it, and the
// loop that delivers them through the routes that took them.
type boltSpool struct {
	path   string
	file   *boltFile
	logger *zap.Logger

	ctx    context.Context // cancelled when the spool closes: attempts stop
	cancel context.CancelFunc
	wg     sync.WaitGroup // the loop and the attempts in flight

	routeTable                   // its mutex also guards the queue
	entries    map[uint64]*entry // waiting events, by seq
	order      []uint64          // their seqs, oldest first; may hold delivered ones until compacted

	gaugeVendors map[string]struct{} // vendors whose gauges this spool has set
	gaugesAt     time.Time           // when they were last set
}

// entry is what the loop keeps of a waiting event; the body stays on disk.
type entry struct {
	seq      uint64
	route    string
	order    string
	enqueued time.Time
	nextAt   time.Time
	attempts int
	inFlight bool
}

// openBoltSpool opens the file, loads what waits in it and starts delivering.
func openBoltSpool(path string, logger *zap.Logger) (*boltSpool, error) {
	file, err := openBolt(path)
	if err != nil {
		return nil, err
	}
	waiting, err := file.pending()
	if err != nil {
		file.close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &boltSpool{
		path: path, file: file, logger: logger, ctx: ctx, cancel: cancel,
		routeTable: newRouteTable(),
		entries:    make(map[uint64]*entry, len(waiting)),

		gaugeVendors: make(map[string]struct{}),
	}
	for _, rec := range waiting {
		s.addLocked(rec)
	}
	if len(waiting) > 0 {
		logger.Info("spool opened with events waiting", zap.String("path", path), zap.Int("waiting", len(waiting)))
	}
	s.wg.Add(1)
	go s.run()
	return s, nil
}

// Destruct stops delivering, waits for the attempts in flight (they are
// cancelled) and closes the file once its last write is done.
func (s *boltSpool) Destruct() error {
	s.cancel()
	s.wg.Wait()
	return s.file.close()
}

// enqueue stores rec durably; duplicate reports that the spool already
// knew its event.
func (s *boltSpool) enqueue(rec *record) (duplicate bool, err error) {
	duplicate, err = s.file.storeNew(rec)
	if err != nil || duplicate {
		return duplicate, err
	}
	s.mu.Lock()
	s.addLocked(rec)
	s.signal()
	s.mu.Unlock()
	return false, nil
}

// addLocked queues a stored record. Seqs mostly arrive in order; one that
// does not is put in its place, so order stays arrival order.
func (s *boltSpool) addLocked(rec *record) {
	if rec.Attempts > 0 {
		// Loaded after a restart mid-backoff: its route's first success
		// wakes the rest.
		s.route(rec.Route).failing = true
	}
	s.entries[rec.Seq] = &entry{seq: rec.Seq, route: rec.Route, order: rec.Order,
		enqueued: rec.Enqueued, nextAt: rec.NextAt, attempts: rec.Attempts}
	if n := len(s.order); n == 0 || s.order[n-1] < rec.Seq {
		s.order = append(s.order, rec.Seq)
		return
	}
	i, found := slices.BinarySearch(s.order, rec.Seq)
	if !found {
		s.order = slices.Insert(s.order, i, rec.Seq)
	}
}

// forgetEvery is how often delivered events past remember and dead letters
// past keep_dead are dropped.
const forgetEvery = time.Minute

// run is the delivery loop: it starts every attempt that is due and sleeps
// until the next one is, or until something changes.
func (s *boltSpool) run() {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	forget := time.NewTicker(forgetEvery)
	defer forget.Stop()
	for {
		timer.Reset(s.dispatch(time.Now()))
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		case <-forget.C:
			s.forget()
		}
	}
}

// idleCheck bounds the loop's sleep, so gauges stay fresh with no traffic.
const idleCheck = gaugeEvery

// stats counts each route's waiting events.
func (s *boltSpool) stats(now time.Time) []routeStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	byRoute := make(map[string]*routeStats)
	for id, rs := range s.routes {
		byRoute[id] = &routeStats{Route: id, Vendor: rs.vendor, Active: rs.route != nil, InFlight: rs.inFlight}
	}
	for _, e := range s.entries {
		st := byRoute[e.route]
		if st == nil {
			continue
		}
		st.Pending++
		st.OldestSeconds = max(st.OldestSeconds, now.Sub(e.enqueued).Seconds())
	}
	out := make([]routeStats, 0, len(byRoute))
	for _, st := range byRoute {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b routeStats) int { return strings.Compare(a.Route, b.Route) })
	return out
}

// replay queues again the dead letters that pick chooses.
func (s *boltSpool) replay(pick func(*record) bool, route string) (int, error) {
	dead, err := s.file.deadLetters()
	if err != nil {
		return 0, err
	}
	var keys []string
	for _, rec := range dead {
		if pick(rec) {
			keys = append(keys, rec.Key)
		}
	}
	if len(keys) == 0 {
		return 0, nil
	}
	var target *Route
	if route != "" {
		if target = s.runningRoute(route); target == nil {
			return 0, errRouteNotRunning
		}
	}
	revived, err := s.file.revive(keys, time.Now(), func(rec *record) bool {
		return target == nil || target.moveLogged(rec, true, s.logger)
	})
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	for _, rec := range revived {
		s.addLocked(rec)
	}
	s.signal()
	s.mu.Unlock()
	return len(revived), nil
}

// where is the spool's file.
func (s *boltSpool) where() string { return s.path }

// deadLetters lists the dead letters without their bodies.
func (s *boltSpool) deadLetters() ([]*record, error) { return s.file.deadLetters() }
