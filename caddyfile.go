package biohook

import (
	"math"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"

	"github.com/biohook/caddy-biohook/dedupe"
	"github.com/biohook/caddy-biohook/durable"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("biohook", parseCaddyfile)
	// Before every directive that answers or dispatches a request (invoke,
	// handle, route, respond, reverse_proxy, ...), so that a biohook line
	// beside them always runs first and no global `order` is needed.
	httpcaddyfile.RegisterDirectiveOrder("biohook", httpcaddyfile.Before, "invoke")
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(Handler)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	biohook <vendor> {
//		max_size <size>     # default 1MiB (the vendor's own where larger)
//		normalize on|off    # default on
//		source_ips <ip|cidr>...  # repeatable: only these client addresses
//		dedupe {            # forward each event once
//			ttl <duration>              # default 72h
//			store memory|redis [<url>]  # default memory; a redis block takes
//			                            # url, address, username, password, db, tls
//			key_prefix <prefix>         # default biohook:
//			name <name>                 # the route's, in its keys; needed when two
//			                            # routes of a vendor have the same settings
//			max_entries <n>             # memory store bound, default 100000
//			lease <duration>            # default 30s
//			wait <duration>             # default 2s
//			on_store_error reject|forward
//		}
//		durable {           # store, answer the vendor, deliver with retries
//			spool bolt [<path>]         # default: under Caddy's data directory
//			retry exponential <base> <max> | retry schedule <wait>...
//			max_age <duration>          # default 72h, then dead-lettered
//			attempts <n>
//			attempt_timeout <duration>  # default 30s
//			concurrency <n>             # default 8
//			key <placeholder>           # per-key order
//			keep_dead <duration>        # default 168h
//			remember <duration>         # default 72h
//			name <name>
//		}
//		<vendor options>    # secret, app_id, public_url, ... as the vendor reads them
//	}
//
// The options the handler does not know are handed, in order, to the
// vendor module's own Caddyfile parser.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the directive name
	if !d.NextArg() {
		return d.Errf("biohook needs a vendor name, e.g. `biohook faceio { ... }`")
	}
	segment := d.NextSegment() // the vendor name, any arguments, and the block
	vendorName := segment[0].Text
	vendorTokens, err := h.unmarshalCommon(caddyfile.NewDispenser(segment))
	if err != nil {
		return err
	}
	return h.unmarshalVendor(d, vendorName, vendorTokens)
}

// unmarshalCommon reads the options every vendor shares and returns the
// vendor's own tokens: the name line, then its options inside the block's
// braces, exactly as written.
func (h *Handler) unmarshalCommon(d *caddyfile.Dispenser) ([]caddyfile.Token, error) {
	d.Next() // the vendor name
	head := []caddyfile.Token{d.Token()}
	if d.NextArg() {
		// No vendor takes arguments on its line: the vendor's parser would
		// stop at one and drop the whole block after it.
		return nil, d.Errf("biohook %s: unexpected argument %q after the vendor name: options go inside the block, "+
			"e.g. `biohook %s { secret ... }`", head[0].Text, d.Val(), head[0].Text)
	}
	var options []caddyfile.Token
	var open caddyfile.Token
	opened := false
	for d.NextBlock(0) {
		if !opened {
			d.Prev()
			open = d.Token()
			d.Next()
			opened = true
		}
		switch d.Val() {
		case "max_size":
			if err := h.unmarshalMaxSize(d); err != nil {
				return nil, err
			}
		case "normalize":
			if err := h.unmarshalNormalize(d); err != nil {
				return nil, err
			}
		case "source_ips":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return nil, d.Errf("source_ips needs at least one IP address or CIDR range")
			}
			h.SourceIPs = append(h.SourceIPs, args...)
		case "dedupe":
			h.Dedupe = new(dedupe.Config)
			if err := h.Dedupe.UnmarshalCaddyfile(d); err != nil {
				return nil, err
			}
		case "durable":
			h.Durable = new(durable.Config)
			if err := h.Durable.UnmarshalCaddyfile(d); err != nil {
				return nil, err
			}
		default:
			options = append(options, d.NextSegment()...)
		}
	}
	if !opened {
		return head, nil
	}
	// The block's loop ends on its closing brace: the vendor's block closes
	// where the user's did.
	tokens := append(head, open)
	tokens = append(tokens, options...)
	return append(tokens, d.Token()), nil
}

func (h *Handler) unmarshalMaxSize(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	size, err := humanize.ParseBytes(d.Val())
	if err != nil || size > math.MaxInt64 {
		return d.Errf("max_size: want a size like 1MiB, got %q", d.Val())
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	h.MaxSize = int64(size)
	return nil
}

func (h *Handler) unmarshalNormalize(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	var on bool
	switch d.Val() {
	case "on":
		on = true
	case "off":
		on = false
	default:
		return d.Errf("normalize takes on or off, not %q", d.Val())
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	h.Normalize = &on
	return nil
}

// unmarshalVendor hands the vendor's tokens to its module's parser and
// stores the result, named, in VendorRaw.
func (h *Handler) unmarshalVendor(d *caddyfile.Dispenser, name string, tokens []caddyfile.Token) error {
	id := "http.handlers.biohook.vendors." + name
	if _, err := caddy.GetModule(id); err != nil {
		var names []string
		for _, m := range caddy.GetModules("http.handlers.biohook.vendors") {
			names = append(names, m.ID.Name())
		}
		return d.Errf("unknown biohook vendor %q: valid vendors are %s", name, strings.Join(names, ", "))
	}
	vd := caddyfile.NewDispenser(tokens)
	vd.Next() // UnmarshalModule reads the segment that starts at the cursor
	mod, err := caddyfile.UnmarshalModule(vd, id)
	if err != nil {
		return err
	}
	var warnings []caddyconfig.Warning
	h.VendorRaw = caddyconfig.JSONModuleObject(mod, "name", name, &warnings)
	return nil
}

// Interface guards
var _ caddyfile.Unmarshaler = (*Handler)(nil)
