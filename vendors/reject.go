package vendors

import (
	"errors"
	"net/http"
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
// cannot be read as the vendor's payload.
func BadPayload(code string, cause error) *Rejection {
	return Reject(http.StatusBadRequest, code, cause)
}

// AsRejection finds the rejection in err, or reports a 500 for an error that
// carries none (a bug, never a vendor's fault).
func AsRejection(err error) *Rejection {
	var rej *Rejection
	if errors.As(err, &rej) {
		return rej
	}
	return Reject(http.StatusInternalServerError, "internal_error", err)
}
