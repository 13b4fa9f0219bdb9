package vendors

import (
	"errors"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// incodePayload holds the fields of Incode's three webhook families, told
// apart by which are present: Authentication 1:1 and 1:N (overallStatus
// with faceMatch, confidences and flat error fields), Face Authentication
// (overallStatus with externalCustomerId, attemptCounterState and an error
// object), and Onboarding status (onboardingStatus).
type incodePayload struct {
	CustomerID            Text           `json:"customerId"`
	InterviewID           Text           `json:"interviewId"`
	TransactionID         Text           `json:"transactionId"`
	FaceMatch             *bool          `json:"faceMatch"`
	SpoofAttempt          *bool          `json:"spoofAttempt"`
	HasFaceMask           *bool          `json:"hasFaceMask"`
	HasLenses             *bool          `json:"hasLenses"`
	SpoofConfidence       *float64       `json:"spoofConfidence"`
	RecognitionConfidence jsontext.Value `json:"recognitionConfidence"`
	OverallScore          *float64       `json:"overallScore"`
	OverallStatus         Text           `json:"overallStatus"`
	Error                 jsontext.Value `json:"error"` // a string (1:1) or {name, message}
	ErrorCode             Text           `json:"errorCode"`
	ErrorMessage          Text           `json:"errorMessage"`
	ExternalCustomerID    Text           `json:"externalCustomerId"`
	AttemptCounterState   jsontext.Value `json:"attemptCounterState"`
	Hint                  Text           `json:"hint"`
	ExternalID            Text           `json:"externalId"`
	OnboardingStatus      Text           `json:"onboardingStatus"`
}

// The vendor_event names: Incode's payloads carry no event name.
const (
	incodeAuthentication     = "authentication"
	incodeFaceAuthentication = "faceAuthentication"
)

var errIncodeNotObject = errors.New("the body is not a JSON object")

// incodeCases are the objects the normaliser reads.
var incodeCases = scopeOf("error", "recognitionConfidence")

// Normalize maps any of the three families to the common event. A payload
// of none of them passes through as kind other.
func (in *Incode) Normalize(d *Delivery) (*Event, error) {
	var p incodePayload
	if err := json.Unmarshal(d.Body, &p); err != nil {
		return nil, BadPayload("invalid_json", err)
	}
	if err := checkCase(d.Body, incodeCases); err != nil {
		return nil, BadPayload("ambiguous_member", err)
	}
	var ev *Event
	switch {
	case p.OnboardingStatus != "":
		ev = incodeOnboarding(&p, d.Body)
	case p.OverallStatus != "" || p.FaceMatch != nil:
		ev = incodeAuthenticationEvent(&p, d.Body)
	default:
		ev = NewEvent("incode", "unknown", d.Body)
		ev.Type, ev.Data.Kind, ev.Data.Outcome = TypeVendorEvent, KindOther, OutcomeNone
	}
	ev.ID = string(p.TransactionID)
	if ev.ID == "" {
		// Incode sends no delivery id; a retry repeats the body.
		ev.ID = DerivedID("incode", d.Body)
	}
	ev.Data.User = incodeUser(&p)
	if u := ev.Data.User; u != nil {
		ev.Subject = firstNonEmpty(u.ID, u.ExternalID)
	}
	return ev, nil
}

func incodeOnboarding(p *incodePayload, body []byte) *Event {
	ev := NewEvent("incode", string(p.OnboardingStatus), body)
	ev.Type, ev.Data.Kind = TypeIdentityVerification, KindVerification
	switch p.OnboardingStatus {
	case "MANUAL_REVIEW_APPROVED":
		ev.Data.Outcome = OutcomeApproved
	case "MANUAL_REVIEW_REJECTED":
		ev.Data.Outcome = OutcomeRejected
	default:
		ev.Data.Outcome = OutcomePending
	}
	return ev
}

func incodeAuthenticationEvent(p *incodePayload, body []byte) *Event {
	name := incodeAuthentication
	if p.ExternalCustomerID != "" || p.AttemptCounterState != nil || p.Hint != "" || isJSONObject(p.Error) {
		name = incodeFaceAuthentication
	}
	ev := NewEvent("incode", name, body)
	ev.Type, ev.Data.Kind = TypeFaceAuthentication, KindAuthentication
	switch p.OverallStatus {
	case "PASS":
		ev.Data.Outcome = OutcomeApproved
	case "FAIL":
		ev.Data.Outcome = OutcomeRejected
	default:
		ev.Data.Outcome = OutcomeNone
	}
	ev.Data.Scores = incodeScores(p)
	ev.Data.Signals = incodeSignals(p)
	ev.Data.Error = incodeError(p)
	return ev
}

// incodeScores keeps the confidences that are numbers from 0 to 1; the match
// score is the recognition confidence, or the overall score without one.
func incodeScores(p *incodePayload) *Scores {
	var recognition struct {
		Confidence *float64 `json:"confidence"`
	}
	if isJSONObject(p.RecognitionConfidence) {
		_ = json.Unmarshal(p.RecognitionConfidence, &recognition)
	}
	s := Scores{Match: unitInterval(recognition.Confidence), Spoof: unitInterval(p.SpoofConfidence)}
	if s.Match == nil {
		s.Match = unitInterval(p.OverallScore)
	}
	if s.Match == nil && s.Spoof == nil {
		return nil
	}
	return &s
}

func incodeSignals(p *incodePayload) *Signals {
	s := Signals{FaceMatch: p.FaceMatch, Spoof: p.SpoofAttempt, Mask: p.HasFaceMask, Lenses: p.HasLenses}
	if s == (Signals{}) {
		return nil
	}
	return &s
}

// incodeError reads the 1:1 webhook's flat error fields or the Face
// Authentication webhook's error object.
func incodeError(p *incodePayload) *EventError {
	var e EventError
	if isJSONObject(p.Error) {
		var obj struct {
			Name    Text `json:"name"`
			Message Text `json:"message"`
		}
		_ = json.Unmarshal(p.Error, &obj)
		e = EventError{Code: string(obj.Name), Message: string(obj.Message)}
	} else {
		var text Text
		if len(p.Error) > 0 {
			_ = json.Unmarshal(p.Error, &text)
		}
		e = EventError{Code: string(p.ErrorCode), Message: firstNonEmpty(string(p.ErrorMessage), string(text))}
	}
	if e == (EventError{}) {
		return nil
	}
	return &e
}

func incodeUser(p *incodePayload) *User {
	u := User{ID: string(p.CustomerID), ExternalID: firstNonEmpty(string(p.ExternalCustomerID), string(p.ExternalID))}
	if u == (User{}) {
		return nil
	}
	return &u
}

func unitInterval(f *float64) *float64 {
	if f == nil || *f < 0 || *f > 1 {
		return nil
	}
	return f
}

func isJSONObject(v jsontext.Value) bool { return len(v) > 0 && v.Kind() == '{' }

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
