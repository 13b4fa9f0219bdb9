package integration

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// builtInEvents are the names of vendor's built-in sample events, the ones
// `--event` takes: its files under testdata/<vendor>/, which the binary
// embeds.
func builtInEvents(t testing.TB, vendor string) []string {
	t.Helper()
	ext := sampleFileExt(vendor)
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", vendor, "*"+ext))
	if len(paths) == 0 {
		t.Fatalf("no built-in events for %s", vendor)
	}
	var names []string
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ext))
	}
	slices.Sort(names)
	return names
}

// defaultEvents are the events `send` and `sign` use when --event is not
// given.
var defaultEvents = map[string]string{
	"faceio": "enroll", "entrust": "face.biometric.created", "hmac": "decision_approved",
	"standard_webhooks": "verification.approved", "argos": "approved", "authenteq": "passport", "incode": "auth_pass",
	"yoti": "session_completion", "socure": "evaluation_completed_accept", "jumio": "processed", "ondato": "kyc_approved",
	"stripe": "identity.verification_session.verified", "persona": "inquiry.approved", "shufti": "verification.accepted",
	"veriff": "decision_approved", "onfido": "workflow_run.completed.approved", "idenfy": "approved",
	"metamap": "verification_completed", "sumsub": "applicantReviewed.green", "didit": "status.updated.approved",
}

// defaultPayload is the payload of vendor's default event: the file, or,
// for Authenteq, whose samples are whole multipart requests, its result part.
func defaultPayload(t testing.TB, vendor string) []byte {
	t.Helper()
	raw := readFixture(t, vendor, defaultEvents[vendor]+sampleFileExt(vendor))
	if vendor != "authenteq" {
		return raw
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(req.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("the %s sample has no result part: %v", vendor, err)
		}
		if p.FormName() == "result" {
			b, _ := io.ReadAll(p)
			return b
		}
	}
}

func sampleFileExt(vendor string) string {
	if vendor == "authenteq" {
		return ".http"
	}
	return ".json"
}
