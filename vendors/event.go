package vendors

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Kind says what an event is about, the same words for every vendor.
type Kind string

// The kinds of event.
const (
	KindAuthentication Kind = "authentication"
	KindEnrollment     Kind = "enrollment"
	KindDeletion       Kind = "deletion"
	KindVerification   Kind = "verification"
	KindOther          Kind = "other"
)

// Outcome says what the vendor decided about the person.
type Outcome string

// The outcomes.
const (
	OutcomeApproved Outcome = "approved" // the person passed
	OutcomeRejected Outcome = "rejected" // the person failed
	OutcomePending  Outcome = "pending"  // a decision is still to come
	OutcomeNone     Outcome = "none"     // a record changed; no verdict
)

// The CloudEvents types an event can have.
const (
	TypeFaceAuthentication     = "io.biohook.face.authentication"
	TypeFaceEnrollment         = "io.biohook.face.enrollment"
	TypeFaceDeletion           = "io.biohook.face.deletion"
	TypeIdentityAuthentication = "io.biohook.identity.authentication"
	TypeIdentityVerification   = "io.biohook.identity.verification"
	TypeIdentityDeletion       = "io.biohook.identity.deletion"
	TypeVendorEvent            = "io.biohook.vendor.event"
)

// MediaType is the Content-Type of a normalised event: CloudEvents 1.0 in
// structured mode.
const MediaType = "application/cloudevents+json"

// Event is a normalised delivery: a CloudEvents 1.0 event whose data has the
// same shape for every vendor. schema/event.schema.json describes it.
type Event struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Subject         string    `json:"subject,omitempty"`
	Time            string    `json:"time,omitempty"`
	DataContentType string    `json:"datacontenttype"`
	Data            EventData `json:"data"`
}

// EventData is the vendor-independent body of an event.
type EventData struct {
	Vendor      string         `json:"vendor"`
	VendorEvent string         `json:"vendor_event"`
	Kind        Kind           `json:"kind"`
	Outcome     Outcome        `json:"outcome"`
	User        *User          `json:"user,omitempty"`
	Document    *Document      `json:"document,omitempty"`
	Scores      *Scores        `json:"scores,omitempty"`
	Signals     *Signals       `json:"signals,omitempty"`
	Error       *EventError    `json:"error,omitempty"`
	Resource    *Resource      `json:"resource,omitempty"`
	Reference   jsontext.Value `json:"reference,omitzero"`

	// Images are the images sent with the delivery. Encode writes them,
	// their bytes base64-encoded straight into the output.
	Images []Image `json:"-"`

	// Raw is the vendor's original payload. Encode copies it in as
	// received, so it must be JSON the vendor has already decoded (and so
	// validated) in full.
	Raw jsontext.Value `json:"-"`
}

// User is the person an event is about, as far as the vendor tells.
type User struct {
	ID         string `json:"id,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	Email      string `json:"email,omitempty"`
	Name       string `json:"name,omitempty"`
}

// Document is the identity document a verification read.
type Document struct {
	Type           string `json:"type,omitempty"`
	Number         string `json:"number,omitempty"`
	IssuingCountry string `json:"issuing_country,omitempty"`
	Nationality    string `json:"nationality,omitempty"`
	DateOfBirth    string `json:"date_of_birth,omitempty"`
	DateOfExpiry   string `json:"date_of_expiry,omitempty"`
}

// Scores are the vendor's confidences, each from 0 to 1.
type Scores struct {
	Match *float64 `json:"match,omitempty"`
	Spoof *float64 `json:"spoof,omitempty"`
}

// Signals are the vendor's yes/no findings.
type Signals struct {
	FaceMatch *bool `json:"face_match,omitempty"`
	Spoof     *bool `json:"spoof,omitempty"`
	Mask      *bool `json:"mask,omitempty"`
	Lenses    *bool `json:"lenses,omitempty"`
}

// EventError is the vendor's own error, where it reports one.
type EventError struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// Resource is the vendor's object an event is about, for vendors that send
// a thin notification (outcome pending) whose decision the application
// fetches from the vendor's API.
type Resource struct {
	// Type is the vendor's name for the object, e.g. check,
	// verification_session, workflow_execution.
	Type string `json:"type,omitempty"`
	// ID is the object's id at the vendor.
	ID string `json:"id,omitempty"`
	// Href is the vendor's URL of the object, where the vendor sends one.
	Href string `json:"href,omitempty"`
}

// Image is one image a vendor sent with a delivery. Data is left out when the
// route keeps only the images' metadata.
type Image struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type,omitempty"`
	Size        int    `json:"size"`
	SHA256      string `json:"sha256"`

	// Data is the image's bytes, written by Event.Encode as base64; nil
	// leaves it out. It may share memory with the delivery's body.
	Data []byte `json:"-"`
}

