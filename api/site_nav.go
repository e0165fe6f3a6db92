package api

import (
	"context"
	"strings"

	"civmap"
	"civmap/geo/nav"
)

// divisionName is a site's division name: its full name without the level's title
// ("长安街道新时代文明实践所" → "长安街道"), or "" when the name does not end with it.
func divisionName(x civmap.Site) string {
	if n, ok := strings.CutSuffix(x.Name, x.Level.Title()); ok {
		return n
	}
	return ""
}

func navPlace(x civmap.Site) nav.Place {
	return nav.Place{Name: x.Name, Division: divisionName(x), Point: x.Location.Point, Placeholder: x.Location.Placeholder()}
}

// siteNav returns a site's navigation links (geo/nav.ForSite): chain is its ancestors, top
// first (the center … the parent); the region searched is the center's division name.
func siteNav(x civmap.Site, chain []civmap.Site) nav.Links {
	var parent *nav.Place
	region := divisionName(x)
	if len(chain) > 0 {
		p := navPlace(chain[len(chain)-1])
		parent = &p
		region = divisionName(chain[0])
	}
	return nav.ForSite(navPlace(x), parent, region)
}

// siteChain returns x's ancestors, top first; a dangling parent ends the chain.
func (s *Server) siteChain(ctx context.Context, x civmap.Site) []civmap.Site {
	var chain []civmap.Site
	for parent, n := x.ParentCode, 0; parent != "" && n < 8; n++ {
		ps, err := s.cfg.Store.Site(ctx, parent)
		if err != nil {
			break
		}
		chain = append([]civmap.Site{ps}, chain...)
		parent = ps.ParentCode
	}
	return chain
}
