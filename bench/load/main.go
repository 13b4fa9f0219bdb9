// Command load sends webhook deliveries to a URL at a fixed concurrency for a
// bounded time and number of requests, and prints requests/s and latency
// percentiles. Each delivery is built as its vendor would send it, with a
// distinct event id, so that deduplication sees new events.
//
//	go run ./bench/load -vendor entrust -secret bench-secret-0123456 -url http://127.0.0.1:19080/hooks/entrust -c 16 -d 10s
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

type options struct {
	vendor, secret, clientID, url string
	concurrency, max, bodySize    int
	duration                      time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.vendor, "vendor", "entrust", "entrust | plain | authenteq")
	flag.StringVar(&o.secret, "secret", "bench-secret-0123456", "the route's secret")
	flag.StringVar(&o.clientID, "client-id", "bench-client", "Authenteq client id")
	flag.StringVar(&o.url, "url", "http://127.0.0.1:19080/hooks/entrust", "where to send")
	flag.IntVar(&o.concurrency, "c", 16, "concurrent senders")
	flag.IntVar(&o.max, "n", 100000, "at most this many requests")
	flag.IntVar(&o.bodySize, "size", 2048, "approximate JSON body size in bytes")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "at most this long")
	flag.Parse()
	build, err := builder(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	res := run(o, build)
	res.print(o)
	if res.failed > 0 {
		os.Exit(1)
	}
}

type result struct {
	latencies []time.Duration
	failed    int64
	elapsed   time.Duration
}

func run(o options, build func(i int) *http.Request) result {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency, MaxConnsPerHost: o.concurrency}}
	var next, failed atomic.Int64
	deadline := time.Now().Add(o.duration)
	perWorker := make([][]time.Duration, o.concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < o.concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for time.Now().Before(deadline) {
				i := int(next.Add(1))
				if i > o.max {
					return
				}
				t0 := time.Now()
				if !sendOne(client, build(i)) {
					failed.Add(1)
				}
				perWorker[w] = append(perWorker[w], time.Since(t0))
			}
		}(w)
	}
	wg.Wait()
	res := result{failed: failed.Load(), elapsed: time.Since(start)}
	for _, l := range perWorker {
		res.latencies = append(res.latencies, l...)
	}
	sort.Slice(res.latencies, func(i, j int) bool { return res.latencies[i] < res.latencies[j] })
	return res
}

func sendOne(client *http.Client, req *http.Request) bool {
	res, err := client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

func (r result) print(o options) {
	n := len(r.latencies)
	if n == 0 {
		fmt.Println("no requests completed")
		return
	}
	pct := func(p float64) time.Duration { return r.latencies[int(float64(n-1)*p)] }
	fmt.Printf("vendor=%s c=%d requests=%d failed=%d rps=%.0f p50=%s p99=%s\n",
		o.vendor, o.concurrency, n, r.failed, float64(n)/r.elapsed.Seconds(),
		pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond))
}

func newPost(url string, body []byte, header http.Header) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header = header
	return req
}
