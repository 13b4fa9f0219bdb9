package redisconn

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// Persistence is how a Redis server keeps its data on disk.
type Persistence struct {
	AOF   bool   // appendonly yes
	Fsync string // appendfsync
	Save  string // the snapshot schedule; "" for none
}

// ReadPersistence asks the server. CONFIG may be renamed or denied by an
// ACL; the error then says so.
func ReadPersistence(ctx context.Context, c *redis.Client) (Persistence, error) {
	conf, err := c.ConfigGet(ctx, "append*").Result()
	if err != nil {
		return Persistence{}, err
	}
	save, err := c.ConfigGet(ctx, "save").Result()
	if err != nil {
		return Persistence{}, err
	}
	return Persistence{AOF: conf["appendonly"] == "yes", Fsync: conf["appendfsync"], Save: save["save"]}, nil
}

// Describe says what the server keeps, for a warning.
func (p Persistence) Describe() string {
	if p.Save == "" {
		return "and no snapshots: nothing is on disk"
	}
	return "only snapshots, save " + p.Save
}
