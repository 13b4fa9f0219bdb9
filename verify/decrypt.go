package verify

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Errors returned by the payload cipher. Decrypt returns ErrDecrypt for every
// failure (bad length, bad padding, failed authentication), so that nothing
// about the plaintext or the key shows in the answer.
var (
	ErrDecrypt          = errors.New("the payload does not decrypt with any configured key")
	ErrCiphertextFormat = errors.New("the ciphertext is neither hex nor base64")
)

// CipherMode is the AES mode of an encrypted payload.
type CipherMode string

// The modes a PayloadCipher speaks.
const (
	// ModeECB is AES-256-ECB with PKCS#7 padding: each 16-byte block on its own.
	ModeECB CipherMode = "ecb"
	// ModeCBC is AES-256-CBC with PKCS#7 padding; the IV comes from CBCIV.
	ModeCBC CipherMode = "cbc"
	// ModeGCM is AES-256-GCM with a 16-byte tag; the layout comes from GCMLayout.
	ModeGCM CipherMode = "gcm"
)

// CBCIV says where a CBC payload's initialisation vector is.
type CBCIV string

// The CBC IV sources.
const (
	// IVPrefix: the first 16 bytes of the decoded ciphertext are the IV.
	IVPrefix CBCIV = "prefix"
	// IVZero: the IV is 16 zero bytes.
	IVZero CBCIV = "zero"
	// IVKey: the IV is the first 16 bytes of the derived key.
	IVKey CBCIV = "key"
)

// GCMLayout says how a GCM payload lays out nonce, ciphertext and tag.
type GCMLayout string

// The GCM layouts.
const (
	// NonceCiphertextTag is nonce || ciphertext || tag (Go's Seal, Node's
	// iv + update + final + getAuthTag, Java's and Python's default).
	NonceCiphertextTag GCMLayout = "nonce_ciphertext_tag"
	// NonceTagCiphertext is nonce || tag || ciphertext.
	NonceTagCiphertext GCMLayout = "nonce_tag_ciphertext"
)

const gcmTagSize = 16

// CipherOptions choose the mode and, where the mode needs one, the layout.
// The mode has no default: ECB proves nothing about a payload's integrity
// (its blocks can be recombined), so it is never chosen for the caller.
// The other zero values mean IVPrefix, NonceCiphertextTag and a 12-byte
// nonce.
type CipherOptions struct {
	Mode      CipherMode
	CBCIV     CBCIV
	GCMLayout GCMLayout
	NonceSize int
}

// PayloadCipher encrypts and decrypts whole payloads with AES-256 under a key
// derived as SHA-256 of a shared secret. It is built once and safe for
// concurrent use.
type PayloadCipher struct {
	opts  CipherOptions
	block cipher.Block
	aead  cipher.AEAD
	iv    []byte // fixed CBC IV (IVZero, IVKey), nil with IVPrefix
}

// NewPayloadCipher derives the AES-256 key as SHA-256(secret) and prepares
// the cipher for opts.
func NewPayloadCipher(secret []byte, opts CipherOptions) (*PayloadCipher, error) {
	if len(secret) == 0 {
		return nil, errors.New("empty encryption secret")
	}
	if err := opts.fill(); err != nil {
		return nil, err
	}
	key := sha256.Sum256(secret)
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	c := &PayloadCipher{opts: opts, block: block}
	switch opts.Mode {
	case ModeGCM:
		c.aead, err = cipher.NewGCMWithNonceSize(block, opts.NonceSize)
	case ModeCBC:
		c.iv = fixedIV(opts.CBCIV, key[:])
	}
	return c, err
}

// fill sets the defaults and rejects what is not a known choice.
func (o *CipherOptions) fill() error {
	if o.CBCIV == "" {
		o.CBCIV = IVPrefix
	}
	if o.GCMLayout == "" {
		o.GCMLayout = NonceCiphertextTag
	}
	if o.NonceSize == 0 {
		o.NonceSize = 12
	}
	switch {
	case o.Mode == "":
		return errors.New("no cipher mode given (ecb, cbc, gcm)")
	case o.Mode != ModeECB && o.Mode != ModeCBC && o.Mode != ModeGCM:
		return fmt.Errorf("unknown cipher mode %q (ecb, cbc, gcm)", o.Mode)
	case o.CBCIV != IVPrefix && o.CBCIV != IVZero && o.CBCIV != IVKey:
		return fmt.Errorf("unknown CBC IV source %q (prefix, zero, key)", o.CBCIV)
	case o.GCMLayout != NonceCiphertextTag && o.GCMLayout != NonceTagCiphertext:
		return fmt.Errorf("unknown GCM layout %q (nonce_ciphertext_tag, nonce_tag_ciphertext)", o.GCMLayout)
	case o.NonceSize < 12 || o.NonceSize > 32:
		return fmt.Errorf("GCM nonce size %d out of range (12 to 32)", o.NonceSize)
	}
	return nil
}

func fixedIV(src CBCIV, key []byte) []byte {
	switch src {
	case IVZero:
		return make([]byte, aes.BlockSize)
	case IVKey:
		return append([]byte(nil), key[:aes.BlockSize]...)
	}
	return nil
}

// Decrypt returns the plaintext of ct, or ErrDecrypt for any failure.
func (c *PayloadCipher) Decrypt(ct []byte) ([]byte, error) {
	switch c.opts.Mode {
	case ModeGCM:
		return c.openGCM(ct)
	case ModeCBC:
		return c.openCBC(ct)
	default:
		return c.openECB(ct)
	}
}

