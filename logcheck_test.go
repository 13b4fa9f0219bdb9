package biohook

import "testing"

// The rules the log check applies, on logs as it reads them.
func TestLogViewRules(t *testing.T) {
	access := logView{name: "log0", include: []string{"http.log.access.log0"}, errors: true, fields: map[string]fieldFilter{}}
	if !access.records("http.log.access.log0") || access.records("http.log.error") {
		t.Error("include rules")
	}
	def := logView{name: "default", exclude: []string{"http.log.access.log0"}, errors: true, fields: map[string]fieldFilter{
		"request>headers>Www-Authenticate": {hides: true},
		"request>headers>X-Token":          {regexps: []regexpRule{{`.+`, "REDACTED"}}},
		"request>headers>X-Partial":        {regexps: []regexpRule{{`^Bearer `, ""}}},
		"request>uri":                      {regexps: []regexpRule{{`^/hooks/argos/[^?]*`, "/hooks/argos/REDACTED"}}},
	}}
	if def.records("http.log.access.log0") || !def.records("http.log.error") {
		t.Error("exclude rules")
	}
	if !def.hidesHeader("WWW-Authenticate") || !def.hidesHeader("x-token") || def.hidesHeader("X-Partial") || def.hidesHeader("Signature") {
		t.Error("header filters")
	}
	if !def.hidesURI("/hooks/argos/"+logCanary) || def.hidesURI("/elsewhere/"+logCanary) {
		t.Error("uri filter")
	}
	quiet := logView{name: "errors-only-above", errors: false}
	if quiet.records("http.log.error") {
		t.Error("a log above ERROR records nothing of a request")
	}
	guards := []*routeNode{{match: []matchSet{{path: []string{"/hooks/argos/*"}}}}}
	if got := uriSample(guards); got != "/hooks/argos/"+logCanary {
		t.Errorf("uri sample %q", got)
	}
}
