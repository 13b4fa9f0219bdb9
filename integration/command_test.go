package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The built binary: `go build ./cmd/caddy`, once per test run, into a fixed
// place so that repeated runs reuse it.
var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func caddyBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "biohook-command-test")
		if binErr = os.MkdirAll(dir, 0o755); binErr != nil {
			return
		}
		binPath = filepath.Join(dir, "caddy")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/caddy").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build ./cmd/caddy: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// Secrets of the CLI tests' routes.
const (
	cliFaceio     = "cli-faceio-token"
	cliEntrustOld = "cli-entrust-old-token"
	cliEntrust    = "cli-entrust-token"
	cliHMAC       = "cli-hmac-secret-01"
	cliSW         = "whsec_Y2xpLXN0YW5kYXJkLXdlYmhvb2tzLXNlY3JldC0wMQ=="
	cliARGOS      = "cli-argos-api-key"
	cliAuthenteq  = "cli-authenteq-client-secret"
)

func cliEnv() []string {
	return append(os.Environ(), "CLI_FACEIO="+cliFaceio, "CLI_ENTRUST_OLD="+cliEntrustOld, "CLI_ENTRUST="+cliEntrust,
		"CLI_HMAC="+cliHMAC, "CLI_SW="+cliSW, "CLI_ARGOS="+cliARGOS, "CLI_AUTHENTEQ="+cliAuthenteq)
}

// cliConfig writes a Caddyfile with a route per vendor on port, proxying
// to upstream (or answering 200 itself when upstream is "").
func cliConfig(t *testing.T, port int, upstream string) string {
	t.Helper()
	next := "respond 200"
	if upstream != "" {
		next = "reverse_proxy " + upstream
	}
	cfg := fmt.Sprintf(`{
	admin off
	persist_config off
}
http://127.0.0.1:%d {
	handle /hooks/faceio {
		biohook faceio {
			secret {env.CLI_FACEIO}
		}
		%[2]s
	}
	handle /hooks/entrust {
		biohook entrust {
			secret {env.CLI_ENTRUST_OLD}
			secret {env.CLI_ENTRUST}
		}
		%[2]s
	}
	handle /hooks/veriff {
		biohook hmac {
			name veriff
			header X-HMAC-Signature
			secret {env.CLI_HMAC}
			id_field /verification/id
		}
		%[2]s
	}
	handle /hooks/sw {
		biohook standard_webhooks {
			secret {env.CLI_SW}
		}
		%[2]s
	}
	handle /hooks/argos {
		biohook argos {
			secret {env.CLI_ARGOS}
			mode ecb
			source_ips 127.0.0.1 ::1
		}
		%[2]s
	}
	handle /hooks/authenteq {
		biohook authenteq {
			client_id cli-client
			secret {env.CLI_AUTHENTEQ}
		}
		%[2]s
	}
}
`, port, next)
	path := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs the binary with args and stdin and returns its exit status and
// standard output and error.
func run(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(caddyBinary(t), args...)
	cmd.Dir = ".." // the repository's root, where the docs' relative paths lead
	cmd.Env = cliEnv()
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errOut.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String(), errOut.String()
	}
	t.Fatalf("%v: %v", args, err)
	return 0, "", ""
}

// vendorSecrets are the placeholders of each route's secret.
var vendorSecrets = map[string]string{
	"faceio": "{env.CLI_FACEIO}", "entrust": "{env.CLI_ENTRUST}", "hmac": "{env.CLI_HMAC}", "standard_webhooks": "{env.CLI_SW}",
	"argos": "{env.CLI_ARGOS}", "authenteq": "{env.CLI_AUTHENTEQ}",
}

// vendorArgs are the flags that make `sign`/`send` act as the vendor,
// signing with secret.
func vendorArgs(vendor, secret string) []string {
	args := []string{"--vendor", vendor, "--secret", secret}
	switch vendor {
	case "hmac":
		args = append(args, "--header", "X-HMAC-Signature")
	case "authenteq":
		args = append(args, "--client-id", "cli-client")
	}
	return args
}

var vendorPaths = map[string]string{"faceio": "/hooks/faceio", "entrust": "/hooks/entrust", "hmac": "/hooks/veriff",
	"standard_webhooks": "/hooks/sw", "argos": "/hooks/argos", "authenteq": "/hooks/authenteq"}

