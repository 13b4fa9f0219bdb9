package testutil

import (
	"encoding/json"
	"reflect"
	"testing"
)

// JSONEqual reports whether two JSON documents hold the same value, whatever
// their spacing and key order; either not being JSON fails the test.
func JSONEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("not JSON: %v: %s", err, a)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return reflect.DeepEqual(x, y)
}
