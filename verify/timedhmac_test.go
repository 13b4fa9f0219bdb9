package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Self-derived vectors (no vendor publishes one): HMAC-SHA256 of
// "<t>.<body>" keyed with the secret's bytes as they are, computed with
// Python's hmac and OpenSSL and recomputed here from the algorithm.
var (
	timedT0 = time.Unix(1700000000, 0)

	// Stripe's format: secret whsec_..., used as is.
	stripeVectorSecret = []byte("whsec_test_secret")
	stripeVectorBody   = []byte(`{"id":"evt_test","object":"event","type":"identity.verification_session.verified","created":1700000000,"data":{"object":{"id":"vs_test","object":"identity.verification_session","status":"verified","client_reference_id":"user-42","last_error":null}}}`)
	stripeVectorHeader = "t=1700000000,v1=64080af29260c7ff495b5dd3fac769190af155b22bc5362cb6cddc8353212957"

	// Persona's format: secret wbhsec_..., used as is.
	personaVectorSecret = []byte("wbhsec_test_secret")
	personaVectorBody   = []byte(`{"data":{"type":"event","id":"evt_test","attributes":{"name":"inquiry.approved","created-at":"2023-11-14T22:13:20.000Z","payload":{"data":{"type":"inquiry","id":"inq_test","attributes":{"status":"approved","reference-id":"user-42"}}}}}}`)
	personaVectorHeader = "t=1700000000,v1=820766ed0fce5cb70c1ea14348cb08e14b23a3122ee38336afde111edc2f7d59"
)

func timedVerifier(t testing.TB, skew time.Duration, keys ...[]byte) *TimedHMAC {
	t.Helper()
	v, err := NewTimedHMAC(NewSecrets(keys), skew)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// referenceTimedMAC is the algorithm written out once more, the slow way.
func referenceTimedMAC(key []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts + "." + string(body)))
	return hex.EncodeToString(m.Sum(nil))
}

func TestTimedHMACVectors(t *testing.T) {
	for _, c := range []struct {
		name         string
		secret, body []byte
		header       string
	}{
		{"stripe", stripeVectorSecret, stripeVectorBody, stripeVectorHeader},
		{"persona", personaVectorSecret, personaVectorBody, personaVectorHeader},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := SignTimedHMAC(timedT0, c.body, c.secret); got != c.header {
				t.Fatalf("signed %s, want %s", got, c.header)
			}
			if got := "t=1700000000,v1=" + referenceTimedMAC(c.secret, "1700000000", c.body); got != c.header {
				t.Fatalf("recomputed %s", got)
			}
			v := timedVerifier(t, 5*time.Minute, c.secret)
			if err := v.Verify(c.header, c.body, timedT0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(c.header[:16]+strings.ToUpper(c.header[16:]), c.body, timedT0); err != nil {
				t.Fatalf("upper-case hex: %v", err)
			}
			// The prefix is part of the key: with it taken off, or the
			// rest read as base64, nothing matches.
			_, rest, _ := strings.Cut(string(c.secret), "_")
			if err := timedVerifier(t, time.Minute, []byte(rest)).Verify(c.header, c.body, timedT0); !errors.Is(err, ErrSignatureMismatch) {
				t.Fatalf("prefix stripped: %v", err)
			}
			tampered := append([]byte{}, c.body...)
			tampered[len(tampered)-2] = ' '
			if err := v.Verify(c.header, tampered, timedT0); !errors.Is(err, ErrSignatureMismatch) {
				t.Fatalf("tampered body: %v", err)
			}
		})
	}
}

