package deliver

import (
	"crypto/rand"
	"fmt"

	"github.com/go-json-experiment/json"

	"github.com/biohook/caddy-biohook/verify"
)

func init() { register("argos", argos) }

// argos sends as ARGOS Identity does. With a secret (the project's API
// key), the payload is encrypted as its "secure data transmission" does:
// AES-256 under SHA-256(secret), mode "mode" (ecb, cbc, gcm; default ecb,
// what ARGOS sends since 2024-08-01; the receiving route names its mode),
// "cbc_iv" and "gcm_layout" as the route's, the ciphertext written in
// "encoding" (base64, base64url, hex; default base64), delivered as
// {"data":"<ciphertext>"}. Without one, the payload goes as it is. The
// "header" setting adds a static header, "Name: value".
func argos(o *Options) (*Delivery, error) {
	d := jsonDelivery(o)
	if h := o.Settings["header"]; h != "" {
		if err := setStaticHeader(d, "argos", h); err != nil {
			return nil, err
		}
	}
	if len(o.Secrets) == 0 {
		return d, nil
	}
	c, err := verify.NewPayloadCipher([]byte(o.Secrets[0]), verify.CipherOptions{
		Mode:      verify.CipherMode(o.setting("mode", "ecb")),
		CBCIV:     verify.CBCIV(o.Settings["cbc_iv"]),
		GCMLayout: verify.GCMLayout(o.Settings["gcm_layout"]),
	})
	if err != nil {
		return nil, err
	}
	ct, err := c.Encrypt(o.Payload, rand.Reader)
	if err != nil {
		return nil, err
	}
	enc := verify.CiphertextEncoding(o.setting("encoding", "base64"))
	switch enc {
	case verify.Base64, verify.Base64URL, verify.Hex:
	default:
		return nil, fmt.Errorf("deliver: argos encoding %q (base64, base64url, hex)", enc)
	}
	body, err := json.Marshal(struct {
		Data string `json:"data"`
	}{verify.EncodeCiphertext(ct, enc)})
	if err != nil {
		return nil, err
	}
	d.Body = body
	return d, nil
}
