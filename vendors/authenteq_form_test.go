package vendors

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/go-json-experiment/json"
)

// The credentials every Authenteq fixture is signed with.
const (
	authenteqTestClientID = "3f9d2c1a-authenteq-client"
	authenteqTestSecret   = "authenteq-client-secret-2026"
	authenteqTestBoundary = "b7e1c2d4-9a3f-4e5b-8c6d-0f1e2a3b4c5d"
)

// testPart is one part of a form a test builds.
type testPart struct {
	name, filename, contentType string
	data                        []byte
	extraHeader                 string // raw header lines, each ending in CRLF
}

// testForm builds a multipart/form-data body the way Authenteq sends one.
type testForm struct {
	boundary string
	parts    []testPart
	preamble string
	epilogue string
}

func (f testForm) body() []byte {
	var b bytes.Buffer
	b.WriteString(f.preamble)
	for _, p := range f.parts {
		b.WriteString("--" + f.boundary + "\r\n")
		fmt.Fprintf(&b, "Content-Disposition: form-data; name=%q", p.name)
		if p.filename != "" {
			fmt.Fprintf(&b, "; filename=%q", p.filename)
		}
		b.WriteString("\r\n")
		if p.contentType != "" {
			b.WriteString("Content-Type: " + p.contentType + "\r\n")
		}
		b.WriteString(p.extraHeader)
		b.WriteString("\r\n")
		b.Write(p.data)
		b.WriteString("\r\n")
	}
	b.WriteString("--" + f.boundary + "--\r\n")
	b.WriteString(f.epilogue)
	return b.Bytes()
}

func (f testForm) contentType() string { return "multipart/form-data; boundary=" + f.boundary }

// authenteqSign is the X-SIGNATURE of body under secret with construction digest.
func authenteqSign(digest string, body []byte, secret string) string {
	var sum []byte
	switch digest {
	case AuthenteqDigestSecretBody:
		s := sha256.Sum256(append([]byte(secret), body...))
		sum = s[:]
	case AuthenteqDigestHMAC:
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		sum = m.Sum(nil)
	default:
		s := sha256.Sum256(append(bytes.Clone(body), secret...))
		sum = s[:]
	}
	return hex.EncodeToString(sum)
}

