package seed

import (
	"fmt"

	"civmap"
	"civmap/geo/gazetteer"
)

// LinxiangLocator geocodes addresses with the Linxiang gazetteer (geo/gazetteer), whose
// divisions carry the placeholder points of geo/placement (coord_source synthetic). An address that
// does not resolve to exactly one division is an error.
func LinxiangLocator() (Locator, error) {
	g, err := gazetteer.Linxiang()
	if err != nil {
		return nil, err
	}
	return func(address string) (string, civmap.Location, error) {
		res := g.Geocode(address)
		if res.Error != "" {
			return "", civmap.Location{}, fmt.Errorf("%s", res.Error)
		}
		if res.Code == "" || res.Ambiguous {
			return "", civmap.Location{}, fmt.Errorf("address %q does not name one division", address)
		}
		p, src, prec, ok := g.PointOf(res.Code)
		if !ok {
			return "", civmap.Location{}, fmt.Errorf("division %s has no point", res.Code)
		}
		return res.Code, civmap.Location{Point: p, Source: src, Precision: prec}, nil
	}, nil
}
