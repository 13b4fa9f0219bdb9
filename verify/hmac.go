package verify

import (
	"crypto/hmac"
	"crypto/sha256"
)

// HMACSHA256 returns HMAC-SHA256(key, msg).
func HMACSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// MatchHMACSHA256 reports whether mac is HMAC-SHA256 of msg under one of the
// secrets. Every secret is tried, so the time taken does not tell which matched.
func (ss Secrets) MatchHMACSHA256(msg, mac []byte) bool {
	match := false
	var buf [sha256.Size]byte
	for i := range ss {
		if hmac.Equal(ss[i].sumHMACSHA256(buf[:0], msg), mac) {
			match = true
		}
	}
	return match
}
