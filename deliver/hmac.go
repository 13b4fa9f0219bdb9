package deliver

import (
	"fmt"

	"github.com/biohook/caddy-biohook/verify"
)

func init() { register("hmac", hmacBody) }

// hmacBody puts an HMAC of the raw body in a header, as the settings
// "header", "algorithm", "encoding" and "prefix" say (the same words and
// defaults as the hmac vendor's Caddyfile block).
func hmacBody(o *Options) (*Delivery, error) {
	key, err := o.firstSecret()
	if err != nil {
		return nil, err
	}
	header := o.setting("header", "")
	if header == "" {
		return nil, fmt.Errorf("deliver: hmac needs the signature header's name")
	}
	scheme, err := verify.NewBodyHMAC(o.setting("algorithm", "sha256"), o.setting("encoding", "hex"), o.Settings["prefix"])
	if err != nil {
		return nil, err
	}
	d := jsonDelivery(o)
	d.Header.Set(header, scheme.Sign(key, o.Payload))
	return d, nil
}
