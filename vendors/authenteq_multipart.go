package vendors

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/textproto"
	"strings"
)

// formPart is one part of a multipart/form-data body. Data is a sub-slice
// of the body, not a copy: a delivery with megabytes of images is held in
// memory once.
type formPart struct {
	Name        string
	File        bool // a filename parameter is present, even an empty one
	ContentType string
	Data        []byte
}

// Limits on a form. Authenteq sends at most 13 parts, each with a few
// header lines; the limits keep a verified but hostile body from costing
// more than its size.
const (
	maxFormParts      = 64
	maxPartHeaderSize = 8 << 10
	maxBoundaryLength = 70 // RFC 2046, section 5.1.1
)

var (
	errFormBoundary         = errors.New("Content-Type has no usable boundary parameter")
	errFormMediaType        = errors.New("Content-Type is not multipart/form-data")
	errFormOpening          = errors.New("the body does not begin with the boundary delimiter")
	errFormTruncated        = errors.New("the body ends before the closing boundary delimiter")
	errFormEpilogue         = errors.New("the body goes on after the closing boundary delimiter")
	errFormTooManyParts     = fmt.Errorf("the form has more than %d parts", maxFormParts)
	errFormHeaderEnd        = errors.New("a part's header does not end with a blank line")
	errFormHeader           = errors.New("a part's header is malformed")
	errFormDisposition      = errors.New("a part has no Content-Disposition form-data with a name")
	errFormDuplicate        = errors.New("a part repeats a header that must appear once")
	errFormTransferEncoding = errors.New("a part has a Content-Transfer-Encoding other than 7bit, 8bit or binary")
)

// formBoundary reads the boundary from a multipart/form-data Content-Type.
func formBoundary(contentType string) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", errFormBoundary
	}
	if mt != "multipart/form-data" {
		return "", errFormMediaType
	}
	b := params["boundary"]
	if !validBoundary(b) {
		return "", errFormBoundary
	}
	return b, nil
}

// validBoundary reports whether b is a boundary as RFC 2046 (section 5.1.1)
// defines it: 1 to 70 characters of bchars, the last one not a space. With
// no trailing space, no tab and no line break, the boundary a body's first
// line opens with is the only one that frames it (see splitForm).
func validBoundary(b string) bool {
	if b == "" || len(b) > maxBoundaryLength || b[len(b)-1] == ' ' {
		return false
	}
	for i := 0; i < len(b); i++ {
		if !isBoundaryChar(b[i]) {
			return false
		}
	}
	return true
}

// isBoundaryChar is RFC 2046's bchars: a digit, a letter, a space or one of '()+_,-./:=?
func isBoundaryChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("'()+_,-./:=? ", c) >= 0
}

// splitForm locates the parts of a multipart body (RFC 2046 section 5.1,
// RFC 7578) without copying them. Lines may end in CRLF or, leniently, LF.
//
// The boundary comes from the Content-Type, which the signature does not
// cover, so the framing is pinned to the signed bytes: the body must begin
// with the opening delimiter at its first byte and end with the closing
// delimiter, followed by at most one line break. No preamble, no epilogue.
// Were either skipped, a captured delivery could be sent again under a
// boundary that occurs only inside a part (an image the user supplied, or
// bytes appended by a length extension) and have those bytes read as the
// form. A body that ends before the closing delimiter is refused too.
func splitForm(body []byte, boundary string) ([]formPart, error) {
	dash := []byte("--" + boundary)
	if !bytes.HasPrefix(body, dash) {
		return nil, errFormOpening
	}
	pos, closing, ok := afterDelimiter(body, len(dash))
	if !ok {
		return nil, errFormOpening
	}
	var parts []formPart
	for !closing {
		if len(parts) == maxFormParts {
			return nil, errFormTooManyParts
		}
		end, next, last, ok := nextDelimiter(body, pos, dash)
		if !ok {
			return nil, errFormTruncated
		}
		p, err := parsePart(body[pos:end])
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
		pos, closing = next, last
	}
	// pos is just past the closing delimiter's "--".
	switch rest := body[pos:]; {
	case len(rest) == 0, len(rest) == 2 && rest[0] == '\r' && rest[1] == '\n', len(rest) == 1 && rest[0] == '\n':
		return parts, nil
	}
	return nil, errFormEpilogue
}

