package deliver

import (
	"net/http"

	"github.com/biohook/caddy-biohook/verify"
)

func init() { register("entrust", entrust) }

// entrust signs as Entrust IDaaS does: a Content-Digest (sha-256) of the
// body, and an RFC 9421 hmac-sha256 signature labelled "sig" over the
// method, the target URI and the digest, created now.
func entrust(o *Options) (*Delivery, error) {
	key, err := o.firstSecret()
	if err != nil {
		return nil, err
	}
	d := jsonDelivery(o)
	d.Header.Set("Content-Digest", verify.ContentDigest(o.setting("digest", "sha-256"), o.Payload))
	signer := verify.HMACSigner{
		Label:      "sig",
		Components: []string{"@method", "@target-uri", "content-digest"},
		Key:        key,
		Created:    o.Now,
	}
	in, sig, err := signer.Sign(verify.Message{Method: http.MethodPost, TargetURI: o.URL, Header: d.Header})
	if err != nil {
		return nil, err
	}
	d.Header.Set("Signature-Input", in)
	d.Header.Set("Signature", sig)
	return d, nil
}