func (c *PayloadCipher) openECB(ct []byte) ([]byte, error) {
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, ErrDecrypt
	}
	out := make([]byte, len(ct))
	for i := 0; i < len(ct); i += aes.BlockSize {
		c.block.Decrypt(out[i:i+aes.BlockSize], ct[i:i+aes.BlockSize])
	}
	return unpad(out)
}

func (c *PayloadCipher) openCBC(ct []byte) ([]byte, error) {
	iv := c.iv
	if iv == nil {
		if len(ct) < aes.BlockSize {
			return nil, ErrDecrypt
		}
		iv, ct = ct[:aes.BlockSize], ct[aes.BlockSize:]
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, ErrDecrypt
	}
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(c.block, iv).CryptBlocks(out, ct)
	return unpad(out)
}

func (c *PayloadCipher) openGCM(ct []byte) ([]byte, error) {
	n := c.opts.NonceSize
	if len(ct) < n+gcmTagSize {
		return nil, ErrDecrypt
	}
	nonce, sealed := ct[:n], ct[n:]
	if c.opts.GCMLayout == NonceTagCiphertext {
		sealed = append(append(make([]byte, 0, len(sealed)), sealed[gcmTagSize:]...), sealed[:gcmTagSize]...)
	}
	out, err := c.aead.Open(nil, nonce, sealed, nil)
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}

// unpad strips PKCS#7 padding. It examines the whole last block whatever the
// padding byte says, so the time taken does not depend on where the padding
// is wrong (a padding oracle is how CBC plaintexts leak).
func unpad(b []byte) ([]byte, error) {
	n := len(b)
	last := b[n-1]
	p := int(last)
	good := subtle.ConstantTimeLessOrEq(1, p) & subtle.ConstantTimeLessOrEq(p, aes.BlockSize)
	for i := 0; i < aes.BlockSize; i++ {
		inPad := subtle.ConstantTimeLessOrEq(i+1, p) // byte n-1-i belongs to the padding
		same := subtle.ConstantTimeByteEq(b[n-1-i], last)
		good &= subtle.ConstantTimeSelect(inPad, same, 1)
	}
	if good != 1 {
		return nil, ErrDecrypt
	}
	return b[:n-p], nil
}

// Encrypt is Decrypt's counterpart, for tests and for sending test
// deliveries: it pads (ECB, CBC) and, where the mode needs fresh randomness
// (a CBC prefix IV, a GCM nonce), reads it from rand.
func (c *PayloadCipher) Encrypt(plaintext []byte, rand io.Reader) ([]byte, error) {
	switch c.opts.Mode {
	case ModeGCM:
		return c.sealGCM(plaintext, rand)
	case ModeCBC:
		return c.sealCBC(plaintext, rand)
	default:
		padded := pad(plaintext)
		for i := 0; i < len(padded); i += aes.BlockSize {
			c.block.Encrypt(padded[i:i+aes.BlockSize], padded[i:i+aes.BlockSize])
		}
		return padded, nil
	}
}

func (c *PayloadCipher) sealCBC(plaintext []byte, rand io.Reader) ([]byte, error) {
	padded := pad(plaintext)
	iv := c.iv
	var out []byte
	if iv == nil {
		iv = make([]byte, aes.BlockSize)
		if _, err := io.ReadFull(rand, iv); err != nil {
			return nil, err
		}
		out = append(out, iv...)
	}
	cipher.NewCBCEncrypter(c.block, iv).CryptBlocks(padded, padded)
	return append(out, padded...), nil
}

func (c *PayloadCipher) sealGCM(plaintext []byte, rand io.Reader) ([]byte, error) {
	nonce := make([]byte, c.opts.NonceSize)
	if _, err := io.ReadFull(rand, nonce); err != nil {
		return nil, err
	}
	sealed := c.aead.Seal(nil, nonce, plaintext, nil)
	if c.opts.GCMLayout == NonceTagCiphertext {
		body, tag := sealed[:len(sealed)-gcmTagSize], sealed[len(sealed)-gcmTagSize:]
		sealed = append(append([]byte(nil), tag...), body...)
	}
	return append(nonce, sealed...), nil
}

func pad(b []byte) []byte {
	p := aes.BlockSize - len(b)%aes.BlockSize
	out := make([]byte, len(b)+p)
	copy(out, b)
	for i := len(b); i < len(out); i++ {
		out[i] = byte(p)
	}
	return out
}

// DecodeCiphertext reads a ciphertext sent as text: hex (either case) when
// the text is made of an even number of hex digits, otherwise base64 in the
// standard or the URL alphabet, padded or not. Surrounding white space is
// ignored.
func DecodeCiphertext(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ErrCiphertextFormat
	}
	if isHex(s) {
		return hex.DecodeString(s)
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	b, err := enc.Strict().DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, ErrCiphertextFormat
	}
	return b, nil
}

func isHex(s string) bool {
	if len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// CiphertextEncoding names how EncodeCiphertext writes a ciphertext.
type CiphertextEncoding string

// The encodings DecodeCiphertext reads.
const (
	Base64    CiphertextEncoding = "base64"
	Base64URL CiphertextEncoding = "base64url"
	Hex       CiphertextEncoding = "hex"
)

// EncodeCiphertext writes ct as text in enc (default: padded standard base64).
func EncodeCiphertext(ct []byte, enc CiphertextEncoding) string {
	switch enc {
	case Hex:
		return hex.EncodeToString(ct)
	case Base64URL:
		return base64.URLEncoding.EncodeToString(ct)
	default:
		return base64.StdEncoding.EncodeToString(ct)
	}
}
