package vendors

import (
	"github.com/go-json-experiment/json/jsontext"
)

// Text is a payload field read as a string whatever JSON scalar the vendor
// sent: a string as is, a number as written, anything else as "". Vendors
// document fields loosely (an age as a string, a code as a number); reading
// them as Text keeps a delivery from failing over a field's type.
type Text string

// UnmarshalJSONFrom implements json.UnmarshalerFrom.
func (t *Text) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if k := dec.PeekKind(); k == '{' || k == '[' {
		*t = ""
		return dec.SkipValue()
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case '"', '0':
		*t = Text(tok.String())
	default:
		*t = ""
	}
	return nil
}
