package embedded

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"

	"civmap"
)

// secretSize is the length of every secret, in bytes.
const secretSize = 32

// Secret returns the 32-byte secret named name, creating it with random bytes the first time
// (store.Secrets): INSERT OR IGNORE then SELECT in one write transaction, so racing first
// reads — in this process or another on the file — all get the one that was stored. Never
// cached, never logged or audited. EINVALID for an empty name.
func (d *direct) Secret(ctx context.Context, name string) ([]byte, error) {
	if name == "" {
		return nil, civmap.FieldErrorf("name", "a secret needs a name")
	}
	var v []byte
	err := d.db.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	switch {
	case err == nil && len(v) == secretSize:
		return v, nil
	case err == nil:
		return nil, fmt.Errorf("embedded: secret %q has %d bytes, want %d", name, len(v), secretSize)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("embedded: read secret %q: %w", name, err)
	}
	fresh := make([]byte, secretSize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("embedded: secret %q: %w", name, err)
	}
	err = d.write(ctx, "create secret", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO secrets (name, value, created_us) VALUES (?,?,?)`,
			name, fresh, d.clock().UnixMicro()); err != nil {
			return fmt.Errorf("embedded: create secret %q: %w", name, err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v); err != nil {
			return fmt.Errorf("embedded: read secret %q: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(v) != secretSize {
		return nil, fmt.Errorf("embedded: secret %q has %d bytes, want %d", name, len(v), secretSize)
	}
	return v, nil
}
