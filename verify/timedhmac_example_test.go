package verify_test

import (
	"fmt"
	"time"

	"github.com/biohook/caddy-biohook/verify"
)

// A sender signs "<t>.<body>" and writes t=...,v1=...; the receiver
// checks the signature under each secret it holds, then t against its
// window, either way.
func ExampleTimedHMAC() {
	secret := []byte("whsec_test_secret") // used as it is, prefix and all
	body := []byte(`{"id":"evt_test","type":"identity.verification_session.verified"}`)
	sent := time.Unix(1700000000, 0)

	header := verify.SignTimedHMAC(sent, body, secret)
	fmt.Println(header)

	v, err := verify.NewTimedHMAC(verify.NewSecrets([][]byte{secret}), 5*time.Minute)
	if err != nil {
		panic(err)
	}
	fmt.Println(v.Verify(header, body, sent.Add(time.Minute)))
	fmt.Println(v.Verify(header, body, sent.Add(10*time.Minute)))
	fmt.Println(v.Verify(header, body, sent.Add(-10*time.Minute)))
	fmt.Println(v.Verify("t=1700000000,v1=", body, sent))
	// Output:
	// t=1700000000,v1=038374f20c0d52442d4888e77d0f019d08e34fdfd8d9241e9ef3c377d093373a
	// <nil>
	// signature is outside the allowed time window
	// signature was created in the future
	// a v1 signature is empty
}
