package vendors

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// Path is a compiled location in a JSON document: the object member names
// and array indexes to follow from the top.
type Path []string

var errBadPath = errors.New("not a JSON pointer (/a/b, RFC 6901) nor a dotted path (a.b)")

// ParsePath compiles a JSON pointer ("/data/user_id", RFC 6901, with ~0 and
// ~1 escapes) or a dotted path ("data.user_id"; no escapes, so no member
// name with a dot). The empty pointer "" is not accepted: a mapping always
// names a field.
func ParsePath(s string) (Path, error) {
	if s == "" {
		return nil, errBadPath
	}
	if s[0] != '/' {
		parts := strings.Split(s, ".")
		for _, p := range parts {
			if p == "" {
				return nil, errBadPath
			}
		}
		return parts, nil
	}
	parts := strings.Split(s[1:], "/")
	for i, p := range parts {
		u, ok := unescapePointer(p)
		if !ok {
			return nil, errBadPath
		}
		parts[i] = u
	}
	return parts, nil
}

// unescapePointer undoes RFC 6901's escapes: ~1 is "/", ~0 is "~", and a
// "~" followed by anything else is an error.
func unescapePointer(s string) (string, bool) {
	if !strings.Contains(s, "~") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '~' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) || (s[i+1] != '0' && s[i+1] != '1') {
			return "", false
		}
		b.WriteByte("~/"[s[i+1]-'0'])
		i++
	}
	return b.String(), true
}

// Lookup returns the JSON value at p in doc, or false when there is none.
// It reads only as far as the value, skipping what lies before it; doc must
// already be known valid JSON for the answer to mean anything.
func (p Path) Lookup(doc []byte) (jsontext.Value, bool) {
	dec := jsontext.NewDecoder(bytes.NewReader(doc))
	for _, step := range p {
		var ok bool
		switch dec.PeekKind() {
		case '{':
			ok = enterMember(dec, step)
		case '[':
			ok = enterIndex(dec, step)
		}
		if !ok {
			return nil, false
		}
	}
	v, err := dec.ReadValue()
	if err != nil {
		return nil, false
	}
	return v, true
}

// enterMember moves dec, at an object, to the value of the member name.
func enterMember(dec *jsontext.Decoder, name string) bool {
	if _, err := dec.ReadToken(); err != nil {
		return false
	}
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return false
		}
		if tok.String() == name {
			return true
		}
		if dec.SkipValue() != nil {
			return false
		}
	}
	return false
}

// enterIndex moves dec, at an array, to element i. An index is "0" or a
// decimal number without a leading zero, as RFC 6901 has it.
func enterIndex(dec *jsontext.Decoder, index string) bool {
	if index == "" || (len(index) > 1 && index[0] == '0') || len(index) > 9 {
		return false
	}
	i, err := strconv.Atoi(index)
	if err != nil || i < 0 || index[0] == '+' || index[0] == '-' {
		return false
	}
	if _, err := dec.ReadToken(); err != nil {
		return false
	}
	for ; i > 0; i-- {
		if k := dec.PeekKind(); k == ']' || k == 0 {
			return false
		}
		if dec.SkipValue() != nil {
			return false
		}
	}
	k := dec.PeekKind()
	return k != ']' && k != 0
}

// Scalar reads a JSON scalar as text: a string as its value, a number as
// written, true and false as words. Objects, arrays and null are "".
func Scalar(v jsontext.Value) string {
	switch v.Kind() {
	case '"':
		s, err := jsontext.AppendUnquote(nil, v)
		if err != nil {
			return ""
		}
		return string(s)
	case '0':
		return string(v)
	case 't':
		return "true"
	case 'f':
		return "false"
	}
	return ""
}
