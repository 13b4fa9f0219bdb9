package vendors

import (
	"errors"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// argosPayload is the part of an ARGOS payload the module reads, for every
// trigger; the rest travels in the event's raw field. Names are matched
// exactly: the faceAuth layouts differ only in case (Auth_Status and
// auth_status).
type argosPayload struct {
	Trigger          Text           `json:"webhook_trigger"`
	AuthenticationID Text           `json:"Authentication_id"` // faceAuth, earlier layout
	AuthID           Text           `json:"auth_id"`           // faceAuth, oldest layout
	Data             jsontext.Value `json:"data"`              // faceAuth
	SubmissionID     Text           `json:"submission_id"`
	UserID           Text           `json:"userid"`
	Email            Text           `json:"email"`
	FullName         Text           `json:"fullName"`
	Comment          Text           `json:"comment"`
	DeleteTime       Text           `json:"delete_time"`
	KYCResult        jsontext.Value `json:"kyc_result"`
	IDType           Text           `json:"idType"`
	IssuingCountry   Text           `json:"issuingCountry"`
	Nationality      Text           `json:"nationality"`
	DateOfBirth      Text           `json:"date_of_birth"`
	ExpireDate       Text           `json:"expireDate"`
	DocumentNumber   Text           `json:"documentNumber"`
}

// argosKYCResult is an ID Check submission's kyc_result.
type argosKYCResult struct {
	Status      Text `json:"status"`
	Comment     Text `json:"comment"`
	KYCResultAt Text `json:"kyc_result_at"`
	UpdatedAt   Text `json:"updated_at"`
	CreatedAt   Text `json:"created_at"`
}

// argosFaceAuthData is a faceAuth payload's data, in the current layout
// (capitalised keys, Authentication_id inside) and the oldest (lower case).
type argosFaceAuthData struct {
	AuthenticationID Text           `json:"Authentication_id"`
	SubmissionID     Text           `json:"Submission_id"`
	AuthStatus       Text           `json:"Auth_Status"`
	CreateTime       Text           `json:"Create_Time"`
	AuthUserID       Text           `json:"Auth_User_id"`
	Reference        jsontext.Value `json:"reference"`
	OldSubmissionID  Text           `json:"submission_id"`
	OldAuthStatus    Text           `json:"auth_status"`
	OldCreateTime    Text           `json:"create_time"`
	OldUserID        Text           `json:"user_id"`
}

var (
	errArgosNoTrigger   = errors.New("webhook_trigger is missing")
	errArgosNotAnObject = errors.New("a field that holds an object holds something else")
)

// argosCases are the objects the normaliser reads.
var argosCases = scopeOf("data", "kyc_result")

// argosClass is what an ID Check trigger means in the common event.
type argosClass struct {
	typ     string
	kind    Kind
	outcome Outcome
}

var argosTriggers = map[Text]argosClass{
	"created":     {TypeIdentityVerification, KindVerification, OutcomePending},
	"retry":       {TypeIdentityVerification, KindVerification, OutcomePending},
	"submit":      {TypeIdentityVerification, KindVerification, OutcomePending},
	"approved":    {TypeIdentityVerification, KindVerification, OutcomeApproved},
	"rejected":    {TypeIdentityVerification, KindVerification, OutcomeRejected},
	"updated":     {TypeIdentityVerification, KindVerification, OutcomeNone},
	"injection":   {TypeIdentityVerification, KindVerification, OutcomeNone},
	"aml":         {TypeIdentityVerification, KindVerification, OutcomeNone},
	"aml_monitor": {TypeIdentityVerification, KindVerification, OutcomeNone},
	"delete":      {TypeIdentityDeletion, KindDeletion, OutcomeNone},
}

// Normalize maps a faceAuth result or an ID Check trigger to the common
// event. The raw field is the payload as ARGOS wrote it, decrypted where it
// came encrypted. The id is faceAuth's Authentication_id; ID Check payloads
// carry no id of their own, so theirs is derived from the plaintext, which
// a retry repeats and two distinct events do not share.
func (a *ARGOS) Normalize(d *Delivery) (*Event, error) {
	plain, err := a.plaintext(d)
	if err != nil {
		return nil, err
	}
	var p argosPayload
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, BadPayload("invalid_json", err)
	}
	if err := checkCase(plain, argosCases); err != nil {
		return nil, BadPayload("ambiguous_member", err)
	}
	if p.Trigger == "" {
		return nil, BadPayload("missing_trigger", errArgosNoTrigger)
	}
	ev := NewEvent("argos", string(p.Trigger), plain)
	ev.ID = DerivedID("argos", plain)
	if p.Trigger == "faceAuth" {
		err = argosFaceAuth(&p, ev)
	} else {
		err = argosIDCheck(&p, ev)
	}
	if err != nil {
		return nil, err
	}
	if u := ev.Data.User; u != nil {
		ev.Subject = u.ExternalID
	}
	return ev, nil
}

