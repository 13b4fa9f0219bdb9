package deliver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/textproto"
)

func init() { register("authenteq", authenteq) }

// authenteq posts multipart/form-data as Authenteq does: a "result" part
// with the JSON payload and image parts, X-CLIENT-ID, and X-SIGNATURE the
// hex SHA-256 digest of the raw body and the client secret, combined as the
// "digest" setting says (body_secret, secret_body or hmac; as the route's).
func authenteq(o *Options) (*Delivery, error) {
	secret, err := o.firstSecret()
	if err != nil {
		return nil, err
	}
	if o.ClientID == "" {
		return nil, fmt.Errorf("deliver: authenteq needs a client id")
	}
	body, contentType, err := authenteqForm(o.Payload)
	if err != nil {
		return nil, err
	}
	sig, err := authenteqDigest(o.setting("digest", "body_secret"), body, secret)
	if err != nil {
		return nil, err
	}
	d := &Delivery{Method: "POST", URL: o.URL, Header: make(map[string][]string), Body: body}
	d.Header.Set("Content-Type", contentType)
	d.Header.Set("X-Client-Id", o.ClientID)
	d.Header.Set("X-Signature", sig)
	return d, nil
}

func authenteqForm(result []byte) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreatePart(textproto.MIMEHeader{
		"Content-Disposition": {`form-data; name="result"`},
		"Content-Type":        {"application/json"},
	})
	if err != nil {
		return nil, "", err
	}
	part.Write(result)
	for i, name := range []string{"faceImage", "croppedFrontImage"} {
		part, err := w.CreatePart(textproto.MIMEHeader{
			"Content-Disposition": {fmt.Sprintf(`form-data; name=%q; filename="%s.png"`, name, name)},
			"Content-Type":        {"image/png"},
		})
		if err != nil {
			return nil, "", err
		}
		if err := png.Encode(part, sampleImage(uint8(i))); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// sampleImage is a small image standing in for a photo.
func sampleImage(shade uint8) image.Image {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(i*4) + shade*100
	}
	img.Set(0, 0, color.Gray{Y: 255})
	return img
}

func authenteqDigest(construction string, body, secret []byte) (string, error) {
	var sum []byte
	switch construction {
	case "body_secret":
		h := sha256.New()
		h.Write(body)
		h.Write(secret)
		sum = h.Sum(nil)
	case "secret_body":
		h := sha256.New()
		h.Write(secret)
		h.Write(body)
		sum = h.Sum(nil)
	case "hmac":
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		sum = m.Sum(nil)
	default:
		return "", fmt.Errorf("deliver: unknown authenteq digest %q (body_secret, secret_body, hmac)", construction)
	}
	return hex.EncodeToString(sum), nil
}
