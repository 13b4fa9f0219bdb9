package deliver

import "strconv"

func init() { register("didit", didit) }

// didit signs the raw body in X-Signature with the Webhook Secret Key and
// sends the time in X-Timestamp, Unix seconds. Didit's X-Signature-V2 and
// X-Signature-Simple, for receivers that cannot see the raw bytes, are not
// built.
func didit(o *Options) (*Delivery, error) {
	d, err := signedBody(o, "X-Signature", "sha256")
	if err != nil {
		return nil, err
	}
	d.Header.Set("X-Timestamp", strconv.FormatInt(o.Now.Unix(), 10))
	return d, nil
}
