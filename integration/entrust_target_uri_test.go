package integration

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// rawPost writes a POST with the request target exactly as given (origin
// or absolute form: net/http clients only send the first) and returns the
// status and the answer.
func rawPost(t *testing.T, target string, h http.Header, body []byte) (int, string) {
	t.Helper()
	conn := dial(t)
	defer conn.Close()
	raw := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: localhost:9080\r\nConnection: close\r\n", target)
	for k, vs := range h {
		for _, v := range vs {
			raw += k + ": " + v + "\r\n"
		}
	}
	raw += fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(answer)
}

// The signed "@target-uri" is rebuilt from what this server saw: the
// listener's scheme, the Host and the path and query as received, or the
// configured public_url. The scheme of an absolute-form request line is
// the client's choice and never stands for the URL the vendor called: a
// delivery signed for https://hooks.example.com cannot be replayed over
// plain HTTP by naming that URL in the request line, nor, with public_url,
// by naming any URL there.
func TestEntrustTargetURIAbsoluteForm(t *testing.T) {
	up := newUpstream(t)
	startCaddy(t, `
:9080 {
	handle /hooks/entrust {
		biohook entrust {
			secret `+hostileSecret+`
		}
		reverse_proxy `+up.addr()+`
	}
	handle /hooks/pinned {
		biohook entrust {
			secret `+hostileSecret+`
			public_url https://hooks.example.com
		}
		reverse_proxy `+up.addr()+`
	}
	handle /hooks/exact {
		biohook entrust {
			secret `+hostileSecret+`
			public_url https://hooks.example.com/in/entrust
		}
		reverse_proxy `+up.addr()+`
	}
}`)
	body := readFixture(t, "entrust", "user.deleted.json")
	cases := []struct {
		name   string
		target string // the request line's target
		signed string // the URL the signature covers
		status int
		code   string
	}{
		// No public_url: scheme from the listener (plain HTTP here), host
		// from the request, path and query as received.
		{"https in the request line, plain HTTP listener", "https://hooks.example.com/hooks/entrust", "https://hooks.example.com/hooks/entrust", 401, "signature_mismatch"},
		{"https in the request line, signed for the listener's URL", "https://localhost:9080/hooks/entrust", "https://localhost:9080/hooks/entrust", 401, "signature_mismatch"},
		{"absolute form, http, as the listener saw it", "http://localhost:9080/hooks/entrust?x=1", "http://localhost:9080/hooks/entrust?x=1", 200, ""},
		// The host an absolute-form line names is the request's host, as a
		// Host header would be in origin form (RFC 9112 section 3.2.2).
		{"absolute form, the host it names", "http://other.example/hooks/entrust", "http://other.example/hooks/entrust", 200, ""},
		{"absolute form, Host header's URL signed", "http://other.example/hooks/entrust", "http://localhost:9080/hooks/entrust", 401, "signature_mismatch"},
		{"origin form, http", "/hooks/entrust?x=1", "http://localhost:9080/hooks/entrust?x=1", 200, ""},
		{"origin form, signed for https", "/hooks/entrust", "https://localhost:9080/hooks/entrust", 401, "signature_mismatch"},

		// public_url with a scheme and host only: those come from it, the
		// path and query from the request, whatever the request line names.
		{"pinned, absolute form naming the signed URL", "http://evil.example/hooks/pinned", "http://evil.example/hooks/pinned", 401, "signature_mismatch"},
		{"pinned, absolute form, https naming the signed URL", "https://evil.example/hooks/pinned", "https://evil.example/hooks/pinned", 401, "signature_mismatch"},
		{"pinned, absolute form, genuine", "http://localhost:9080/hooks/pinned?x=1", "https://hooks.example.com/hooks/pinned?x=1", 200, ""},
		{"pinned, origin form, genuine", "/hooks/pinned", "https://hooks.example.com/hooks/pinned", 200, ""},
		{"pinned, origin form, other path signed", "/hooks/pinned", "https://hooks.example.com/hooks/other", 401, "signature_mismatch"},

		// public_url with a path: exactly that, whatever the request.
		{"exact, absolute form naming the signed URL", "http://evil.example/hooks/exact", "http://evil.example/hooks/exact", 401, "signature_mismatch"},
		{"exact, absolute form, genuine", "http://localhost:9080/hooks/exact", "https://hooks.example.com/in/entrust", 200, ""},
	}
	for _, c := range cases {
		h := entrustHeaders(t, c.signed, body, hostileSecret, time.Now())
		status, answer := rawPost(t, c.target, h, body)
		want := ""
		if c.code != "" {
			want = errorBody(c.code)
		}
		if status != c.status || (want != "" && answer != want) {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, answer, c.status, want)
		}
		if got := len(up.take()); (c.status == 200) != (got == 1) {
			t.Errorf("%s: upstream received %d", c.name, got)
		}
	}
}
