package integration

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddytest"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/biohook/caddy-biohook"
)

var update = flag.Bool("update", false, "rewrite the expected JSON of caddyfile_adapt/*.caddytest (and the Caddyfile of example_* goldens) from the adapter, and testdata/metrics.txt from the metrics a config registers")

// A golden is a Caddyfile, a line of ten dashes, and the JSON it adapts to,
// pretty-printed with tabs: Caddy's own .caddytest format.
const (
	goldenDir = "caddyfile_adapt"
	separator = "----------"
)

// examplePrefix names the goldens of examples/: example_<file without
// .Caddyfile>.caddytest.
const examplePrefix = "example_"

func exampleGolden(file string) string {
	return examplePrefix + strings.TrimSuffix(file, ".Caddyfile") + ".caddytest"
}

// Every file in examples/ has a golden holding its text, and every example
// golden still has its file: an example edited without its golden, or a
// golden left from a removed example, fails.
func TestEveryExampleHasAGolden(t *testing.T) {
	examples, err := filepath.Glob(filepath.Join("..", "examples", "*Caddyfile*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) < 5 {
		t.Fatalf("only %d example Caddyfiles", len(examples))
	}
	want := map[string]bool{}
	for _, p := range examples {
		golden := exampleGolden(filepath.Base(p))
		want[golden] = true
		path := filepath.Join(goldenDir, golden)
		if _, err := os.Stat(path); err != nil {
			if !*update {
				t.Errorf("%s has no golden %s (-update writes it)", p, path)
				continue
			}
			caddyfile := readExample(t, golden)
			unsetAdaptTimeEnv(t, caddyfile)
			writeGolden(t, path, caddyfile, adapt(t, caddyfile))
			continue
		}
		copied, _ := readGolden(t, path)
		if copied != readExample(t, golden) && !*update {
			t.Errorf("%s differs from the Caddyfile in %s: -update copies it and rewrites the JSON; review the diff", p, path)
		}
	}
	goldens, _ := filepath.Glob(filepath.Join(goldenDir, examplePrefix+"*.caddytest"))
	for _, g := range goldens {
		if !want[filepath.Base(g)] {
			t.Errorf("%s has no example in examples/ any more", g)
		}
	}
}

// Every golden adapts, without a warning, to exactly its JSON.
func TestCaddyfileAdaptToJSON(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(goldenDir, "*.caddytest"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no goldens in %s", goldenDir)
	}
	for _, path := range paths {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			caddyfile, expected := readGolden(t, path)
			if strings.HasPrefix(name, examplePrefix) {
				// The example is the source of truth; the golden's copy
				// only shows, next to the JSON, what was adapted.
				caddyfile = readExample(t, name)
			}
			unsetAdaptTimeEnv(t, caddyfile)
			got := adapt(t, caddyfile)
			if *update {
				writeGolden(t, path, caddyfile, got)
				return
			}
			if !caddytest.CompareAdapt(t, name, caddyfile, "caddyfile", expected) {
				t.Errorf("%s adapts to other JSON than its golden (diff above; -update rewrites it)", name)
			}
		})
	}
}

// readExample reads the example a golden stands for.
func readExample(t *testing.T, golden string) string {
	t.Helper()
	stem := strings.TrimSuffix(strings.TrimPrefix(golden, examplePrefix), ".caddytest")
	for _, file := range []string{stem + ".Caddyfile", stem} {
		data, err := os.ReadFile(filepath.Join("..", "examples", file))
		if err == nil && exampleGolden(file) == golden {
			return strings.TrimSpace(string(data)) + "\n"
		}
	}
	t.Fatalf("%s: no example file for it in examples/", golden)
	return ""
}

func readGolden(t *testing.T, path string) (caddyfile, expected string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	caddyfile, expected, ok := strings.Cut(text, "\n"+separator+"\n")
	if !ok {
		t.Fatalf("%s: no %s line between the Caddyfile and the JSON", path, separator)
	}
	return strings.TrimSpace(caddyfile) + "\n", strings.TrimSpace(expected)
}

func writeGolden(t *testing.T, path, caddyfile, adapted string) {
	t.Helper()
	out := caddyfile + separator + "\n" + adapted + "\n"
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

// adapt runs the Caddyfile adapter as `caddy adapt` does and pretty-prints
// the JSON as caddytest.CompareAdapt compares it. A warning (an unformatted
// Caddyfile, a directive Caddy frowns on) fails: the goldens are what users
// copy.
func adapt(t *testing.T, caddyfile string) string {
	t.Helper()
	out, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
	if err != nil {
		t.Fatalf("adapting: %v", err)
	}
	for _, w := range warnings {
		t.Errorf("warning: line %d: %s: %s", w.Line, w.Directive, w.Message)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out, "", "\t"); err != nil {
		t.Fatal(err)
	}
	return pretty.String()
}

// adaptTimeEnv matches {$NAME} and {$NAME:default}, which the Caddyfile
// parser replaces from the environment while adapting.
var adaptTimeEnv = regexp.MustCompile(`\{\$([A-Za-z0-9_]+)`)

// unsetAdaptTimeEnv unsets, for the test, the variables the Caddyfile reads
// at adapt time, so the golden holds the defaults whatever the machine's
// environment. ({env.NAME} placeholders stay text: they are read at load.)
func unsetAdaptTimeEnv(t *testing.T, caddyfile string) {
	t.Helper()
	var names []string
	for _, m := range adaptTimeEnv.FindAllStringSubmatch(caddyfile, -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		t.Setenv(name, "") // restored when the test ends
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
}
