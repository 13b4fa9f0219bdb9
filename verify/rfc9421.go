package verify

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/dunglas/httpsfv"
)

// Message is the part of an HTTP request that an RFC 9421 signature can cover:
// the method, the target URI the sender called, and the header fields.
type Message struct {
	Method    string
	TargetURI string
	Header    http.Header
}

// SignatureInput is one member of a Signature-Input field: the components a
// signature covers and its parameters, as received.
type SignatureInput struct {
	Label      string
	Components []string
	Alg        string
	KeyID      string
	Nonce      string
	Tag        string
	Created    time.Time // zero when absent
	Expires    time.Time // zero when absent

	// params is the serialised inner list: the value of "@signature-params".
	params string

	// sig is the signature's bytes, once HMACProfile.ParseHeaders has
	// checked the input.
	sig []byte
}

// ParseSignature reads the member named label from the Signature-Input and
// Signature fields of header. It returns the parsed input and the raw
// signature bytes.
func ParseSignature(header http.Header, label string) (*SignatureInput, []byte, error) {
	inputLines, sigLines := header.Values("Signature-Input"), header.Values("Signature")
	if len(inputLines) == 0 || len(sigLines) == 0 {
		return nil, nil, ErrSignatureMissing
	}
	sig, err := signatureValue(sigLines, label)
	if err != nil {
		return nil, nil, err
	}
	if in, ok := fastSignatureInput(inputLines, label); ok {
		return in, sig, nil
	}
	inputs, err := httpsfv.UnmarshalDictionary(inputLines)
	if err != nil {
		return nil, nil, ErrSignatureMalformed
	}
	inputMember, ok := inputs.Get(label)
	if !ok {
		return nil, nil, ErrSignatureLabel
	}
	list, ok := inputMember.(httpsfv.InnerList)
	if !ok {
		return nil, nil, ErrSignatureMalformed
	}
	in, err := newSignatureInput(label, list)
	if err != nil {
		return nil, nil, err
	}
	return in, sig, nil
}

// signatureValue reads the signature bytes of label from the Signature field.
func signatureValue(lines []string, label string) ([]byte, error) {
	var sig []byte
	if m, ok := singleByteSeq(lines); ok {
		if m.key != label {
			return nil, ErrSignatureLabel
		}
		sig = m.value
	} else {
		sigs, err := httpsfv.UnmarshalDictionary(lines)
		if err != nil {
			return nil, ErrSignatureMalformed
		}
		member, ok := sigs.Get(label)
		if !ok {
			return nil, ErrSignatureLabel
		}
		item, ok := member.(httpsfv.Item)
		if !ok {
			return nil, ErrSignatureMalformed
		}
		if sig, ok = item.Value.([]byte); !ok {
			return nil, ErrSignatureMalformed
		}
	}
	if len(sig) == 0 {
		return nil, ErrSignatureMalformed
	}
	return sig, nil
}

func newSignatureInput(label string, list httpsfv.InnerList) (*SignatureInput, error) {
	in := &SignatureInput{Label: label, Components: make([]string, 0, len(list.Items))}
	seen := make(map[string]bool, len(list.Items))
	for _, item := range list.Items {
		name, ok := item.Value.(string)
		if !ok || name == "" || seen[name] {
			return nil, ErrSignatureMalformed
		}
		if len(item.Params.Names()) > 0 {
			// ;sf, ;key, ;bs, ;req, ;name change how a component is read;
			// none is needed by a supported vendor, so they are refused.
			return nil, ErrComponentUnknown
		}
		seen[name] = true
		in.Components = append(in.Components, name)
	}
	if err := in.readParams(list.Params); err != nil {
		return nil, err
	}
	params, err := httpsfv.Marshal(list)
	if err != nil {
		return nil, ErrSignatureMalformed
	}
	in.params = params
	return in, nil
}

