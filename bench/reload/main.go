// Command reload counts the connections Caddy resets while it reloads its
// config under steady load, in front of a plain reverse_proxy and in front of
// a biohook route, so the two can be compared in one run. Each request is a
// new connection, as most webhook senders make them. Usage: see
// bench/reload.sh.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	mode := flag.String("mode", "plain", "plain (reverse_proxy alone) or biohook (a FACEIO route, then reverse_proxy)")
	reloads := flag.Int("reloads", 30, "how many reloads, one every 500 ms")
	bin := flag.String("caddy", "", "the Caddy binary, built with the module")
	fixture := flag.String("body", "", "the FACEIO payload to send")
	flag.Parse()
	body, err := os.ReadFile(*fixture)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(200)
	}))
	dir, err := os.MkdirTemp("", "reload")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	config := func(i int) string {
		route := "reverse_proxy " + ln.Addr().String()
		if *mode == "biohook" {
			route = fmt.Sprintf("biohook faceio {\n secret reload-bench-token-%d\n secret reload-bench-token\n }\n reverse_proxy %s", i%2, ln.Addr().String())
		} else {
			route = fmt.Sprintf("header X-Gen %d\n%s", i, route)
		}
		return fmt.Sprintf("{\n admin 127.0.0.1:17219\n auto_https off\n grace_period 5s\n}\nhttp://127.0.0.1:17280 {\n %s\n}\n", route)
	}
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(config(0)), 0o600); err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command(*bin, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer cmd.Process.Kill()
	time.Sleep(time.Second)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	var sent, resets, bad atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("POST", "http://127.0.0.1:17280/hooks/faceio", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("WWW-Authenticate", "Bearer reload-bench-token")
				sent.Add(1)
				res, err := client.Do(req)
				if err != nil {
					resets.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					bad.Add(1)
				}
			}
		}()
	}
	for i := 1; i <= *reloads; i++ {
		time.Sleep(500 * time.Millisecond)
		if err := os.WriteFile(path, []byte(config(i)), 0o600); err != nil {
			log.Fatal(err)
		}
		if out, err := exec.Command(*bin, "reload", "--config", path, "--address", "127.0.0.1:17219").CombinedOutput(); err != nil {
			fmt.Println("reload:", err, string(out))
		}
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	fmt.Printf("mode=%s reloads=%d sent=%d resets=%d non200=%d\n", *mode, *reloads, sent.Load(), resets.Load(), bad.Load())
}
