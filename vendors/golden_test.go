package vendors

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cloudevent "github.com/cloudevents/sdk-go/v2/event"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/*/golden")

// goldenVendors builds, per vendor directory under testdata, the vendor that
// normalises its fixtures. Each vendor's test file adds itself in init.
var goldenVendors = map[string]func(t testing.TB) Vendor{}

// fixture is one vendor delivery kept under testdata/<vendor>/: a .json file
// is a JSON body; a .http file is a whole raw HTTP/1.1 request.
type fixture struct {
	vendor, name, path string
}

func fixtures(t testing.TB, vendor string) []fixture {
	t.Helper()
	dir := filepath.Join("..", "testdata", vendor)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []fixture
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".json" && ext != ".http") {
			continue
		}
		out = append(out, fixture{vendor, strings.TrimSuffix(e.Name(), ext), filepath.Join(dir, e.Name())})
	}
	if len(out) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	return out
}

// delivery reads a fixture into the Delivery a vendor sees.
func (f fixture) delivery(t testing.TB) *Delivery {
	t.Helper()
	raw, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(f.path) == ".json" {
		r := httptest.NewRequest(http.MethodPost, "https://hooks.example.com/hooks/"+f.vendor, bytes.NewReader(raw))
		r.Header.Set("Content-Type", "application/json")
		return &Delivery{Request: r, Body: raw, Received: time.Now()}
	}
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("%s: %v", f.path, err)
	}
	body := new(bytes.Buffer)
	if _, err := body.ReadFrom(r.Body); err != nil {
		t.Fatalf("%s: %v", f.path, err)
	}
	return &Delivery{Request: r, Body: body.Bytes(), Received: time.Now()}
}

func (f fixture) goldenPath() string {
	return filepath.Join(filepath.Dir(f.path), "golden", f.name+".json")
}

// TestGolden normalises every fixture of every vendor and compares the event
// with its golden file. Run with -update to rewrite them after a deliberate
// change, and read the diff.
func TestGolden(t *testing.T) {
	for vendor, build := range goldenVendors {
		for _, f := range fixtures(t, vendor) {
			t.Run(vendor+"/"+f.name, func(t *testing.T) {
				ev, err := build(t).Normalize(f.delivery(t))
				if err != nil {
					t.Fatalf("Normalize: %v", err)
				}
				got, err := ev.Encode()
				if err != nil {
					t.Fatal(err)
				}
				compareGolden(t, f.goldenPath(), got)
			})
		}
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	pretty := jsontext.Value(bytes.Clone(got))
	if err := pretty.Indent(jsontext.WithIndent("  ")); err != nil {
		t.Fatalf("event is not JSON: %v", err)
	}
	pretty = append(pretty, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pretty, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden file (run with -update and read it): %v", err)
	}
	if !bytes.Equal(want, pretty) {
		t.Errorf("event differs from %s\n got: %s\nwant: %s", path, pretty, want)
	}
}

// TestGoldenSchema holds every golden event to schema/event.schema.json and
// reads it with the CloudEvents SDK, as a consumer would.
func TestGoldenSchema(t *testing.T) {
	schema := compileSchema(t)
	goldens, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "golden", "*.json"))
	if len(goldens) == 0 {
		t.Fatal("no golden files")
	}
	for _, path := range goldens {
		t.Run(path, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(inst); err != nil {
				t.Errorf("schema: %v", err)
			}
			var ce cloudevent.Event
			if err := json.Unmarshal(raw, &ce); err != nil {
				t.Fatalf("CloudEvents SDK cannot read it: %v", err)
			}
			if err := ce.Validate(); err != nil {
				t.Errorf("CloudEvents SDK: %v", err)
			}
			if ce.DataContentType() != "application/json" || len(ce.Data()) == 0 {
				t.Errorf("data not read as JSON: %q", ce.DataContentType())
			}
		})
	}
}

func compileSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(filepath.Join("..", "schema", "event.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
