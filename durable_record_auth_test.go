package biohook

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddytest"
	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
)

// redisPrefix is a key prefix of the test's own.
func redisPrefix(t *testing.T) string {
	return strings.ReplaceAll(t.Name(), "/", ":") + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
}

func testRedis(t *testing.T) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: redisAddr(t)})
	t.Cleanup(func() { c.Close() })
	return c
}

// randomKey is a key shaped like an event key.
func randomKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// injectRedis puts value in the spool as the record of key, due now on
// route: what anyone who can write to the spool's Redis can do.
func injectRedis(t *testing.T, c *redis.Client, prefix, route, key string, value []byte) {
	t.Helper()
	ctx, now := context.Background(), float64(time.Now().UnixMilli())
	pipe := c.TxPipeline()
	pipe.Set(ctx, prefix+"id:"+key, "p", 0)
	pipe.Set(ctx, prefix+"ev:"+key, value, 0)
	pipe.ZAdd(ctx, prefix+"enq:"+route, redis.Z{Score: now, Member: key})
	pipe.ZAdd(ctx, prefix+"due:"+route, redis.Z{Score: now, Member: key})
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// forgedV1 is a record in the format the spool wrote before records were
// signed, asking for a request of the forger's choice.
func forgedV1(key, route string) []byte {
	meta, _ := json.Marshal(map[string]any{
		"key": key, "id": "forged-" + key[:8], "route": route,
		"method": http.MethodDelete, "host": "localhost:9080", "uri": "/internal/users/42",
		"remote_addr": "10.9.8.7:4444",
		"header":      http.Header{"Authorization": {"Bearer forged-admin-token"}, "Content-Type": {"application/json"}},
		"enqueued":    time.Now(), "next_at": time.Now(),
	})
	return recordV1Bytes(string(meta), `{"forged":true}`)
}

// forgedV2 is a record in the current format with a MAC made up.
func forgedV2(key, route string) []byte {
	mac := make([]byte, 32)
	_, _ = rand.Read(mac)
	meta, _ := json.Marshal(map[string]any{
		"key": key, "id": "forged2-" + key[:8], "route": route, "vendor": "entrust",
		"content_type": "application/json", "host": "localhost:9080", "path": "/internal/users/43",
		"remote_addr": "10.9.8.7:4444", "mac": mac, "enqueued": time.Now(), "next_at": time.Now(),
	})
	b := binary.BigEndian.AppendUint32([]byte("BHR\x02"), uint32(len(meta)))
	return append(append(b, meta...), `{"forged":true}`...)
}

// recordV1Bytes lays out a record of the format before records were signed:
// a 4-byte length, the metadata, the body.
func recordV1Bytes(meta, body string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(meta)))
	return append(append(b, meta...), body...)
}

// deadLetterOf finds the dead letter of key.
func deadLetterOf(t *testing.T, key string) *deadLetter {
	for _, l := range deadLetters(t) {
		if l.Key == key {
			return &l
		}
	}
	return nil
}

func waitUnauthenticated(t *testing.T, keys ...string) {
	t.Helper()
	for _, key := range keys {
		waitFor(t, 5*time.Second, "record "+key+" dead-lettered", func() bool { return deadLetterOf(t, key) != nil })
		if l := deadLetterOf(t, key); l.Reason != reasonUnauthenticated {
			t.Errorf("record %s dead-lettered for %q, want %s", key, l.Reason, reasonUnauthenticated)
		}
	}
}