// argosFaceAuth fills the event from a faceAuth result in any of its layouts.
func argosFaceAuth(p *argosPayload, ev *Event) error {
	var fa argosFaceAuthData
	if err := argosObject(p.Data, &fa); err != nil {
		return err
	}
	ev.Type, ev.Data.Kind = TypeFaceAuthentication, KindAuthentication
	ev.Data.Outcome = argosAuthOutcome(argosFirst(fa.AuthStatus, fa.OldAuthStatus))
	if id := argosFirst(fa.AuthenticationID, p.AuthenticationID, p.AuthID); id != "" {
		ev.ID = string(id)
	}
	ev.Time = argosTime(string(argosFirst(fa.CreateTime, fa.OldCreateTime)))
	if ext := argosFirst(fa.AuthUserID, fa.OldUserID); ext != "" {
		ev.Data.User = &User{ExternalID: string(ext)}
	}
	if fa.Reference.Kind() == '{' {
		ev.Data.Reference = fa.Reference
	}
	return nil
}

// argosAuthOutcome reads faceAuth's Auth_Status.
func argosAuthOutcome(status Text) Outcome {
	switch strings.ToLower(string(status)) {
	case "approved":
		return OutcomeApproved
	case "rejected":
		return OutcomeRejected
	default:
		return OutcomeNone
	}
}

// argosIDCheck fills the event from an ID Check trigger; an unknown trigger
// passes through as kind other.
func argosIDCheck(p *argosPayload, ev *Event) error {
	var kyc argosKYCResult
	if err := argosObject(p.KYCResult, &kyc); err != nil {
		return err
	}
	class, ok := argosTriggers[p.Trigger]
	if !ok {
		class = argosClass{TypeVendorEvent, KindOther, OutcomeNone}
	}
	ev.Type, ev.Data.Kind, ev.Data.Outcome = class.typ, class.kind, class.outcome
	ev.Time = argosTime(string(argosFirst(kyc.KYCResultAt, kyc.UpdatedAt, p.DeleteTime, kyc.CreatedAt)))
	u := User{ExternalID: string(p.UserID), Email: string(p.Email), Name: string(p.FullName)}
	if u != (User{}) {
		ev.Data.User = &u
	}
	ev.Data.Document = argosDocument(p)
	if p.Trigger == "rejected" {
		if msg := argosFirst(kyc.Comment, p.Comment); msg != "" {
			ev.Data.Error = &EventError{Message: string(msg)}
		}
	}
	return nil
}

// argosDocument is the identity document an approved or rejected
// submission read, or nil.
func argosDocument(p *argosPayload) *Document {
	doc := Document{
		Type:           string(p.IDType),
		Number:         string(p.DocumentNumber),
		IssuingCountry: string(p.IssuingCountry),
		Nationality:    string(p.Nationality),
		DateOfBirth:    string(p.DateOfBirth),
		DateOfExpiry:   string(p.ExpireDate),
	}
	if doc == (Document{}) {
		return nil
	}
	return &doc
}

// argosObject decodes v into out when v is an object; absent or null
// leaves out empty; anything else is a payload the module cannot read.
func argosObject(v jsontext.Value, out any) error {
	switch v.Kind() {
	case 0, 'n':
		return nil
	case '{':
		if err := json.Unmarshal(v, out); err != nil {
			return BadPayload("invalid_json", err)
		}
		return nil
	default:
		return BadPayload("invalid_payload", errArgosNotAnObject)
	}
}

// argosFirst returns the first non-empty value.
func argosFirst(values ...Text) Text {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// argosTimeLayouts are the forms ARGOS times are read in. ARGOS writes UTC,
// usually without a zone; a time without one is taken as UTC.
var argosTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// argosTime turns an ARGOS time into RFC 3339 in UTC, or "" when it is none
// of the known forms.
func argosTime(s string) string {
	for _, layout := range argosTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format(time.RFC3339Nano)
		}
	}
	return ""
}
