package vendors

import "testing"

func FuzzYotiNormalize(f *testing.F) {
	fuzzNormalize(f, "yoti", provisioned(f, &Yoti{AuthCredentials: AuthCredentials{Bearer: []string{"t-test-token-00001"}}}))
}

func FuzzSocureNormalize(f *testing.F) {
	fuzzNormalize(f, "socure", provisioned(f, &Socure{AuthCredentials: AuthCredentials{Bearer: []string{"t-test-token-00001"}}}))
}

func FuzzJumioNormalize(f *testing.F) {
	fuzzNormalize(f, "jumio", provisioned(f, &Jumio{}))
}

func FuzzOndatoNormalize(f *testing.F) {
	fuzzNormalize(f, "ondato", provisioned(f, &Ondato{}))
}
