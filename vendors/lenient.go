package vendors

import (
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Lenient payload types: a field of the vendor's payload that holds another
// kind of JSON value than documented is read as absent rather than failing
// the delivery, which has already proved itself and which the vendor would
// retry for days. The payload itself must still be one valid JSON value
// (no duplicate names, valid UTF-8); the event carries it whole in raw.

// Flag is a field read as a yes/no whatever scalar the vendor sent: true or
// false, "true" or "false" in any case, 1 or 0. Anything else is unset, as
// is an absent field.
type Flag string

// The values of a Flag.
const (
	FlagUnset Flag = ""
	FlagTrue  Flag = "true"
	FlagFalse Flag = "false"
)

// UnmarshalJSONFrom implements json.UnmarshalerFrom.
func (f *Flag) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*f = FlagUnset
	switch dec.PeekKind() {
	case 't':
		*f = FlagTrue
		_, err := dec.ReadToken()
		return err
	case 'f':
		*f = FlagFalse
		_, err := dec.ReadToken()
		return err
	}
	var t Text
	if err := t.UnmarshalJSONFrom(dec); err != nil {
		return err
	}
	switch strings.ToLower(string(t)) {
	case "true", "1":
		*f = FlagTrue
	case "false", "0":
		*f = FlagFalse
	}
	return nil
}

// Obj is a field that should hold an object: one decodes into V and sets
// Present; any other value (null, a string, an array) leaves V zero.
type Obj[V any] struct {
	V       V
	Present bool
}

// UnmarshalJSONFrom implements json.UnmarshalerFrom.
func (o *Obj[V]) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	var zero V
	o.V, o.Present = zero, false
	if dec.PeekKind() != '{' {
		return dec.SkipValue()
	}
	o.Present = true
	return json.UnmarshalDecode(dec, &o.V)
}

// Arr is a field that should hold an array of objects: each object decodes
// into a V, other elements are skipped; a field that is no array is empty.
type Arr[V any] []V

// UnmarshalJSONFrom implements json.UnmarshalerFrom.
func (a *Arr[V]) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*a = (*a)[:0]
	if dec.PeekKind() != '[' {
		return dec.SkipValue()
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != ']' {
		if dec.PeekKind() != '{' {
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		var v V
		if err := json.UnmarshalDecode(dec, &v); err != nil {
			return err
		}
		*a = append(*a, v)
	}
	_, err := dec.ReadToken()
	return err
}

// Texts is a field that should hold an array of scalars, read as Text; a
// field that is no array is empty.
type Texts []Text

// UnmarshalJSONFrom implements json.UnmarshalerFrom.
func (ts *Texts) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	*ts = (*ts)[:0]
	if dec.PeekKind() != '[' {
		return dec.SkipValue()
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for dec.PeekKind() != ']' {
		var t Text
		if err := t.UnmarshalJSONFrom(dec); err != nil {
			return err
		}
		*ts = append(*ts, t)
	}
	_, err := dec.ReadToken()
	return err
}
