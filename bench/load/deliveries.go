package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/biohook/caddy-biohook/verify"
)

// builder returns a function that makes the i-th delivery for the vendor.
// Deliveries are signed before the clock starts, so that the sender's own
// cryptography does not share the machine's cores with the server under test.
func builder(o options) (func(i int) *http.Request, error) {
	switch o.vendor {
	case "plain", "entrust":
		// plain sends the same signed deliveries to a route that checks nothing.
		bodies, headers := make([][]byte, o.max+1), make([]http.Header, o.max+1)
		for i := range bodies {
			bodies[i], headers[i] = entrustDelivery(o, i)
		}
		return func(i int) *http.Request { return newPost(o.url, bodies[i], headers[i].Clone()) }, nil
	case "authenteq":
		body, contentType := authenteqBody(4, 1<<20)
		sum := sha256.Sum256(append(append([]byte(nil), body...), o.secret...))
		header := http.Header{
			"Content-Type": {contentType},
			"X-Client-Id":  {o.clientID},
			"X-Signature":  {hex.EncodeToString(sum[:])},
		}
		return func(int) *http.Request { return newPost(o.url, body, header.Clone()) }, nil
	}
	return nil, fmt.Errorf("unknown vendor %q", o.vendor)
}

// entrustBody is a user.created event of about size bytes with id i.
func entrustBody(i, size int) []byte {
	body := fmt.Sprintf(`{"id":"bench-%08d","type":"user.created","accountId":"fba02d5c-2f79-4cfd-91f5-6bd454e97ab3",`+
		`"eventTime":"2026-03-16T19:35:16Z","data":{"subject":"a1b2c3d4-e5f6-7890-abcd-ef1234567890",`+
		`"subjectName":"adminuser","subjectType":"USER","resourceName":"Administration Portal","sourceIp":"192.168.1.50",`+
		`"entityType":"USERS","entityId":"b2c3d4e5-f6a7-8901-bcde-f23456789012","entityName":"janesmith",`+
		`"entityAttributes":{"userId":"janesmith","firstName":"Jane","lastName":"Smith","email":"janesmith@example.com",`+
		`"note":"%s"}}}`, i, "")
	pad := size - len(body)
	if pad > 0 {
		body = strings.Replace(body, `"note":""`, `"note":"`+strings.Repeat("x", pad)+`"`, 1)
	}
	return []byte(body)
}

func entrustDelivery(o options, i int) ([]byte, http.Header) {
	body := entrustBody(i, o.bodySize)
	h := http.Header{"Content-Type": {"application/json"}}
	h.Set("Content-Digest", verify.ContentDigest("sha-256", body))
	signer := verify.HMACSigner{Label: "sig", Components: []string{"@method", "@target-uri", "content-digest"}, Key: []byte(o.secret)}
	in, sig, err := signer.Sign(verify.Message{Method: http.MethodPost, TargetURI: o.url, Header: h})
	if err != nil {
		panic(err)
	}
	h.Set("Signature-Input", in)
	h.Set("Signature", sig)
	return body, h
}

// authenteqBody is a multipart delivery with n images of size bytes each.
func authenteqBody(n, size int) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("result", `{"id":"7f1c2a4e-0000-4000-8000-000000000001","status":"PASSED","documentData":{"documentType":"PP","documentNumber":"X1234567","issuingCountry":"EST","givenNames":"Jane","surname":"Smith"}}`)
	names := []string{"croppedFrontImage", "croppedBackImage", "faceImage", "livenessFaceImage"}
	img := make([]byte, size)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img {
		img[i] = byte(r.Uint32())
	}
	for i := 0; i < n; i++ {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="%s.jpg"`, names[i%len(names)], names[i%len(names)]))
		h.Set("Content-Type", "image/jpeg")
		w, _ := mw.CreatePart(h)
		_, _ = w.Write(img)
	}
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}
