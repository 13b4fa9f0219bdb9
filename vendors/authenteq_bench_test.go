package vendors

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	stdjson "encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"runtime"
	"strings"
	"testing"
)

// BenchmarkAuthenteq measures Verify, Normalize and Encode of one delivery:
// four 1 MiB images, and a 4 KiB result with no image. x-body is what the
// delivery holds at its peak, the body plus every byte allocated for it,
// as a multiple of the body's size. Beside them: the floor (SHA-256 of the
// body, encoding/json Unmarshal and Marshal of the result payload as for
// every vendor, and base64 of the images; nothing else) and a reading of
// the same form with mime/multipart, which copies every part.
//
//	go test -run '^$' -bench 'Authenteq' -benchmem ./vendors/
func BenchmarkAuthenteq(b *testing.B) {
	images := benchAuthenteqForm(4, 1<<20, authenteqPassport)
	small := benchAuthenteqForm(0, 0, benchResult4KiB())
	b.Run("4x1MiB", func(b *testing.B) { benchAuthenteq(b, images, (*Event).Encode) })
	b.Run("4x1MiB/floor", func(b *testing.B) { benchAuthenteqFloor(b, images) })
	b.Run("4x1MiB/mime_multipart", func(b *testing.B) { benchMimeMultipart(b, images) })
	b.Run("4KiB", func(b *testing.B) { benchAuthenteq(b, small, (*Event).Encode) })
	b.Run("4KiB/floor", func(b *testing.B) { benchAuthenteqFloor(b, small) })
}

func benchAuthenteqForm(n, size int, result string) testForm {
	f := testForm{boundary: authenteqTestBoundary, parts: []testPart{resultPart(result)}}
	for i, name := range []string{"croppedFrontImage", "croppedBackImage", "faceImage", "livenessFaceImage"}[:n] {
		f.parts = append(f.parts, jpegPart(name, name+string(rune('0'+i)), size))
	}
	return f
}

// benchResult4KiB is a result of about 4 KiB: the passport result with a
// long address.
func benchResult4KiB() string {
	address := strings.Repeat("HEIDESTRASSE 17, 51147 KOELN, ", 120)
	return strings.Replace(authenteqPassport, `"sex": "F",`, `"sex": "F", "address": "`+address+`",`, 1)
}

func benchAuthenteq(b *testing.B, form testForm, encode func(*Event) ([]byte, error)) {
	a := testAuthenteq(b)
	body := form.body()
	d := formDelivery(form.contentType(), body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		d := &Delivery{Request: d.Request, Body: body}
		if err := a.Verify(d); err != nil {
			b.Fatal(err)
		}
		ev, err := a.Normalize(d)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := encode(ev); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	reportPeak(b, body, after.TotalAlloc-before.TotalAlloc)
}

// benchAuthenteqFloor is the least any receiver does: hash the body and
// base64 the image bytes into one output buffer.
func benchAuthenteqFloor(b *testing.B, form testForm) {
	body := form.body()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		h := sha256.New()
		h.Write(body)
		h.Write([]byte(authenteqTestSecret))
		h.Sum(nil)
		var result any // the result payload, as in every vendor's floor
		if err := stdjson.Unmarshal(form.parts[0].data, &result); err != nil {
			b.Fatal(err)
		}
		if _, err := stdjson.Marshal(result); err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, p := range form.parts {
			n += base64.StdEncoding.EncodedLen(len(p.data))
		}
		out := make([]byte, 0, n)
		for _, p := range form.parts[1:] {
			out = base64.StdEncoding.AppendEncode(out, p.data)
		}
		_ = out
	}
	runtime.ReadMemStats(&after)
	reportPeak(b, body, after.TotalAlloc-before.TotalAlloc)
}

// benchMimeMultipart reads the form with mime/multipart instead, keeping
// each part's bytes as a handler would have to.
func benchMimeMultipart(b *testing.B, form testForm) {
	body := form.body()
	_, params, _ := mime.ParseMediaType(form.contentType())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		var kept [][]byte
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			data, err := io.ReadAll(p)
			if err != nil {
				b.Fatal(err)
			}
			kept = append(kept, data)
		}
		if len(kept) != len(form.parts) {
			b.Fatalf("%d parts", len(kept))
		}
	}
	runtime.ReadMemStats(&after)
	reportPeak(b, body, after.TotalAlloc-before.TotalAlloc)
}

func reportPeak(b *testing.B, body []byte, allocated uint64) {
	perOp := float64(allocated) / float64(b.N)
	b.ReportMetric((float64(len(body))+perOp)/float64(len(body)), "x-body")
}
