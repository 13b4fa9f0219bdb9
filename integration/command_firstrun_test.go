package integration

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	biohook "github.com/biohook/caddy-biohook"
	"github.com/biohook/caddy-biohook/deliver"
	"github.com/biohook/caddy-biohook/verify"
)

// An unknown vendor is refused by every command that takes one, and by the
// directive, with the list of valid names.
func TestCommandUnknownVendorListsNames(t *testing.T) {
	want := "valid vendors are " + strings.Join(deliver.Vendors(), ", ")
	for _, args := range [][]string{
		{"biohook", "send", "--vendor", "acme", "--secret", "x", "--to", "http://127.0.0.1:1/hooks/acme"},
		{"biohook", "sign", "--vendor", "acme", "--secret", "x"},
		{"biohook", "keygen", "--vendor", "acme"},
	} {
		status, out, stderr := run(t, nil, args...)
		if status != 1 || !strings.Contains(stderr, `unknown vendor \"acme\": `+want) {
			t.Errorf("%v: exit %d\n%s%s", args[1], status, out, stderr)
		}
	}
	cfg := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(cfg, []byte(":8080 {\n\tbiohook acme {\n\t\tsecret x\n\t}\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	status, out, stderr := run(t, nil, "adapt", "--config", cfg)
	if status == 0 || !strings.Contains(stderr, `unknown biohook vendor \"acme\": `+want) {
		t.Errorf("adapt: exit %d\n%s%s", status, out, stderr)
	}
}

// `sign --help` shows each flag with its description, not a type name
// lifted from back quotes.
func TestCommandSignHelp(t *testing.T) {
	status, out, stderr := run(t, nil, "biohook", "sign", "--help")
	if status != 0 {
		t.Fatalf("exit %d: %s", status, stderr)
	}
	raw := regexp.MustCompile(`(?m)^\s+--raw\s+(.*)$`).FindStringSubmatch(out)
	if raw == nil || !strings.HasPrefix(raw[1], "print the whole request") {
		t.Errorf("the --raw line: %q\n%s", raw, out)
	}
	if strings.Contains(out, "the vendor's first") {
		t.Errorf("--event says the default is the first sample; it is a typical one (faceio: enroll):\n%s", out)
	}
}

// send exits 1 when no biohook route answered: a wrong path, or ARGOS
// without its path token, gets Caddy's empty 200, which is no delivery.
// The same delivery on the right path passes.
func TestCommandSendNoRoute(t *testing.T) {
	up := newUpstream(t)
	port := freePort(t)
	cfg := fmt.Sprintf(`{
	admin off
	persist_config off
}
http://127.0.0.1:%d {
	handle /hooks/faceio {
		biohook faceio {
			secret {env.CLI_FACEIO}
		}
		reverse_proxy %s
	}
	handle /hooks/argos/* {
		rewrite * /hooks/argos
		biohook argos {
			secret {env.CLI_ARGOS}
			mode ecb
			source_ips 127.0.0.1
			path_token argos-path-token
		}
		reverse_proxy %[2]s
	}
}
`, port, up.addr())
	path := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	startBinary(t, path, port)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cases := []struct {
		name, vendor, to string
		ok               bool
	}{
		{"faceio", "faceio", "/hooks/faceio", true},
		{"faceio, wrong path", "faceio", "/hooks/faceoi", false},
		{"argos", "argos", "/hooks/argos/argos-path-token", true},
		{"argos without its path token", "argos", "/hooks/argos", false},
	}
	for _, c := range cases {
		status, out, stderr := run(t, nil, append([]string{"biohook", "send", "--to", base + c.to}, vendorArgs(c.vendor, vendorSecrets[c.vendor])...)...)
		got := up.take()
		if c.ok {
			if status != 0 || len(got) != 1 || !strings.Contains(out, "Biohook-Route: "+c.vendor) {
				t.Errorf("%s: exit %d, %d delivered\n%s%s", c.name, status, len(got), out, stderr)
			}
			continue
		}
		if status != 1 || len(got) != 0 || !strings.HasPrefix(out, "HTTP/1.1 200 OK") ||
			!strings.Contains(stderr, "no biohook route answered") || !strings.Contains(stderr, "empty 200 OK") {
			t.Errorf("%s: exit %d, %d delivered\n%s%s", c.name, status, len(got), out, stderr)
		}
	}
}

// send reaches a local HTTPS site whose certificate Caddy's internal CA
// issued: refused without a way to trust it, accepted with --cacert (the
// local root) or --insecure.
func TestCommandSendTLS(t *testing.T) {
	port := freePort(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "Caddyfile")
	site := fmt.Sprintf(`{
	admin off
	persist_config off
	skip_install_trust
	auto_https disable_redirects
}
https://127.0.0.1:%d {
	tls internal
	handle /hooks/faceio {
		biohook faceio {
			secret {env.CLI_FACEIO}
		}
		respond 204
	}
}
`, port)
	if err := os.WriteFile(cfg, []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(caddyBinary(t), "run", "--config", cfg)
	cmd.Env = append(cliEnv(), "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	var logs lockedWriter
	logs.b = &strings.Builder{}
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", port))

	to := fmt.Sprintf("https://127.0.0.1:%d/hooks/faceio", port)
	send := func(extra ...string) (int, string, string) {
		return run(t, nil, append(append([]string{"biohook", "send", "--to", to}, vendorArgs("faceio", "{env.CLI_FACEIO}")...), extra...)...)
	}
	// The certificate is issued as the server starts: wait for it.
	var status int
	var out, stderr string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if status, out, stderr = send("--insecure"); status == 0 {
			break
		}
	}
	if status != 0 || !strings.HasPrefix(out, "HTTP/2.0 204") {
		t.Fatalf("--insecure: exit %d\n%s%s\n%s", status, out, stderr, logs.b.String())
	}
	if status, out, stderr = send(); status != 1 || !strings.Contains(stderr, "certificate") {
		t.Errorf("no way to trust the certificate: exit %d\n%s%s", status, out, stderr)
	}
	root := filepath.Join(dir, "caddy", "pki", "authorities", "local", "root.crt")
	if status, out, stderr = send("--cacert", root); status != 0 || !strings.HasPrefix(out, "HTTP/2.0 204") {
		t.Errorf("--cacert %s: exit %d\n%s%s", root, status, out, stderr)
	}
	if status, _, stderr = send("--cacert", cfg); status != 1 || !strings.Contains(stderr, "no PEM certificate") {
		t.Errorf("--cacert of a file with no certificate: exit %d\n%s", status, stderr)
	}
}

// keygen makes Standard Webhooks keys in the forms the module reads: a
// route with the secret and the public key accepts deliveries signed with
// the secret and with the private key, and each key is new every time. For
// the vendors whose secrets the route chooses it prints one in their form;
// for the vendors that issue theirs it says where to find them and exits 1.
func TestCommandKeygen(t *testing.T) {
	keys := func(vendor string) map[string]string {
		status, out, stderr := run(t, nil, "biohook", "keygen", "--vendor", vendor)
		if status != 0 || stderr == "" {
			t.Fatalf("%s: exit %d\n%s%s", vendor, status, out, stderr)
		}
		m := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			name, value, ok := strings.Cut(line, " ")
			if !ok || value == "" {
				t.Fatalf("%s: line %q is not <option> <value>", vendor, line)
			}
			m[name] = value
		}
		return m
	}
	sw := keys("standard_webhooks")
	if _, err := verify.ParseSWSecret(sw["secret"]); err != nil || !strings.HasPrefix(sw["secret"], "whsec_") {
		t.Errorf("secret %q: %v", sw["secret"], err)
	}
	priv, err := verify.ParseSWPrivateKey(sw["private_key"])
	if err != nil || !strings.HasPrefix(sw["private_key"], "whsk_") {
		t.Fatalf("private_key %q: %v", sw["private_key"], err)
	}
	pub, err := verify.ParseSWPublicKey(sw["public_key"])
	if err != nil || !strings.HasPrefix(sw["public_key"], "whpk_") || !pub.Equal(priv.Public().(ed25519.PublicKey)) {
		t.Fatalf("public_key %q is not the private key's: %v", sw["public_key"], err)
	}
	if again := keys("standard_webhooks"); again["secret"] == sw["secret"] || again["private_key"] == sw["private_key"] {
		t.Error("keygen made the same keys twice")
	}

	cfg := filepath.Join(t.TempDir(), "Caddyfile")
	route := "http://127.0.0.1:8089 {\n\tbiohook standard_webhooks {\n\t\tsecret {env.KG_SECRET}\n\t\tpublic_key {env.KG_PUBLIC}\n\t}\n\trespond 200\n}\n"
	if err := os.WriteFile(cfg, []byte(route), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"KG_SECRET=" + sw["secret"], "KG_PUBLIC=" + sw["public_key"], "KG_PRIVATE=" + sw["private_key"]}
	for _, signer := range [][]string{{"--secret", "{env.KG_SECRET}"}, {"--private-key", "{env.KG_PRIVATE}"}} {
		args := append([]string{"biohook", "sign", "--raw", "--vendor", "standard_webhooks", "--url", "http://127.0.0.1:8089/"}, signer...)
		status, capture, stderr := runEnv(t, env, args...)
		if status != 0 {
			t.Fatalf("sign %v: %s", signer, stderr)
		}
		cmd := exec.Command(caddyBinary(t), "biohook", "verify", "--config", cfg)
		cmd.Env = append(cliEnv(), env...)
		cmd.Stdin = strings.NewReader(capture)
		out, _ := cmd.CombinedOutput()
		if !bytes.Contains(out, []byte("result:  PASS")) {
			t.Errorf("signed with %s: %s", signer[0], out)
		}
	}

	for vendor, re := range map[string]string{
		"hmac":   `^secret [0-9a-f]{64}$`,
		"incode": `^secret [A-Za-z0-9_-]{43}$`,
		"argos":  `^path_token [A-Za-z0-9_-]{43}$`,
	} {
		status, out, stderr := run(t, nil, "biohook", "keygen", "--vendor", vendor)
		if status != 0 || !regexp.MustCompile(re).MatchString(strings.TrimSpace(out)) {
			t.Errorf("%s: exit %d, %q (want %s)\n%s", vendor, status, out, re, stderr)
		}
	}
	for vendor, issuer := range map[string]string{"faceio": "FACEIO issues", "entrust": "Entrust IDaaS issues", "authenteq": "Authenteq issues"} {
		status, out, stderr := run(t, nil, "biohook", "keygen", "--vendor", vendor)
		if status != 1 || out != "" || !strings.Contains(stderr, issuer) {
			t.Errorf("%s: exit %d\n%s%s", vendor, status, out, stderr)
		}
	}
}

// `caddy biohook version` prints the module and its version: the source
// tree's Version in a build from a checkout, as the test's binary is.
func TestCommandVersion(t *testing.T) {
	status, out, stderr := run(t, nil, "biohook", "version")
	if status != 0 || !strings.HasPrefix(out, biohook.ModulePath+" "+biohook.Version) {
		t.Fatalf("exit %d: %q %s", status, out, stderr)
	}
}
