package biohook

import "embed"

// samples are the vendors' fixtures, shipped in the binary so that `caddy
// biohook send --vendor x` works with no file (see internal/cli). They are
// embedded here because an embed pattern cannot reach a parent directory.
//
//go:embed testdata/faceio/*.json testdata/entrust/*.json testdata/hmac/*.json testdata/standard_webhooks/*.json
//go:embed testdata/argos/*.json testdata/authenteq/*.http testdata/incode/*.json
//go:embed testdata/yoti/*.json testdata/socure/*.json testdata/jumio/*.json testdata/ondato/*.json
//go:embed testdata/stripe/*.json testdata/persona/*.json testdata/shufti/*.json
//go:embed testdata/veriff/*.json testdata/onfido/*.json testdata/idenfy/*.json testdata/metamap/*.json
//go:embed testdata/sumsub/*.json testdata/didit/*.json
var samples embed.FS
