package vendors

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/biohook/caddy-biohook/verify"
)

// StaticHeaders are headers a vendor sends unchanged on every delivery, as
// set up in its dashboard: header name -> the values accepted (more than one
// during a rotation). Vendors that sign nothing (ARGOS, Incode) offer them.
type StaticHeaders map[string][]string

// headerCheck is one required header and its accepted values, resolved.
type headerCheck struct {
	name   string
	values verify.Secrets
}

// headerChecks are the provisioned form of StaticHeaders, in name order.
type headerChecks []headerCheck

// validate refuses names that cannot be header names, and one name given in
// two spellings.
func (s StaticHeaders) validate(vendor string) error {
	seen := map[string]bool{}
	for name := range s {
		if name == "" || strings.ContainsAny(name, " :\t\r\n") {
			return fmt.Errorf("%s header name %q is not a header name", vendor, name)
		}
		if seen[http.CanonicalHeaderKey(name)] {
			return fmt.Errorf("%s header %q is configured twice under different cases", vendor, name)
		}
		seen[http.CanonicalHeaderKey(name)] = true
	}
	return nil
}

// provision resolves every value's placeholders once.
func (s StaticHeaders) provision(vendor string) (headerChecks, error) {
	if err := s.validate(vendor); err != nil {
		return nil, err
	}
	checks := make(headerChecks, 0, len(s))
	for name, configured := range s {
		canonical := http.CanonicalHeaderKey(name)
		values, err := ResolveSecrets(vendor+" header "+canonical+" value", configured)
		if err != nil {
			return nil, err
		}
		checks = append(checks, headerCheck{canonical, values})
	}
	slices.SortFunc(checks, func(a, b headerCheck) int { return strings.Compare(a.name, b.name) })
	return checks, nil
}

// names are the configured header names, canonical and sorted.
func (s StaticHeaders) names() []string {
	names := make([]string, 0, len(s))
	for name := range s {
		names = append(names, http.CanonicalHeaderKey(name))
	}
	slices.Sort(names)
	return names
}

// check requires each configured header exactly once, with one of its
// accepted values, compared in constant time.
func (c headerChecks) check(h http.Header) error {
	for _, want := range c {
		got, rej := singleHeader(h, want.name)
		if rej != nil {
			return rej
		}
		if !want.values.MatchToken([]byte(got)) {
			return Unauthorized("header_mismatch", fmt.Errorf("%s matches no configured value", want.name))
		}
	}
	return nil
}

// parseStaticHeader reads one `header <Name> <value>` line into *s.
func parseStaticHeader(d *caddyfile.Dispenser, s *StaticHeaders) error {
	args := d.RemainingArgs()
	if len(args) != 2 {
		return d.ArgErr()
	}
	if *s == nil {
		*s = StaticHeaders{}
	}
	name := http.CanonicalHeaderKey(args[0])
	(*s)[name] = append((*s)[name], args[1])
	return nil
}
