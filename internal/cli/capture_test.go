package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestReadCapture(t *testing.T) {
	body := `{"a":1}`
	cases := []struct {
		name, in, body string
		notes          int
		wantErr        bool
	}{
		{"CRLF", "POST /h HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n" + body, body, 0, false},
		{"LF only", "POST /h HTTP/1.1\nHost: x\nContent-Length: 7\n\n" + body, body, 0, false},
		{"leading blank lines", "\n\n  POST /h HTTP/1.1\nHost: x\nContent-Length: 7\n\n" + body, body, 0, false},
		{"trailing newline after the body", "POST /h HTTP/1.1\nHost: x\nContent-Length: 7\n\n" + body + "\n", body, 0, false},
		{"bytes after the body", "POST /h HTTP/1.1\nHost: x\nContent-Length: 3\n\n" + body, `{"a`, 1, false},
		{"no length: the rest", "POST /h HTTP/1.1\nHost: x\n\n" + body + "\n", body + "\n", 1, false},
		{"chunked", "POST /h HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n7\r\n" + body + "\r\n0\r\n\r\n", body, 0, false},
		{"short body", "POST /h HTTP/1.1\nHost: x\nContent-Length: 70\n\n" + body, "", 0, true},
		{"not HTTP", "hello", "", 0, true},
		{"empty", "  \n", "", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readCapture([]byte(c.in))
			if (err != nil) != c.wantErr {
				t.Fatalf("err %v", err)
			}
			if err != nil {
				return
			}
			if string(got.Body) != c.body || len(got.Notes) != c.notes || got.Request.Host != "x" || got.Request.RequestURI != "/h" {
				t.Fatalf("body %q notes %q host %q uri %q", got.Body, got.Notes, got.Request.Host, got.Request.RequestURI)
			}
		})
	}
}

// FuzzReadCapture: any input never panics; a request it accepts has a
// method and a target, and a body no longer than the input.
func FuzzReadCapture(f *testing.F) {
	f.Add([]byte("POST /h HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{\"a\":1}"))
	f.Add([]byte("POST /h HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n7\r\n{\"a\":1}\r\n0\r\n\r\n"))
	f.Add([]byte("GET http://x/y?z HTTP/1.0\n\nrest"))
	f.Add([]byte("POST / HTTP/1.1\nContent-Length: -1\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := readCapture(in)
		if err != nil {
			return
		}
		if c.Request.Method == "" || c.Request.RequestURI == "" || len(c.Body) > len(in) {
			t.Fatalf("accepted %q as %+v", in, c)
		}
		chunked := len(c.Request.TransferEncoding) > 0
		if strings.Contains(c.Request.Method, " ") || (!chunked && !bytes.Contains(in, c.Body)) {
			t.Fatalf("accepted %q with body %q", in, c.Body)
		}
	})
}
