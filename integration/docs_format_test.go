package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// docBlock is one ```caddyfile block of the docs.
type docBlock struct {
	where string // file:line
	text  string
}

func docCaddyfileBlocks(t *testing.T) []docBlock {
	t.Helper()
	docs, _ := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	var blocks []docBlock
	fence := regexp.MustCompile("(?ms)^```caddyfile\n(.*?)^```")
	for _, p := range append([]string{filepath.Join("..", "README.md")}, docs...) {
		md, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range fence.FindAllSubmatchIndex(md, -1) {
			line := bytes.Count(md[:m[2]], []byte("\n")) + 1
			blocks = append(blocks, docBlock{fmt.Sprintf("%s:%d", p, line), string(md[m[2]:m[3]])})
		}
	}
	if len(blocks) < 20 {
		t.Fatalf("only %d caddyfile blocks in the docs", len(blocks))
	}
	return blocks
}

// Every example Caddyfile and every ```caddyfile block of README.md and
// docs/*.md is as `caddy fmt` writes it, so what people copy is what
// `caddy fmt --overwrite` would leave alone.
func TestCaddyfilesFormatted(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "examples", "*Caddyfile*"))
	for _, p := range paths {
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		checkFormatted(t, p, string(body))
	}
	for _, b := range docCaddyfileBlocks(t) {
		checkFormatted(t, b.where, b.text)
	}
}

func checkFormatted(t *testing.T, where, text string) {
	t.Helper()
	want := string(caddyfile.Format([]byte(text)))
	if text == want {
		return
	}
	got, fmtd := strings.Split(text, "\n"), strings.Split(want, "\n")
	for i := range max(len(got), len(fmtd)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(fmtd) {
			w = fmtd[i]
		}
		if g != w {
			t.Errorf("%s: not as caddy fmt writes it; block line %d:\n  is      %q\n  caddy fmt %q", where, i+1, g, w)
			return
		}
	}
}
