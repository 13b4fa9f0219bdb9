package biohook

import (
	"errors"
	"net"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/logging"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/biohook/caddy-biohook/vendors"
)

// Caddy copies each request for its logs before any handler runs: the error
// log writes it, headers and URI, whenever a handler fails with a 5xx (an
// app that is down), and an access log writes it for every request. It
// hides the values of Authorization, Proxy-Authorization, Cookie and
// Set-Cookie only, unless log_credentials is on. A vendor's token or
// signature in another header, or a path token in the URI, lands in those
// logs unless a `format filter` removes it. When the config starts, each
// route's credentials are checked against the logs that would record its
// requests, and a warning names the headers (never their values) and logs.
//
// Caddy offers no way for a module to read the logging config; the config's
// provisioned logs are read by reflection, read-only. If their shape is not
// what this Caddy version has, the warning says the logs could not be
// checked instead of staying silent.

// logView is what the check needs of one configured log.
type logView struct {
	name             string
	include, exclude []string
	errors           bool // it takes ERROR entries
	fields           map[string]fieldFilter
}

// fieldFilter is a `format filter` field filter.
type fieldFilter struct {
	hides   bool         // delete, replace or hash: no part of the value is left
	regexps []regexpRule // regexp and multi_regexp: applied in order
}

type regexpRule struct{ re, value string }

var errLogShape = errors.New("the logging config is not shaped as this module expects")

