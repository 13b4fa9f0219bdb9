package vendors

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// fuzzCases reads the top object, the object at /data, the one at
// /data/attrs, and the first element of /list.
var fuzzCases = new(caseScope).
	with("data", scopeOf("attrs")).
	with("list", &caseScope{elements: []scopedElement{{0, &caseScope{}}}})

// refCheckCase is checkCase written with the decoder and strings.EqualFold.
func refCheckCase(t *testing.T, doc []byte, scope *caseScope) bool {
	dec := jsontext.NewDecoder(bytes.NewReader(doc))
	var walk func(scope *caseScope) bool
	walk = func(scope *caseScope) bool {
		switch {
		case scope == nil:
		case dec.PeekKind() == '{':
			if _, err := dec.ReadToken(); err != nil {
				t.Fatal(err)
			}
			var names []string
			for dec.PeekKind() == '"' {
				tok, err := dec.ReadToken()
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range names {
					if strings.EqualFold(n, tok.String()) {
						return true
					}
				}
				names = append(names, tok.String())
				if walk(scope.member([]byte(tok.String()))) {
					return true
				}
			}
			_, _ = dec.ReadToken()
			return false
		case dec.PeekKind() == '[' && len(scope.elements) > 0:
			_, _ = dec.ReadToken()
			for n := 0; dec.PeekKind() != ']'; n++ {
				if walk(scope.element(n)) {
					return true
				}
			}
			_, _ = dec.ReadToken()
			return false
		}
		if err := dec.SkipValue(); err != nil {
			t.Fatal(err)
		}
		return false
	}
	return walk(scope)
}

