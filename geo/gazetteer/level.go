package gazetteer

import (
	"fmt"

	"civmap"
)

// Level is a division's depth in the statistical tree; its code has 2, 4, 6, 9 or 12 digits.
// The zero Level means "no division" (for example the level of an unresolved address).
type Level int

// The five levels of the 2023 statistical division tree (code layout 2+2+2+3+3, NBS).
const (
	LevelProvince   Level = 1 // 省级, 2-digit code
	LevelPrefecture Level = 2 // 地级, 4-digit code
	LevelCounty     Level = 3 // 县级, 6-digit code
	LevelTown       Level = 4 // 乡级 (镇, 乡, 街道), 9-digit code
	LevelVillage    Level = 5 // 村级 (村, 社区), 12-digit code
)

// Levels lists the levels from the top down.
var Levels = []Level{LevelProvince, LevelPrefecture, LevelCounty, LevelTown, LevelVillage}

var levelNames = [...]string{"", "province", "prefecture", "county", "town", "village"}

// codeDigits[l] is the number of digits of a code at level l.
var codeDigits = [...]int{0, 2, 4, 6, 9, 12}

// String returns "province", "prefecture", "county", "town" or "village", and "" for the zero
// Level.
func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// Valid reports whether l is one of Levels.
func (l Level) Valid() bool { return l >= LevelProvince && l <= LevelVillage }

// CodeDigits returns the number of digits of a code at level l (2, 4, 6, 9 or 12), 0 if l is not
// valid.
func (l Level) CodeDigits() int {
	if !l.Valid() {
		return 0
	}
	return codeDigits[l]
}

// MarshalText encodes l as its String form, so JSON carries "village" rather than 5.
func (l Level) MarshalText() ([]byte, error) {
	if l != 0 && !l.Valid() {
		return nil, fmt.Errorf("gazetteer: invalid level %d", int(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText accepts the String form ("" is the zero Level).
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// ParseLevel accepts "province", "prefecture", "county", "town", "village" or "" (the zero
// Level). It returns an EINVALID *civmap.Error for anything else.
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if n == s {
			return Level(i), nil
		}
	}
	return 0, civmap.Errorf(civmap.EINVALID, "unknown division level %q (want province, prefecture, county, town or village)", s)
}

// LevelOfCode returns the level of a division code by its number of digits (2, 4, 6, 9, 12),
// or 0 when the code is not all digits or has another length.
func LevelOfCode(code string) Level {
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return 0
		}
	}
	switch len(code) {
	case 2:
		return LevelProvince
	case 4:
		return LevelPrefecture
	case 6:
		return LevelCounty
	case 9:
		return LevelTown
	case 12:
		return LevelVillage
	}
	return 0
}

// Precision maps the level of the division a point belongs to onto civmap's precision scale:
// village → PrecisionVillage, town → PrecisionTown, county and anything coarser (a prefecture's
// or province's point) → PrecisionCounty, the coarsest civmap has. Result.PointLevel keeps the
// exact level.
func (l Level) Precision() civmap.Precision {
	switch l {
	case LevelVillage:
		return civmap.PrecisionVillage
	case LevelTown:
		return civmap.PrecisionTown
	case LevelCounty, LevelPrefecture, LevelProvince:
		return civmap.PrecisionCounty
	}
	return ""
}
