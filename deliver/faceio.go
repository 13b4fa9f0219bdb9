package deliver

func init() { register("faceio", faceio) }

// faceio sends the application's webhook token as "Bearer <token>" in
// WWW-Authenticate; nothing signs the body.
func faceio(o *Options) (*Delivery, error) {
	token, err := o.firstSecret()
	if err != nil {
		return nil, err
	}
	d := jsonDelivery(o)
	d.Header.Set("WWW-Authenticate", "Bearer "+string(token))
	return d, nil
}
