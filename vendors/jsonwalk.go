package vendors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf8"

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

// A caseScope names the objects of a payload that a vendor reads: the
// object itself, and those under the members (of an object) or elements (of
// an array) it lists. In each, no two member names may be equal under
// Unicode case folding: the event would carry one member's value while a
// reader that matches names case-insensitively (Go's encoding/json, among
// others) could take the other's from data.raw. Exact duplicates are refused
// earlier, by the decoder.
type caseScope struct {
	members  []scopedMember
	elements []scopedElement
}

type scopedMember struct {
	name  string
	scope *caseScope
}

type scopedElement struct {
	index int
	scope *caseScope
}

// scopeOf builds a scope that descends into each of the listed members.
func scopeOf(members ...string) *caseScope {
	s := &caseScope{}
	for _, m := range members {
		s.with(m, &caseScope{})
	}
	return s
}

// with adds the object under member name to the scope, and returns s.
func (s *caseScope) with(name string, child *caseScope) *caseScope {
	s.members = append(s.members, scopedMember{name, child})
	return s
}

func (s *caseScope) member(name []byte) *caseScope {
	for i := range s.members {
		if s.members[i].name == string(name) {
			return s.members[i].scope
		}
	}
	return nil
}

func (s *caseScope) element(n int) *caseScope {
	for i := range s.elements {
		if s.elements[i].index == n {
			return s.elements[i].scope
		}
	}
	return nil
}

// add extends the scope with the objects a path passes through: the one
// holding its first step, and each one below that holds the next.
func (s *caseScope) add(p Path) {
	for _, step := range p[:max(len(p)-1, 0)] {
		next := s.member([]byte(step))
		if next == nil {
			next = &caseScope{}
			s.with(step, next)
		}
		// A step that is an index may also be read from an array.
		if i, err := strconv.Atoi(step); err == nil && i >= 0 && strconv.Itoa(i) == step && s.element(i) == nil {
			s.elements = append(s.elements, scopedElement{i, next})
		}
		s = next
	}
}

var (
	errAmbiguousMember = errors.New("two member names of an object the module reads differ only in case")
	errScan            = errors.New("the payload is not valid JSON")
)

// memberSeen is a member name already met in an object being scanned: the
// hash of its case-folded form, and where its quoted text is in the
// payload.
type memberSeen struct {
	hash       uint64
	start, end int
}

// A caseScan holds the names of the objects being scanned, the innermost
// last; it is reused across deliveries.
type caseScan struct {
	doc  []byte
	seen []memberSeen
	name []byte // an escaped name, unquoted
}

var caseScans = sync.Pool{New: func() any { return &caseScan{seen: make([]memberSeen, 0, 64)} }}

// checkCase reports errAmbiguousMember when an object of doc within scope
// has two member names that differ only in case. doc must already have been
// found valid JSON: the scan relies on that, reading only the bytes that
// delimit strings, objects and arrays (it fails, without a panic, where
// they do not add up).
func checkCase(doc []byte, scope *caseScope) error {
	if scope == nil {
		return nil
	}
	c := caseScans.Get().(*caseScan)
	c.doc = doc
	_, err := c.value(skipSpace(doc, 0), scope)
	c.doc, c.seen = nil, c.seen[:0]
	if cap(c.seen) > 1024 || cap(c.name) > 1024 {
		return err // an unusual payload's buffers are not kept
	}
	caseScans.Put(c)
	return err
}

func (c *caseScan) value(i int, scope *caseScope) (int, error) {
	if i >= len(c.doc) {
		return i, errScan
	}
	switch {
	case scope == nil:
		return skipValue(c.doc, i)
	case c.doc[i] == '{':
		return c.object(i, scope)
	case c.doc[i] == '[' && len(scope.elements) > 0:
		return c.array(i, scope)
	}
	return skipValue(c.doc, i)
}

