package integration

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// withMember puts member ("name":value) first in the JSON object payload.
func withMember(payload []byte, member string) []byte {
	p := bytes.TrimSpace(payload)
	return append([]byte("{"+member+","), p[1:]...)
}

// A payload whose member names, in an object the module reads, differ only
// in case ("id" and "ID") is refused 400 ambiguous_member: the event would
// carry one value and a case-insensitive reader of data.raw could take the
// other. The same in an object the module does not read passes.
func TestAmbiguousMemberThroughCaddy(t *testing.T) {
	t.Setenv("BIOHOOK_TEST_HMAC", genericHMACKey)
	up := newUpstream(t)
	vendors := hostileVendors(t)
	site := strings.TrimSuffix(hostileSite(up, vendors), "}\n") + `	handle /hooks/veriff {
		biohook hmac {
			name veriff
			header X-HMAC-Signature
			secret {env.BIOHOOK_TEST_HMAC}
			id_field /verification/id
		}
		reverse_proxy ` + up.addr() + `
	}
}
`
	tester := startCaddy(t, site)
	twin := map[string]string{ // a member that folds onto one the vendor reads
		"faceio": `"EventName":"ENROLL"`, "entrust": `"ID":"another-id"`, "authenteq": `"ID":"another-id"`,
		"argos": `"Webhook_Trigger":"rejected"`, "argos-encrypted": `"WEBHOOK_TRIGGER":"rejected"`,
		"incode": `"OverallStatus":"FAIL"`,
	}
	for _, v := range vendors {
		for _, c := range []struct {
			name, member string
			status       int
		}{
			{"case twin of a read member", twin[v.name], 400},
			{"case twins, neither read", `"zz_unread":1,"ZZ_UNREAD":2`, 400},
			{"case twins in an object not read", `"zz_extra":{"k":1,"K":2}`, 200},
		} {
			body, h := v.valid(t, v.path, withMember(v.payload, c.member), hostileSecret)
			res, answer := post(t, tester, v.path, body, h)
			if res.StatusCode != c.status || (c.status == 400 && answer != errorBody("ambiguous_member")) {
				t.Errorf("%s, %s: %d %s", v.name, c.name, res.StatusCode, answer)
			}
			if got := len(up.take()); (c.status == 200) != (got == 1) {
				t.Errorf("%s, %s: upstream received %d", v.name, c.name, got)
			}
		}
	}
	for _, c := range []struct {
		name, path, payload string
		status              int
	}{
		{"entrust, data.subject twice", "/hooks/entrust", `{"id":"amb-1","type":"user.created","data":{"subject":"a","Subject":"b"}}`, 400},
		{"entrust, long s", "/hooks/entrust", `{"id":"amb-2","type":"user.created","data":{"subject":"a","\u017fubject":"b"}}`, 400},
		{"entrust, Kelvin sign", "/hooks/entrust", `{"id":"amb-3","type":"user.created","data":{"entityAttributes":{"\u212Aey":1,"key":2}}}`, 400},
		{"entrust, escaped twin", "/hooks/entrust", `{"id":"amb-4","\u0049D":"b","type":"user.created"}`, 400},
		{"entrust, twins in raw only", "/hooks/entrust", `{"id":"amb-5","type":"user.created","data":{"entity":{"x":1,"X":2}}}`, 200},
		{"entrust, names that differ", "/hooks/entrust", `{"id":"amb-6","type":"user.created","data":{"subject":"a","subjects":"b","sub_ject":"c"}}`, 200},
		{"authenteq, documentData", "/hooks/authenteq", `{"id":"amb-7","status":"PASSED","documentData":{"surname":"A","SurName":"B"}}`, 400},
		{"hmac, the mapped object", "/hooks/veriff", `{"verification":{"id":"v1","Id":"v2"}}`, 400},
		{"hmac, the top of a mapped path", "/hooks/veriff", `{"verification":{"id":"v1"},"Verification":{"id":"v2"}}`, 400},
		{"hmac, another object", "/hooks/veriff", `{"verification":{"id":"v3"},"other":{"x":1,"X":2}}`, 200},
	} {
		var body []byte
		var h http.Header
		if c.path == "/hooks/veriff" {
			body, h = []byte(c.payload), hmacHeaders(t, "X-HMAC-Signature", "", []byte(c.payload), genericHMACKey)
		} else {
			for _, v := range vendors {
				if v.path == c.path {
					body, h = v.valid(t, v.path, []byte(c.payload), hostileSecret)
				}
			}
		}
		res, answer := post(t, tester, c.path, body, h)
		if res.StatusCode != c.status || (c.status == 400 && answer != errorBody("ambiguous_member")) {
			t.Errorf("%s: %d %s", c.name, res.StatusCode, answer)
		}
		if got := len(up.take()); (c.status == 200) != (got == 1) {
			t.Errorf("%s: upstream received %d", c.name, got)
		}
	}
}
