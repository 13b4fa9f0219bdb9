package deliver

import (
	"github.com/biohook/caddy-biohook/verify"
)

// signedBody is a JSON delivery with the hex HMAC of the raw body, under
// the first secret, in header: what Veriff, Onfido, iDenfy, MetaMap, Sumsub
// and Didit send, each in its own header.
func signedBody(o *Options, header, algorithm string) (*Delivery, error) {
	key, err := o.firstSecret()
	if err != nil {
		return nil, err
	}
	scheme, err := verify.NewBodyHMAC(algorithm, "hex", "")
	if err != nil {
		return nil, err
	}
	d := jsonDelivery(o)
	d.Header.Set(header, scheme.Sign(key, o.Payload))
	return d, nil
}
