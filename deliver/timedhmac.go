package deliver

import (
	"strings"

	"github.com/biohook/caddy-biohook/verify"
)

func init() {
	register("stripe", stripe)
	register("persona", persona)
}

// stripe signs as Stripe does: Stripe-Signature "t=<now>,v1=<hex>", one
// v1 per secret in the one set, as while a secret rolls. Each secret is
// used as its bytes are (whsec_... and all).
func stripe(o *Options) (*Delivery, error) {
	keys, err := o.secretBytes()
	if err != nil {
		return nil, err
	}
	d := jsonDelivery(o)
	d.Header.Set("Stripe-Signature", verify.SignTimedHMAC(o.Now, o.Payload, keys...))
	return d, nil
}

// persona signs as Persona does: Persona-Signature "t=<now>,v1=<hex>",
// and while a secret rotates one such set per secret, space-separated.
func persona(o *Options) (*Delivery, error) {
	keys, err := o.secretBytes()
	if err != nil {
		return nil, err
	}
	sets := make([]string, len(keys))
	for i, k := range keys {
		sets[i] = verify.SignTimedHMAC(o.Now, o.Payload, k)
	}
	d := jsonDelivery(o)
	d.Header.Set("Persona-Signature", strings.Join(sets, " "))
	return d, nil
}

// secretBytes is every secret, for vendors that sign with each.
func (o *Options) secretBytes() ([][]byte, error) {
	if _, err := o.firstSecret(); err != nil {
		return nil, err
	}
	keys := make([][]byte, len(o.Secrets))
	for i, s := range o.Secrets {
		keys[i] = []byte(s)
	}
	return keys, nil
}
