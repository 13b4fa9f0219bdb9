package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Errors of the timestamped-HMAC header scheme. Each names one reason a
// header is refused; none carries a key or an expected value.
var (
	ErrTimedMalformed         = errors.New("the signature header is not whitespace-separated sets of comma-separated key=value entries")
	ErrTimedTimestamp         = errors.New("t is not a number of seconds in decimal digits without leading zeros")
	ErrTimedTimestampRange    = errors.New("t is past the end of year 9999")
	ErrTimedNoTimestamp       = errors.New("a signature set has no t")
	ErrTimedTwoTimestamps     = errors.New("a signature set has more than one t")
	ErrTimedEmptySignature    = errors.New("a v1 signature is empty")
	ErrTimedSignatureEncoding = errors.New("a v1 signature is not 64 hex digits")
	ErrTimedNoSignature       = errors.New("a signature set has no v1 signature")
	ErrTimedTooMany           = errors.New("the signature header holds more sets, signatures or entries than a sender writes")
)

// Limits of one header. A sender writes one set, or two while it rotates
// a secret (one per secret, each with its own t); a set holds one v1, or
// two while a secret rolls, beside a few entries of other versions. A
// header past any limit is refused, so the work a header can ask for is
// bounded: at most TimedMaxSets HMACs per configured secret.
const (
	TimedMaxSets       = 4  // sets in one header
	TimedMaxSignatures = 8  // v1 signatures in one set
	TimedMaxEntries    = 16 // key=value entries in one set, t, v0 and unknown keys included

	timedMaxDigits    = 12           // digits of t; more is out of range
	timedMaxTimestamp = 253402300799 // 9999-12-31T23:59:59Z, the last second RFC 3339 can write
)

// TimedHMAC checks a header of the form
//
//	t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=<hex>...] [t=...,v1=... ...]
//
// where each v1 is HMAC-SHA256, keyed with a secret's bytes as they are
// (a "whsec_" or any other prefix is part of the key, never decoded), of
// "<t>.<body>": t exactly as written in the header, a full stop, and the
// body as received. A header holds one set or more, separated by
// whitespace, each with a t of its own. Entries other than t and v1 (v0,
// keys of later versions) are ignored. A delivery is proved when a v1 of
// any set matches under any secret and that set's t is within the window,
// either way, of the verifier's clock.
type TimedHMAC struct {
	secrets Secrets
	maxSkew time.Duration
}

// NewTimedHMAC returns the verifier for secrets (more than one while
// rotating) and a window of maxSkew either side of now. Both are required.
func NewTimedHMAC(secrets Secrets, maxSkew time.Duration) (*TimedHMAC, error) {
	if len(secrets) == 0 {
		return nil, errors.New("timed HMAC: no secret")
	}
	if maxSkew <= 0 {
		return nil, errors.New("timed HMAC: the time window must be positive")
	}
	return &TimedHMAC{secrets: secrets, maxSkew: maxSkew}, nil
}

// MaxSkew is how far from now a set's t may be, either way.
func (v *TimedHMAC) MaxSkew() time.Duration { return v.maxSkew }

// SignTimedHMAC returns the header value a sender writes for body sent at
// at: "t=<unix seconds>" and one v1 per key, comma-separated, as a sender
// signs while a secret rolls. A sender that gives each secret a set of its
// own joins the values of one call per key with a space.
func SignTimedHMAC(at time.Time, body []byte, keys ...[]byte) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(ts)
	for _, k := range keys {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(ts))
		m.Write([]byte{'.'})
		m.Write(body)
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(m.Sum(nil)))
	}
	return b.String()
}

// Verify checks a header value against body at now. Signatures are
// checked before times, so a forgery is reported as a forgery and a
// replayed delivery as stale (or, t ahead of the clock, in the future).
// Every set is tried under every secret, and every v1 compared, whatever
// matched: the time taken does not say which.
func (v *TimedHMAC) Verify(value string, body []byte, now time.Time) error {
	var h timedHeader
	if err := h.parse(value); err != nil {
		return err
	}
	proved := false
	var late error // why a set that matched is out of the window
	var mac [sha256.Size]byte
	for i := range h.sets[:h.n] {
		s := &h.sets[i]
		match := false
		for k := range v.secrets {
			v.secrets[k].sumTimedHMAC(mac[:0], s.ts, body)
			for j := range s.sigs[:s.n] {
				if hmac.Equal(mac[:], s.sigs[j][:]) {
					match = true
				}
			}
		}
		if !match {
			continue
		}
		if err := inWindow(s.t, now, v.maxSkew); err != nil {
			late = err
			continue
		}
		proved = true
	}
	switch {
	case proved:
		return nil
	case late != nil:
		return late
	}
	return ErrSignatureMismatch
}