func TestCheckCase(t *testing.T) {
	for _, c := range []struct {
		doc       string
		ambiguous bool
	}{
		{`{"id":1,"ID":2}`, true},
		{`{"recognitionConfidence":1,"RecognitionCONFIDENCE":2}`, true}, // folded eight bytes at a time
		{`{"abcdefghé":1,"ABCDEFGHÉ":2}`, true},
		{`{"abcdefgh@[":1,"ABCDEFGH` + "`" + `{":2}`, false}, // '@' '[' '`' '{' are no letters
		{`{"id":1,"Id":2}`, true},
		{`{"id":1,"data":{"Type":1,"type":2}}`, true},
		{`{"data":{"attrs":{"\u212Aey":1,"key":2}}}`, true}, // Kelvin sign
		{`{"data":{"\u017fub":1,"SUB":2}}`, true},           // long s
		{`{"\u0069d":1,"ID":2}`, true},                      // an escape
		{`{"list":[{"a":1,"A":2}]}`, true},                  // the first element is read
		{`{"list":[{"a":1},{"a":1,"A":2}]}`, false},         // the second is not
		{`{"other":{"a":1,"A":2}}`, false},                  // not read
		{`{"data":{"attrs":{"x":{"a":1,"A":2}}}}`, false},   // below what is read
		{`{"id":1,"i_d":2,"ids":3,"İd":4}`, false},          // differ beyond case (İ does not fold to I)
		{` { "a" : "}\"{" , "A\"" : [ "{" ] } `, false},     // brackets and quotes in strings
		{`{"data":[1,{"a":1,"A":2}],"list":{"0":{"b":1}}}`, false},
		{`null`, false}, {`[]`, false}, {`"s"`, false}, {`{}`, false}, {`{"data":null}`, false},
	} {
		if !jsontext.Value(c.doc).IsValid() {
			t.Fatalf("%s is not valid JSON", c.doc)
		}
		err := checkCase([]byte(c.doc), fuzzCases)
		if (err != nil) != c.ambiguous || (err != nil && err != errAmbiguousMember) {
			t.Errorf("%s: %v", c.doc, err)
		}
		if ref := refCheckCase(t, []byte(c.doc), fuzzCases); ref != c.ambiguous {
			t.Errorf("%s: the reference says %v", c.doc, ref)
		}
	}
	// Objects with many members: the set of folded names takes over.
	big := func(n int, twins ...int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			name := "member_" + strconv.Itoa(i)
			for _, t := range twins {
				if i == t {
					name = "MEMBER_" + strconv.Itoa(twins[0])
				}
			}
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"` + name + `":` + strconv.Itoa(i))
		}
		return b.String() + "}"
	}
	for _, c := range []struct {
		doc       string
		ambiguous bool
	}{
		{big(40), false}, {big(40, 1, 39), true}, {big(40, 35, 38), true}, {big(40, 31, 32), true},
		{big(33, 0, 32), true}, {big(20000), false}, {big(20000, 7, 19999), true},
	} {
		if err := checkCase([]byte(c.doc), fuzzCases); (err != nil) != c.ambiguous {
			t.Errorf("%.60s...: %v", c.doc, err)
		}
	}

	// A mapping's paths make its scope: each object on the way is read.
	var s caseScope
	for _, p := range []string{"/verification/id", "items.0.id", "/type"} {
		path, _ := ParsePath(p)
		s.add(path)
	}
	for doc, want := range map[string]bool{
		`{"verification":{"id":1,"ID":2}}`: true, `{"Type":1,"type":2}`: true, `{"items":[{"id":1,"iD":2}]}`: true,
		`{"items":{"0":{"id":1,"iD":2}}}`: true, `{"items":[{},{"id":1,"iD":2}]}`: false, `{"verification":{"id":{"a":1,"A":2}}}`: false,
	} {
		if got := checkCase([]byte(doc), &s) != nil; got != want {
			t.Errorf("mapping scope, %s: ambiguous %v", doc, got)
		}
	}
}

// FuzzCheckCase holds the byte scan to the decoder and strings.EqualFold on
// valid JSON, and requires no panic on anything else.
func FuzzCheckCase(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"ID":2}`, `{"data":{"attrs":{"\u212Aey":1,"key":2}}}`, `{"list":[{"a":1,"A":2}]}`,
		` { "a" : "}\"{" , "A\"" : [ "{" ] } `, `{"data":{"\u017f":1,"S":2}}`, `{"a":1,"b":{"c":[1,2,{"d":"\\"}]}}`,
		`{"id":1,"i_d":2}`, `{"data":{"attrs":[]},"list":[]}`, `{"`, `{"a":}`, `[{"a"`, `{"a":1,"A"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		err := checkCase(doc, fuzzCases)
		if !jsontext.Value(doc).IsValid() {
			return // no panic is all that is asked
		}
		if err != nil && err != errAmbiguousMember {
			t.Fatalf("%q: %v", doc, err)
		}
		if ref := refCheckCase(t, doc, fuzzCases); ref != (err != nil) {
			t.Fatalf("%q: scan %v, reference ambiguous %v", doc, err, ref)
		}
	})
}

// BenchmarkCheckCase is what the case check adds to each vendor's
// normalising, on the fixture BenchmarkVendorPath uses.
func BenchmarkCheckCase(b *testing.B) {
	for _, c := range []struct {
		vendor, fixture string
		scope           *caseScope
	}{
		{"faceio", "enroll.json", faceioCases},
		{"entrust", "user.created.json", entrustCases},
		{"incode", "auth_pass.json", incodeCases},
		{"argos", "approved.json", argosCases},
	} {
		body := benchFixture(b, c.vendor, c.fixture)
		b.Run(c.vendor, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := checkCase(body, c.scope); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzFoldHash: a name and any case-folded variant of it hash alike.
func FuzzFoldHash(f *testing.F) {
	for _, s := range []string{"recognitionConfidence", "id", "\u212Aey", "\u017fubject", "abcdefgh\u00e9", "Auth_User_id", "@[`{"} {
		f.Add(s, uint64(0x5555))
	}
	f.Fuzz(func(t *testing.T, name string, flips uint64) {
		if !utf8.ValidString(name) {
			return
		}
		var b strings.Builder
		for i, r := range []rune(name) {
			if flips>>(uint(i)%64)&1 != 0 {
				r = unicode.SimpleFold(r)
			}
			b.WriteRune(r)
		}
		variant := b.String()
		if !strings.EqualFold(name, variant) {
			t.Fatalf("%q and %q do not fold alike", name, variant)
		}
		if foldHash([]byte(name)) != foldHash([]byte(variant)) {
			t.Fatalf("%q and %q hash apart", name, variant)
		}
	})
}
