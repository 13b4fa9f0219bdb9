package vendors

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// A payload walk reads the few members a vendor needs in one pass over the
// document, with no reflection: normalising with json.Unmarshal into a
// struct costs about half again as much on a busy server, where the
// arshalers' code and caches are cold on every delivery. The decoder still checks all of the document:
// syntax, UTF-8, duplicate names, nothing after the value.

// memberReader reads one member of an object: while the decoder is at the
// member's value, it reads or skips that value.
type memberReader interface {
	readMember(dec *jsontext.Decoder, name []byte) error
}

// A walker is a decoder and its source, reused across deliveries. The
// decoder reads the payload straight from the bytes.Buffer, which it
// neither copies nor keeps once reset to noPayload: the pool parks no
// delivery's bytes.
type walker struct {
	dec jsontext.Decoder
	src bytes.Buffer
}

var (
	walkers   = sync.Pool{New: func() any { return new(walker) }}
	noPayload = new(bytes.Buffer)
)

var (
	errNotObject  = errors.New("the payload is not a JSON object")
	errTrailing   = errors.New("data after the payload")
	errNameEscape = errors.New("a member name is not a valid JSON string")
)

// walkObject decodes body, a JSON object or null, handing each top-level
// member to r.
func walkObject(body []byte, r memberReader) error {
	w := walkers.Get().(*walker)
	defer walkers.Put(w)
	w.src = *bytes.NewBuffer(body)
	w.dec.Reset(&w.src)
	defer func() {
		w.dec.Reset(noPayload)
		w.src = bytes.Buffer{}
	}()
	if err := readMembers(&w.dec, r); err != nil {
		return err
	}
	if _, err := w.dec.ReadToken(); err != io.EOF {
		if err == nil {
			err = errTrailing
		}
		return err
	}
	return nil
}

// readMembers reads the object the decoder is at. A null is an empty
// object, as json.Unmarshal has it; any other value that is not an object
// is an error.
func readMembers(dec *jsontext.Decoder, r memberReader) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case 'n':
		return nil
	case '{':
	default:
		return errNotObject
	}
	for dec.PeekKind() == '"' {
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		name, err := memberName(raw)
		if err != nil {
			return err
		}
		if err := r.readMember(dec, name); err != nil {
			return err
		}
	}
	_, err = dec.ReadToken() // the '}', or the error where a name should be
	return err
}

// memberName unquotes a member name, copying only when it has escapes.
func memberName(raw jsontext.Value) ([]byte, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], nil
	}
	name, err := jsontext.AppendUnquote(nil, raw)
	if err != nil {
		return nil, errNameEscape
	}
	return name, nil
}
