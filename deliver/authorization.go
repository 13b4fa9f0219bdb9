package deliver

import (
	"encoding/base64"
	"fmt"
	"strings"
)

func init() {
	register("yoti", authorizationSender)
	register("socure", authorizationSender)
	register("jumio", staticHeaderSender)
	register("ondato", staticHeaderSender)
}

// authorizationSender sends as Yoti and Socure RiskOS do: nothing signs
// the body; the credentials set up with the vendor travel in the
// Authorization header. The "auth" setting picks the scheme: "bearer"
// (the default; the token is the first secret) or "basic" (the user is the
// client id, the password the first secret).
func authorizationSender(o *Options) (*Delivery, error) {
	secret, err := o.firstSecret()
	if err != nil {
		return nil, err
	}
	d := jsonDelivery(o)
	switch auth := o.setting("auth", "bearer"); auth {
	case "bearer":
		d.Header.Set("Authorization", "Bearer "+string(secret))
	case "basic":
		if o.ClientID == "" {
			return nil, fmt.Errorf("deliver: %s basic needs the user as the client id", o.Vendor)
		}
		d.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(o.ClientID+":"+string(secret))))
	default:
		return nil, fmt.Errorf("deliver: %s auth %q: want bearer or basic", o.Vendor, auth)
	}
	return d, nil
}

// staticHeaderSender sends as Jumio and Ondato do: the payload and nothing
// that proves it. The "header" setting ("Name: value") adds the header a
// proxy in front of the route would.
func staticHeaderSender(o *Options) (*Delivery, error) {
	d := jsonDelivery(o)
	if h := o.Settings["header"]; h != "" {
		if err := setStaticHeader(d, o.Vendor, h); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// setStaticHeader sets the header of a "Name: value" setting.
func setStaticHeader(d *Delivery, vendor, setting string) error {
	name, value, ok := strings.Cut(setting, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("deliver: %s header %q: want Name: value", vendor, setting)
	}
	d.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	return nil
}
