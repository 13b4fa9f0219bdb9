package vendors

import (
	"fmt"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// Mapping says which fields of a generic vendor's JSON payload hold the
// event's id, time, subject, event name and outcome, and what the outcome's
// values mean. Each field is a JSON pointer ("/data/id") or a dotted path
// ("data.id"). A field left out, or absent from a payload, keeps the
// vendor's default. Nothing is computed: a mapping only points.
type Mapping struct {
	// Where the event id is. Default: the vendor's delivery id where it
	// sends one, otherwise a digest of the vendor name and the body.
	ID string `json:"id,omitempty"`

	// Where the event time is: an RFC 3339 string, or a number of Unix
	// seconds (milliseconds when above 10^11).
	Time string `json:"time,omitempty"`

	// Where the id of the user the event is about is. It becomes the
	// event's subject and data.user.id.
	Subject string `json:"subject,omitempty"`

	// Where the vendor's event name is. Default for standard_webhooks:
	// /type, as the Standard Webhooks payload recommends.
	Event string `json:"event,omitempty"`

	// Where the vendor's verdict is. Its value is looked up in Outcomes.
	Outcome string `json:"outcome,omitempty"`

	// The verdict's values and what each means: approved, rejected,
	// pending or none. A value not listed means none.
	Outcomes map[string]Outcome `json:"outcomes,omitempty"`

	// The kind of every event: authentication, enrollment, deletion,
	// verification or other (the default). It also sets the event type.
	Kind Kind `json:"kind,omitempty"`

	// Kinds for particular event names, over Kind.
	Kinds map[string]Kind `json:"kinds,omitempty"`

	id, time, subject, event, outcome Path

	cases *caseScope // the objects the paths pass through
}

// Provision compiles the paths and checks the tables.
func (m *Mapping) Provision() error {
	for _, f := range []struct {
		name string
		src  string
		dst  *Path
	}{
		{"id", m.ID, &m.id}, {"time", m.Time, &m.time}, {"subject", m.Subject, &m.subject},
		{"event", m.Event, &m.event}, {"outcome", m.Outcome, &m.outcome},
	} {
		if f.src == "" {
			continue
		}
		p, err := ParsePath(f.src)
		if err != nil {
			return fmt.Errorf("mapping %s %q: %w", f.name, f.src, err)
		}
		*f.dst = p
		if m.cases == nil {
			m.cases = &caseScope{}
		}
		m.cases.add(p)
	}
	return m.validateTables()
}

func (m *Mapping) validateTables() error {
	for v, o := range m.Outcomes {
		switch o {
		case OutcomeApproved, OutcomeRejected, OutcomePending, OutcomeNone:
		default:
			return fmt.Errorf("mapping outcome %q -> %q: use approved, rejected, pending or none", v, o)
		}
	}
	if len(m.Outcomes) > 0 && m.Outcome == "" {
		return fmt.Errorf("mapping has outcome values but no outcome field")
	}
	if _, ok := kindTypes[m.Kind]; !ok && m.Kind != "" {
		return fmt.Errorf("mapping kind %q: use authentication, enrollment, deletion, verification or other", m.Kind)
	}
	for e, k := range m.Kinds {
		if _, ok := kindTypes[k]; !ok {
			return fmt.Errorf("mapping kind for %q is %q: use authentication, enrollment, deletion, verification or other", e, k)
		}
	}
	return nil
}

// kindTypes gives the CloudEvents type of each kind, for generic vendors,
// which cannot say whether a person was checked by face or by document.
var kindTypes = map[Kind]string{
	KindAuthentication: TypeIdentityAuthentication,
	KindEnrollment:     TypeFaceEnrollment,
	KindDeletion:       TypeIdentityDeletion,
	KindVerification:   TypeIdentityVerification,
	KindOther:          TypeVendorEvent,
}

// Apply fills ev from body, valid JSON, where the mapping points at a
// field that is there. A nil mapping applies the defaults: kind other,
// outcome none.
func (m *Mapping) Apply(ev *Event, body []byte) {
	ev.Type, ev.Data.Kind, ev.Data.Outcome = TypeVendorEvent, KindOther, OutcomeNone
	if m == nil {
		return
	}
	if s := lookupScalar(m.id, body); s != "" {
		ev.ID = s
	}
	if s := lookupScalar(m.event, body); s != "" {
		ev.Data.VendorEvent = s
	}
	if v, ok := m.time.lookup(body); ok {
		if t := mappedTime(v); t != "" {
			ev.Time = t
		}
	}
	if s := lookupScalar(m.subject, body); s != "" {
		ev.Subject = s
		ev.Data.User = &User{ID: s}
	}
	if s := lookupScalar(m.outcome, body); s != "" {
		if o, ok := m.Outcomes[s]; ok {
			ev.Data.Outcome = o
		}
	}
	kind := m.Kind
	if k, ok := m.Kinds[ev.Data.VendorEvent]; ok {
		kind = k
	}
	if kind != "" {
		ev.Data.Kind, ev.Type = kind, kindTypes[kind]
	}
}

func (p Path) lookup(body []byte) (v []byte, ok bool) {
	if p == nil {
		return nil, false
	}
	return p.Lookup(body)
}

func lookupScalar(p Path, body []byte) string {
	v, ok := p.lookup(body)
	if !ok {
		return ""
	}
	return Scalar(v)
}

// mappedTime reads a time field: RFC 3339 text, or Unix seconds (or
// milliseconds, when the number is too large to be seconds).
func mappedTime(v []byte) string {
	s := Scalar(v)
	if len(v) > 0 && v[0] != '"' {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n < 0 || n > 1e15 {
			return ""
		}
		if n > 1e11 {
			n /= 1000
		}
		sec := int64(n)
		return time.Unix(sec, int64((n-float64(sec))*1e9)).UTC().Format(time.RFC3339Nano)
	}
	return normalTime(s)
}

// UnmarshalCaddyfile reads a mapping block; d is on the word "mapping".
// Syntax:
//
//	mapping {
//		id      <path>
//		time    <path>
//		subject <path>
//		event   <path>
//		outcome <path> {
//			<value> approved|rejected|pending|none
//		}
//		kind [<event name>] <kind>
//	}
func (m *Mapping) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		var err error
		switch d.Val() {
		case "id":
			m.ID, err = ParseOneArg(d)
		case "time":
			m.Time, err = ParseOneArg(d)
		case "subject":
			m.Subject, err = ParseOneArg(d)
		case "event":
			m.Event, err = ParseOneArg(d)
		case "outcome":
			err = m.unmarshalOutcome(d)
		case "kind":
			err = m.unmarshalKind(d)
		default:
			return d.Errf("unknown mapping option %q", d.Val())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *Mapping) unmarshalOutcome(d *caddyfile.Dispenser) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	m.Outcome = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		value := d.Val()
		o, err := ParseOneArg(d)
		if err != nil {
			return err
		}
		if m.Outcomes == nil {
			m.Outcomes = map[string]Outcome{}
		}
		m.Outcomes[value] = Outcome(o)
	}
	return nil
}

func (m *Mapping) unmarshalKind(d *caddyfile.Dispenser) error {
	args := d.RemainingArgs()
	switch len(args) {
	case 1:
		m.Kind = Kind(args[0])
	case 2:
		if m.Kinds == nil {
			m.Kinds = map[string]Kind{}
		}
		m.Kinds[args[0]] = Kind(args[1])
	default:
		return d.ArgErr()
	}
	return nil
}

// Interface guards
var _ caddyfile.Unmarshaler = (*Mapping)(nil)