// Stripe's header: several v1 while a secret rolls, v0 and unknown keys
// beside them, ignored.
func TestTimedHMACStripeForms(t *testing.T) {
	other := []byte("whsec_other_secret")
	v := timedVerifier(t, 5*time.Minute, stripeVectorSecret)
	two := SignTimedHMAC(timedT0, stripeVectorBody, other, stripeVectorSecret)
	if strings.Count(two, ",v1=") != 2 {
		t.Fatalf("two keys: %s", two)
	}
	sig := strings.TrimPrefix(stripeVectorHeader, "t=1700000000,")
	for _, h := range []string{
		two,
		SignTimedHMAC(timedT0, stripeVectorBody, stripeVectorSecret, other),
		stripeVectorHeader + ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39",
		"v0=zz," + sig + ",t=1700000000,x=,v9=1",
		"  " + stripeVectorHeader + "\t",
	} {
		if err := v.Verify(h, stripeVectorBody, timedT0); err != nil {
			t.Errorf("%q: %v", h, err)
		}
	}
	if err := timedVerifier(t, time.Minute, other).Verify(stripeVectorHeader, stripeVectorBody, timedT0); !errors.Is(err, ErrSignatureMismatch) {
		t.Fatalf("unknown secret: %v", err)
	}
	// A t other than the one signed fails, even by one second.
	if err := v.Verify(strings.Replace(stripeVectorHeader, "t=1700000000", "t=1700000001", 1), stripeVectorBody, timedT0); !errors.Is(err, ErrSignatureMismatch) {
		t.Fatalf("other t: %v", err)
	}
}

