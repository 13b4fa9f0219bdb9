// Package e2e runs scenarios a) and b) of bench/run.sh inside one test
// binary: a real Caddy, a real upstream and a real HTTP client on loopback.
// It exists for profiling (go test -cpuprofile sees Caddy's own functions),
// and for -benchmem's allocations per delivery, client and upstream included:
//
//	go test -run '^$' -bench Proxy -benchmem -benchtime 30000x -count 8 ./bench/e2e/
//
// bench/ab.sh, with Caddy in a process of its own, gives the throughput
// figures in BENCHMARKS.md.
package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/biohook/caddy-biohook"
	"github.com/biohook/caddy-biohook/deliver"
)

const secret = "bench-secret-0123456"

func BenchmarkProxy(b *testing.B) {
	up := startUpstream(b)
	for _, sc := range []struct{ name, route string }{
		{"a_plain", "reverse_proxy " + up},
		{"b_entrust", "biohook entrust {\n\t\tsecret " + secret + "\n\t}\n\treverse_proxy " + up},
	} {
		b.Run(sc.name, func(b *testing.B) {
			addr := startCaddy(b, sc.route)
			url := "http://" + addr + "/hooks/entrust"
			bodies, headers := deliveries(url, 512)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16, MaxConnsPerHost: 16}}
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(bodies[i%len(bodies)]))
					req.Header = headers[i%len(bodies)].Clone()
					res, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						b.Errorf("status %d", res.StatusCode)
						return
					}
				}
			})
		})
	}
}

func startUpstream(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func startCaddy(b *testing.B, route string) string {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cf := fmt.Sprintf("{\n\tadmin off\n\tauto_https off\n\tlog {\n\t\tlevel ERROR\n\t}\n}\nhttp://%s {\n\t%s\n}\n", addr, route)
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := caddy.Load(cfg, true); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = caddy.Stop() })
	return addr
}

// deliveries are n signed Entrust user.created events of 2 KiB, each with an
// id of its own, signed before the clock starts.
func deliveries(url string, n int) ([][]byte, []http.Header) {
	bodies, headers := make([][]byte, n), make([]http.Header, n)
	for i := range bodies {
		payload := fmt.Sprintf(`{"id":"bench-%08d","type":"user.created","eventTime":"2026-03-16T19:35:16Z",`+
			`"data":{"subject":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","subjectName":"adminuser","entityType":"USERS",`+
			`"entityAttributes":{"userId":"janesmith","email":"janesmith@example.com","note":"NOTE"}}}`, i)
		payload = strings.Replace(payload, "NOTE", strings.Repeat("x", 2048-len(payload)), 1)
		d, err := deliver.Build(deliver.Options{Vendor: "entrust", Secrets: []string{secret}, Payload: []byte(payload), URL: url})
		if err != nil {
			panic(err)
		}
		bodies[i], headers[i] = d.Body, d.Header
	}
	return bodies, headers
}