// A record written into the spool's Redis by someone other than a route
// (here asking for DELETE /internal/users/42 from an allowed address, with
// an Authorization of its choosing) is never delivered, to any route: it
// fails authentication and is dead-lettered record_unauthenticated. A
// genuine event is still delivered, as a POST carrying only the event's
// headers.
func TestDurableRedisForgedRecordNotDelivered(t *testing.T) {
	app, internal := newUpstream(t), newUpstream(t)
	prefix := redisPrefix(t)
	tester := startCaddy(t, `
:9080 {
	@internal remote_ip 10.9.8.7
	handle @internal {
		reverse_proxy `+internal.addr()+`
	}
	handle /hooks/entrust {
		biohook entrust {
			secret entrust-dedupe-token
			durable {
				spool redis redis://`+redisAddr(t)+`
				key_prefix `+prefix+`
				retry exponential 50ms 100ms
			}
		}
		reverse_proxy `+app.addr()+`
	}
	respond "not a hook" 200
}
`)
	c := testRedis(t)
	v1, v2 := randomKey(), randomKey()
	injectRedis(t, c, prefix, "entrust", v1, forgedV1(v1, "entrust"))
	injectRedis(t, c, prefix, "entrust", v2, forgedV2(v2, "entrust"))
	waitFor(t, 5*time.Second, "the forged records dead-lettered, or delivered", func() bool {
		return internal.count() > 0 || deadLetterOf(t, v1) != nil && deadLetterOf(t, v2) != nil
	})
	time.Sleep(300 * time.Millisecond)
	if got := internal.take(); len(got) != 0 {
		t.Fatalf("a forged record reached the internal route: %s %s %v", got[0].Method, got[0].Path, got[0].Header)
	}
	waitUnauthenticated(t, v1, v2)
	if got := app.take(); len(got) != 0 {
		t.Fatalf("a forged record reached the app: %d requests", len(got))
	}
	if n, _ := c.ZCard(context.Background(), prefix+"due:entrust").Result(); n != 0 {
		t.Errorf("%d records still due", n)
	}

	body, h := entrustEvent(t, "genuine")
	h.Set("X-Client-Chosen", "kept out")
	res, answer := post(t, tester, "/hooks/entrust", body, h)
	mustStatus(t, res, answer, http.StatusOK)
	got := settled(t, app)
	if len(got) != 1 {
		t.Fatalf("the app got %d requests, want the genuine event", len(got))
	}
	r := got[0]
	if r.Method != http.MethodPost || r.Path != "/hooks/entrust" || r.Header.Get("Content-Type") != "application/cloudevents+json" ||
		r.Header.Get("Biohook-Vendor") != "entrust" || r.Header.Get("Idempotency-Key") == "" ||
		r.Header.Get("Idempotency-Key") != r.Header.Get("Biohook-Event-Id") || r.Header.Get("Biohook-Attempt") != "1" {
		t.Errorf("delivered %s %s %v", r.Method, r.Path, r.Header)
	}
	if r.Header.Get("X-Client-Chosen") != "" || r.Header.Get("Signature") != "" {
		t.Errorf("a client's header came through the spool: %v", r.Header)
	}
	if len(internal.take()) != 0 {
		t.Error("the internal route got a request")
	}
}

// A genuine record moved to another route's queue, or copied under another
// event key, is refused: the MAC binds it to its route and key. A route of
// the same vendor and secret (the same derived key) takes nothing of the
// other's.
func TestDurableRedisRecordMovedIsRefused(t *testing.T) {
	upA, upB := newUpstream(t), newUpstream(t)
	upA.answer(http.StatusServiceUnavailable, "deploying")
	prefix := redisPrefix(t)
	route := func(path, name string, up *upstream) string {
		return `
	handle ` + path + ` {
		biohook entrust {
			secret entrust-dedupe-token
			durable {
				spool redis redis://` + redisAddr(t) + `
				key_prefix ` + prefix + `
				name ` + name + `
				retry schedule 1h
			}
		}
		reverse_proxy ` + up.addr() + `
	}`
	}
	tester := startCaddy(t, ":9080 {"+route("/hooks/entrust", "a", upA)+route("/hooks/entrust-b", "b", upB)+"\n}\n")
	body, h := entrustEvent(t, "moved")
	res, answer := post(t, tester, "/hooks/entrust", body, h)
	mustStatus(t, res, answer, http.StatusOK)
	waitFor(t, 5*time.Second, "the first attempt", func() bool { return upA.count() == 1 })

	ctx, c := context.Background(), testRedis(t)
	keys, err := c.ZRange(ctx, prefix+"due:entrust/a", 0, -1).Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("due on route a: %v %v", keys, err)
	}
	key := keys[0]
	value, err := c.Get(ctx, prefix+"ev:"+key).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// Onto route b, due now.
	if err := c.ZRem(ctx, prefix+"due:entrust/a", key).Err(); err != nil {
		t.Fatal(err)
	}
	c.ZAdd(ctx, prefix+"due:entrust/b", redis.Z{Score: float64(time.Now().UnixMilli()), Member: key})
	// And a copy under another key, on its own route.
	copied := randomKey()
	injectRedis(t, c, prefix, "entrust/a", copied, value)

	waitUnauthenticated(t, key, copied)
	time.Sleep(300 * time.Millisecond)
	if got := upB.take(); len(got) != 0 {
		t.Fatalf("route b delivered route a's event: %d requests", len(got))
	}
	if got := upA.take(); len(got) != 1 {
		t.Fatalf("route a got %d requests, want only the first attempt", len(got))
	}
	if l := deadLetterOf(t, key); l.Route != "entrust/b" {
		t.Errorf("the moved record is listed on route %q, not the queue it was taken from", l.Route)
	}

	// Route b's own events still go.
	body, h = entrustEvent(t, "route-b")
	h = entrustHeaders(t, caddyBase+"/hooks/entrust-b", body, "entrust-dedupe-token", time.Now())
	res, answer = post(t, tester, "/hooks/entrust-b", body, h)
	mustStatus(t, res, answer, http.StatusOK)
	if got := settled(t, upB); len(got) != 1 || !strings.Contains(string(got[0].Body), "route-b") {
		t.Errorf("route b delivered %d requests", len(got))
	}
}

