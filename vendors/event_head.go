package vendors

import (
	"bytes"
	"errors"
	"math"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// appendHead appends the event as json.Marshal writes it, without images
// or raw, which Encode adds. It is written out by hand: on a busy server,
// where the encoder's reflective code and caches are cold on every
// delivery, json.Marshal of the head takes about twice as long as this.
// FuzzEventHead holds it to json.Marshal. An event with a reference, raw JSON that the encoder
// compacts, goes through the encoder.
func appendHead(dst []byte, e *Event) ([]byte, error) {
	if len(e.Data.Reference) > 0 {
		buf := bytes.NewBuffer(dst)
		if err := json.MarshalWrite(buf, e); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	w := objectWriter{b: append(dst, '{')}
	w.str("specversion", e.SpecVersion, false)
	w.str("id", e.ID, false)
	w.str("source", e.Source, false)
	w.str("type", e.Type, false)
	w.str("subject", e.Subject, true)
	w.str("time", e.Time, true)
	w.str("datacontenttype", e.DataContentType, false)
	w.name("data")
	w.data(&e.Data)
	w.b = append(w.b, '}')
	if w.err != nil {
		return nil, w.err
	}
	return w.b, nil
}

var errNotFinite = errors.New("a score is not a finite number")

// objectWriter appends the members of a JSON object, keeping the first
// error (a string that is not valid UTF-8, a score that is not a number).
type objectWriter struct {
	b      []byte
	err    error
	opened bool // a member has been written: the next needs a comma
}

func (w *objectWriter) name(n string) {
	if w.opened {
		w.b = append(w.b, ',')
	}
	w.opened = true
	w.b = append(append(append(w.b, '"'), n...), `":`...)
}

func (w *objectWriter) str(n, v string, omitEmpty bool) {
	if omitEmpty && v == "" {
		return
	}
	w.name(n)
	b, err := jsontext.AppendQuote(w.b, v)
	if err != nil && w.err == nil {
		w.err = err
	}
	w.b = b
}

func (w *objectWriter) boolean(n string, v *bool) {
	if v != nil {
		w.name(n)
		w.b = strconv.AppendBool(w.b, *v)
	}
}

// number writes a float as the encoder does (ECMAScript's shortest form).
func (w *objectWriter) number(n string, v *float64) {
	if v == nil {
		return
	}
	w.name(n)
	f := *v
	if math.IsNaN(f) || math.IsInf(f, 0) {
		if w.err == nil {
			w.err = errNotFinite
		}
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	w.b = strconv.AppendFloat(w.b, f, format, -1, 64)
	if format == 'e' { // e-07 to e-7, as ECMAScript writes exponents
		if n := len(w.b); n >= 4 && w.b[n-4] == 'e' && w.b[n-3] == '-' && w.b[n-2] == '0' {
			w.b[n-2] = w.b[n-1]
			w.b = w.b[:n-1]
		}
	}
}

// object writes a member whose value is an object, leaving it out when it
// would be empty, as omitempty does.
func (w *objectWriter) object(n string, members func(*objectWriter)) {
	mark, opened := len(w.b), w.opened
	w.name(n)
	w.b = append(w.b, '{')
	start := len(w.b)
	w.opened = false
	members(w)
	if len(w.b) == start {
		w.b, w.opened = w.b[:mark], opened
		return
	}
	w.b = append(w.b, '}')
	w.opened = true
}

// data writes the data object's members, without its closing brace.
func (w *objectWriter) data(d *EventData) {
	w.b = append(w.b, '{')
	w.opened = false
	w.str("vendor", d.Vendor, false)
	w.str("vendor_event", d.VendorEvent, false)
	w.str("kind", string(d.Kind), false)
	w.str("outcome", string(d.Outcome), false)
	if u := d.User; u != nil {
		w.object("user", func(o *objectWriter) {
			o.str("id", u.ID, true)
			o.str("external_id", u.ExternalID, true)
			o.str("email", u.Email, true)
			o.str("name", u.Name, true)
		})
	}
	if doc := d.Document; doc != nil {
		w.object("document", func(o *objectWriter) {
			o.str("type", doc.Type, true)
			o.str("number", doc.Number, true)
			o.str("issuing_country", doc.IssuingCountry, true)
			o.str("nationality", doc.Nationality, true)
			o.str("date_of_birth", doc.DateOfBirth, true)
			o.str("date_of_expiry", doc.DateOfExpiry, true)
		})
	}
	if sc := d.Scores; sc != nil {
		w.object("scores", func(o *objectWriter) {
			o.number("match", sc.Match)
			o.number("spoof", sc.Spoof)
		})
	}
	if sg := d.Signals; sg != nil {
		w.object("signals", func(o *objectWriter) {
			o.boolean("face_match", sg.FaceMatch)
			o.boolean("spoof", sg.Spoof)
			o.boolean("mask", sg.Mask)
			o.boolean("lenses", sg.Lenses)
		})
	}
	if er := d.Error; er != nil {
		w.object("error", func(o *objectWriter) {
			o.str("code", er.Code, true)
			o.str("message", er.Message, true)
		})
	}
	if rs := d.Resource; rs != nil {
		w.object("resource", func(o *objectWriter) {
			o.str("type", rs.Type, true)
			o.str("id", rs.ID, true)
			o.str("href", rs.Href, true)
		})
	}
	w.b = append(w.b, '}')
	w.opened = true
}
