package integration

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// A Caddyfile with a mistake in a biohook block fails to adapt, with a
// message that names the mistake: no option is ignored or guessed at.
func TestCaddyfileAdaptErrors(t *testing.T) {
	for _, c := range []struct {
		name, block, want string
	}{
		{"no vendor", "biohook", "biohook needs a vendor name"},
		{"unknown vendor", "biohook acme {\n}", `unknown biohook vendor "acme": valid vendors are`},
		{"max_size not a size", "biohook faceio {\n\tmax_size lots\n}", `max_size: want a size like 1MiB, got "lots"`},
		{"max_size two arguments", "biohook faceio {\n\tmax_size 64 KiB\n}", "wrong argument count"},
		{"normalize not on or off", "biohook faceio {\n\tnormalize maybe\n}", `normalize takes on or off, not "maybe"`},
		{"source_ips empty", "biohook faceio {\n\tsource_ips\n}", "source_ips needs at least one IP address or CIDR range"},

		{"dedupe argument", "biohook faceio {\n\tdedupe redis\n}", "wrong argument count"},
		{"dedupe unknown option", "biohook faceio {\n\tdedupe {\n\t\tsize 10\n\t}\n}", `unknown dedupe option "size"`},
		{"dedupe bad ttl", "biohook faceio {\n\tdedupe {\n\t\tttl forever\n\t}\n}", `bad duration "forever"`},
		{"dedupe max_entries zero", "biohook faceio {\n\tdedupe {\n\t\tmax_entries 0\n\t}\n}", `max_entries must be a positive number, not "0"`},
		{"dedupe store memory argument", "biohook faceio {\n\tdedupe {\n\t\tstore memory 10\n\t}\n}", "wrong argument count"},
		{"dedupe redis two urls", "biohook faceio {\n\tdedupe {\n\t\tstore redis redis://a redis://b\n\t}\n}", "redis takes one URL"},
		{"redis unknown option", "biohook faceio {\n\tdedupe {\n\t\tstore redis {\n\t\t\thost a\n\t\t}\n\t}\n}", `unknown redis option "host"`},
		{"redis db not a number", "biohook faceio {\n\tdedupe {\n\t\tstore redis {\n\t\t\tdb one\n\t\t}\n\t}\n}", `db must be a number, not "one"`},

		{"durable argument", "biohook faceio {\n\tdurable bolt\n}", "wrong argument count"},
		{"durable unknown option", "biohook faceio {\n\tdurable {\n\t\tretries 3\n\t}\n}", `unknown durable option "retries"`},
		{"durable unknown spool", "biohook faceio {\n\tdurable {\n\t\tspool disk\n\t}\n}", `durable spool "disk": want bolt or redis`},
		{"spool bolt unknown option", "biohook faceio {\n\tdurable {\n\t\tspool bolt {\n\t\t\tsize 1\n\t\t}\n\t}\n}", `unknown spool bolt option "size"`},
		{"spool bolt two paths", "biohook faceio {\n\tdurable {\n\t\tspool bolt /a /b\n\t}\n}", "wrong argument count"},
		{"spool redis unknown option", "biohook faceio {\n\tdurable {\n\t\tspool redis {\n\t\t\thost a\n\t\t}\n\t}\n}", `unknown redis option "host"`},
		{"retry unknown kind", "biohook faceio {\n\tdurable {\n\t\tretry linear 1s\n\t}\n}", `retry "linear": want exponential or schedule`},
		{"retry exponential one wait", "biohook faceio {\n\tdurable {\n\t\tretry exponential 1s\n\t}\n}", "retry exponential takes a base and a maximum"},
		{"retry schedule no wait", "biohook faceio {\n\tdurable {\n\t\tretry schedule\n\t}\n}", "retry schedule takes one or more waits"},
		{"retry bad wait", "biohook faceio {\n\tdurable {\n\t\tretry schedule 5s soon\n\t}\n}", `bad retry wait "soon"`},
		{"attempts zero", "biohook faceio {\n\tdurable {\n\t\tattempts 0\n\t}\n}", `attempts must be a positive number, not "0"`},
		{"concurrency negative", "biohook faceio {\n\tdurable {\n\t\tconcurrency -1\n\t}\n}", `concurrency must be a positive number, not "-1"`},
		{"max_age bad", "biohook faceio {\n\tdurable {\n\t\tmax_age a-while\n\t}\n}", `bad duration "a-while"`},

		{"faceio unknown option", "biohook faceio {\n\ttoken x\n}", `unknown faceio option "token"`},
		{"entrust unknown option", "biohook entrust {\n\ttoken x\n}", `unknown entrust option "token"`},
		{"entrust bad max_skew", "biohook entrust {\n\tmax_skew soon\n}", `bad duration "soon"`},
		{"argos unknown option", "biohook argos {\n\tiv zero\n}", `unknown argos option "iv"`},
		{"argos gcm_nonce_size not a number", "biohook argos {\n\tgcm_nonce_size twelve\n}", `bad gcm_nonce_size "twelve"`},
		{"argos header without value", "biohook argos {\n\theader X-Argos-Token\n}", "wrong argument count"},
		{"authenteq unknown option", "biohook authenteq {\n\tclient x\n}", `unknown authenteq option "client"`},
		{"authenteq unknown digest", "biohook authenteq {\n\tdigest md5\n}", `digest takes body_secret, hmac or secret_body, not "md5"`},
		{"authenteq unknown digest option", "biohook authenteq {\n\tdigest secret_body insecure\n}", `unknown digest option "insecure"`},
		{"authenteq length extension on hmac", "biohook authenteq {\n\tdigest hmac insecure_length_extension\n}", "insecure_length_extension applies only to digest secret_body"},
		{"authenteq unknown images", "biohook authenteq {\n\timages thumbnails\n}", `images takes inline or omit, not "thumbnails"`},
		{"incode unknown option", "biohook incode {\n\tkey x\n}", `unknown incode option "key"`},
		{"incode two oauth blocks", "biohook incode {\n\toauth {\n\t\tclient_id a\n\t}\n\toauth {\n\t\tclient_id b\n\t}\n}", "incode: only one oauth block"},
		{"incode oauth unknown option", "biohook incode {\n\toauth {\n\t\tscope x\n\t}\n}", `unknown incode oauth option "scope"`},
		{"hmac unknown option", "biohook hmac {\n\tsignature_header X-Sig\n}", `unknown hmac option "signature_header"`},
		{"mapping argument", "biohook hmac {\n\tmapping json\n}", "wrong argument count"},
		{"mapping unknown option", "biohook hmac {\n\tmapping {\n\t\tuser /u\n\t}\n}", `unknown mapping option "user"`},
		{"mapping kind three arguments", "biohook hmac {\n\tmapping {\n\t\tkind a b c\n\t}\n}", "wrong argument count"},
		{"standard_webhooks unknown option", "biohook standard_webhooks {\n\tkey x\n}", `unknown standard_webhooks option "key"`},
		{"standard_webhooks bad tolerance", "biohook standard_webhooks {\n\ttolerance lax\n}", `bad duration "lax"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			caddyfile := ":8080 {\n\t" + strings.ReplaceAll(c.block, "\n", "\n\t") + "\n}\n"
			_, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
			if err == nil {
				t.Fatalf("adapted without an error:\n%s", caddyfile)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want one containing %q", err, c.want)
			}
		})
	}
}