// nextDelimiter finds the next delimiter line at or after from. end is where
// the current part's content ends (before the line break that belongs to
// the delimiter), next where the following part begins (for the close
// delimiter: just past its "--"), and closing reports the close delimiter.
func nextDelimiter(body []byte, from int, dash []byte) (end, next int, closing, ok bool) {
	for i := from; i < len(body); {
		j := bytes.Index(body[i:], dash)
		if j < 0 {
			return 0, 0, false, false
		}
		at := i + j
		i = at + 1
		if at == 0 || body[at-1] != '\n' {
			continue
		}
		next, closing, ok = afterDelimiter(body, at+len(dash))
		if !ok {
			continue // the boundary's text inside content, not a delimiter
		}
		end = at - 1
		if end > from && body[end-1] == '\r' {
			end--
		}
		return max(end, from), next, closing, true
	}
	return 0, 0, false, false
}

// afterDelimiter reads what follows "--boundary" at i: "--" for the close
// delimiter (next is just past it), or optional transport padding and a line
// break (next is where the part begins). ok=false means the bytes are not a
// delimiter at all.
func afterDelimiter(body []byte, i int) (next int, closing, ok bool) {
	rest := body[i:]
	if bytes.HasPrefix(rest, []byte("--")) {
		return i + 2, true, true
	}
	rest = bytes.TrimLeft(rest, " \t")
	switch {
	case bytes.HasPrefix(rest, []byte("\r\n")):
		return len(body) - len(rest) + 2, false, true
	case bytes.HasPrefix(rest, []byte("\n")):
		return len(body) - len(rest) + 1, false, true
	}
	return 0, false, false
}

// parsePart reads a part's header with net/textproto and keeps its content
// as a sub-slice.
func parsePart(raw []byte) (formPart, error) {
	headEnd, ok := partHeaderEnd(raw)
	if !ok {
		return formPart{}, errFormHeaderEnd
	}
	if headEnd > maxPartHeaderSize {
		return formPart{}, errFormHeader
	}
	head := raw[:headEnd]
	tr := textproto.NewReader(bufio.NewReaderSize(bytes.NewReader(head), max(len(head), 16)))
	h, err := tr.ReadMIMEHeader()
	if err != nil {
		return formPart{}, errFormHeader
	}
	p := formPart{Data: raw[headEnd:]}
	if err := readPartHeader(h, &p); err != nil {
		return formPart{}, err
	}
	return p, nil
}

// partHeaderEnd finds where a part's content starts: after the first blank
// line, which may be the part's first line when it has no header.
func partHeaderEnd(raw []byte) (int, bool) {
	switch {
	case bytes.HasPrefix(raw, []byte("\r\n")):
		return 2, true
	case bytes.HasPrefix(raw, []byte("\n")):
		return 1, true
	}
	window := raw[:min(len(raw), maxPartHeaderSize+4)]
	crlf := bytes.Index(window, []byte("\n\r\n"))
	lf := bytes.Index(window, []byte("\n\n"))
	switch {
	case crlf >= 0 && (lf < 0 || crlf < lf):
		return crlf + 3, true
	case lf >= 0:
		return lf + 2, true
	}
	return 0, false
}

// readPartHeader takes the form field name, the file name, the content type
// and refuses a transfer encoding it would have to decode.
func readPartHeader(h textproto.MIMEHeader, p *formPart) error {
	for _, name := range []string{"Content-Disposition", "Content-Type", "Content-Transfer-Encoding"} {
		if len(h[name]) > 1 {
			return errFormDuplicate
		}
	}
	disp, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	if err != nil || disp != "form-data" || params["name"] == "" {
		return errFormDisposition
	}
	_, p.File = params["filename"]
	p.Name = params["name"]
	p.ContentType = strings.TrimSpace(h.Get("Content-Type"))
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "", "7bit", "8bit", "binary":
		return nil
	}
	return errFormTransferEncoding
}
