package vendors

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Rejection is a delivery refused: the HTTP status, a short reason code the
// vendor and the logs see, and the cause for the logs. None of them ever
// carries a secret or an expected value.
type Rejection struct {
	Status int
	Code   string
	Err    error
}

func (r *Rejection) Error() string {
	if r.Err == nil {
		return r.Code
	}
	return r.Code + ": " + r.Err.Error()
}

func (r *Rejection) Unwrap() error { return r.Err }

// Reject returns a rejection with the given status, code and cause.
func Reject(status int, code string, cause error) *Rejection {
	return &Rejection{Status: status, Code: code, Err: cause}
}

// Unauthorized is a 401 rejection: the delivery did not prove where it came from.
func Unauthorized(code string, cause error) *Rejection {
	return Reject(http.StatusUnauthorized, code, cause)
}

// BadPayload is a 400 rejection: the delivery proved itself but its body
// cannot be read as the vendor's payload. A decoder's error becomes a
// PayloadError, which carries none of the payload's text.
func BadPayload(code string, cause error) *Rejection {
	return Reject(http.StatusBadRequest, code, payloadCause(cause))
}

// PayloadError is a payload that could not be decoded, told without any of
// its text: the JSON decoders' errors name the member where they stopped
// (a JSON pointer), quote a duplicate name, a number out of range or the
// offending character, and a payload's member names and values are
// personal data or worse. What it says is the module's own words; Offset
// is where in the payload decoding stopped, or -1.
type PayloadError struct {
	What   string
	Offset int64
	err    error // a sentinel, for errors.Is: jsontext.ErrDuplicateName, io.ErrUnexpectedEOF
}

func (e *PayloadError) Error() string {
	if e.Offset < 0 {
		return e.What
	}
	return e.What + " at byte " + strconv.FormatInt(e.Offset, 10)
}

func (e *PayloadError) Unwrap() error { return e.err }

// payloadCause replaces a JSON decoder's or encoder's error with a
// PayloadError; the module's own causes, constant text, pass as they are.
func payloadCause(err error) error {
	var sem *json.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &sem):
		what := "a value the module cannot read"
		if kind := jsonKinds[sem.JSONKind]; kind != "" && sem.GoType != nil {
			what = "a JSON " + kind + " where the module reads a " + sem.GoType.Kind().String()
		}
		return &PayloadError{What: what, Offset: sem.ByteOffset}
	case errors.As(err, &syn):
		return &PayloadError{What: syntaxWhat(syn.Err), Offset: syn.ByteOffset, err: syntaxSentinel(syn.Err)}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &PayloadError{What: "the payload ends early", Offset: -1, err: io.ErrUnexpectedEOF}
	}
	return err
}

var jsonKinds = map[jsontext.Kind]string{
	'n': "null", 'f': "boolean", 't': "boolean", '"': "string", '0': "number", '{': "object", '[': "array",
}

// syntaxWhat names a syntax error's kind; the decoder's own text, which
// may quote the payload, is only looked at.
func syntaxWhat(err error) string {
	switch {
	case errors.Is(err, jsontext.ErrDuplicateName):
		return "a duplicate member name"
	case errors.Is(err, jsontext.ErrNonStringName):
		return "a member name that is not a string"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the payload ends early"
	case err == nil:
		return "invalid JSON"
	}
	switch msg := err.Error(); {
	case strings.Contains(msg, "invalid UTF-8"):
		return "invalid UTF-8"
	case strings.HasPrefix(msg, "invalid character"):
		return "an invalid character"
	case strings.Contains(msg, "escape"):
		return "an invalid escape"
	}
	return "invalid JSON"
}

func syntaxSentinel(err error) error {
	for _, s := range []error{jsontext.ErrDuplicateName, jsontext.ErrNonStringName, io.ErrUnexpectedEOF} {
		if errors.Is(err, s) {
			return s
		}
	}
	return nil
}

// AsRejection finds the rejection in err, or reports a 500 for an error that
// carries none (a bug, never a vendor's fault).
func AsRejection(err error) *Rejection {
	var rej *Rejection
	if errors.As(err, &rej) {
		return rej
	}
	return Reject(http.StatusInternalServerError, "internal_error", payloadCause(err))
}