func (in *SignatureInput) readParams(p *httpsfv.Params) error {
	for _, name := range p.Names() {
		v, _ := p.Get(name)
		var ok bool
		switch name {
		case "alg":
			in.Alg, ok = v.(string)
		case "keyid":
			in.KeyID, ok = v.(string)
		case "nonce":
			in.Nonce, ok = v.(string)
		case "tag":
			in.Tag, ok = v.(string)
		case "created":
			in.Created, ok = unixParam(v)
		case "expires":
			in.Expires, ok = unixParam(v)
		default:
			ok = true // unknown parameters are covered by the signature as they are
		}
		if !ok {
			return ErrSignatureMalformed
		}
	}
	return nil
}

func unixParam(v any) (time.Time, bool) {
	n, ok := v.(int64)
	if !ok || n < 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// Covers reports whether the signature covers every one of the components.
func (in *SignatureInput) Covers(components ...string) bool {
	for _, want := range components {
		found := false
		for _, c := range in.Components {
			if c == want {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// CheckTime enforces the created and expires parameters, where present,
// allowing skew either way for clocks that disagree.
func (in *SignatureInput) CheckTime(now time.Time, skew time.Duration) error {
	if !in.Created.IsZero() {
		if in.Created.After(now.Add(skew)) {
			return ErrSignatureFuture
		}
		if in.Created.Before(now.Add(-skew)) {
			return ErrSignatureStale
		}
	}
	if !in.Expires.IsZero() && in.Expires.Before(now.Add(-skew)) {
		return ErrSignatureStale
	}
	return nil
}

// Base builds the RFC 9421 signature base for m: one line per covered
// component, then the "@signature-params" line.
func (in *SignatureInput) Base(m Message) ([]byte, error) {
	return in.AppendBase(make([]byte, 0, 512), m)
}

// AppendBase appends the signature base for m to b.
func (in *SignatureInput) AppendBase(b []byte, m Message) ([]byte, error) {
	var target *url.URL
	for _, name := range in.Components {
		value, err := componentValue(name, m, &target)
		if err != nil {
			return nil, err
		}
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `": `...)
		b = append(b, value...)
		b = append(b, '\n')
	}
	b = append(b, `"@signature-params": `...)
	b = append(b, in.params...)
	return b, nil
}

// componentValue returns the value of one covered component. target is parsed
// from m.TargetURI on first need.
func componentValue(name string, m Message, target **url.URL) (string, error) {
	if !strings.HasPrefix(name, "@") {
		return fieldValue(name, m.Header)
	}
	switch name {
	case "@method":
		return m.Method, nil
	case "@target-uri":
		return m.TargetURI, nil
	}
	if *target == nil {
		u, err := url.Parse(m.TargetURI)
		if err != nil {
			return "", ErrComponentMissing
		}
		*target = u
	}
	u := *target
	switch name {
	case "@authority":
		return authority(u), nil
	case "@scheme":
		return strings.ToLower(u.Scheme), nil
	case "@path":
		if p := u.EscapedPath(); p != "" {
			return p, nil
		}
		return "/", nil
	case "@query":
		return "?" + u.RawQuery, nil
	case "@request-target":
		return u.RequestURI(), nil
	}
	return "", ErrComponentUnknown
}

// canonicalNames spares the usual covered fields a canonicalisation, which
// allocates, on every request.
var canonicalNames = map[string]string{
	"content-digest": "Content-Digest",
	"content-type":   "Content-Type",
	"content-length": "Content-Length",
	"date":           "Date",
}

// fieldValue is a header field's value as RFC 9421 section 2.1 defines it:
// each field line trimmed, the lines joined with ", ".
func fieldValue(name string, h http.Header) (string, error) {
	if name != strings.ToLower(name) {
		return "", ErrSignatureMalformed
	}
	key, ok := canonicalNames[name]
	if !ok {
		key = http.CanonicalHeaderKey(name)
	}
	lines := h[key]
	if len(lines) == 0 {
		return "", ErrComponentMissing
	}
	if len(lines) == 1 {
		return strings.TrimSpace(lines[0]), nil
	}
	trimmed := make([]string, len(lines))
	for i, l := range lines {
		trimmed[i] = strings.TrimSpace(l)
	}
	return strings.Join(trimmed, ", "), nil
}

func authority(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" || (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		return host
	}
	return host + ":" + port
}

// HMACSigner signs messages as an RFC 9421 sender does with a shared key.
// The module uses it in tests and in the tools that send sample deliveries.
type HMACSigner struct {
	Label      string
	Components []string
	Key        []byte
	KeyID      string
	Created    time.Time // zero: no created parameter
	Expires    time.Time // zero: no expires parameter
}

// Sign returns the Signature-Input and Signature field values for m.
func (s HMACSigner) Sign(m Message) (signatureInput, signature string, err error) {
	list := httpsfv.InnerList{Params: httpsfv.NewParams()}
	for _, c := range s.Components {
		list.Items = append(list.Items, httpsfv.NewItem(c))
	}
	if !s.Created.IsZero() {
		list.Params.Add("created", s.Created.Unix())
	}
	if !s.Expires.IsZero() {
		list.Params.Add("expires", s.Expires.Unix())
	}
	if s.KeyID != "" {
		list.Params.Add("keyid", s.KeyID)
	}
	list.Params.Add("alg", "hmac-sha256")
	in, err := newSignatureInput(s.Label, list)
	if err != nil {
		return "", "", err
	}
	base, err := in.Base(m)
	if err != nil {
		return "", "", err
	}
	mac := HMACSHA256(s.Key, base)
	return s.Label + "=" + in.params, s.Label + "=:" + base64.StdEncoding.EncodeToString(mac) + ":", nil
}

// basePool keeps signature-base buffers across requests: a base is built,
// hashed and dropped.
var basePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// HMACProfile is a signing profile that a vendor fixes: the label it uses,
// the components it must cover and the algorithm it names.
type HMACProfile struct {
	Label    string
	Required []string
	Alg      string
	MaxSkew  time.Duration
	// RequireCreated refuses a signature without a created parameter:
	// one without created (or expires) has no time limit.
	RequireCreated bool
}

// Verify checks m's signature under the profile against any of the
// secrets: ParseHeaders, then Match.
func (p HMACProfile) Verify(m Message, secrets Secrets, now time.Time) error {
	in, err := p.ParseHeaders(m.Header, now)
	if err != nil {
		return err
	}
	return p.Match(in, m, secrets)
}

// ParseHeaders reads the profile's signature from the header and checks all
// that needs neither a key nor the body: the label, the covered components,
// the algorithm, and the created and expires times as of now. A receiver
// calls it before reading the body, so that a request that cannot be
// genuine costs no body read; a forged request outside the window is
// therefore reported as stale, not as a forgery. Match checks the rest.
func (p HMACProfile) ParseHeaders(header http.Header, now time.Time) (*SignatureInput, error) {
	in, sig, err := ParseSignature(header, p.Label)
	if err != nil {
		return nil, err
	}
	if !in.Covers(p.Required...) {
		return nil, ErrSignatureProfile
	}
	if in.Alg != "" && in.Alg != p.Alg {
		return nil, ErrSignatureAlgorithm
	}
	if p.RequireCreated && in.Created.IsZero() {
		return nil, ErrCreatedMissing
	}
	if err := in.CheckTime(now, p.MaxSkew); err != nil {
		return nil, err
	}
	in.sig = sig
	return in, nil
}

// Match checks the signature ParseHeaders read against m under any of the
// secrets.
func (p HMACProfile) Match(in *SignatureInput, m Message, secrets Secrets) error {
	if len(in.sig) == 0 {
		return ErrSignatureMissing // not from ParseHeaders
	}
	buf := basePool.Get().(*[]byte)
	base, err := in.AppendBase((*buf)[:0], m)
	if err != nil {
		basePool.Put(buf)
		return err
	}
	match := secrets.MatchHMACSHA256(base, in.sig)
	*buf = base[:0]
	basePool.Put(buf)
	if !match {
		return ErrSignatureMismatch
	}
	return nil
}
