package postgis

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"

	"civmap"

	"github.com/jackc/pgx/v5"
)

// secretSize is the size of every secret Secret creates.
const secretSize = 32

// Secret returns the 32-byte secret named name, creating it from crypto/rand the first time;
// see store.Secrets. A stored secret costs one SELECT. A missing one is created by INSERT … ON
// CONFLICT DO NOTHING (a racing first read on another instance either loses the insert or waits
// for the winner's commit) and read again by a second statement with its own snapshot, which
// sees whichever value was committed first. Secrets are neither audited nor part of the data
// Version, and never appear in errors.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	if strings.TrimSpace(name) == "" {
		return nil, civmap.FieldErrorf("name", "a secret needs a name")
	}
	read := func() ([]byte, error) {
		var v []byte
		err := s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&v)
		return v, err
	}
	v, err := read()
	if err == nil {
		return v, nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return nil, wrap("secret", err)
	}
	fresh := make([]byte, secretSize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, civmap.Errorf(civmap.EUNAVAILABLE, "系统随机数不可用")
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, wrap("secret: create", err)
	}
	v, err = read()
	return v, wrap("secret", err)
}
