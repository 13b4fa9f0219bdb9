package integration

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A chunked delivery with trailers reaches the app as the event alone: with
// its length, not chunked, and without the vendor's trailers.
func TestChunkedDeliveryTrailersStayBehind(t *testing.T) {
	setSecrets(t)
	type seen struct {
		length   int64
		chunked  bool
		trailers http.Header
	}
	got := make(chan seen, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got <- seen{r.ContentLength, len(r.TransferEncoding) > 0, r.Trailer}
	}))
	t.Cleanup(app.Close)
	startCaddy(t, fmt.Sprintf(`:9080 {
	handle /hooks/entrust {
		biohook entrust {
			secret {env.BIOHOOK_TEST_ENTRUST}
		}
		reverse_proxy %s
	}
}
`, strings.TrimPrefix(app.URL, "http://")))
	body := []byte(`{"id":"evt-trailer","type":"user.created","data":{}}`)
	req, _ := http.NewRequest(http.MethodPost, caddyBase+"/hooks/entrust", io.NopCloser(bytes.NewReader(body)))
	req.Header = entrustHeaders(t, caddyBase+"/hooks/entrust", body, "entrust-webhook-token", time.Now())
	req.ContentLength = -1 // chunked
	req.Trailer = http.Header{"X-Vendor-Trailer": {"raw body only"}}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	s := <-got
	if s.chunked || s.length <= int64(len(body)) {
		t.Errorf("the event arrived chunked=%v with length %d", s.chunked, s.length)
	}
	if len(s.trailers) > 0 {
		t.Errorf("the vendor's trailers reached the app: %v", s.trailers)
	}
}
