package cli

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"path"
	"sort"
	"strings"
)

// samples are the vendors' sample events, shipped in the binary so that
// `caddy biohook send --vendor x` works with no file.
type samples struct{ fs fs.FS }

// defaultSamples is the event sent when none is named.
var defaultSamples = map[string]string{
	"faceio":            "enroll",
	"entrust":           "face.biometric.created",
	"hmac":              "decision_approved",
	"standard_webhooks": "verification.approved",
	"argos":             "approved",
	"authenteq":         "passport",
	"incode":            "auth_pass",
	"yoti":              "session_completion",
	"socure":            "evaluation_completed_accept",
	"jumio":             "processed",
	"ondato":            "kyc_approved",
	"stripe":            "identity.verification_session.verified",
	"persona":           "inquiry.approved",
	"shufti":            "verification.accepted",
	"veriff":            "decision_approved",
	"onfido":            "workflow_run.completed.approved",
	"idenfy":            "approved",
	"metamap":           "verification_completed",
	"sumsub":            "applicantReviewed.green",
	"didit":             "status.updated.approved",
}

// names lists the built-in events of vendor.
func (s samples) names(vendor string) []string {
	if s.fs == nil {
		return nil
	}
	entries, _ := fs.ReadDir(s.fs, path.Join("testdata", vendor))
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), sampleExt(vendor)); ok && !e.IsDir() {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// payload returns the built-in payload name of vendor, or its default.
func (s samples) payload(vendor, name string) ([]byte, error) {
	if name == "" {
		name = defaultSamples[vendor]
	}
	b, err := []byte(nil), fs.ErrNotExist
	if s.fs != nil {
		b, err = fs.ReadFile(s.fs, path.Join("testdata", vendor, name+sampleExt(vendor)))
	}
	if err == nil && vendor == "authenteq" {
		b, err = multipartResult(b)
	}
	if err != nil {
		names := s.names(vendor)
		if len(names) == 0 {
			return nil, fmt.Errorf("no built-in events for vendor %q: give a payload with --file", vendor)
		}
		return nil, fmt.Errorf("no built-in event %q for %s; there are: %s", name, vendor, strings.Join(names, ", "))
	}
	return b, nil
}

// sampleExt is how the vendor's samples are kept: Authenteq's as whole
// multipart requests, the others as JSON payloads.
func sampleExt(vendor string) string {
	if vendor == "authenteq" {
		return ".http"
	}
	return ".json"
}

// multipartResult takes the "result" part, the payload, from a captured
// Authenteq request; send builds the multipart body around it again.
func multipartResult(raw []byte) ([]byte, error) {
	c, err := readCapture(raw)
	if err != nil {
		return nil, err
	}
	_, params, err := mime.ParseMediaType(c.Request.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	mr := multipart.NewReader(bytes.NewReader(c.Body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, fmt.Errorf("the sample has no result part: %w", err)
		}
		if p.FormName() == "result" {
			return io.ReadAll(p)
		}
	}
}
