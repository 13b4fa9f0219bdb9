package deliver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/biohook/caddy-biohook/verify"
)

func init() { register("shufti", shufti) }

// shufti signs as Shufti Pro does: Signature, the hex SHA-256 of the body
// followed by the hex SHA-256 of the secret key, or, with the setting
// "digest" legacy (the same words as the route's), by the key itself.
func shufti(o *Options) (*Delivery, error) {
	secret, err := o.firstSecret()
	if err != nil {
		return nil, err
	}
	key := secret
	switch digest := o.setting("digest", "hashed_secret"); digest {
	case "hashed_secret":
		sum := sha256.Sum256(secret)
		key = []byte(hex.EncodeToString(sum[:]))
	case "legacy":
	default:
		return nil, fmt.Errorf("deliver: unknown shufti digest %q (hashed_secret, legacy)", digest)
	}
	d := jsonDelivery(o)
	d.Header.Set("Signature", verify.SignSuffixDigest(o.Payload, key))
	return d, nil
}
