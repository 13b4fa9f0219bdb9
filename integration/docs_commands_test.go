package integration

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The `caddy biohook send`, `sign`, `keygen` and `version` commands that
// README.md and docs/cli.md show work as written, against routes set up as
// the docs describe them (only localhost:8080 is another port).
func TestDocCommandsRun(t *testing.T) {
	up := newUpstream(t)
	port := freePort(t)
	cfg := fmt.Sprintf(`{
	admin off
	persist_config off
}
http://127.0.0.1:%d {
	handle /hooks/entrust {
		biohook entrust {
			secret {env.ENTRUST_WEBHOOK_TOKEN}
		}
		reverse_proxy %[2]s
	}
	handle /hooks/faceio {
		biohook faceio {
			secret demo-faceio-webhook-token
		}
		reverse_proxy %[2]s
	}
	handle /hooks/veriff {
		biohook hmac {
			name veriff
			header X-HMAC-Signature
			secret s3cret-hmac-shared-key
		}
		reverse_proxy %[2]s
	}
	handle /hooks/acme {
		biohook standard_webhooks {
			name acme
			secret {env.ACME_WHSEC}
		}
		reverse_proxy %[2]s
	}
}
`, port, up.addr())
	env := []string{"ENTRUST_WEBHOOK_TOKEN=docs-entrust-token",
		"ACME_WHSEC=whsec_" + base64.StdEncoding.EncodeToString([]byte("docs-standard-webhooks-secret-0"))}
	startInstance(t, cfg, fmt.Sprintf("127.0.0.1:%d", port), env...)

	ran := 0
	for _, doc := range []string{"README.md", "docs/cli.md"} {
		for _, line := range docShellCommands(t, doc) {
			args := shellWords(t, line)
			if len(args) < 3 || args[0] != "caddy" || args[1] != "biohook" ||
				!containsString([]string{"send", "sign", "keygen", "version"}, args[2]) || strings.Contains(line, "https://") {
				continue
			}
			for i, a := range args {
				args[i] = strings.ReplaceAll(a, "localhost:8080", fmt.Sprintf("127.0.0.1:%d", port))
			}
			status, out, stderr := runEnv(t, env, args[1:]...)
			if status != 0 {
				t.Errorf("%s: %s\nexit %d\n%s%s", doc, line, status, out, stderr)
			}
			ran++
		}
	}
	if ran < 8 {
		t.Errorf("only %d commands ran", ran)
	}
	up.take()
}

// docShellCommands returns the lines of the ```sh blocks of a doc, with
// backslash continuations joined and comments dropped.
func docShellCommands(t *testing.T, path string) []string {
	t.Helper()
	md, err := os.ReadFile(filepath.Join("..", path)) // path is the repository's
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile("(?ms)^```sh\n(.*?)^```").FindAllSubmatch(md, -1) {
		joined := regexp.MustCompile(`\\\n\s*`).ReplaceAllString(string(m[1]), "")
		for _, line := range strings.Split(joined, "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, line)
			}
		}
	}
	return out
}

// shellWords splits a command line as sh would for the docs' commands:
// words, single and double quotes, and a trailing # comment.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '#' && !inWord:
			i = len(line)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("unbalanced quotes: %s", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