// A bolt spool written before records were signed still delivers what
// waits in it, as a POST of the event with its media type and nothing else
// the record kept (the method, the query, the client's headers); a record
// with a MAC that does not verify is dead-lettered, not delivered.
func TestDurableBoltEarlierRecords(t *testing.T) {
	app := newUpstream(t)
	path := filepath.Join(t.TempDir(), "spool.db")
	f, err := openBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	old, forged := randomKey(), randomKey()
	meta, _ := json.Marshal(map[string]any{
		"key": old, "id": "earlier-1", "route": "entrust",
		"method": http.MethodPut, "host": "localhost:9080", "uri": "/hooks/entrust?via=old", "remote_addr": "127.0.0.1:1",
		"header": http.Header{"Authorization": {"Bearer kept-before"}, "Content-Type": {"application/cloudevents+json"},
			"Biohook-Vendor": {"entrust"}, "Biohook-Event-Id": {"earlier-1"}},
		"enqueued": time.Now(), "next_at": time.Now(),
	})
	records := map[string][]byte{
		old:    recordV1Bytes(string(meta), `{"id":"earlier-1"}`),
		forged: forgedV2(forged, "entrust"),
	}
	err = f.update(func(tx *bolt.Tx) error {
		for key, value := range records {
			seq, _ := tx.Bucket(bucketEvents).NextSequence()
			if err := tx.Bucket(bucketEvents).Put(seqKey(seq), value); err != nil {
				return err
			}
			if err := tx.Bucket(bucketIDs).Put([]byte(key), idState(statePending, seq)); err != nil {
				return err
			}
		}
		return nil
	})
	f.close()
	if err != nil {
		t.Fatal(err)
	}

	startCaddy(t, durableSite(app, "spool bolt "+path, "retry exponential 50ms 100ms"))
	got := settled(t, app)
	if len(got) != 1 {
		t.Fatalf("the app got %d requests, want the earlier record only", len(got))
	}
	r := got[0]
	if r.Method != http.MethodPost || r.Path != "/hooks/entrust" || r.Header.Get("Authorization") != "" ||
		r.Header.Get("Content-Type") != "application/cloudevents+json" || r.Header.Get("Idempotency-Key") != "earlier-1" ||
		string(r.Body) != `{"id":"earlier-1"}` {
		t.Errorf("delivered %s %s %v %q", r.Method, r.Path, r.Header, r.Body)
	}
	waitUnauthenticated(t, forged)
}

