package biohook

import "testing"

// The bare type matches without the parser; parameters, case and spacing
// still go through it, and anything else is refused.
func TestMediaTypeIn(t *testing.T) {
	accepted := []string{"application/json"}
	cases := map[string]bool{
		"application/json":                 true,
		"Application/JSON":                 true,
		"application/json; charset=utf-8":  true,
		"application/json ; charset=UTF-8": true,
		"":                                 false,
		"text/plain":                       false,
		"application/jsonx":                false,
		"application/json; charset":        false,
		"application/json, text/plain":     false,
	}
	for contentType, want := range cases {
		if got := mediaTypeIn(contentType, accepted); got != want {
			t.Errorf("%q: %v, want %v", contentType, got, want)
		}
	}
}
