// Package redisconn is how this module reaches a Redis: the connection
// settings a config gives (Config: the same JSON and Caddyfile block for
// dedupe's store and durable's spool), the client that fails fast on an
// outage, and what the server keeps on disk.
//
// It knows nothing of what is stored, nor of who stores it: it imports no
// package of this module.
package redisconn

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
)

// Config says how to reach the Redis that instances of a cluster share.
type Config struct {
	// A redis:// or rediss:// URL. Alternative to the fields below.
	URL string `json:"url,omitempty"`

	// host:port. Default 127.0.0.1:6379.
	Address string `json:"address,omitempty"`

	// The password (ACL user with Username). Placeholders such as {env.X}
	// are resolved when the config loads.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`

	// The database number.
	DB int `json:"db,omitempty"`

	// Use TLS.
	TLS bool `json:"tls,omitempty"`
}

// DefaultAddress is the Redis reached when neither URL nor Address is given.
const DefaultAddress = "127.0.0.1:6379"

func init() {
	// The client's own log lines repeat on every failed dial; the users of
	// a client log an outage once, when it starts and when it ends.
	redis.SetLogger(quietLog{})
}

type quietLog struct{}

func (quietLog) Printf(context.Context, string, ...any) {}

// Options resolves the settings into go-redis options and a key that tells
// two settings apart without holding the password in clear: clients are
// shared by that key.
func (c *Config) Options() (*redis.Options, string, error) {
	repl := caddy.NewReplacer()
	resolve := func(s string) (string, error) { return repl.ReplaceOrErr(s, true, false) }
	var opts *redis.Options
	if c.URL != "" {
		u, err := resolve(c.URL)
		if err != nil {
			return nil, "", err
		}
		if opts, err = redis.ParseURL(u); err != nil {
			return nil, "", ErrURL
		}
	} else {
		opts = &redis.Options{Addr: c.Address, DB: c.DB}
		if opts.Addr == "" {
			opts.Addr = DefaultAddress
		}
		var err error
		if opts.Username, err = resolve(c.Username); err != nil {
			return nil, "", err
		}
		if opts.Password, err = resolve(c.Password); err != nil {
			return nil, "", err
		}
		if c.TLS {
			opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	secret := sha256.Sum256([]byte(opts.Username + "\x00" + opts.Password))
	key := fmt.Sprintf("redis|%s|%d|%t|%s", opts.Addr, opts.DB, opts.TLSConfig != nil, hex.EncodeToString(secret[:8]))
	return opts, key, nil
}

// ErrURL says a Redis URL does not parse, without a word of the URL or of
// the parser's error: both can hold the password (a password with a '/' in
// it ends the host early, and the parser quotes what follows).
var ErrURL = errors.New("redis url does not parse (not shown: it may hold a password): " +
	"want redis[s]://[user[:password]@]host[:port][/db][?option=value] or unix:///path, " +
	"with any '@', ':', '/', '?' or '#' in the user or password percent-encoded")

// NewClient is a client that fails fast on an outage: a vendor gets a 503
// it retries rather than waiting past its own timeout. One retry lets a
// pooled connection that died with a restarted Redis be replaced at once.
func NewClient(opts *redis.Options) *redis.Client {
	opts.DialTimeout = 500 * time.Millisecond
	opts.ReadTimeout = 500 * time.Millisecond
	opts.WriteTimeout = 500 * time.Millisecond
	opts.MaxRetries = 1
	return redis.NewClient(opts)
}

// Token is a random name, unique among the holders of a Redis key: a
// claim's owner, a lease's instance.
func Token() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
