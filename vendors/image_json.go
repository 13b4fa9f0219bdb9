package vendors

import (
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// imageJSON is Image as it encodes: Data as standard base64, the default
// for []byte, appended straight into the event's output buffer.
type imageJSON struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type,omitempty"`
	Size        int    `json:"size"`
	SHA256      string `json:"sha256"`
	Data        []byte `json:"data,omitempty"`
}

// MarshalJSONTo implements json.MarshalerTo. The encoder refuses a
// `format` tag option on a field unless asked for v1 compatibility, so
// Image's own tags are not used; the bytes are shared, not copied.
func (img Image) MarshalJSONTo(enc *jsontext.Encoder) error {
	return json.MarshalEncode(enc, imageJSON(img))
}

// Interface guards
var _ json.MarshalerTo = Image{}
