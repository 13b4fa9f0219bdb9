package durable

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func init() {
	caddy.RegisterModule(adminAPI{})
}

// adminAPI serves the spools on Caddy's admin endpoint:
//
//	GET  /biohook/spool        what waits, per spool and route
//	GET  /biohook/dead         the dead letters
//	POST /biohook/dead/replay  {"ids":["<key or event id>",...]} or {"all":true},
//	                           optionally with "route":"<vendor[/name]>"
//
// A replayed dead letter is queued again as new: attempts from zero, max_age
// counted from the replay.
type adminAPI struct{}

// CaddyModule returns the Caddy module information.
func (adminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "admin.api.biohook",
		New: func() caddy.Module { return new(adminAPI) },
	}
}

// Routes returns the admin routes.
func (adminAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/biohook/spool", Handler: caddy.AdminHandlerFunc(serveSpools)},
		{Pattern: "/biohook/dead", Handler: caddy.AdminHandlerFunc(serveDeadLetters)},
		{Pattern: "/biohook/dead/replay", Handler: caddy.AdminHandlerFunc(serveReplay)},
	}
}

// routeStats is one route's queue, as the admin API shows it.
type routeStats struct {
	Route         string  `json:"route"`
	Vendor        string  `json:"vendor"`
	Active        bool    `json:"active"` // the running config has the route
	Pending       int     `json:"pending"`
	InFlight      int     `json:"in_flight"`
	OldestSeconds float64 `json:"oldest_pending_seconds"`
}

type spoolStats struct {
	Spool  string       `json:"spool"`
	Routes []routeStats `json:"routes"`
	Dead   int          `json:"dead"`
}

func serveSpools(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return methodNotAllowed(r)
	}
	out := []spoolStats{}
	for _, s := range openSpools() {
		dead, err := s.deadLetters()
		if err != nil {
			return apiError(http.StatusInternalServerError, err)
		}
		out = append(out, spoolStats{Spool: s.where(), Routes: s.stats(time.Now()), Dead: len(dead)})
	}
	return writeJSON(w, out)
}

// deadLetter is a dead letter as the admin API lists it; never its body.
type deadLetter struct {
	Key        string    `json:"key"`
	ID         string    `json:"id"`
	Route      string    `json:"route"`
	Type       string    `json:"type,omitempty"`
	Subject    string    `json:"subject,omitempty"`
	Spool      string    `json:"spool"`
	Attempts   int       `json:"attempts"`
	Enqueued   time.Time `json:"enqueued"`
	DeadAt     time.Time `json:"dead_at"`
	Reason     string    `json:"reason"`
	LastStatus int       `json:"last_status,omitempty"`
}

func serveDeadLetters(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return methodNotAllowed(r)
	}
	out, err := allDeadLetters()
	if err != nil {
		return apiError(http.StatusInternalServerError, err)
	}
	return writeJSON(w, out)
}

func allDeadLetters() ([]deadLetter, error) {
	out := []deadLetter{}
	for _, s := range openSpools() {
		recs, err := s.deadLetters()
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			out = append(out, deadLetter{Key: rec.Key, ID: rec.ID, Route: rec.Route, Type: rec.Type, Subject: rec.Subject,
				Spool: s.where(), Attempts: rec.Attempts, Enqueued: rec.Enqueued, DeadAt: rec.DeadAt,
				Reason: rec.Reason, LastStatus: rec.LastStatus})
		}
	}
	slices.SortFunc(out, func(a, b deadLetter) int { return a.DeadAt.Compare(b.DeadAt) })
	return out, nil
}

// replayRequest names the dead letters to replay: by key or event id, or
// all; and, optionally, the route to queue them on instead of their own
// (vendor, or vendor/name): for events of a route that was renamed.
type replayRequest struct {
	IDs   []string `json:"ids"`
	All   bool     `json:"all"`
	Route string   `json:"route,omitempty"`
}

func serveReplay(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return methodNotAllowed(r)
	}
	var req replayRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		return apiError(http.StatusBadRequest, fmt.Errorf("decoding the request: %w", err))
	}
	if !req.All && len(req.IDs) == 0 {
		return apiError(http.StatusBadRequest, fmt.Errorf(`name the dead letters: {"ids":[...]} or {"all":true}`))
	}
	wanted := make(map[string]bool, len(req.IDs))
	for _, id := range req.IDs {
		wanted[id] = true
	}
	replayed, notRunning := 0, false
	for _, s := range openSpools() {
		n, err := s.replay(func(rec *record) bool { return req.All || wanted[rec.Key] || wanted[rec.ID] }, req.Route)
		if errors.Is(err, errRouteNotRunning) {
			notRunning = true // a spool where the route runs may still take its own
			continue
		}
		if err != nil {
			return apiError(http.StatusInternalServerError, err)
		}
		replayed += n
	}
	if notRunning && replayed == 0 {
		return apiError(http.StatusBadRequest, fmt.Errorf("route %q: %w: a replay onto a route needs it running, to sign what it takes", req.Route, errRouteNotRunning))
	}
	return writeJSON(w, map[string]int{"replayed": replayed})
}

func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(v)
}

func apiError(status int, err error) error {
	return caddy.APIError{HTTPStatus: status, Err: err}
}

func methodNotAllowed(r *http.Request) error {
	return apiError(http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed", r.Method))
}

// Interface guards
var _ caddy.AdminRouter = adminAPI{}
