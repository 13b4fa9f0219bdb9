package deliver

func init() { register("metamap", metamap) }

// metamap signs the body in x-signature with the flow's webhook secret.
func metamap(o *Options) (*Delivery, error) { return signedBody(o, "x-signature", "sha256") }
