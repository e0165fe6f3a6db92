package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// maxChain is the longest chain SiteChain returns (a guard against a cycle of parents).
const maxChain = 16

// siteChain builds the chain of store.Sites.SiteChain from two lookups: parent returns the
// parent code of the site with code (ok false when there is no such site), venueSite the site
// code of the venue with code. A code that is both a site and a venue names the site.
func siteChain(code string, parent, venueSite func(code string) (string, bool, error)) ([]string, error) {
	var out []string
	up, ok, err := parent(code)
	if err != nil {
		return nil, err
	}
	if !ok {
		site, isVenue, err := venueSite(code)
		if err != nil {
			return nil, err
		}
		if !isVenue {
			return nil, notFound("没有编码为 %s 的实践阵地或场所", code)
		}
		out = append(out, code)
		if up, ok, err = parent(site); err != nil {
			return nil, err
		} else if !ok {
			return out, nil // the venue's site does not exist
		}
		code = site
	}
	out = append(out, code)
	for up != "" && len(out) < maxChain {
		next, ok, err := parent(up)
		if err != nil {
			return nil, err
		}
		if !ok {
			break // the chain ends at a parent that does not exist
		}
		out = append(out, up)
		up = next
	}
	return out, nil
}

// SiteChain returns the codes from the site or venue with code up to the top of the network
// (at most 16), read from memory; see store.Sites. ENOTFOUND when no site or venue has code.
func (s *Store) SiteChain(ctx context.Context, code string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return siteChain(code,
		func(c string) (string, bool, error) { x, ok := s.mem.sites[c]; return x.ParentCode, ok, nil },
		func(c string) (string, bool, error) { x, ok := s.mem.venues[c]; return x.SiteCode, ok, nil })
}

// sqlSiteChain is SiteChain read from the data file (for Shared).
func sqlSiteChain(ctx context.Context, db *sql.DB, code string) ([]string, error) {
	lookup := func(query string) func(string) (string, bool, error) {
		return func(c string) (string, bool, error) {
			var v string
			err := db.QueryRowContext(ctx, query, c).Scan(&v)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return "", false, nil
			case err != nil:
				return "", false, fmt.Errorf("embedded: site chain of %s: %w", code, err)
			}
			return v, true, nil
		}
	}
	return siteChain(code, lookup(`SELECT parent_code FROM sites WHERE code = ?`),
		lookup(`SELECT site_code FROM venues WHERE code = ?`))
}