// Persona's rotation: two whitespace-separated sets, each with its own t,
// one per secret. Either secret proves the delivery through its set; a set
// whose signature matches but whose t is outside the window does not, and
// is reported as stale only when no other set proves it.
func TestTimedHMACPersonaRotation(t *testing.T) {
	oldKey, newKey := []byte("wbhsec_old_secret_0001"), []byte("wbhsec_new_secret_0002")
	body := personaVectorBody
	now := timedT0
	oldSet := SignTimedHMAC(now.Add(-2*time.Second), body, oldKey)
	newSet := SignTimedHMAC(now, body, newKey)
	staleNew := SignTimedHMAC(now.Add(-time.Hour), body, newKey)
	forged := "t=" + strconv.FormatInt(now.Unix(), 10) + ",v1=" + strings.Repeat("ab", 32)
	cases := []struct {
		name   string
		header string
		keys   [][]byte
		want   error
	}{
		{"old then new, route has new", oldSet + " " + newSet, [][]byte{newKey}, nil},
		{"old then new, route has old", oldSet + " " + newSet, [][]byte{oldKey}, nil},
		{"new then old, route has both", newSet + "  " + oldSet, [][]byte{oldKey, newKey}, nil},
		{"tab between sets", oldSet + "\t" + newSet, [][]byte{newKey}, nil},
		{"route has neither", oldSet + " " + newSet, [][]byte{[]byte("wbhsec_third_secret_03")}, ErrSignatureMismatch},
		{"matching set stale, other forged", staleNew + " " + forged, [][]byte{newKey}, ErrSignatureStale},
		{"matching set stale, other fresh", staleNew + " " + newSet, [][]byte{newKey}, nil},
		{"fresh set forged only", forged + " " + oldSet, [][]byte{newKey}, ErrSignatureMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := timedVerifier(t, 5*time.Minute, c.keys...).Verify(c.header, body, now); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

// The window holds either way: a t too far in the past is stale, one too
// far in the future refused too. The window is the verifier's setting.
func TestTimedHMACWindow(t *testing.T) {
	h := SignTimedHMAC(timedT0, stripeVectorBody, stripeVectorSecret)
	for _, c := range []struct {
		skew, offset time.Duration
		want         error
	}{
		{300 * time.Second, 0, nil},
		{300 * time.Second, 300 * time.Second, nil},
		{300 * time.Second, -300 * time.Second, nil},
		{300 * time.Second, 301 * time.Second, ErrSignatureStale},
		{300 * time.Second, -301 * time.Second, ErrSignatureFuture},
		{30 * time.Second, 31 * time.Second, ErrSignatureStale},
		{30 * time.Second, -31 * time.Second, ErrSignatureFuture},
		{time.Hour, 59 * time.Minute, nil},
	} {
		v := timedVerifier(t, c.skew, stripeVectorSecret)
		if err := v.Verify(h, stripeVectorBody, timedT0.Add(c.offset)); !errors.Is(err, c.want) {
			t.Errorf("skew %v, now t%+v: got %v, want %v", c.skew, c.offset, err, c.want)
		}
		// The head alone gives the same verdict on time.
		if err := v.CheckHead(h, timedT0.Add(c.offset)); !errors.Is(err, c.want) {
			t.Errorf("CheckHead, skew %v, now t%+v: got %v, want %v", c.skew, c.offset, err, c.want)
		}
	}
}

// CheckHead passes a header with one set in the window among stale ones
// (Persona's rotation), refuses a malformed one as Verify does, and knows
// nothing of the body: a forged fresh set passes it, and only Verify
// refuses that.
func TestTimedHMACCheckHead(t *testing.T) {
	v := timedVerifier(t, 300*time.Second, stripeVectorSecret)
	stale := SignTimedHMAC(timedT0.Add(-time.Hour), stripeVectorBody, stripeVectorSecret)
	fresh := SignTimedHMAC(timedT0, stripeVectorBody, stripeVectorSecret)
	if err := v.CheckHead(stale+" "+fresh, timedT0); err != nil {
		t.Errorf("a fresh set beside a stale one: %v", err)
	}
	if err := v.CheckHead(stale, timedT0); !errors.Is(err, ErrSignatureStale) {
		t.Errorf("stale only: %v", err)
	}
	forged := SignTimedHMAC(timedT0, stripeVectorBody, []byte("not the secret"))
	if err := v.CheckHead(forged, timedT0); err != nil {
		t.Errorf("the head cannot judge the MAC: %v", err)
	}
	if err := v.Verify(forged, stripeVectorBody, timedT0); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("Verify of the forged set: %v", err)
	}
	if v.CheckHead("t=abc,v1=00", timedT0) == nil {
		t.Error("a malformed header passed the head check")
	}
}

// Each malformed header is refused with its own reason, before any HMAC.
func TestTimedHMACStrictParsing(t *testing.T) {
	v := timedVerifier(t, 5*time.Minute, stripeVectorSecret)
	sig := "v1=" + strings.Repeat("0", 64)
	many := func(n int, entry string) string { return strings.TrimSuffix(strings.Repeat(entry+",", n), ",") }
	cases := map[string]error{
		"":                                 ErrTimedMalformed,
		"   ":                              ErrTimedMalformed,
		"t=1700000000":                     ErrTimedNoSignature,
		"t=1700000000,v0=" + sig[3:]:       ErrTimedNoSignature,
		sig:                                ErrTimedNoTimestamp,
		"T=1700000000," + sig:              ErrTimedNoTimestamp,
		"t=1700000000," + sig + " " + sig:  ErrTimedNoTimestamp,
		"t=1700000000,t=1700000000," + sig: ErrTimedTwoTimestamps,
		"t=," + sig:                        ErrTimedTimestamp,
		"t=17e8," + sig:                    ErrTimedTimestamp,
		"t=-1," + sig:                      ErrTimedTimestamp,
		"t=+1700000000," + sig:             ErrTimedTimestamp,
		"t=01700000000," + sig:             ErrTimedTimestamp,
		"t=1700000000.5," + sig:            ErrTimedTimestamp,
		"t=１７," + sig:                      ErrTimedTimestamp,
		"t=9999999999999," + sig:           ErrTimedTimestampRange,
		"t=99999999999999999999999," + sig: ErrTimedTimestampRange,
		"t=253402300800," + sig:            ErrTimedTimestampRange,
		"t=1700000000,v1=":                 ErrTimedEmptySignature,
		"t=1700000000,v1=," + sig:          ErrTimedEmptySignature,
		"t=1700000000,v1=abc":              ErrTimedSignatureEncoding,
		"t=1700000000,v1=" + strings.Repeat("g", 64):  ErrTimedSignatureEncoding,
		"t=1700000000,v1=" + strings.Repeat("0", 66):  ErrTimedSignatureEncoding,
		"t=1700000000," + sig + ",":                   ErrTimedMalformed,
		",t=1700000000," + sig:                        ErrTimedMalformed,
		"t=1700000000,," + sig:                        ErrTimedMalformed,
		"t=1700000000, " + sig:                        ErrTimedMalformed,
		"t=1700000000," + sig + ",=x":                 ErrTimedMalformed,
		"t=1700000000," + sig + ",v0":                 ErrTimedMalformed,
		"t=1700000000," + many(9, sig):                ErrTimedTooMany,
		"t=1700000000," + sig + "," + many(15, "x=1"): ErrTimedTooMany,
		strings.Repeat("t=1700000000,"+sig+" ", 5):    ErrTimedTooMany,
	}
	for h, want := range cases {
		if err := v.Verify(h, stripeVectorBody, timedT0); !errors.Is(err, want) {
			t.Errorf("%q: got %v, want %v", h, err, want)
		}
	}
	// At the limits, not past them, a header parses.
	for _, h := range []string{
		"t=1700000000," + many(8, sig),
		"t=1700000000," + sig + "," + many(14, "x=1"),
		strings.Repeat("t=1700000000,"+sig+" ", 4),
		"t=253402300799," + sig,
		"t=0," + sig,
	} {
		if err := v.Verify(h, stripeVectorBody, timedT0); !errors.Is(err, ErrSignatureMismatch) && !errors.Is(err, ErrSignatureStale) && !errors.Is(err, ErrSignatureFuture) {
			t.Errorf("%q: %v", h, err)
		}
	}
}

func TestNewTimedHMACRefuses(t *testing.T) {
	if _, err := NewTimedHMAC(nil, time.Minute); err == nil {
		t.Error("no secret accepted")
	}
	if _, err := NewTimedHMAC(NewSecrets([][]byte{[]byte("k")}), 0); err == nil {
		t.Error("no window accepted")
	}
}

// Verifying a delivery allocates nothing: the header is parsed into arrays
// on the stack and the keyed hashes are reused.
func TestTimedHMACAllocations(t *testing.T) {
	oldKey, newKey := []byte("wbhsec_old_secret_0001"), []byte("wbhsec_new_secret_0002")
	v := timedVerifier(t, 5*time.Minute, oldKey, newKey)
	h := SignTimedHMAC(timedT0, personaVectorBody, oldKey) + " " + SignTimedHMAC(timedT0, personaVectorBody, newKey)
	if err := v.Verify(h, personaVectorBody, timedT0); err != nil {
		t.Fatal(err)
	}
	// Under the race detector sync.Pool drops its items at random: the
	// verifications still run, their allocations are not counted.
	if n := testing.AllocsPerRun(100, func() { _ = v.Verify(h, personaVectorBody, timedT0) }); n != 0 && !raceEnabled {
		t.Fatalf("%v allocations per Verify", n)
	}
}

// BenchmarkTimedHMAC is one verification of the Stripe vector's header
// over a 2 KiB body, beside its floor: one bare HMAC-SHA256 of the same
// bytes, keyed afresh, as any receiver computes it.
//
//	go test -run '^$' -bench 'TimedHMAC' -benchmem ./verify/
func BenchmarkTimedHMAC(b *testing.B) {
	body := []byte(`{"id":"evt_1","data":"` + strings.Repeat("x", 2048-24) + `"}`)
	key := stripeVectorSecret
	h := SignTimedHMAC(timedT0, body, key)
	b.Run("verify", func(b *testing.B) {
		v := timedVerifier(b, 5*time.Minute, key)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := v.Verify(h, body, timedT0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			m := hmac.New(sha256.New, key)
			m.Write([]byte("1700000000."))
			m.Write(body)
			m.Sum(nil)
		}
	})
}

// FuzzTimedHMACHeader: any header value never panics; the parser agrees
// with a plain reading by strings.Fields and strings.Split on what it
// accepts and what it reads; and nothing verifies but a header carrying
// the genuine signature for one of its t.
func FuzzTimedHMACHeader(f *testing.F) {
	f.Add(stripeVectorHeader)
	f.Add(personaVectorHeader + " " + stripeVectorHeader)
	f.Add("t=1700000000,v1=" + strings.Repeat("A", 64) + ",v0=x,y=")
	f.Add("t=01,v1=,t=2")
	f.Add("t=99999999999999999999,v1=00")
	f.Add(" \t t=1,v1=" + strings.Repeat("f", 64) + "\t")
	f.Add("t=1700000000,v1=" + strings.Repeat("0", 64) + ",=")
	key := personaVectorSecret
	v := timedVerifier(f, 100*365*24*time.Hour, key)
	f.Fuzz(func(t *testing.T, value string) {
		var h timedHeader
		err := h.parse(value)
		sets, refErr := referenceTimedParse(value)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("%q: parser %v, reference %v", value, err, refErr)
		}
		if err == nil {
			if h.n != len(sets) {
				t.Fatalf("%q: %d sets, reference %d", value, h.n, len(sets))
			}
			for i, s := range sets {
				got := h.sets[i]
				if got.ts != s.ts || got.n != len(s.sigs) {
					t.Fatalf("%q: set %d read as t=%q with %d v1, reference %+v", value, i, got.ts, got.n, s)
				}
				for j, sig := range s.sigs {
					if hex.EncodeToString(got.sigs[j][:]) != strings.ToLower(sig) {
						t.Fatalf("%q: set %d v1 %d", value, i, j)
					}
				}
			}
		}
		if v.Verify(value, personaVectorBody, timedT0) == nil {
			genuine := false
			for _, s := range sets {
				want := referenceTimedMAC(key, s.ts, personaVectorBody)
				for _, sig := range s.sigs {
					genuine = genuine || strings.EqualFold(sig, want)
				}
			}
			if !genuine {
				t.Fatalf("%q verified without the genuine signature", value)
			}
		}
	})
}

type referenceTimedSet struct {
	ts   string
	sigs []string
}

// referenceTimedParse is the header's grammar read the plain way.
func referenceTimedParse(value string) ([]referenceTimedSet, error) {
	fields := strings.FieldsFunc(value, func(r rune) bool { return r == ' ' || r == '\t' })
	if len(fields) == 0 || len(fields) > TimedMaxSets {
		return nil, errors.New("set count")
	}
	var out []referenceTimedSet
	for _, f := range fields {
		entries := strings.Split(f, ",")
		if len(entries) > TimedMaxEntries {
			return nil, errors.New("entry count")
		}
		var s referenceTimedSet
		ts := 0
		for _, e := range entries {
			k, val, ok := strings.Cut(e, "=")
			if !ok || k == "" {
				return nil, errors.New("entry")
			}
			switch k {
			case "t":
				n, err := strconv.ParseUint(val, 10, 64)
				if err != nil || strconv.FormatUint(n, 10) != val || n > timedMaxTimestamp {
					return nil, errors.New("t")
				}
				s.ts = val
				ts++
			case "v1":
				if b, err := hex.DecodeString(val); err != nil || len(b) != sha256.Size {
					return nil, errors.New("v1")
				}
				s.sigs = append(s.sigs, val)
			}
		}
		if ts != 1 || len(s.sigs) == 0 || len(s.sigs) > TimedMaxSignatures {
			return nil, errors.New("set")
		}
		out = append(out, s)
	}
	return out, nil
}