// Every built-in sample of every vendor, signed by `sign --raw`, passes
// `verify` against the route's config, which prints the event; the same
// capture with one body byte changed fails with the vendor's reason. No
// output ever holds a route's secret.
func TestCommandSignThenVerify(t *testing.T) {
	cfg := cliConfig(t, 8089, "")
	tampered := map[string]string{"faceio": "", "entrust": "digest_mismatch", "hmac": "signature_mismatch",
		"standard_webhooks": "signature_mismatch", "argos": "decryption_failed", "authenteq": "signature_mismatch"}
	for vendor, secret := range vendorSecrets {
		flags := vendorArgs(vendor, secret)
		for _, event := range builtInEvents(t, vendor) {
			url := "http://127.0.0.1:8089" + vendorPaths[vendor]
			status, capture, stderr := run(t, nil, append([]string{"biohook", "sign", "--raw", "--url", url, "--event", event}, flags...)...)
			if status != 0 {
				t.Fatalf("%s/%s: sign exit %d: %s", vendor, event, status, stderr)
			}
			status, out, stderr := run(t, []byte(capture), "biohook", "verify", "--config", cfg)
			if status != 0 || !strings.Contains(out, "result:  PASS") || !strings.Contains(out, `"source": "urn:biohook:`) {
				t.Fatalf("%s/%s: verify exit %d:\n%s\n%s\ncapture:\n%s", vendor, event, status, out, stderr, capture)
			}
			assertNoSecret(t, out+stderr)
			if tampered[vendor] == "" {
				continue
			}
			bad := []byte(capture)
			at := len(bad) - 2 // a byte inside the body's closing part
			if vendor == "argos" {
				at = len(bad) - 12 // inside the ciphertext
			}
			bad[at] ^= 0x01
			status, out, stderr = run(t, bad, "biohook", "verify", "--config", cfg)
			if status == 0 || !strings.Contains(out, "reason:  "+tampered[vendor]) {
				t.Fatalf("%s/%s: tampered capture: exit %d\n%s", vendor, event, status, out)
			}
			assertNoSecret(t, out+stderr)
		}
	}
}

func assertNoSecret(t *testing.T, out string) {
	t.Helper()
	for _, s := range []string{cliFaceio, cliEntrustOld, cliEntrust, cliHMAC, cliSW, strings.TrimPrefix(cliSW, "whsec_"), cliARGOS, cliAuthenteq} {
		if strings.Contains(out, s) {
			t.Fatalf("output holds a secret:\n%s", out)
		}
	}
}

// verify picks the route by path, by number, or by the request's own
// path; reads the signed URL from --url; and judges time windows as of --at.
func TestCommandVerifyOptions(t *testing.T) {
	cfg := cliConfig(t, 8089, "")
	signed := "https://hooks.example.com/in/entrust"
	sign := func(extra ...string) []byte {
		args := append([]string{"biohook", "sign", "--raw", "--url", signed}, vendorArgs("entrust", "{env.CLI_ENTRUST_OLD}")...)
		status, capture, stderr := run(t, nil, append(args, extra...)...)
		if status != 0 {
			t.Fatalf("sign: %s", stderr)
		}
		return []byte(capture)
	}
	capture := sign()
	cases := []struct {
		name   string
		stdin  []byte
		args   []string
		status int
		want   string
	}{
		{"path not a route", capture, nil, 1, "2: entrust (server srv0)"},
		{"route by path, URL not given", capture, []string{"--route", "/hooks/entrust"}, 1, "reason:  signature_mismatch"},
		{"route by path, URL given", capture, []string{"--route", "/hooks/entrust", "--url", signed}, 0, "result:  PASS"},
		{"route by number", capture, []string{"--route", "2", "--url", signed}, 0, "vendor:  entrust"},
		{"wrong route number", capture, []string{"--route", "9"}, 1, ""},
		{"other vendor's route", capture, []string{"--route", "/hooks/faceio"}, 1, "reason:  missing_token"},
		{"stale", sign("--at", time.Now().Add(-10*time.Minute).Format(time.RFC3339)), []string{"--route", "/hooks/entrust", "--url", signed}, 1, "reason:  stale_signature"},
		{"not a request", []byte("hello"), nil, 1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, out, stderr := run(t, c.stdin, append([]string{"biohook", "verify", "--config", cfg}, c.args...)...)
			if status != c.status || !strings.Contains(out+stderr, c.want) {
				t.Fatalf("exit %d, want %d; want %q in\n%s\n%s", status, c.status, c.want, out, stderr)
			}
			assertNoSecret(t, out+stderr)
		})
	}
}