// authenteqHTTP is a raw HTTP/1.1 request as Authenteq sends it.
func authenteqHTTP(contentType string, body []byte, clientID, signature string) []byte {
	var b bytes.Buffer
	b.WriteString("POST /hooks/authenteq HTTP/1.1\r\n")
	b.WriteString("Host: hooks.example.com\r\n")
	b.WriteString("Content-Type: " + contentType + "\r\n")
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	if clientID != "" {
		b.WriteString("X-Client-Id: " + clientID + "\r\n")
	}
	if signature != "" {
		b.WriteString("X-Signature: " + signature + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// signedHTTP signs body with the test credentials.
func signedHTTP(contentType string, body []byte) []byte {
	return authenteqHTTP(contentType, body, authenteqTestClientID,
		authenteqSign(AuthenteqDigestBodySecret, body, authenteqTestSecret))
}

// formDelivery is the Delivery of a form, signed with the test credentials.
func formDelivery(contentType string, body []byte) *Delivery {
	r := httptest.NewRequest(http.MethodPost, "https://hooks.example.com/hooks/authenteq", bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	r.Header.Set("X-Client-Id", authenteqTestClientID)
	r.Header.Set("X-Signature", authenteqSign(AuthenteqDigestBodySecret, body, authenteqTestSecret))
	return &Delivery{Request: r, Body: body, Received: time.Now()}
}

// blob is deterministic image-like content: the format's magic bytes, n
// bytes of filler derived from seed, and the format's end marker.
func blob(format, seed string, n int) []byte {
	var head, tail []byte
	switch format {
	case "png":
		head = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
		tail = []byte("\x00\x00\x00\x00IEND\xaeB`\x82")
	case "pdf":
		head, tail = []byte("%PDF-1.4\n"), []byte("\n%%EOF\n")
	default:
		head = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}
		tail = []byte{0xFF, 0xD9}
	}
	out := append([]byte{}, head...)
	state := sha256.Sum256([]byte(seed))
	for len(out) < len(head)+n {
		out = append(out, state[:min(len(state), len(head)+n-len(out))]...)
		state = sha256.Sum256(state[:])
	}
	return append(out, tail...)
}

func jpegPart(name string, seed string, n int) testPart {
	return testPart{name: name, filename: name + ".jpg", contentType: "image/jpeg", data: blob("jpeg", seed, n)}
}

func resultPart(json string) testPart {
	return testPart{name: "result", contentType: "application/json", data: []byte(json)}
}

const authenteqPassport = `{
  "id": "7f3c2a1e-5b8d-4c9a-9e2f-1a6b3c4d5e6f",
  "status": "PASSED",
  "platform": "WEB",
  "startTime": "2026-03-14T09:12:03.412Z",
  "endTime": "2026-03-14T09:14:47.905Z",
  "documentData": {
    "documentType": "PP",
    "documentNumber": "C01X00T47",
    "issuingCountry": "DEU",
    "nationality": "DEU",
    "givenNames": "ERIKA",
    "surname": "MUSTERMANN",
    "sex": "F",
    "dateOfBirth": "1964-08-12",
    "dateOfExpiry": "2031-10-31",
    "dateOfIssue": "2021-11-01"
  },
  "nfcVerified": true
}`

const authenteqTwoDocuments = `{
  "id": "0b6a9d2e-3c41-4f7a-8e5d-2c9b1a7f6e30",
  "status": "PASSED",
  "platform": "IOS",
  "startTime": "2026-03-15T17:40:11Z",
  "endTime": "2026-03-15T17:43:59Z",
  "documentData": {
    "documentType": "DL",
    "documentNumber": "B072RRE2I55",
    "issuingCountry": "GBR",
    "nationality": "GBR",
    "givenNames": "JOHN JAMES",
    "surname": "SMITH",
    "sex": "M",
    "dateOfBirth": "1985-01-20",
    "dateOfExpiry": "2029-07-02",
    "dateOfIssue": "2019-07-03",
    "address": "1 HIGH STREET, LONDON, SW1A 1AA"
  },
  "documentData2": {
    "documentType": "NID",
    "documentNumber": "PX1234567",
    "issuingCountry": "IRL",
    "nationality": "IRL",
    "givenNames": "JOHN JAMES",
    "surname": "SMITH",
    "dateOfBirth": "1985-01-20",
    "dateOfExpiry": "2030-05-14"
  },
  "nfcVerified": false
}`

const authenteqFailed = `{
  "id": "5d1e8f3a-77b2-4c0e-9a14-6f2b8c3d9e01",
  "status": "FAILED",
  "platform": "ANDROID",
  "startTime": "2026-03-16T08:01:00Z",
  "endTime": "2026-03-16T08:02:30Z",
  "documentData": {
    "documentType": "NID",
    "documentNumber": 123456789,
    "issuingCountry": "EST",
    "givenNames": "MARI",
    "surname": "MAASIKAS"
  }
}`

// The four images every delivery carries.
func authenteqRequiredImages(seed string) []testPart {
	return []testPart{
		jpegPart("croppedFrontImage", seed+"front", 480),
		jpegPart("croppedBackImage", seed+"back", 400),
		jpegPart("faceImage", seed+"face", 256),
		{name: "livenessFaceImage", filename: "livenessFaceImage.png", contentType: "image/png", data: blob("png", seed+"liveness", 320)},
	}
}

// authenteqFixtures builds each delivery kept under testdata/authenteq.
// TestAuthenteqFixtures writes them with -update and otherwise holds the
// files to them, so every fixture stays correctly signed.
func authenteqFixtures() map[string][]byte {
	out := map[string][]byte{}

	passport := testForm{boundary: authenteqTestBoundary,
		parts: append([]testPart{resultPart(authenteqPassport)}, authenteqRequiredImages("passport")...)}
	// A face image whose bytes contain the boundary's text, not followed by
	// what makes a delimiter.
	tricky := passport.parts[3].data
	tricky = append(tricky[:100:100], append([]byte("\r\n--"+authenteqTestBoundary+"x"), tricky[100:]...)...)
	passport.parts[3].data = tricky
	out["passport.http"] = signedHTTP(passport.contentType(), passport.body())

	two := testForm{boundary: "----AuthenteqFormBoundary8hQp2xZ4",
		parts: append([]testPart{resultPart(authenteqTwoDocuments)}, authenteqRequiredImages("two")...)}
	two.parts = append(two.parts,
		jpegPart("croppedFrontImage2", "two-front2", 300),
		jpegPart("croppedBackImage2", "two-back2", 300),
		jpegPart("faceImage2", "two-face2", 200),
		testPart{name: "addressProofDocument", filename: "utility-bill.pdf", contentType: "application/pdf", data: blob("pdf", "bill", 600)},
		testPart{name: "signatureImage", filename: "signature.png", contentType: "image/png", data: blob("png", "signature", 90)},
	)
	out["two_documents.http"] = signedHTTP(two.contentType(), two.body())

	failed := testForm{boundary: authenteqTestBoundary,
		parts: append([]testPart{resultPart(authenteqFailed)}, authenteqRequiredImages("failed")[2:]...)}
	out["status_failed.http"] = signedHTTP(failed.contentType(), failed.body())

	for name, raw := range authenteqBadFixtures() {
		out["bad/"+name] = raw
	}
	return out
}

// authenteqBadFixtures are deliveries with a valid signature (unless the
// signature is the point) that must be refused; the root package's tests
// send each through Caddy.
func authenteqBadFixtures() map[string][]byte {
	good := testForm{boundary: authenteqTestBoundary,
		parts: append([]testPart{resultPart(authenteqPassport)}, authenteqRequiredImages("bad")[:2]...)}
	body := good.body()
	noResult := testForm{boundary: authenteqTestBoundary, parts: authenteqRequiredImages("bad")[:2]}
	notJSON := testForm{boundary: authenteqTestBoundary,
		parts: append([]testPart{resultPart(`{"id": "7f3c2a1e", "status": PASSED}`)}, authenteqRequiredImages("bad")[:1]...)}
	json := []byte(authenteqPassport)
	return map[string][]byte{
		"truncated.http":          signedHTTP(good.contentType(), body[:len(body)/2]),
		"missing_result.http":     signedHTTP(noResult.contentType(), noResult.body()),
		"result_not_json.http":    signedHTTP(notJSON.contentType(), notJSON.body()),
		"no_boundary.http":        signedHTTP("multipart/form-data", body),
		"wrong_client_id.http":    authenteqHTTP(good.contentType(), body, "someone-else", authenteqSign(AuthenteqDigestBodySecret, body, authenteqTestSecret)),
		"wrong_secret.http":       authenteqHTTP(good.contentType(), body, authenteqTestClientID, authenteqSign(AuthenteqDigestBodySecret, body, "not-the-secret")),
		"body_not_multipart.http": signedHTTP(good.contentType(), json),
		"json_content_type.http":  signedHTTP("application/json", json),
	}
}

// authenteqBadCase is what a bad fixture must get: the status and the
// reason code.
type authenteqBadCase struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
}

// authenteqBadCases are the bad fixtures' cases, as
// testdata/authenteq/bad/cases.json lists them for these tests and for the
// integration tests that send each through Caddy.
var authenteqBadCases = func() map[string]authenteqBadCase {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "authenteq", "bad", "cases.json"))
	if err != nil {
		panic(err)
	}
	var cases map[string]authenteqBadCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		panic(err)
	}
	return cases
}()