// A MAC covers every field that says what is delivered and where, and the
// body; the delivery state is not covered. The first key signs, each one
// verifies.
func TestRecordAuth(t *testing.T) {
	oldKey, newKey := []byte("the-old-record-key"), []byte("the-new-record-key")
	signer, err := newRecordAuth([][]byte{oldKey})
	if err != nil {
		t.Fatal(err)
	}
	rec := sampleRecord()
	signer.sign(rec)
	rotated, _ := newRecordAuth([][]byte{newKey, oldKey})
	other, _ := newRecordAuth([][]byte{newKey})
	if !signer.verify(rec) || !rotated.verify(rec) || other.verify(rec) {
		t.Fatalf("verify: same key %v, rotated %v, other key %v", signer.verify(rec), rotated.verify(rec), other.verify(rec))
	}
	var none *recordAuth
	if none.verify(rec) {
		t.Fatal("a route with no key verified a MAC")
	}
	rec.Attempts, rec.NextAt, rec.Reason, rec.LastError = 9, time.Now(), "x", "y"
	if !signer.verify(rec) {
		t.Fatal("the delivery state is covered by the MAC")
	}
	changes := map[string]func(*record){
		"route": func(r *record) { r.Route = "entrust/other" }, "key": func(r *record) { r.Key = randomKey() },
		"id": func(r *record) { r.ID = "e2" }, "type": func(r *record) { r.Type = "x" },
		"subject": func(r *record) { r.Subject = "x" }, "order": func(r *record) { r.Order = "x" },
		"vendor": func(r *record) { r.Vendor = "x" }, "content type": func(r *record) { r.ContentType = "text/plain" },
		"host": func(r *record) { r.Host = "x" }, "path": func(r *record) { r.Path = "/internal" },
		"client": func(r *record) { r.RemoteAddr = "10.0.0.1:1" }, "tls": func(r *record) { r.TLS = false },
		"body": func(r *record) { r.Body = append(r.Body, ' ') },
		// Framing: a byte moved from one field to the next.
		"framing": func(r *record) { r.Type, r.Subject = r.Type+r.Subject[:1], r.Subject[1:] },
	}
	for name, change := range changes {
		r := *rec
		r.Body = append([]byte(nil), rec.Body...)
		change(&r)
		if signer.verify(&r) {
			t.Errorf("%s changed and the MAC still verifies", name)
		}
	}
}

// record_key is read as a secret, repeatable; a route with no key cannot
// use a Redis spool, and says what to set.
func TestDurableRecordKeyConfig(t *testing.T) {
	d := caddyfile.NewTestDispenser("durable {\n record_key {env.A}\n record_key {env.B}\n }")
	d.Next()
	dur := new(Durable)
	if err := dur.unmarshalCaddyfile(d); err != nil || len(dur.RecordKeys) != 2 || dur.RecordKeys[1] != "{env.B}" {
		t.Fatalf("record keys %v, %v", dur.RecordKeys, err)
	}
	d = caddyfile.NewTestDispenser("durable {\n record_key my secret-half\n }")
	d.Next()
	if err := new(Durable).unmarshalCaddyfile(d); err == nil || strings.Contains(err.Error(), "secret-half") {
		t.Errorf("two arguments: %v", err)
	}

	t.Setenv("BIOHOOK_TEST_RECORD_KEY", "a-record-key-of-32-bytes-or-so!!")
	pub := "whpk_" + base64.StdEncoding.EncodeToString(genericSWPrivate.Public().(ed25519.PublicKey))
	site := func(durable string) string {
		return globals + `
:9080 {
	biohook standard_webhooks {
		public_key ` + pub + `
		durable {
			spool redis redis://` + redisAddr(t) + `
			key_prefix ` + redisPrefix(t) + `
			` + durable + `
		}
	}
	respond 200
}`
	}
	caddytest.AssertLoadError(t, site(""), "caddyfile", "spool redis needs a record_key")
	caddytest.AssertLoadError(t, site("record_key short"), "caddyfile", "shorter than 16 bytes")
	caddytest.AssertLoadError(t, site("record_key {env.BIOHOOK_TEST_UNSET_RECORD_KEY}"), "caddyfile", "record_key")
	caddytest.NewTester(t).InitServer(site("record_key {env.BIOHOOK_TEST_RECORD_KEY}"), "caddyfile")
}
