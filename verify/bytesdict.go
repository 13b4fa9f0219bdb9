package verify

import (
	"encoding/base64"
	"strings"
)

// byteSeqMember is one dictionary member whose value is a byte sequence.
type byteSeqMember struct {
	key   string
	value []byte
}

// singleByteSeq reads the common form of Signature and Content-Digest, one
// field line holding one member `key=:base64:` with no parameters, without
// the general parser: that form is what every sender writes, and the
// general parser costs more than the hashing it guards. ok is false for
// anything else, which then goes to the general parser, so the two agree
// on every input (a fuzz test holds them to it).
func singleByteSeq(lines []string) (m byteSeqMember, ok bool) {
	if len(lines) != 1 {
		return m, false
	}
	v := strings.Trim(lines[0], " ")
	eq := strings.IndexByte(v, '=')
	if eq <= 0 || !isSFKey(v[:eq]) {
		return m, false
	}
	rest := v[eq+1:]
	if len(rest) < 2 || rest[0] != ':' || rest[len(rest)-1] != ':' {
		return m, false
	}
	b64 := rest[1 : len(rest)-1]
	for i := 0; i < len(b64); i++ {
		// Only the base64 alphabet: the decoder would skip CR and LF,
		// which the structured-field grammar refuses.
		c := b64[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return m, false
		}
	}
	value, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return m, false
	}
	return byteSeqMember{key: v[:eq], value: value}, true
}

// isSFKey reports whether k is an RFC 8941 key: lcalpha or "*", then
// lcalpha, digits, "_", "-", "." or "*".
func isSFKey(k string) bool {
	if k == "" || !(k[0] == '*' || (k[0] >= 'a' && k[0] <= 'z')) {
		return false
	}
	for i := 1; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*') {
			return false
		}
	}
	return true
}