func (c *caseScan) object(i int, scope *caseScope) (int, error) {
	doc := c.doc
	first := len(c.seen) // this object's names are seen[first:]
	defer func() { c.seen = c.seen[:first] }()
	var big map[string]struct{}
	i = skipSpace(doc, i+1)
	if i < len(doc) && doc[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(doc) || doc[i] != '"' {
			return i, errScan
		}
		start := i
		end, escaped, err := skipString(doc, i)
		if err != nil {
			return end, err
		}
		name := doc[start+1 : end-1]
		if escaped {
			if c.name, err = unquote(c.name[:0], doc[start:end]); err != nil {
				return end, err
			}
			name = c.name // read before the value's scan reuses it
		}
		h := foldHash(name)
		if big == nil {
			for _, m := range c.seen[first:] {
				if m.hash == h && sameFold(doc[m.start:m.end], doc[start:end]) {
					return end, errAmbiguousMember
				}
			}
			if len(c.seen)-first == smallObject {
				big = c.foldedNames(first)
			}
		}
		if big != nil {
			// Past smallObject names, a set of their folded forms keeps
			// the check linear in the number of members.
			folded := string(appendFolded(nil, name))
			if _, dup := big[folded]; dup {
				return end, errAmbiguousMember
			}
			big[folded] = struct{}{}
		}
		c.seen = append(c.seen, memberSeen{h, start, end})
		i = skipSpace(doc, end)
		if i >= len(doc) || doc[i] != ':' {
			return i, errScan
		}
		if i, err = c.value(skipSpace(doc, i+1), scope.member(name)); err != nil {
			return i, err
		}
		i = skipSpace(doc, i)
		if i >= len(doc) {
			return i, errScan
		}
		switch doc[i] {
		case ',':
			i = skipSpace(doc, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, errScan
		}
	}
}

// smallObject is how many names an object may have before its names go
// into a set instead of being compared each with each.
const smallObject = 32

// foldedNames is the set of the folded names seen[first:].
func (c *caseScan) foldedNames(first int) map[string]struct{} {
	set := make(map[string]struct{}, 2*smallObject)
	for _, m := range c.seen[first:] {
		name, err := unquote(nil, c.doc[m.start:m.end])
		if err == nil {
			set[string(appendFolded(nil, name))] = struct{}{}
		}
	}
	return set
}

func (c *caseScan) array(i int, scope *caseScope) (int, error) {
	doc := c.doc
	i = skipSpace(doc, i+1)
	if i < len(doc) && doc[i] == ']' {
		return i + 1, nil
	}
	for n := 0; ; n++ {
		var err error
		if i, err = c.value(i, scope.element(n)); err != nil {
			return i, err
		}
		i = skipSpace(doc, i)
		if i >= len(doc) {
			return i, errScan
		}
		switch doc[i] {
		case ',':
			i = skipSpace(doc, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, errScan
		}
	}
}

// skipValue steps over the value at i: a string, a nested object or array
// (counting brackets outside strings), or a number or literal.
func skipValue(doc []byte, i int) (int, error) {
	switch doc[i] {
	case '"':
		end, _, err := skipString(doc, i)
		return end, err
	case '{', '[':
		depth := 0
		for i < len(doc) {
			switch doc[i] {
			case '"':
				end, _, err := skipString(doc, i)
				if err != nil {
					return end, err
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return i, errScan
	}
	for i < len(doc) && !endsScalar[doc[i]] {
		i++
	}
	return i, nil
}

// endsScalar are the bytes that can follow a number or literal.
var endsScalar = [256]bool{',': true, '}': true, ']': true, ' ': true, '\t': true, '\r': true, '\n': true}

// skipString steps over the string whose opening quote is at i and tells
// whether it holds escapes. It looks at eight bytes at a time for a quote
// or a backslash.
func skipString(doc []byte, i int) (end int, escaped bool, err error) {
	for j := i + 1; j < len(doc); {
		if j+8 <= len(doc) {
			w := binary.LittleEndian.Uint64(doc[j:])
			q, b := w^('"'*lowBits), w^('\\'*lowBits)
			if ((q-lowBits)&^q|(b-lowBits)&^b)&highBits == 0 {
				j += 8
				continue
			}
		}
		switch doc[j] {
		case '"':
			return j + 1, escaped, nil
		case '\\':
			escaped = true
			j += 2
			continue
		}
		j++
	}
	return len(doc), escaped, errScan
}

// skipSpace steps over whitespace: in valid JSON, outside strings, the
// only bytes up to ' '.
func skipSpace(doc []byte, i int) int {
	for i < len(doc) && doc[i] <= ' ' {
		i++
	}
	return i
}

func unquote(dst, quoted []byte) ([]byte, error) {
	name, err := jsontext.AppendUnquote(dst, quoted)
	if err != nil {
		return nil, errNameEscape
	}
	return name, nil
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
	mixer    = 0x9E3779B97F4A7C15
)

// foldHash hashes a name as its case-folded form: every rune replaced by
// the least rune of its case-folding orbit (so 'k', 'K' and the Kelvin sign
// hash alike), as strings.EqualFold compares them. ASCII names, nearly all,
// are folded and hashed eight bytes at a time. The hash need not resist
// anyone: names that hash alike are compared in full.
func foldHash(name []byte) uint64 {
	h := uint64(len(name))
	for n := 0; n < len(name); n += 8 {
		var w uint64
		if n+8 <= len(name) {
			w = binary.LittleEndian.Uint64(name[n:])
		} else {
			for i := len(name) - 1; i >= n; i-- {
				w = w<<8 | uint64(name[i])
			}
		}
		if w&highBits != 0 {
			return foldHashUnicode(name)
		}
		h = mixWord(h, foldASCII(w))
	}
	return h
}

// foldASCII upper-cases the ASCII letters of eight ASCII bytes: a byte from
// 'a' to 'z' gets its high bit set in lower, which then clears its 0x20.
func foldASCII(w uint64) uint64 {
	lower := (w + (0x80-'a')*lowBits) &^ (w + (0x80-'z'-1)*lowBits) & highBits
	return w ^ lower>>2
}

func mixWord(h, w uint64) uint64 {
	h = (h ^ w) * mixer
	return h ^ h>>29
}

// foldHashUnicode is foldHash for a name with runes beyond ASCII: it folds
// them into a buffer and hashes that as foldHash hashes ASCII, so a name
// that folds to ASCII (the Kelvin sign to 'K') hashes as that ASCII does.
func foldHashUnicode(name []byte) uint64 {
	var buf [64]byte
	folded := appendFolded(buf[:0], name)
	h := uint64(len(folded))
	for n := 0; n < len(folded); n += 8 {
		var w uint64
		for i := min(n+8, len(folded)) - 1; i >= n; i-- {
			w = w<<8 | uint64(folded[i])
		}
		h = mixWord(h, w)
	}
	return h
}

// appendFolded appends name with each rune replaced by the least rune of
// its case-folding orbit: two names are equal under strings.EqualFold when
// their folded forms are equal.
func appendFolded(dst, name []byte) []byte {
	for i := 0; i < len(name); {
		c := name[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(name[i:])
		dst = utf8.AppendRune(dst, foldRune(r))
		i += n
	}
	return dst
}

// foldRune is the least rune that folds to the same as r.
func foldRune(r rune) rune {
	for {
		next := unicode.SimpleFold(r)
		if next <= r {
			return next
		}
		r = next
	}
}

// sameFold compares two quoted member names under case folding, as
// strings.EqualFold does, unescaping them when they hold escapes.
func sameFold(a, b []byte) bool {
	var bufA, bufB [64]byte
	x, errA := unquote(bufA[:0], a)
	y, errB := unquote(bufB[:0], b)
	return errA == nil && errB == nil && bytes.EqualFold(x, y)
}