// A capture an hour old is stale now, and passes when judged as of its time.
func TestCommandVerifyAt(t *testing.T) {
	cfg := cliConfig(t, 8089, "")
	hourAgo := time.Now().Add(-time.Hour)
	args := append([]string{"biohook", "sign", "--raw", "--url", "http://127.0.0.1:8089/hooks/sw", "--at", hourAgo.Format(time.RFC3339)}, vendorArgs("standard_webhooks", "{env.CLI_SW}")...)
	status, capture, stderr := run(t, nil, args...)
	if status != 0 {
		t.Fatalf("sign: %s", stderr)
	}
	status, out, _ := run(t, []byte(capture), "biohook", "verify", "--config", cfg)
	if status == 0 || !strings.Contains(out, "reason:  stale_signature") {
		t.Fatalf("an hour-old capture: exit %d\n%s", status, out)
	}
	status, out, _ = run(t, []byte(capture), "biohook", "verify", "--config", cfg, "--at", fmt.Sprint(hourAgo.Unix()))
	if status != 0 || !strings.Contains(out, "result:  PASS") {
		t.Fatalf("judged as of its time: exit %d\n%s", status, out)
	}
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startBinary runs `caddy run` with cfg and waits until it listens on port.
// A Caddy that exits, or does not listen in time, fails the test with its
// log, read only once the process has ended and stopped writing it.
func startBinary(t *testing.T, cfg string, port int) {
	t.Helper()
	cmd := exec.Command(caddyBinary(t), "run", "--config", cfg)
	cmd.Env = cliEnv()
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("caddy exited before it listened:\n%s", logs.String())
		default:
		}
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return
		}
	}
	_ = cmd.Process.Kill()
	<-exited
	t.Fatalf("caddy did not start:\n%s", logs.String())
}

// `send` delivers every vendor's default sample through a running Caddy
// (the built binary) to a real upstream, which receives the normalised
// event; with a wrong secret the route refuses, send prints the answer
// and exits 1, and the upstream gets nothing.
func TestCommandSendThroughBinary(t *testing.T) {
	up := newUpstream(t)
	port := freePort(t)
	startBinary(t, cliConfig(t, port, up.addr()), port)
	for vendor, secret := range vendorSecrets {
		flags := vendorArgs(vendor, secret)
		to := fmt.Sprintf("http://127.0.0.1:%d%s", port, vendorPaths[vendor])
		status, out, stderr := run(t, nil, append([]string{"biohook", "send", "--to", to}, flags...)...)
		if status != 0 || !strings.HasPrefix(out, "HTTP/1.1 200 OK") {
			t.Fatalf("%s: exit %d\n%s\n%s", vendor, status, out, stderr)
		}
		got := up.take()
		if len(got) != 1 {
			t.Fatalf("%s: upstream got %d requests", vendor, len(got))
		}
		var ev struct {
			Source string `json:"source"`
			Data   struct {
				Raw json.RawMessage `json:"raw"`
			} `json:"data"`
		}
		if err := json.Unmarshal(got[0].Body, &ev); err != nil || !strings.HasPrefix(ev.Source, "urn:biohook:") {
			t.Fatalf("%s: upstream got %s (%v)", vendor, got[0].Body, err)
		}
		sample := defaultPayload(t, vendor)
		if !jsonEqual(t, ev.Data.Raw, sample) {
			t.Errorf("%s: raw is not the built-in sample", vendor)
		}

		wrong := append([]string{"biohook", "send", "--to", to}, vendorArgs(vendor, "{env.CLI_WRONG}")...)
		status, out, _ = runEnv(t, []string{"CLI_WRONG=" + wrongSecret(vendor)}, wrong...)
		if status != 1 || !strings.Contains(out, "401 Unauthorized") || !strings.Contains(out, `{"error":"`) {
			t.Fatalf("%s: wrong secret: exit %d\n%s", vendor, status, out)
		}
		if got := up.take(); len(got) != 0 {
			t.Fatalf("%s: upstream got a refused delivery", vendor)
		}
	}
}

func wrongSecret(vendor string) string {
	if vendor == "standard_webhooks" {
		return "whsec_d3Jvbmctc3RhbmRhcmQtd2ViaG9va3Mtc2VjcmV0"
	}
	return "wrong-secret"
}

func runEnv(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(caddyBinary(t), args...)
	cmd.Dir = ".." // the repository's root, where the docs' relative paths lead
	cmd.Env = append(cliEnv(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String(), errOut.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errOut.String()
}