// NewEvent starts an event for vendor with the envelope fields every event
// shares; the vendor fills in the rest.
func NewEvent(vendor, vendorEvent string, raw []byte) *Event {
	return &Event{
		SpecVersion:     "1.0",
		Source:          Source(vendor),
		DataContentType: "application/json",
		Data: EventData{
			Vendor:      vendor,
			VendorEvent: vendorEvent,
			Raw:         raw,
		},
	}
}

// Source is the CloudEvents source of every event from vendor.
func Source(vendor string) string {
	if s, ok := builtinSources[vendor]; ok {
		return s
	}
	return "urn:biohook:" + vendor
}

// builtinSources are the built-in vendors' sources, made once rather than
// on every event.
var builtinSources = map[string]string{}

func init() {
	for _, v := range []string{"argos", "authenteq", "entrust", "faceio", "incode", "persona", "shufti", "stripe"} {
		builtinSources[v] = "urn:biohook:" + v
	}
}

// DerivedID is the event id for a vendor that sends none: a digest of the
// vendor and the raw body, so that a retry of the same delivery, which
// repeats the body, gets the same id.
func DerivedID(vendor string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(vendor))
	h.Write([]byte{0})
	h.Write(body)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// DerivedIDOf is the event id for a vendor that sends no id but whose
// payload names what the event is about: a digest of the vendor and the
// parts (each length-prefixed, so no two lists of parts collide). A retry
// repeats the parts, whatever the body's layout, and gets the same id.
func DerivedIDOf(vendor string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(vendor))
	h.Write([]byte{0})
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// Encode writes the event as one JSON object into one buffer of its final
// size. Two parts are written by hand rather than by the encoder: the
// images' bytes, base64-encoded straight into the output (megabytes that
// the encoder would copy while growing its buffer), and the raw payload,
// copied byte for byte: the vendor has validated it by decoding it, and
// encoding it again would cost more than all the rest of the event.
func (e *Event) Encode() ([]byte, error) {
	return e.AppendEncode(nil)
}

// AppendEncode is Encode writing after dst, so that the handler can encode
// into a buffer it reuses. dst grows at most once, to the event's size.
func (e *Event) AppendEncode(dst []byte) ([]byte, error) {
	start := len(dst)
	out, err := appendHead(slices.Grow(dst, e.SizeHint()), e) // the envelope and data, without images or raw
	if err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(out[start:], []byte("}}")) {
		return nil, errors.New("event did not encode as an object with data")
	}
	out = out[:len(out)-2]
	if len(e.Data.Images) > 0 {
		out = append(out, `,"images":[`...)
		for i := range e.Data.Images {
			if out, err = appendImage(out, &e.Data.Images[i], i > 0); err != nil {
				return nil, err
			}
		}
		out = append(out, ']')
	}
	raw := e.Data.Raw
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = jsontext.Value("null")
	}
	out = append(append(out, `,"raw":`...), raw...)
	return append(out, "}}"...), nil
}

// appendImage appends one image: its metadata through the JSON encoder,
// its bytes as base64.
func appendImage(out []byte, img *Image, comma bool) ([]byte, error) {
	meta, err := json.Marshal(img)
	if err != nil {
		return nil, err
	}
	if comma {
		out = append(out, ',')
	}
	out = append(out, meta[:len(meta)-1]...)
	if len(img.Data) > 0 {
		out = append(out, `,"data":"`...)
		out = base64.StdEncoding.AppendEncode(out, img.Data)
		out = append(out, '"')
	}
	return append(out, '}'), nil
}

// SizeHint estimates the encoded size, so that the output buffer is
// allocated once even when it carries megabytes of images.
func (e *Event) SizeHint() int {
	n := 1024 + len(e.Data.Raw) + len(e.Data.Reference)
	for _, img := range e.Data.Images {
		n += 160 + len(img.Name) + len(img.ContentType) + (len(img.Data)+2)/3*4
	}
	return n
}
