package integration

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

// reasonUnauthenticated is the reason the admin API gives for a record
// whose MAC does not verify.
const reasonUnauthenticated = "record_unauthenticated"

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
	writeBoltSpool(t, path, records)

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

// writeBoltSpool lays records out in a bolt spool file as the spool keeps
// waiting events: each under a sequence number in "events", and its key in
// "ids" with state 'p' and that number.
func writeBoltSpool(t *testing.T, path string, records map[string][]byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		events, err := tx.CreateBucketIfNotExists([]byte("events"))
		if err != nil {
			return err
		}
		ids, err := tx.CreateBucketIfNotExists([]byte("ids"))
		if err != nil {
			return err
		}
		for key, value := range records {
			seq, _ := events.NextSequence()
			k := binary.BigEndian.AppendUint64(nil, seq)
			if err := events.Put(k, value); err != nil {
				return err
			}
			if err := ids.Put([]byte(key), append([]byte{'p'}, k...)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A route with no record key cannot use a Redis spool, and says what to
// set; a key too short, or unset, refuses to load.
func TestDurableRecordKeyConfig(t *testing.T) {
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
