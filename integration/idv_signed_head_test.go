package integration

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Stripe's, Persona's and Shufti's signature headers are judged on the
// request's head before the body is read: a stale or malformed header is
// refused while the body is still to come, and the upstream gets nothing.
func TestIDVSignedRefusedBeforeTheBody(t *testing.T) {
	up, _ := startIDVSigned(t)
	stale := timedHeaders("Stripe-Signature", []byte("{}"), time.Now().Add(-time.Hour), idvStripeOld).Get("Stripe-Signature")
	staleSets := timedHeaders("Persona-Signature", []byte("{}"), time.Now().Add(-time.Hour), idvPersonaOld).Get("Persona-Signature")
	for _, c := range []struct{ path, header, series string }{
		{"/hooks/stripe", "Stripe-Signature: " + stale, `caddy_biohook_rejections_total{reason="stale_signature",vendor="stripe"}`},
		{"/hooks/persona", "Persona-Signature: " + staleSets, `caddy_biohook_rejections_total{reason="stale_signature",vendor="persona"}`},
		{"/hooks/shufti", "Signature: " + strings.Repeat("zz", 32), `caddy_biohook_rejections_total{reason="malformed_signature",vendor="shufti"}`},
	} {
		t.Run(c.path, func(t *testing.T) {
			before := metricValue(t, c.series)
			const size = 100000
			conn, err := net.Dial("tcp", "127.0.0.1:9080")
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: 127.0.0.1:9080\r\nContent-Type: application/json\r\n%s\r\n"+
				"Content-Length: %d\r\n\r\n", c.path, c.header, size)
			if _, err := conn.Write([]byte(head)); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(5 * time.Second); metricValue(t, c.series) == before; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("no refusal while the body was still to come")
				}
			}
			if _, err := conn.Write(make([]byte, size)); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized || len(up.take()) != 0 {
				t.Fatalf("status %d", res.StatusCode)
			}
		})
	}
}
