package tiles

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Rendered is a rendered tile ready to serve: the MVT bytes, their gzip form, and a strong ETag
// derived from the content. A nil MVT is an empty tile.
type Rendered struct {
	MVT  []byte
	Gzip []byte
	ETag string // quoted, e.g. "\"3f2a…\""
}

// NewRendered gzips mvt and computes its ETag (SHA-256 of the MVT bytes, first 16 bytes in hex).
func NewRendered(mvt []byte) (Rendered, error) {
	r := Rendered{MVT: mvt}
	sum := sha256.Sum256(mvt)
	r.ETag = `"` + hex.EncodeToString(sum[:16]) + `"`
	if len(mvt) == 0 {
		return r, nil
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return r, err
	}
	if _, err := zw.Write(mvt); err != nil {
		return r, err
	}
	if err := zw.Close(); err != nil {
		return r, err
	}
	r.Gzip = buf.Bytes()
	return r, nil
}

// Cache holds rendered tiles in memory, least recently used first out. Keys must include the
// data version they were rendered from (see Key), so a write never serves a stale tile.
type Cache struct {
	lru *lru.Cache[string, Rendered]
}

// NewCache returns a cache of at most size tiles (size ≥ 1).
func NewCache(size int) (*Cache, error) {
	c, err := lru.New[string, Rendered](size)
	if err != nil {
		return nil, err
	}
	return &Cache{lru: c}, nil
}

// Get returns the cached tile for key and whether it was there; a miss is not an error.
func (c *Cache) Get(key string) (Rendered, bool) { return c.lru.Get(key) }

// Set stores a tile.
func (c *Cache) Set(key string, r Rendered) { c.lru.Add(key, r) }
