package verify

import (
	"strconv"
	"strings"
	"time"
)

// fastSignatureInput reads the form every sender writes, one field line
// holding one member:
//
//	label=("@method" "@target-uri" "content-digest");created=1700000000;keyid="k";alg="hmac-sha256"
//
// without the general structured-field parser, which allocates for every
// item and parameter. It accepts only the canonical serialisation (single
// spaces, strings without escapes, integers without leading zeros), so the
// text it read is exactly what re-serialising would give, and the
// "@signature-params" value can be taken from it as it is. ok is false for
// anything else, which then goes to the general parser; a fuzz test holds
// the two to the same answers.
func fastSignatureInput(lines []string, label string) (in *SignatureInput, ok bool) {
	if len(lines) != 1 {
		return nil, false
	}
	v := strings.Trim(lines[0], " ")
	if len(v) < len(label)+3 || v[:len(label)] != label || v[len(label)] != '=' || v[len(label)+1] != '(' {
		return nil, false
	}
	rest := v[len(label)+1:] // from "("
	end := strings.IndexByte(rest, ')')
	if end < 0 {
		return nil, false
	}
	in = &SignatureInput{Label: label, params: rest, Components: make([]string, 0, 4)}
	if !in.readFastComponents(rest[1:end]) || !in.readFastParams(rest[end+1:]) {
		return nil, false
	}
	return in, true
}

// readFastComponents reads `"a" "b" "c"`: plain strings, one space apart.
func (in *SignatureInput) readFastComponents(list string) bool {
	for list != "" {
		if list[0] != '"' {
			return false
		}
		closing := strings.IndexByte(list[1:], '"')
		if closing < 0 {
			return false
		}
		name := list[1 : closing+1]
		if name == "" || !plainSFString(name) || in.Covers(name) {
			return false
		}
		in.Components = append(in.Components, name)
		list = list[closing+2:]
		if list != "" {
			if list[0] != ' ' || len(list) == 1 {
				return false
			}
			list = list[1:]
		}
	}
	return true
}

// readFastParams reads `;key=value` parameters whose values are canonical
// integers or plain strings, each key once (a repeated key keeps its first
// place but its last value when re-serialised, so the text would differ).
func (in *SignatureInput) readFastParams(params string) bool {
	var seen [8]string
	n := 0
	for params != "" {
		if params[0] != ';' {
			return false
		}
		params = params[1:]
		eq := strings.IndexByte(params, '=')
		if eq <= 0 || !isSFKey(params[:eq]) {
			return false
		}
		key := params[:eq]
		for _, k := range seen[:n] {
			if k == key {
				return false
			}
		}
		if n == len(seen) {
			return false
		}
		seen[n], n = key, n+1
		params = params[eq+1:]
		next := strings.IndexByte(params, ';')
		if next < 0 {
			next = len(params)
		}
		value := params[:next]
		params = params[next:]
		if !in.setFastParam(key, value) {
			return false
		}
	}
	return true
}

func (in *SignatureInput) setFastParam(key, value string) bool {
	if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
		s := value[1 : len(value)-1]
		if !plainSFString(s) {
			return false
		}
		switch key {
		case "alg":
			in.Alg = s
		case "keyid":
			in.KeyID = s
		case "nonce":
			in.Nonce = s
		case "tag":
			in.Tag = s
		case "created", "expires":
			return false // the general parser refuses these as strings
		}
		return true
	}
	n, ok := canonicalUint(value)
	if !ok {
		return false
	}
	switch key {
	case "created":
		in.Created = time.Unix(n, 0)
	case "expires":
		in.Expires = time.Unix(n, 0)
	case "alg", "keyid", "nonce", "tag":
		return false // the general parser refuses these as numbers
	}
	return true
}

// plainSFString reports whether s needs no escaping in an RFC 8941 string.
func plainSFString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// canonicalUint reads a non-negative integer of at most 15 digits (the
// structured-field limit) without leading zeros.
func canonicalUint(s string) (int64, bool) {
	if s == "" || len(s) > 15 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
