package biohook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/biohook/caddy-biohook/vendors"
)

var (
	rejSource = vendors.Reject(http.StatusForbidden, "source_not_allowed",
		errors.New("the client address is in no source_ips range"))
	// A request in TLS early data (0-RTT) may be a replay from another
	// address; Caddy's own address matchers answer it the same way.
	rejTooEarly = vendors.Reject(http.StatusTooEarly, "too_early",
		errors.New("the TLS handshake is not complete, so the client address is not proved"))
)

// provisionSources resolves and parses source_ips once. An explicitly empty
// list is a mistake, not "anyone": it is refused.
func (h *Handler) provisionSources() error {
	if h.SourceIPs == nil {
		return nil
	}
	if len(h.SourceIPs) == 0 {
		return errors.New("biohook: source_ips is empty: list the addresses the vendor sends from, or leave the option out")
	}
	repl := caddy.NewReplacer()
	h.sources = h.sources[:0]
	for i, entry := range h.SourceIPs {
		// {env.*} and {file.*} may hold several addresses, separated by
		// spaces or commas; an unset variable fails the load.
		expanded, err := repl.ReplaceOrErr(entry, true, true)
		if err != nil {
			return fmt.Errorf("biohook: source_ips entry #%d: %w", i+1, err)
		}
		fields := strings.FieldsFunc(expanded, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
		if len(fields) == 0 {
			return fmt.Errorf("biohook: source_ips entry #%d is empty", i+1)
		}
		for _, f := range fields {
			p, err := parseSource(f)
			if err != nil {
				return fmt.Errorf("biohook: source_ips: %w", err)
			}
			h.sources = append(h.sources, p)
		}
	}
	return nil
}

// parseSource reads one source_ips entry: an IP address (IPv4 or IPv6) or
// a CIDR range. It refuses what would widen the list unseen: a range with
// host bits set (10.0.0.1/8: a typo for /32, or for 10.0.0.0/8?), a range
// that matches every address, and a zone, which the client address never
// carries. An IPv4-mapped IPv6 entry is stored as the IPv4 it maps, as the
// client address is compared.
func parseSource(s string) (netip.Prefix, error) {
	if strings.Contains(s, "%") {
		return netip.Prefix{}, fmt.Errorf("%q has an IPv6 zone: give the address or range without it", s)
	}
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR range (want e.g. 203.0.113.0/24 or 2001:db8::/32)", s)
		}
		if p.Masked() != p {
			return netip.Prefix{}, fmt.Errorf("%q has host bits set: write the range as %s, or the single address as %s",
				s, p.Masked(), netip.PrefixFrom(p.Addr(), p.Addr().BitLen()))
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is neither an IP address nor a CIDR range (want e.g. 203.0.113.7 or 203.0.113.0/24)", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	if p.Bits() == 0 {
		return netip.Prefix{}, fmt.Errorf("%q matches every address: list the addresses the vendor sends from", s)
	}
	return p, nil
}

// warnSourceOnly logs, once at startup, why the route relies on its
// source_ips: the vendor's settings do not prove a delivery by themselves.
func (h *Handler) warnSourceOnly() {
	r, ok := h.vendor.(vendors.SourceCheckRequirer)
	if !ok || len(h.sources) == 0 {
		return
	}
	if reason := r.SourceCheckRequired(); reason != "" {
		h.logger.Warn("the vendor's settings do not prove a delivery by themselves: source_ips is the check",
			zap.String("vendor", h.vendorName), zap.String("reason", reason), zap.Stringers("source_ips", h.sources))
	}
}

// validateSources refuses a route whose vendor needs a source check and
// that lists no source_ips.
func (h *Handler) validateSources() error {
	r, ok := h.vendor.(vendors.SourceCheckRequirer)
	if !ok || len(h.sources) > 0 {
		return nil
	}
	if reason := r.SourceCheckRequired(); reason != "" {
		return fmt.Errorf("biohook: the %s route does not prove its deliveries: %s; "+
			"or list the addresses %s sends from on the route: `source_ips <ip|cidr> ...`", h.vendorName, reason, h.vendorName)
	}
	return nil
}

// checkSource refuses a request whose client address is in none of the
// source_ips ranges. The address is the one Caddy determined for the
// request: the connection's peer or, when the peer is one of the server's
// trusted_proxies, the address it forwarded. It runs before anything of
// the request is read beyond its head.
func (h *Handler) checkSource(r *http.Request) *vendors.Rejection {
	if len(h.sources) == 0 {
		return nil
	}
	if r.TLS != nil && !r.TLS.HandshakeComplete {
		return rejTooEarly
	}
	addr, ok := clientAddr(r)
	if !ok {
		return rejSource
	}
	for _, p := range h.sources {
		if p.Contains(addr) {
			return nil
		}
	}
	return rejSource
}

// clientAddr is the request's client address: Caddy's client_ip variable,
// which honours the server's trusted_proxies, or, outside a Caddy server
// (the offline verify command), the connection's peer. The zone is dropped
// and an IPv4-mapped IPv6 address read as the IPv4 it maps.
func clientAddr(r *http.Request) (netip.Addr, bool) {
	s, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	if s == "" {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return netip.Addr{}, false
		}
		s = host
	}
	s, _, _ = strings.Cut(s, "%")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// clientIP is Caddy's client_ip variable, for logging a refusal.
func clientIP(r *http.Request) string {
	s, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	return s
}
