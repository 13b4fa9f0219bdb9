package deliver

func init() { register("onfido", onfido) }

// onfido signs the body in X-SHA2-Signature with the webhook token.
func onfido(o *Options) (*Delivery, error) { return signedBody(o, "X-SHA2-Signature", "sha256") }
