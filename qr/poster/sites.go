package poster

import (
	"civmap"
	"civmap/qr"
)

// FromSites turns sites into poster Sites: each with its parent's name (from the same list) and
// its URL, qr.SiteURL(baseURL, code).
func FromSites(sites []civmap.Site, baseURL string) []Site {
	names := make(map[string]string, len(sites))
	for _, s := range sites {
		names[s.Code] = s.Name
	}
	out := make([]Site, 0, len(sites))
	for _, s := range sites {
		out = append(out, Site{Code: s.Code, Name: s.Name, Level: s.Level, Parent: names[s.ParentCode], URL: qr.SiteURL(baseURL, s.Code)})
	}
	return out
}

// LayoutAll lays out one page per site; see Layout.
func LayoutAll(f *Font, sites []Site, opt Options) ([]*Page, error) {
	pages := make([]*Page, 0, len(sites))
	for _, s := range sites {
		p, err := Layout(f, s, opt)
		if err != nil {
			return nil, err
		}
		pages = append(pages, p)
	}
	return pages, nil
}
