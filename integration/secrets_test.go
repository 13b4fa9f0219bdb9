package integration

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biohook/caddy-biohook/deliver"
)

// Secrets given to the routes, from the environment and from files. Each
// is distinctive, so that finding it anywhere is certain.
var leakSecrets = map[string]string{
	"BIOHOOK_LEAK_FACEIO":    "leak-faceio-7f3a9c",
	"BIOHOOK_LEAK_ENTRUST":   "leak-entrust-0d84be",
	"BIOHOOK_LEAK_AUTHENTEQ": "leak-authenteq-c1e55a",
	"BIOHOOK_LEAK_INCODE":    "leak-incode-93b2f0",
}

const leakFileSecret = "leak-argos-file-5e17d2"

// No secret appears in Caddy's logs (at DEBUG), in any answer, in `caddy
// adapt` output or in the admin API's config, whether deliveries pass or
// fail.
func TestSecretsNeverLeak(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "argos-key")
	if err := os.WriteFile(secretFile, []byte(leakFileSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	up := newUpstream(t)
	caddyfile := `{
	admin 127.0.0.1:17019
	auto_https off
	log {
		level DEBUG
	}
}
http://127.0.0.1:17080 {
	handle /faceio {
		biohook faceio {
			secret {env.BIOHOOK_LEAK_FACEIO}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /entrust {
		biohook entrust {
			secret {env.BIOHOOK_LEAK_ENTRUST}
			dedupe
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /authenteq {
		biohook authenteq {
			client_id client-1
			secret {env.BIOHOOK_LEAK_AUTHENTEQ}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /incode* {
		biohook incode {
			oauth {
				client_id incode-client
				secret {env.BIOHOOK_LEAK_INCODE}
				token_path /incode/token
			}
		}
		reverse_proxy ` + up.addr() + `
	}
	handle /argos {
		biohook argos {
			secret {file.` + secretFile + `}
			mode ecb
			source_ips 127.0.0.1 ::1
		}
		reverse_proxy ` + up.addr() + `
	}
}
`
	var env []string
	for k, v := range leakSecrets {
		env = append(env, k+"="+v)
	}
	inst := startInstance(t, caddyfile, "127.0.0.1:17080", env...)
	var seen strings.Builder
	var sentProofs []string // signatures and digests the deliveries carried
	for _, o := range leakDeliveries(t) {
		for _, secret := range []string{o.Secrets[0], o.Secrets[0] + "x", "wrong"} {
			o := o
			o.Secrets = []string{secret}
			o.URL = "http://127.0.0.1:17080/" + o.Vendor
			d, err := deliver.Build(o)
			if err != nil {
				continue // a wrong Incode secret gets no token: refused at the token endpoint
			}
			for _, name := range []string{"Signature", "X-Signature"} {
				if v := d.Header.Get(name); len(v) > 16 {
					sentProofs = append(sentProofs, v)
				}
			}
			seen.WriteString(sendAndRead(t, d))
		}
	}
	if n := len(up.take()); n != len(leakDeliveries(t)) {
		t.Fatalf("%d genuine deliveries forwarded, want one per vendor", n)
	}
	seen.WriteString(getBody(t, "http://127.0.0.1:17019/config/"))
	out, err := exec.Command(caddyBinary(t), "adapt", "--config", writeFile(t, dir, caddyfile)).CombinedOutput()
	if err != nil {
		t.Fatalf("adapt: %v\n%s", err, out)
	}
	seen.Write(out)
	time.Sleep(200 * time.Millisecond) // the last log lines
	seen.WriteString(inst.logs())
	if !strings.Contains(inst.logs(), "delivery refused") {
		t.Fatal("no refusal was logged: the test saw nothing")
	}
	all := seen.String()
	if len(sentProofs) == 0 {
		t.Fatal("no signature was sent: the test saw nothing")
	}
	// Neither may a signature: the expected one would be a forgery's answer key.
	for _, s := range append(append(values(leakSecrets), leakFileSecret), sentProofs...) {
		if strings.Contains(all, s) {
			i := strings.Index(all, s)
			t.Errorf("secret %q found: ...%s...", s, all[max(0, i-200):min(len(all), i+100)])
		}
	}
}

func leakDeliveries(t *testing.T) []deliver.Options {
	return []deliver.Options{
		{Vendor: "faceio", Secrets: []string{leakSecrets["BIOHOOK_LEAK_FACEIO"]}, Payload: readFixture(t, "faceio", "auth.json")},
		{Vendor: "entrust", Secrets: []string{leakSecrets["BIOHOOK_LEAK_ENTRUST"]}, Payload: readFixture(t, "entrust", "user.created.json")},
		{Vendor: "authenteq", ClientID: "client-1", Secrets: []string{leakSecrets["BIOHOOK_LEAK_AUTHENTEQ"]},
			Payload: []byte(`{"id":"7f1c2a4e-0000-4000-8000-00000000000a","status":"PASSED"}`)},
		{Vendor: "incode", ClientID: "incode-client", Secrets: []string{leakSecrets["BIOHOOK_LEAK_INCODE"]},
			Settings: map[string]string{"token_path": "/incode/token"}, Payload: readFixture(t, "incode", "auth_pass.json")},
		{Vendor: "argos", Secrets: []string{leakFileSecret}, Payload: readFixture(t, "argos", "approved.json")},
	}
}

func sendAndRead(t *testing.T, d *deliver.Delivery) string {
	t.Helper()
	req, err := http.NewRequest(d.Method, d.URL, strings.NewReader(string(d.Body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = d.Header.Clone()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var b strings.Builder
	_ = res.Header.Write(&b)
	b.Write(body)
	return b.String()
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}

func writeFile(t *testing.T, dir, content string) string {
	path := filepath.Join(dir, "Caddyfile.adapt")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func values(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
