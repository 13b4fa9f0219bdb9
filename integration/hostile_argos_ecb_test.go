package integration

import (
	"bytes"
	"crypto/aes"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/verify"
)

// ecbCiphertext encrypts plain with the test key as ARGOS's ECB "secure
// data transmission" does.
func ecbCiphertext(t *testing.T, plain []byte) []byte {
	t.Helper()
	c, err := verify.NewPayloadCipher([]byte(argosKey), verify.CipherOptions{Mode: verify.ModeECB})
	if err != nil {
		t.Fatal(err)
	}
	ct, err := c.Encrypt(plain, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

// ecbEnvelope is the body ARGOS posts: {"data":"<base64 ciphertext>"}.
func ecbEnvelope(ct []byte) []byte {
	body, _ := json.Marshal(map[string]string{"data": verify.EncodeCiphertext(ct, verify.Base64)})
	return body
}

// spliceBlocks returns base with the 16-byte blocks at the given indices
// taken from donor: no key needed.
func spliceBlocks(base, donor []byte, blocks ...int) []byte {
	out := bytes.Clone(base)
	for _, i := range blocks {
		copy(out[i*aes.BlockSize:(i+1)*aes.BlockSize], donor[i*aes.BlockSize:(i+1)*aes.BlockSize])
	}
	return out
}

// ecbForgery is built from two genuine ECB deliveries as an attacker who
// captured them would: user-2002's rejection, with the blocks that hold
// `gger": "rejected` and `": "rejected",` taken from user-2001's approval.
func ecbForgery(t *testing.T) (forged, genuineApproved []byte) {
	t.Helper()
	rejected := ecbCiphertext(t, readFixture(t, "argos", "rejected.json"))
	approved := ecbCiphertext(t, readFixture(t, "argos", "approved.json"))
	forged = spliceBlocks(rejected, approved, 1, 4)
	c, _ := verify.NewPayloadCipher([]byte(argosKey), verify.CipherOptions{Mode: verify.ModeECB})
	plain, err := c.Decrypt(forged)
	if err != nil || !json.Valid(plain) || !bytes.Contains(plain, []byte(`"webhook_trigger": "approved"`)) ||
		!bytes.Contains(plain, []byte(`"userid": "user-2002"`)) {
		t.Fatalf("the forgery is not what the attack makes, the test proves nothing: %v\n%s", err, plain)
	}
	return ecbEnvelope(forged), ecbEnvelope(approved)
}

const argosECBPath = "ecb-path-token-51f0"

// argosECBSite has the two ECB routes that now start: one that admits
// only ARGOS's address (127.0.0.1 here) and one that checks a header.
func argosECBSite(up *upstream) string {
	return `
:9080 {
	handle /hooks/argos/* {
		rewrite * /hooks/argos
		biohook argos {
			secret {env.BIOHOOK_TEST_ARGOS_KEY}
			mode ecb
			source_ips 127.0.0.1
			path_token ` + argosECBPath + `
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /argos/ecb-header {
		biohook argos {
			secret {env.BIOHOOK_TEST_ARGOS_KEY}
			mode ecb
			header X-Argos-Token {env.BIOHOOK_TEST_ARGOS_HEADER}
		}
		reverse_proxy ` + up.addr() + `
	}
}
`
}

// The cut-and-paste forgery through a real Caddy. The configs that
// accepted it (a secret alone, a secret and a path token: ECB, the
// default) no longer load, and say why; with `mode ecb` and source_ips,
// the forgery from an address outside the list is refused with 403 on its
// head and the app receives nothing, while ARGOS's genuine delivery from
// inside reaches it; with a header check, the forgery without the header
// is refused.
func TestARGOSECBSpliceForgeryThroughCaddy(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_ARGOS_KEY", argosKey)
	t.Setenv("BIOHOOK_TEST_ARGOS_HEADER", argosHeaderVal)
	up := newUpstream(t)
	startCaddy(t, argosECBSite(up))
	forged, genuine := ecbForgery(t)

	route := func(options string) string {
		return globals + `
:9080 {
	handle /hooks/argos/* {
		biohook argos {
			secret {env.BIOHOOK_TEST_ARGOS_KEY}
` + options + `
		}
		reverse_proxy ` + up.addr() + `
	}
}
`
	}
	needsMode := []string{"argos secret needs a mode", "mode ecb", "mode cbc", "mode gcm"}
	needsCheck := []string{"mode ecb proves nothing by itself", "cut and pasted", "path_token is no independent check",
		"header", "or list the addresses argos sends from on the route"}
	mustRefuseLoad(t, route(""), needsMode...)
	mustRefuseLoad(t, route("\t\t\tpath_token "+argosECBPath), needsMode...)
	mustRefuseLoad(t, route("\t\t\tmode ecb"), needsCheck...)
	mustRefuseLoad(t, route("\t\t\tmode ecb\n\t\t\tpath_token "+argosECBPath), needsCheck...)

	const v4 = "http://127.0.0.1:9080"
	path := "/hooks/argos/" + argosECBPath // the token travels in the URL: the attacker has it
	if status, answer := sendFrom(t, "127.0.0.3", v4, path, forged, nil); status != http.StatusForbidden ||
		answer != errorBody("source_not_allowed") {
		t.Fatalf("forgery from outside source_ips: %d %q", status, answer)
	}
	if n := len(up.take()); n != 0 {
		t.Fatalf("the app received %d requests", n)
	}
	if status, answer := sendFrom(t, "127.0.0.1", v4, path, genuine, nil); status != http.StatusOK {
		t.Fatalf("ARGOS's genuine delivery: %d %q", status, answer)
	}
	mustForwardGolden(t, up, "approved.json")

	if status, answer := sendFrom(t, "127.0.0.3", v4, "/argos/ecb-header", forged, nil); status != http.StatusUnauthorized ||
		answer != errorBody("missing_header") || len(up.take()) != 0 {
		t.Fatalf("forgery without the header: %d %q", status, answer)
	}
	h := http.Header{"X-Argos-Token": {argosHeaderVal}}
	if status, answer := sendFrom(t, "127.0.0.3", v4, "/argos/ecb-header", genuine, h); status != http.StatusOK {
		t.Fatalf("genuine delivery with the header: %d %q", status, answer)
	}
	mustForwardGolden(t, up, "approved.json")
}

// Each ECB route that starts says at startup, once, why ECB is not the
// proof and what is: with source_ips, the handler; with a header, the
// vendor. Neither line holds a secret.
func TestARGOSECBStartupWarnings(t *testing.T) {
	const addr = "127.0.0.1:17381"
	up := newUpstream(t)
	inst := startInstance(t, `{
	admin off
	persist_config off
}
http://`+addr+` {
	handle /by-source {
		biohook argos {
			secret {env.BIOHOOK_TEST_ARGOS_KEY}
			mode ecb
			source_ips 127.0.0.1 2001:db8::/32
		}
		reverse_proxy `+up.addr()+`
	}
	handle /by-header {
		biohook argos {
			secret {env.BIOHOOK_TEST_ARGOS_KEY}
			mode ecb
			header X-Argos-Token {env.BIOHOOK_TEST_ARGOS_HEADER}
		}
		reverse_proxy `+up.addr()+`
	}
}
`, addr, "BIOHOOK_TEST_ARGOS_KEY="+argosKey, "BIOHOOK_TEST_ARGOS_HEADER="+argosHeaderVal)
	deadline := time.Now().Add(5 * time.Second)
	want := []string{
		`"msg":"the vendor's settings do not prove a delivery by themselves: source_ips is the check"`,
		`"source_ips":["127.0.0.1/32","2001:db8::/32"]`,
		`"msg":"argos mode ecb: the header check, not the encryption, proves the deliveries"`,
		`cut and pasted`,
	}
	for {
		logs := inst.logs()
		missing := ""
		for _, w := range want {
			if !strings.Contains(logs, w) {
				missing = w
			}
		}
		if missing == "" {
			if strings.Contains(logs, argosKey) || strings.Contains(logs, argosHeaderVal) {
				t.Fatalf("a secret in the logs:\n%s", logs)
			}
			if n := biohookWarnings(logs); n != 2 {
				t.Errorf("%d warnings, want one per route:\n%s", n, logs)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s in the logs:\n%s", missing, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// biohookWarnings counts the module's warnings in Caddy's JSON logs.
func biohookWarnings(logs string) int {
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `"level":"warn"`) && strings.Contains(line, `"logger":"http.handlers.biohook`) {
			n++
		}
	}
	return n
}
