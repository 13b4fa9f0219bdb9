package vendors

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

func TestParsePath(t *testing.T) {
	cases := []struct {
		in   string
		want Path
	}{
		{"/a/b", Path{"a", "b"}},
		{"a.b", Path{"a", "b"}},
		{"/a~1b/c~0d/~01", Path{"a/b", "c~d", "~1"}},
		{"/", Path{""}},
		{"/0", Path{"0"}},
		{"", nil},
		{"a..b", nil},
		{".a", nil},
		{"/a~2", nil},
		{"/a~", nil},
	}
	for _, c := range cases {
		got, err := ParsePath(c.in)
		if (err != nil) != (c.want == nil) || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %q, %v", c.in, got, err)
		}
	}
}

func TestPathLookup(t *testing.T) {
	doc := []byte(`{"a":{"b":[10,{"c":"x\u0041"},[true]]},"a/b":1,"":{"":2},"n":null,"s":"1"}`)
	cases := []struct {
		path, want string
	}{
		{"/a/b/0", "10"},
		{"/a/b/1/c", `"x\u0041"`},
		{"a.b.2.0", "true"},
		{"/a~1b", "1"},
		{"/", `{"":2}`},
		{"//", "2"},
		{"/n", "null"},
		{"/a/b/3", ""},
		{"/a/b/01", ""},
		{"/a/b/-1", ""},
		{"/a/x", ""},
		{"/s/0", ""},
		{"/a/b/1/c/d", ""},
	}
	for _, c := range cases {
		p, err := ParsePath(c.path)
		if err != nil {
			t.Fatal(err)
		}
		v, ok := p.Lookup(doc)
		if got := string(v); ok != (c.want != "") || got != c.want {
			t.Errorf("%s: got %q %v, want %q", c.path, got, ok, c.want)
		}
	}
}

func TestScalarAndTime(t *testing.T) {
	for in, want := range map[string]string{`"x\u0041"`: "xA", `12.50`: "12.50", `true`: "true", `false`: "false", `null`: "", `{}`: "", `[1]`: ""} {
		if got := Scalar(jsontext.Value(in)); got != want {
			t.Errorf("Scalar(%s) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		`"2026-11-20T10:14:02+01:00"`: "2026-11-20T09:14:02Z",
		`1795000000`:                  "2026-11-18T11:06:40Z",
		`1795000000500`:               "2026-11-18T11:06:40.5Z",
		`"yesterday"`:                 "",
		`-5`:                          "",
		`true`:                        "",
	} {
		if got := mappedTime(jsontext.Value(in)); got != want {
			t.Errorf("mappedTime(%s) = %q, want %q", in, got, want)
		}
	}
}

// A mapping sets what it finds and leaves the defaults where a field is
// absent; a value missing from the outcome table means none.
func TestMappingApply(t *testing.T) {
	m := &Mapping{ID: "/id", Subject: "/user", Event: "/type", Outcome: "/result",
		Outcomes: map[string]Outcome{"pass": OutcomeApproved, "true": OutcomeApproved},
		Kind:     KindAuthentication, Kinds: map[string]Kind{"user.removed": KindDeletion}}
	if err := m.Provision(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		body    string
		id      string
		kind    Kind
		outcome Outcome
		typ     string
	}{
		{`{"id":"e1","user":"u","type":"login","result":"pass"}`, "e1", KindAuthentication, OutcomeApproved, TypeIdentityAuthentication},
		{`{"id":7,"type":"login","result":true}`, "7", KindAuthentication, OutcomeApproved, TypeIdentityAuthentication},
		{`{"type":"login","result":"maybe"}`, "default", KindAuthentication, OutcomeNone, TypeIdentityAuthentication},
		{`{"type":"user.removed"}`, "default", KindDeletion, OutcomeNone, TypeIdentityDeletion},
		{`{"id":{"nested":1}}`, "default", KindAuthentication, OutcomeNone, TypeIdentityAuthentication},
	}
	for _, c := range cases {
		ev := NewEvent("x", "", []byte(c.body))
		ev.ID = "default"
		m.Apply(ev, []byte(c.body))
		if ev.ID != c.id || ev.Data.Kind != c.kind || ev.Data.Outcome != c.outcome || ev.Type != c.typ {
			t.Errorf("%s: got id %q kind %q outcome %q type %q", c.body, ev.ID, ev.Data.Kind, ev.Data.Outcome, ev.Type)
		}
	}
}

// referenceLookup walks a fully decoded document: the slow, obvious way.
func referenceLookup(doc any, p Path) (any, bool) {
	for _, step := range p {
		switch v := doc.(type) {
		case map[string]any:
			next, ok := v[step]
			if !ok {
				return nil, false
			}
			doc = next
		case []any:
			// RFC 6901: an index is "0" or digits without a leading zero;
			// no sign, so "-0" and "+1" are not indexes.
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(v) || (len(step) > 1 && step[0] == '0') || step[0] == '+' || step[0] == '-' {
				return nil, false
			}
			doc = v[i]
		default:
			return nil, false
		}
	}
	return doc, true
}

// FuzzPathLookup: for any pointer and any valid JSON document, Lookup
// finds what a walk over the decoded document finds, and never panics on
// invalid ones.
func FuzzPathLookup(f *testing.F) {
	f.Add("/a/b/1/c", []byte(`{"a":{"b":[10,{"c":"x"}]}}`))
	f.Add("a.b.0", []byte(`{"a":{"b":[true]}}`))
	f.Add("/~01/~10", []byte(`{"~1":{"/0":null}}`))
	f.Add("/a/00", []byte(`{"a":[1,2]}`))
	f.Add("/a", []byte(`{"a":1,"a":2}`))
	f.Add("/a", []byte(`{"a":`))
	f.Fuzz(func(t *testing.T, pointer string, doc []byte) {
		p, err := ParsePath(pointer)
		if err != nil {
			return
		}
		got, ok := p.Lookup(doc)
		if !jsontext.Value(doc).IsValid() {
			return
		}
		var decoded any
		if err := json.Unmarshal(doc, &decoded); err != nil {
			// Valid JSON the reference cannot hold, such as a number past
			// float64's range: Lookup works on the bytes and has no such
			// limit, so there is nothing to compare it with.
			return
		}
		want, wantOK := referenceLookup(decoded, p)
		if ok != wantOK {
			t.Fatalf("%q in %s: found %v, reference %v", pointer, doc, ok, wantOK)
		}
		if !ok {
			return
		}
		var gotDecoded any
		if err := json.Unmarshal(got, &gotDecoded); err != nil || !reflect.DeepEqual(gotDecoded, want) {
			t.Fatalf("%q in %s: got %s, reference %v", pointer, doc, got, want)
		}
	})
}
