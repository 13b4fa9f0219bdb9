package deliver

import "fmt"

func init() { register("sumsub", sumsub) }

// sumsubAlgNames are the names Sumsub sends in X-Payload-Digest-Alg.
var sumsubAlgNames = map[string]string{"sha1": "HMAC_SHA1_HEX", "sha256": "HMAC_SHA256_HEX", "sha512": "HMAC_SHA512_HEX"}

// sumsub signs the body in X-Payload-Digest with the secret key, the hash
// as the setting "algorithm" says (sha256, the default, sha512 or sha1;
// as the route's), and names it in X-Payload-Digest-Alg.
func sumsub(o *Options) (*Delivery, error) {
	alg := o.setting("algorithm", "sha256")
	name, ok := sumsubAlgNames[alg]
	if !ok {
		return nil, fmt.Errorf("deliver: sumsub algorithm %q: sha256, sha512 or sha1", alg)
	}
	d, err := signedBody(o, "X-Payload-Digest", alg)
	if err != nil {
		return nil, err
	}
	d.Header.Set("X-Payload-Digest-Alg", name)
	return d, nil
}