// CheckHead checks what a header value proves without the body: that it
// parses, and that one of its sets has a t within the window at now. It
// lets a receiver refuse a malformed or stale header before reading the
// body; a value that passes still needs Verify.
func (v *TimedHMAC) CheckHead(value string, now time.Time) error {
	var h timedHeader
	if err := h.parse(value); err != nil {
		return err
	}
	late := ErrSignatureMissing
	for i := range h.sets[:h.n] {
		if err := inWindow(h.sets[i].t, now, v.maxSkew); err != nil {
			late = err
			continue
		}
		return nil
	}
	return late
}

func inWindow(t int64, now time.Time, skew time.Duration) error {
	sent := time.Unix(t, 0)
	switch {
	case sent.Before(now.Add(-skew)):
		return ErrSignatureStale
	case sent.After(now.Add(skew)):
		return ErrSignatureFuture
	}
	return nil
}

// timedHeader is a parsed header, in fixed arrays so that parsing, on the
// stack, allocates nothing.
type timedHeader struct {
	sets [TimedMaxSets]timedSet
	n    int
}

type timedSet struct {
	t    int64
	ts   string // t as written: part of the header, not a copy
	sigs [TimedMaxSignatures][sha256.Size]byte
	n    int
}

// parse reads value strictly: sets separated by spaces or tabs, entries by
// commas, each entry key=value with a key. Every set needs exactly one t
// and at least one v1; a v1 is 64 hex digits in either case.
func (h *timedHeader) parse(value string) error {
	h.n = 0
	rest := value
	for {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		if h.n == TimedMaxSets {
			return ErrTimedTooMany
		}
		if err := h.sets[h.n].parse(rest[:end]); err != nil {
			return err
		}
		h.n++
		rest = rest[end:]
	}
	if h.n == 0 {
		return ErrTimedMalformed
	}
	return nil
}

func (s *timedSet) parse(set string) error {
	s.n, s.ts = 0, ""
	seenT := false
	for entries := 1; ; entries++ {
		if entries > TimedMaxEntries {
			return ErrTimedTooMany
		}
		entry, rest, more := strings.Cut(set, ",")
		key, val, ok := strings.Cut(entry, "=")
		if !ok || key == "" {
			return ErrTimedMalformed
		}
		switch key {
		case "t":
			if seenT {
				return ErrTimedTwoTimestamps
			}
			t, err := parseTimedTimestamp(val)
			if err != nil {
				return err
			}
			s.t, s.ts, seenT = t, val, true
		case "v1":
			switch {
			case val == "":
				return ErrTimedEmptySignature
			case s.n == TimedMaxSignatures:
				return ErrTimedTooMany
			case !decodeHex32(&s.sigs[s.n], val):
				return ErrTimedSignatureEncoding
			}
			s.n++
		}
		if !more {
			break
		}
		set = rest
	}
	switch {
	case !seenT:
		return ErrTimedNoTimestamp
	case s.n == 0:
		return ErrTimedNoSignature
	}
	return nil
}

// parseTimedTimestamp reads t: decimal digits, no sign, no leading zero,
// so that the t signed and the t read are the same text.
func parseTimedTimestamp(s string) (int64, error) {
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return 0, ErrTimedTimestamp
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, ErrTimedTimestamp
		}
		if i < timedMaxDigits {
			n = n*10 + int64(c-'0')
		}
	}
	if len(s) > timedMaxDigits || n > timedMaxTimestamp {
		return 0, ErrTimedTimestampRange
	}
	return n, nil
}

// decodeHex32 decodes 64 hex digits, either case, into dst without the
// copy a []byte conversion would make.
func decodeHex32(dst *[sha256.Size]byte, s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
