package civmap

import (
	"hash/fnv"
	"strconv"
	"time"
)

// Site is one place of the practice network: the center, a station (所), a post (站) or a base.
type Site struct {
	ID           int64    // stable feature id, FeatureID(Code)
	Code         string   // division code (6, 9 or 12 digits) or, for a base, its own id
	Name         string   // full name, e.g. "长安街道新时代文明实践所"
	Level        Level    // center, station, post or base
	ParentCode   string   // code of the site one level up; "" for the center
	DivisionCode string   // division the site serves; "" for a base
	Address      string   // address text, e.g. "湖南省岳阳市临湘市长安街道"
	Location     Location // where it is
	Demo         bool     // part of the demo dataset, not real data
	UpdatedAt    time.Time
}

// Validate checks the fields a store requires. It returns an EINVALID error naming the field.
func (s *Site) Validate() error {
	if err := validateCode(s.Code); err != nil {
		return err
	}
	if err := validateText("name", s.Name, MaxNameChars, true); err != nil {
		return err
	}
	if err := validateText("address", s.Address, MaxAddressChars, false); err != nil {
		return err
	}
	if !s.Level.Valid() {
		return FieldErrorf("level", "unknown level %q", s.Level)
	}
	if s.Level != LevelBase {
		want, err := LevelForCode(s.Code)
		if err != nil {
			return FieldErrorf("code", "%s", ErrorMessage(err))
		}
		if want != s.Level {
			return FieldErrorf("level", "a %d-digit code is a %s, not a %s", len(s.Code), want, s.Level)
		}
	}
	return s.Location.Validate()
}

// FeatureID returns the stable integer id a site or venue with this code has in tiles and
// GeoJSON: the code's value when it is all digits and at most 15 of them (every division code),
// otherwise 10^15 + (FNV-1a 64 of the code mod (2^53 − 10^15)). All ids stay below 2^53 so that
// JavaScript numbers hold them exactly.
func FeatureID(code string) int64 {
	if len(code) <= 15 && isDigits(code) {
		v, err := strconv.ParseInt(code, 10, 64)
		if err == nil {
			return v
		}
	}
	const base = int64(1e15)
	const span = int64(1)<<53 - base
	h := fnv.New64a()
	h.Write([]byte(code))
	return base + int64(h.Sum64()%uint64(span))
}
