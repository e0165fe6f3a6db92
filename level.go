package civmap

import "fmt"

// Level is a site's place in the three-level practice network ("1 + 14 + 161 + X").
type Level string

const (
	LevelCenter  Level = "center"  // 市新时代文明实践中心, one per county (6-digit division code)
	LevelStation Level = "station" // 镇（街道）新时代文明实践所, one per town (9-digit code)
	LevelPost    Level = "post"    // 村（社区）新时代文明实践站, one per village (12-digit code)
	LevelBase    Level = "base"    // 机关、企业、学校 practice base (基地): own id, no division
)

// Levels lists the levels from the top of the network down.
var Levels = []Level{LevelCenter, LevelStation, LevelPost, LevelBase}

// Valid reports whether l is one of Levels.
func (l Level) Valid() bool {
	switch l {
	case LevelCenter, LevelStation, LevelPost, LevelBase:
		return true
	}
	return false
}

// Title is the level's Chinese name as printed on posters and pages.
func (l Level) Title() string {
	switch l {
	case LevelCenter:
		return "新时代文明实践中心"
	case LevelStation:
		return "新时代文明实践所"
	case LevelPost:
		return "新时代文明实践站"
	case LevelBase:
		return "新时代文明实践基地"
	}
	return string(l)
}

// Short is the one-character Chinese short name (中心/所/站/基地).
func (l Level) Short() string {
	switch l {
	case LevelCenter:
		return "中心"
	case LevelStation:
		return "所"
	case LevelPost:
		return "站"
	case LevelBase:
		return "基地"
	}
	return string(l)
}

// ParseLevel accepts the English name or the Chinese short name (中心, 所, 站, 基地).
// It returns an EINVALID error for anything else.
func ParseLevel(s string) (Level, error) {
	switch s {
	case "center", "中心":
		return LevelCenter, nil
	case "station", "所":
		return LevelStation, nil
	case "post", "站":
		return LevelPost, nil
	case "base", "基地":
		return LevelBase, nil
	}
	return "", Errorf(EINVALID, "unknown level %q (want center, station, post or base)", s)
}

// LevelForCode maps a division code to the level of the site that serves it: a 6-digit county
// code → center, a 9-digit town code → station, a 12-digit village code → post. Source: the
// statistical division code layout 2+2+2+3+3 (NBS 2023).
func LevelForCode(code string) (Level, error) {
	if !isDigits(code) {
		return "", Errorf(EINVALID, "division code %q is not all digits", code)
	}
	switch len(code) {
	case 6:
		return LevelCenter, nil
	case 9:
		return LevelStation, nil
	case 12:
		return LevelPost, nil
	}
	return "", Errorf(EINVALID, "division code %q has %d digits (want 6, 9 or 12)", code, len(code))
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String implements fmt.Stringer.
func (l Level) String() string { return string(l) }

var _ fmt.Stringer = Level("")
