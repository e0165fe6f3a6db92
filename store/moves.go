package store

import (
	"sort"

	"civmap"
)

// Move is a site or venue code whose location a Put changes, with the new location. Activities
// and needs placed at that code (Place.Code) take the new location in the same transaction.
type Move struct {
	Code     string
	Location civmap.Location // WGS-84 lon/lat degrees, with its source and precision
}

// PlaceMoves returns the moves a batch makes, ordered by code: every site of b that exists
// already (oldSite) with a different Location (point, source or precision), and every venue of b
// that exists already (oldVenue) with a different Location, unless a site has the venue's code
// (in the store or in b): a Place.Code names the site when both exist, as the API resolves it.
// Inserting a record moves nothing, and an InsertOnly batch moves nothing. oldSite must report
// every stored site whose code is the code of a site or venue of b.
func PlaceMoves(b Batch, oldSite func(code string) (civmap.Site, bool), oldVenue func(code string) (civmap.Venue, bool)) []Move {
	if b.InsertOnly {
		return nil
	}
	var out []Move
	sites := map[string]bool{}
	for _, x := range b.Sites {
		sites[x.Code] = true
		if old, ok := oldSite(x.Code); ok && old.Location != x.Location {
			out = append(out, Move{Code: x.Code, Location: x.Location})
		}
	}
	for _, x := range b.Venues {
		if _, isSite := oldSite(x.Code); isSite || sites[x.Code] {
			continue
		}
		if old, ok := oldVenue(x.Code); ok && old.Location != x.Location {
			out = append(out, Move{Code: x.Code, Location: x.Location})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
