package civmap

import "time"

// TeamTier is where a volunteer team sits in the plan's three tiers (docs/DOMAIN.md).
type TeamTier string

const (
	// TierMunicipal: one of the professional teams (专业志愿服务队) of the city's 志愿服务总队,
	// at the center.
	TierMunicipal TeamTier = "municipal"
	// TierTown: a team of a town's 志愿服务大队 (the plan asks for at least 4 per town), at the
	// station.
	TierTown TeamTier = "town"
	// TierVillage: a village's 志愿服务中队, at the post.
	TierVillage TeamTier = "village"
)

// Valid reports whether t is a known tier.
func (t TeamTier) Valid() bool { return t == TierMunicipal || t == TierTown || t == TierVillage }

// Title is the tier's Chinese name.
func (t TeamTier) Title() string {
	switch t {
	case TierMunicipal:
		return "市志愿服务总队专业队"
	case TierTown:
		return "镇（街道）志愿服务大队"
	case TierVillage:
		return "村（社区）志愿服务中队"
	}
	return string(t)
}

// MunicipalTeams are the names of the city 志愿服务总队's eleven professional teams, one per
// Skill, in the plan's order ("…专业志愿服务队").
func MunicipalTeams() []string {
	out := make([]string, len(Skills))
	for i, s := range Skills {
		out[i] = "临湘市" + string(s) + "志愿服务队"
	}
	return out
}

// Team is a volunteer team. Its name and site are public; its members are not.
type Team struct {
	ID                   int64
	Name                 string
	Tier                 TeamTier
	SiteCode             string  // the center (municipal), a station (town) or a post (village)
	LeaderID             int64   // the team leader's user (role team_leader); 0: none yet
	Skills               []Skill // its specialties, sorted
	Demo                 bool
	CreatedAt, UpdatedAt time.Time
}

// Validate checks a team before it is stored (and sorts its skills). Whether SiteCode's level
// fits the tier (TierForLevel) and LeaderID names a user is checked by the store, which has the
// network. Errors are EINVALID naming the field.
func (t *Team) Validate() error {
	if err := validateText("name", t.Name, MaxNameChars, true); err != nil {
		return err
	}
	if !t.Tier.Valid() {
		return FieldErrorf("tier", "unknown tier %q (want municipal, town or village)", t.Tier)
	}
	if err := validateCode(t.SiteCode); err != nil {
		return FieldErrorf("site_code", "%s", ErrorMessage(err))
	}
	for _, s := range t.Skills {
		if !s.Valid() {
			return FieldErrorf("skills", "unknown skill %q", s)
		}
	}
	t.Skills = sortedUnique(t.Skills)
	return nil
}

// TierForLevel is the tier of a team based at a site of level l.
func TierForLevel(l Level) (TeamTier, bool) {
	switch l {
	case LevelCenter:
		return TierMunicipal, true
	case LevelStation:
		return TierTown, true
	case LevelPost:
		return TierVillage, true
	}
	return "", false
}
