package vendors

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func testContext(t testing.TB) caddy.Context {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	return ctx
}

// provisioned provisions v as Caddy would and fails the test on error.
func provisioned[V Vendor](t testing.TB, v V) V {
	t.Helper()
	if p, ok := any(v).(caddy.Provisioner); ok {
		if err := p.Provision(testContext(t)); err != nil {
			t.Fatalf("provision: %v", err)
		}
	}
	if val, ok := any(v).(caddy.Validator); ok {
		if err := val.Validate(); err != nil {
			t.Fatalf("validate: %v", err)
		}
	}
	return v
}

func jsonDelivery(body []byte) *Delivery {
	r := httptest.NewRequest(http.MethodPost, "https://hooks.example.com/hooks", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return &Delivery{Request: r, Body: body, Received: time.Now()}
}
