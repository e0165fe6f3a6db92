package store

import (
	"errors"
	"fmt"

	"civmap"
)

// ValidateBatch checks a batch before any of it is written, the same way for every store: each
// record valid (civmap.Site.Validate, civmap.Venue.Validate, an area with a code, name and
// polygon), no code twice, every parent site and venue site present in the batch or in the store
// (siteExists reports the store's side). The error is EINVALID with Field "sites[i].field",
// "venues[i].field" or "areas[i].field".
func ValidateBatch(b Batch, siteExists func(code string) bool) error {
	inBatch := map[string]bool{}
	for i := range b.Sites {
		s := &b.Sites[i]
		if err := s.Validate(); err != nil {
			return indexed("sites", i, err)
		}
		if inBatch[s.Code] {
			return indexed("sites", i, civmap.FieldErrorf("code", "code %s appears twice in the batch", s.Code))
		}
		inBatch[s.Code] = true
	}
	known := func(code string) bool { return inBatch[code] || siteExists(code) }
	for i := range b.Sites {
		if p := b.Sites[i].ParentCode; p != "" && !known(p) {
			return indexed("sites", i, civmap.FieldErrorf("parent_code", "parent site %s does not exist", p))
		}
	}
	venues := map[string]bool{}
	for i := range b.Venues {
		v := &b.Venues[i]
		if err := v.Validate(); err != nil {
			return indexed("venues", i, err)
		}
		if venues[v.Code] {
			return indexed("venues", i, civmap.FieldErrorf("code", "code %s appears twice in the batch", v.Code))
		}
		venues[v.Code] = true
		if !known(v.SiteCode) {
			return indexed("venues", i, civmap.FieldErrorf("site_code", "site %s does not exist", v.SiteCode))
		}
	}
	areas := map[string]bool{}
	for i, a := range b.Areas {
		switch {
		case a.Code == "":
			return indexed("areas", i, civmap.FieldErrorf("code", "code is required"))
		case a.Name == "":
			return indexed("areas", i, civmap.FieldErrorf("name", "name is required"))
		case areas[a.Code]:
			return indexed("areas", i, civmap.FieldErrorf("code", "code %s appears twice in the batch", a.Code))
		case a.Polygon == nil || a.Polygon.Dimensions() != 2:
			return indexed("areas", i, civmap.FieldErrorf("polygon", "a polygon is required"))
		}
		areas[a.Code] = true
	}
	return nil
}

func indexed(list string, i int, err error) error {
	var e *civmap.Error
	if errors.As(err, &e) {
		return &civmap.Error{Code: e.Code, Field: fmt.Sprintf("%s[%d].%s", list, i, e.Field), Message: e.Message}
	}
	return err
}

// SameSite reports whether two sites hold the same data (ignoring ID and UpdatedAt).
func SameSite(a, b civmap.Site) bool {
	a.ID, b.ID = 0, 0
	a.UpdatedAt = b.UpdatedAt
	return a == b
}

// SameVenue reports whether two venues hold the same data (ignoring ID and UpdatedAt).
func SameVenue(a, b civmap.Venue) bool {
	a.ID, b.ID = 0, 0
	a.UpdatedAt = b.UpdatedAt
	return a == b
}
