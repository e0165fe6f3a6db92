package civmap

import (
	"strings"
	"time"
)

// VenueType is a kind of auxiliary venue ("1+N" 阵地), named in Chinese as in the plan.
type VenueType string

// Venue types per level, from the city's implementation plan (docs/DOMAIN.md "Auxiliary venues").
var venueTypes = map[Level][]VenueType{
	LevelCenter: {"党校", "史志办", "档案馆", "图书馆", "文化馆", "融媒体中心", "窗口服务单位",
		"文化广场（公园）", "爱国主义教育基地", "科普基地"},
	LevelStation: {"综合文化站", "党群服务中心", "卫生院", "敬老院", "乡村学校"},
	LevelPost:    {"农村文化礼堂", "文化广场", "乡村舞台", "农家书屋", "村村响", "农家乐", "乡村旅游景点"},
}

// VenueTypes returns the venue types of a level (nil for a base).
func VenueTypes(l Level) []VenueType { return append([]VenueType(nil), venueTypes[l]...) }

// ValidVenueType reports whether t is a venue type of level l.
func ValidVenueType(l Level, t VenueType) bool {
	for _, v := range venueTypes[l] {
		if v == t {
			return true
		}
	}
	return false
}

// Venue is an auxiliary venue of a site: a 农家书屋, a 文化广场, a 卫生院 ….
type Venue struct {
	ID        int64     // stable feature id, FeatureID(Code)
	Code      string    // the venue's own code, unique among venues
	Name      string    // full name
	Type      VenueType // one of VenueTypes(Level)
	Level     Level     // level of the site it belongs to
	SiteCode  string    // code of the site it belongs to
	Address   string    // address text
	Location  Location  // where it is
	Demo      bool      // part of the demo dataset, not real data
	UpdatedAt time.Time
}

// Validate checks the fields a store requires. It returns an EINVALID error naming the field.
func (v *Venue) Validate() error {
	if err := validateCode(v.Code); err != nil {
		return err
	}
	if err := validateText("name", v.Name, MaxNameChars, true); err != nil {
		return err
	}
	if err := validateText("address", v.Address, MaxAddressChars, false); err != nil {
		return err
	}
	if v.Level != LevelCenter && v.Level != LevelStation && v.Level != LevelPost {
		return FieldErrorf("level", "a venue belongs to a center, station or post, not %q", v.Level)
	}
	if !ValidVenueType(v.Level, v.Type) {
		return FieldErrorf("type", "%q is not a venue type of a %s (want one of %s)", v.Type, v.Level,
			joinTypes(venueTypes[v.Level]))
	}
	if strings.TrimSpace(v.SiteCode) == "" {
		return FieldErrorf("site_code", "site_code is required")
	}
	return v.Location.Validate()
}

func joinTypes(ts []VenueType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, "、")
}
