package integration

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisValues is everything stored under prefix: string values, set and
// hash members.
func redisValues(t *testing.T, c *redis.Client, prefix string) []byte {
	t.Helper()
	ctx := context.Background()
	keys, err := c.Keys(ctx, prefix+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys under %s: %v %v", prefix, keys, err)
	}
	var all bytes.Buffer
	for _, k := range keys {
		all.WriteString(k + "\n")
		switch c.Type(ctx, k).Val() {
		case "string":
			all.WriteString(c.Get(ctx, k).Val())
		case "zset":
			all.WriteString(strings.Join(c.ZRange(ctx, k, 0, -1).Val(), "\n"))
		case "hash":
			for f, v := range c.HGetAll(ctx, k).Val() {
				all.WriteString(f + "=" + v + "\n")
			}
		}
	}
	return all.Bytes()
}

// The ARGOS path token never reaches the spool: the record of an event
// waiting for a failing app holds the path with the token replaced, in the
// bolt file and in Redis, and the logs of its retries (Caddy's own, at
// DEBUG, with the failed request's URI) do not have it either.
func TestDurableARGOSPathTokenNotStored(t *testing.T) {
	for _, kind := range []string{"bolt", "redis"} {
		t.Run(kind, func(t *testing.T) { testDurableARGOSPathTokenNotStored(t, kind) })
	}
}

func testDurableARGOSPathTokenNotStored(t *testing.T, kind string) {
	t.Setenv("BIOHOOK_TEST_ARGOS_PATH", argosPathToken)
	logPath := filepath.Join(t.TempDir(), "caddy.log")
	spool, boltPath, prefix := "", filepath.Join(t.TempDir(), "spool.db"), redisPrefix(t)
	if kind == "bolt" {
		spool = "spool bolt " + boltPath
	} else {
		spool = "spool redis redis://" + redisAddr(t) + "\n\t\t\t\tkey_prefix " + prefix
	}
	down := "127.0.0.1:" + strconv.Itoa(freePort(t)) // refuses connections: reverse_proxy fails and Caddy logs the request
	tester := caddyTester(t, loggingTo(logPath)+`
:9080 {
	handle /hooks/argos/* {
		biohook argos {
			path_token {env.BIOHOOK_TEST_ARGOS_PATH}
			durable {
				`+spool+`
				retry exponential 50ms 100ms
			}
		}
		reverse_proxy `+down+`
	}
}
`)
	retried := `caddy_biohook_durable_events_total{stage="retried",vendor="argos"}`
	before := metricValue(t, retried)
	res, answer := post(t, tester, "/hooks/argos/"+argosPathToken, readFixture(t, "argos", "approved.json"),
		http.Header{"Content-Type": {"application/json"}})
	mustStatus(t, res, answer, http.StatusOK)
	logged, _ := os.Stat(logPath)
	waitFor(t, 5*time.Second, "two failed attempts", func() bool { return metricValue(t, retried) >= before+2 })

	var stored []byte
	if kind == "bolt" {
		stored = fileFrom(t, boltPath, 0)
	} else {
		stored = redisValues(t, testRedis(t), prefix)
	}
	if !bytes.Contains(stored, []byte("/hooks/argos/redacted")) {
		t.Errorf("the stored record has no path, or a path of another form")
	}
	if bytes.Contains(stored, []byte(argosPathToken)) {
		t.Errorf("the %s spool holds the path token", kind)
	}
	retries := fileFrom(t, logPath, logged.Size())
	if bytes.Contains(retries, []byte(argosPathToken)) {
		t.Errorf("the path token is in the log of the retries")
	}
	if !bytes.Contains(retries, []byte(`"uri":"/hooks/argos/`)) {
		t.Errorf("the log has no failed delivery's request: the test sees nothing\n%s", retries)
	}
}