// inspectLogs reads the logs of ctx's config.
func inspectLogs(ctx caddy.Context) ([]logView, error) {
	cfg := reflect.ValueOf(ctx).FieldByName("cfg")
	if !cfg.IsValid() || cfg.Kind() != reflect.Pointer || cfg.IsNil() {
		return nil, errLogShape
	}
	lg := cfg.Elem().FieldByName("Logging")
	if !lg.IsValid() || lg.Kind() != reflect.Pointer || lg.IsNil() {
		return nil, errLogShape
	}
	logs := lg.Elem().FieldByName("Logs")
	if !logs.IsValid() || logs.Kind() != reflect.Map {
		return nil, errLogShape
	}
	var out []logView
	for _, key := range logs.MapKeys() {
		cl := logs.MapIndex(key)
		if cl.Kind() != reflect.Pointer || cl.IsNil() {
			return nil, errLogShape
		}
		v, ok := inspectLog(key.String(), cl.Elem())
		if !ok {
			return nil, errLogShape
		}
		if v != nil {
			out = append(out, *v)
		}
	}
	slices.SortFunc(out, func(a, b logView) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// inspectLog reads one caddy.CustomLog; nil for a log that writes nothing.
func inspectLog(name string, cl reflect.Value) (*logView, bool) {
	include, ok1 := stringsField(cl, "Include")
	exclude, ok2 := stringsField(cl, "Exclude")
	level := cl.FieldByName("Level")
	writer := cl.FieldByName("writerOpener")
	enc := cl.FieldByName("encoder")
	if !ok1 || !ok2 || level.Kind() != reflect.String || writer.Kind() != reflect.Interface || enc.Kind() != reflect.Interface {
		return nil, false
	}
	if !writer.IsNil() && derefType(writer.Elem().Type()) == reflect.TypeFor[caddy.DiscardWriter]() {
		return nil, true
	}
	lvl, err := zapcore.ParseLevel(strings.ToLower(level.String()))
	if level.String() == "" {
		lvl, err = zapcore.InfoLevel, nil
	}
	if err != nil {
		return nil, false
	}
	v := &logView{name: name, include: include, exclude: exclude, errors: lvl <= zapcore.ErrorLevel,
		fields: make(map[string]fieldFilter)}
	if !enc.IsNil() && !readFilters(enc.Elem(), v.fields) {
		return nil, false
	}
	return v, true
}

// readFilters adds the field filters of a filter encoder (and of filter
// encoders it wraps); any other encoder filters nothing.
func readFilters(enc reflect.Value, into map[string]fieldFilter) bool {
	if enc.Kind() != reflect.Pointer || enc.IsNil() || enc.Type().Elem() != reflect.TypeFor[logging.FilterEncoder]() {
		return true
	}
	fe := enc.Elem()
	fields := fe.FieldByName("Fields")
	if fields.Kind() != reflect.Map {
		return false
	}
	for _, key := range fields.MapKeys() {
		f := fields.MapIndex(key)
		if f.Kind() == reflect.Interface {
			f = f.Elem()
		}
		for f.Kind() == reflect.Pointer && !f.IsNil() {
			f = f.Elem()
		}
		var ff fieldFilter
		switch f.Type() {
		case reflect.TypeFor[logging.DeleteFilter](), reflect.TypeFor[logging.ReplaceFilter](), reflect.TypeFor[logging.HashFilter]():
			ff.hides = true
		case reflect.TypeFor[logging.RegexpFilter]():
			ff.regexps = []regexpRule{{f.FieldByName("RawRegexp").String(), f.FieldByName("Value").String()}}
		case reflect.TypeFor[logging.MultiRegexpFilter]():
			ops := f.FieldByName("Operations")
			for i := range ops.Len() {
				op := ops.Index(i)
				ff.regexps = append(ff.regexps, regexpRule{op.FieldByName("RawRegexp").String(), op.FieldByName("Value").String()})
			}
		}
		into[key.String()] = ff
	}
	if wrapped := fe.FieldByName("wrapped"); wrapped.Kind() == reflect.Interface && !wrapped.IsNil() {
		return readFilters(wrapped.Elem(), into)
	}
	return true
}

func stringsField(v reflect.Value, name string) ([]string, bool) {
	f := v.FieldByName(name)
	if f.Kind() != reflect.Slice || f.Type().Elem().Kind() != reflect.String {
		return nil, false
	}
	out := make([]string, f.Len())
	for i := range out {
		out[i] = f.Index(i).String()
	}
	return out, true
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// records reports whether the log writes the entries of the named logger
// (Caddy's CustomLog include and exclude rules).
func (v logView) records(logger string) bool {
	if !v.errors {
		return false
	}
	if len(v.include) == 0 && len(v.exclude) == 0 {
		return true
	}
	name := logger + "."
	var accept, reject int
	for _, ns := range v.include {
		if strings.HasPrefix(name, ns+".") && len(ns) > accept {
			accept = len(ns)
		}
	}
	if len(v.include) > 0 && accept == 0 {
		return false
	}
	for _, ns := range v.exclude {
		if ns == "*" {
			return false
		}
		if strings.HasPrefix(name, ns+".") && len(ns) > reject {
			reject = len(ns)
		}
	}
	if reject > accept {
		return false
	}
	return accept > reject || (len(v.include) == 0 && reject == 0)
}

// logCanary stands for a secret when a log's regexp filters are tried.
const logCanary = "biohookCanary0123456789abcdef"

// hidesHeader reports whether the log leaves no part of the header's
// value: the header, the request's headers or the request are deleted,
// replaced or hashed, or a regexp takes the value out.
func (v logView) hidesHeader(name string) bool {
	for _, key := range []string{"request>headers>" + http.CanonicalHeaderKey(name), "request>headers", "request"} {
		if f, ok := v.fields[key]; ok {
			return f.hides || f.removes(logCanary) && f.removes("Bearer "+logCanary)
		}
	}
	return false
}

// hidesURI reports whether the log leaves the path token out of sample, a
// URI of the route with the canary as its last segment.
func (v logView) hidesURI(sample string) bool {
	for _, key := range []string{"request>uri", "request"} {
		if f, ok := v.fields[key]; ok {
			return f.hides || f.removes(sample)
		}
	}
	return false
}

func (f fieldFilter) removes(s string) bool {
	if len(f.regexps) == 0 {
		return false
	}
	for _, r := range f.regexps {
		re, err := regexp.Compile(r.re)
		if err != nil {
			return false
		}
		s = re.ReplaceAllString(s, r.value)
	}
	return !strings.Contains(s, logCanary)
}

// routeLoggers are the loggers that write a request of srv: its error log
// always, its access log when it has one, each also under its logger names.
func routeLoggers(srv *caddyhttp.Server) []string {
	names := []string{"http.log.error"}
	if srv.Logs == nil {
		return names
	}
	names = append(names, "http.log.access")
	extra := []string{srv.Logs.DefaultLoggerName}
	for _, n := range srv.Logs.LoggerNames {
		extra = append(extra, n...)
	}
	for _, n := range extra {
		if n != "" {
			names = append(names, "http.log.error."+n, "http.log.access."+n)
		}
	}
	return names
}

// caddyRedacted are the headers Caddy's logs hide unless log_credentials is on.
var caddyRedacted = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"}

// secretHeaders are the headers of h's deliveries whose values are secret.
func (h *Handler) secretHeaders() []string {
	if s, ok := h.vendor.(vendors.SecretHeaderer); ok {
		return s.SecretHeaders()
	}
	if c, ok := h.vendor.(vendors.CredentialHeaderer); ok {
		return c.CredentialHeaders()
	}
	return nil
}

// exposure is what of one route's credentials the logs would write.
type exposure struct {
	headers []string
	uri     bool
	logs    []string
}

// logExposure works out which of h's credentials the logs write in clear.
func logExposure(h *Handler, srv *caddyhttp.Server, guards []*routeNode, logs []logView) exposure {
	var ex exposure
	logCredentials := srv.Logs != nil && srv.Logs.ShouldLogCredentials
	headers := h.secretHeaders()
	uri := false
	if u, ok := h.vendor.(vendors.URICredentialer); ok {
		uri = u.CredentialInURI()
	}
	sample := uriSample(guards)
	loggers := routeLoggers(srv)
	for _, lv := range logs {
		if !slices.ContainsFunc(loggers, lv.records) {
			continue
		}
		exposed := false
		for _, name := range headers {
			name = http.CanonicalHeaderKey(name)
			if !logCredentials && slices.Contains(caddyRedacted, name) || lv.hidesHeader(name) {
				continue
			}
			exposed = true
			if !slices.Contains(ex.headers, name) {
				ex.headers = append(ex.headers, name)
			}
		}
		if uri && !lv.hidesURI(sample) {
			exposed, ex.uri = true, true
		}
		if exposed {
			ex.logs = append(ex.logs, lv.name)
		}
	}
	slices.Sort(ex.headers)
	return ex
}

// uriSample is a request URI of the route whose last segment is the canary:
// the route's innermost path prefix, or the root.
func uriSample(guards []*routeNode) string {
	for i := len(guards) - 1; i >= 0; i-- {
		for _, set := range guards[i].match {
			for _, p := range set.path {
				if fixed, ok := pathForm(p); ok && strings.HasSuffix(p, "*") {
					if !strings.HasSuffix(fixed, "/") {
						fixed += "/"
					}
					return fixed + logCanary
				}
			}
		}
	}
	return "/" + logCanary
}

// listensEverywhere reports whether the server takes connections on every
// interface, and on which address.
func listensEverywhere(srv *caddyhttp.Server) (string, bool) {
	for _, l := range srv.Listen {
		addr, err := caddy.ParseNetworkAddress(l)
		if err != nil || addr.IsUnixNetwork() || addr.IsFdNetwork() {
			continue
		}
		host := strings.Trim(addr.Host, "[]")
		if host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified() {
			return l, true
		}
	}
	return "", false
}

// warnLogs warns about every route whose credentials a log would write.
func (a *App) warnLogs() {
	if len(a.placed) == 0 {
		return
	}
	logs, err := inspectLogs(a.ctx)
	for _, s := range a.servers() {
		chains := serverChains(s.name, s.srv)
		for _, p := range a.placed {
			if p.srv != s.srv {
				continue
			}
			if err != nil {
				if hs := p.h.secretHeaders(); len(hs) > 0 {
					a.logger.Warn("could not read Caddy's logging config to check that no log records this route's credentials; "+
						"make sure each log that records requests filters them (docs/hardening.md)",
						zap.String("vendor", p.h.vendorName), zap.String("server", s.name), zap.Strings("headers", hs), zap.Error(err))
				}
				continue
			}
			ex := logExposure(p.h, s.srv, guardsOf(chains, p.h), logs)
			if len(ex.logs) == 0 {
				continue
			}
			fields := []zap.Field{zap.String("vendor", p.h.vendorName), zap.String("server", s.name),
				zap.Strings("logs", ex.logs), zap.Strings("headers", ex.headers), zap.Bool("uri", ex.uri)}
			a.logger.Warn("a log would record this route's credentials in clear (Caddy logs a request's headers and URI "+
				"on every handler error and in access logs); filter them out with `format filter` (docs/hardening.md)", fields...)
			if addr, ok := listensEverywhere(s.srv); ok {
				a.logger.Warn("the server listens on every interface and a log records this route's credentials: "+
					"whoever can read that log can send forged deliveries from anywhere; filter the log, or listen on a private address",
					append(fields, zap.String("listen", addr))...)
			}
		}
	}
}

// guardsOf are the routes guarding h in the chains, or none if it is not
// in them.
func guardsOf(chains []*chain, h *Handler) []*routeNode {
	for _, c := range chains {
		for _, s := range c.steps {
			if s.handler == h {
				return s.guards
			}
		}
	}
	return nil
}
