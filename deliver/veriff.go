package deliver

func init() { register("veriff", veriff) }

// veriff signs the body in X-HMAC-SIGNATURE with the shared secret key and,
// with the setting "api_key", sends the API key in X-AUTH-CLIENT.
func veriff(o *Options) (*Delivery, error) {
	d, err := signedBody(o, "X-HMAC-SIGNATURE", "sha256")
	if err != nil {
		return nil, err
	}
	if key := o.Settings["api_key"]; key != "" {
		d.Header.Set("X-AUTH-CLIENT", key)
	}
	return d, nil
}
