package deliver

func init() { register("idenfy", idenfy) }

// idenfy signs the body in Idenfy-Signature with the webhook's signing key.
func idenfy(o *Options) (*Delivery, error) { return signedBody(o, "Idenfy-Signature", "sha256") }
