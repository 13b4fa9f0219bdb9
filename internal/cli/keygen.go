package cli

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// issuedBy says where each vendor that issues its own secret shows it.
var issuedBy = map[string]string{
	"faceio":    "FACEIO issues the application's webhook token: copy it from the FACEIO console",
	"entrust":   "Entrust IDaaS issues the webhook token: it is shown once, when the webhook is registered",
	"authenteq": "Authenteq issues the client id and client secret: copy them from the Customer Dashboard",
	"veriff":    "Veriff issues the shared secret key (and the API key): copy them from the Customer Portal's integration page",
	"onfido":    "Onfido issues the webhook token: it is returned when the webhook is created (dashboard or API)",
	"didit":     "Didit issues the Webhook Secret Key: copy it from the console's API & Webhooks page",
}

func keygenCommand() *cobra.Command {
	var vendor string
	cmd := &cobra.Command{
		Use:   "keygen --vendor <vendor>",
		Short: "Makes a secret for a route, in the form the vendor expects, where the vendor does not issue one",
		Long: `
Prints new random secrets on standard output, one a line as "<option> <value>",
named as the option of the route's block that takes them, and on standard error
what each is for:

  standard_webhooks  secret whsec_... (v1, HMAC-SHA256: the sender and the route share it),
                     private_key whsk_... (v1a, ed25519: the sender's only) and
                     public_key whpk_... (its public half, for the route)
  hmac               secret: 32 random bytes, hex, for a sender that lets you choose it
  incode             secret: 32 random bytes, base64url, for the OAuth client secret or a
                     static header's value, registered in Incode's dashboard
  argos              path_token: 32 random bytes, base64url, for the webhook URL
                     (the decryption key is the API key ARGOS issues)
  metamap, sumsub,   secret: 32 random bytes, base64url (upper and lower case and a
  idenfy             digit, as MetaMap requires), to set as the webhook's secret in
                     the vendor's dashboard

FACEIO, Entrust, Authenteq, Veriff, Onfido and Didit issue their own secrets:
keygen says where to find them and exits 1. Keep the output out of shell history and logs: write it
to a file (umask 077) and point the route at it with {file.path}.
`,
		Args: cobra.NoArgs,
		RunE: caddycmd.WrapCommandFuncForCobra(func(caddycmd.Flags) (int, error) {
			if err := keygen(os.Stdout, os.Stderr, vendor); err != nil {
				return 1, err
			}
			return 0, nil
		}),
	}
	cmd.Flags().StringVar(&vendor, "vendor", "", "the vendor of the route: "+vendorList())
	return cmd
}

// keygen writes new secrets for vendor's route to out, and what they are
// for to notes.
func keygen(out, notes io.Writer, vendor string) error {
	if err := checkVendor(vendor); err != nil {
		return err
	}
	if where, ok := issuedBy[vendor]; ok {
		return fmt.Errorf("nothing to make for %s: %s", vendor, where)
	}
	switch vendor {
	case "standard_webhooks":
		secret := randomBytes(32)
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "secret whsec_%s\n", base64.StdEncoding.EncodeToString(secret))
		fmt.Fprintf(out, "private_key whsk_%s\n", base64.StdEncoding.EncodeToString(priv))
		fmt.Fprintf(out, "public_key whpk_%s\n", base64.StdEncoding.EncodeToString(pub))
		fmt.Fprintln(notes, "secret: v1 (HMAC-SHA256) signatures; the sender signs with it and the route's `secret` verifies.\n"+
			"private_key: v1a (ed25519) signatures; the sender's only (send --private-key). public_key: the route's `public_key`.\n"+
			"A route takes either or both.")
	case "hmac":
		fmt.Fprintf(out, "secret %s\n", hex.EncodeToString(randomBytes(32)))
		fmt.Fprintln(notes, "secret: the HMAC key, the same on the sender and the route, for a sender that lets you choose it;\n"+
			"Veriff, Onfido, Sumsub and most others issue their own: use theirs.")
	case "incode":
		fmt.Fprintf(out, "secret %s\n", base64.RawURLEncoding.EncodeToString(randomBytes(32)))
		fmt.Fprintln(notes, "secret: the OAuth client secret (oauth { secret }), or a static header's value;\n"+
			"register it in Incode's dashboard with the client id and the token URL.")
	case "argos":
		fmt.Fprintf(out, "path_token %s\n", base64.RawURLEncoding.EncodeToString(randomBytes(32)))
		fmt.Fprintln(notes, "path_token: the secret segment of the webhook URL registered in ARGOS (/hooks/argos/<path_token>);\n"+
			"the decryption key (secret) is the project's API key, which ARGOS issues.")
	case "metamap", "sumsub", "idenfy":
		fmt.Fprintf(out, "secret %s\n", mixedSecret())
		fmt.Fprintf(notes, "secret: the webhook's signing secret; set it in %s's dashboard for the webhook, and on the route.\n", vendor)
	default:
		return fmt.Errorf("keygen knows no secrets for %s", vendor)
	}
	return nil
}

// mixedSecret is 32 random bytes, base64url, drawn again until it holds an
// upper-case and a lower-case letter and a digit (MetaMap refuses others).
func mixedSecret() string {
	for {
		s := base64.RawURLEncoding.EncodeToString(randomBytes(32))
		if strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") &&
			strings.ContainsAny(s, "0123456789") {
			return s
		}
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b
}
