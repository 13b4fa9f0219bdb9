package deliver

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/biohook/caddy-biohook/verify"
)

func init() { register("standard_webhooks", standardWebhooks) }

// standardWebhooks signs as a Standard Webhooks sender does: webhook-id,
// webhook-timestamp, and a webhook-signature with a v1 signature for each
// secret (whsec_...) and a v1a signature for the "private_key" setting
// (whsk_...), space-separated.
func standardWebhooks(o *Options) (*Delivery, error) {
	var signer verify.SWSigner
	for i, s := range o.Secrets {
		k, err := verify.ParseSWSecret(s)
		if err != nil {
			return nil, fmt.Errorf("deliver: secret #%d: %w", i+1, err)
		}
		signer.Secrets = append(signer.Secrets, k)
	}
	if pk := o.Settings["private_key"]; pk != "" {
		k, err := verify.ParseSWPrivateKey(pk)
		if err != nil {
			return nil, fmt.Errorf("deliver: private_key: %w", err)
		}
		signer.PrivateKeys = []ed25519.PrivateKey{k}
	}
	if len(signer.Secrets) == 0 && len(signer.PrivateKeys) == 0 {
		return nil, fmt.Errorf("deliver: standard_webhooks needs a whsec_ secret or a whsk_ private_key")
	}
	id := o.ID
	if id == "" {
		sum := sha256.Sum256(append([]byte(strconv.FormatInt(o.Now.UnixNano(), 10)), o.Payload...))
		id = "msg_" + base64.RawURLEncoding.EncodeToString(sum[:15])
	}
	sw := signer.Sign(id, o.Now, o.Payload)
	d := jsonDelivery(o)
	d.Header.Set("webhook-id", sw.ID)
	d.Header.Set("webhook-timestamp", sw.Timestamp)
	d.Header.Set("webhook-signature", sw.Signature)
	return d, nil
}
