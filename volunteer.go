package civmap

import (
	"regexp"
	"sort"
	"time"
)

// Skill is a volunteer's specialty: one of the eleven professional volunteer teams of the city
// 志愿服务总队 (docs/DOMAIN.md "Volunteers"). A need's category names the skill that serves it
// (NeedCategory.Skill).
type Skill string

// Skills lists the eleven specialties in the plan's order.
var Skills = []Skill{"理论宣讲", "普法宣传", "生态绿色环保", "卫生健康", "科技农技", "教育体育", "文化艺术",
	"爱心帮扶", "网络文明", "扫黄打非", "文明劝导"}

// Valid reports whether s is one of Skills.
func (s Skill) Valid() bool { return contains(Skills, s) }

// Skill is the specialty that serves a need of category c; "" for 其他 (any volunteer may).
func (c NeedCategory) Skill() Skill {
	if s := Skill(c); s.Valid() {
		return s
	}
	return ""
}

// ChinaTime is China Standard Time, UTC+8 all year (no DST since 1991): availability windows
// and service times are read in it.
var ChinaTime = time.FixedZone("CST", 8*3600)

// Window is a weekly availability window of a volunteer: on Day, from From to To minutes after
// midnight, China Standard Time (0 ≤ From < To ≤ 1440).
type Window struct {
	Day      time.Weekday
	From, To int // minutes after midnight, CST
}

// Contains reports whether t (any zone) falls in the window.
func (w Window) Contains(t time.Time) bool {
	t = t.In(ChinaTime)
	m := t.Hour()*60 + t.Minute()
	return t.Weekday() == w.Day && m >= w.From && m < w.To
}

// Limits of a volunteer record.
const (
	MaxWindows       = 28 // four a day
	MaxVolunteerOpen = 10 // the most open orders anyone may take at once
	DefaultMaxOpen   = 2
)

// Volunteer is a registered volunteer (志愿者). Name, Phone and Home are personal data: never
// in an anonymous response, and shown to staff only inside their scope.
type Volunteer struct {
	ID       int64
	UserID   int64    // the account that signs in as this volunteer (role volunteer); 0: none
	Name     string   // personal
	Phone    string   // personal: an 11-digit mainland mobile number, or ""
	Skills   []Skill  // sorted, no repeats
	Teams    []int64  // team ids, sorted
	Home     Location // personal: home or base point (WGS-84)
	SiteCode string   // the site they are based at (scope: whose staff manage them)
	Windows  []Window // weekly availability, CST
	OnDuty   bool     // available now, whatever the windows say
	MaxOpen  int      // the most open orders they take at once (1–MaxVolunteerOpen)
	Core     bool     // 骨干志愿者
	MentorID int64    // 结对: the core volunteer who trains them; 0: none
	Active   bool
	Demo     bool
	// OpenOrders is how many orders they have accepted and not finished (kept by the workflow).
	OpenOrders int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// mobilePattern is a mainland China mobile number: 11 digits starting 13–19 (MIIT numbering
// plan: the 13x–19x mobile blocks).
var mobilePattern = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// ValidMobile reports whether s is an 11-digit mainland mobile number.
func ValidMobile(s string) bool { return mobilePattern.MatchString(s) }

// AvailableAt reports whether the volunteer can serve at t: active, and on duty or inside one
// of their windows.
func (v *Volunteer) AvailableAt(t time.Time) bool {
	if !v.Active {
		return false
	}
	if v.OnDuty {
		return true
	}
	t = t.In(ChinaTime)
	day, m := t.Weekday(), t.Hour()*60+t.Minute()
	for _, w := range v.Windows {
		if w.Day == day && m >= w.From && m < w.To {
			return true
		}
	}
	return false
}

// HasSkill reports whether the volunteer has skill s ("" matches everyone).
func (v *Volunteer) HasSkill(s Skill) bool { return s == "" || contains(v.Skills, s) }

// Validate checks a volunteer before it is stored and normalises Skills and Teams (sorted, no
// repeats) and a zero MaxOpen (DefaultMaxOpen). Errors are EINVALID naming the field.
func (v *Volunteer) Validate() error {
	if err := validateText("name", v.Name, MaxNameChars, true); err != nil {
		return err
	}
	if v.Phone != "" && !ValidMobile(v.Phone) {
		return FieldErrorf("phone", "手机号应为 11 位大陆手机号码（1 开头，第二位 3–9）")
	}
	for _, s := range v.Skills {
		if !s.Valid() {
			return FieldErrorf("skills", "unknown skill %q (want one of the 11 specialties: 理论宣讲 … 文明劝导)", s)
		}
	}
	v.Skills = sortedUnique(v.Skills)
	v.Teams = sortedUnique(v.Teams)
	if err := validateCode(v.SiteCode); err != nil {
		return FieldErrorf("site_code", "%s", ErrorMessage(err))
	}
	if len(v.Windows) > MaxWindows {
		return FieldErrorf("windows", "at most %d availability windows", MaxWindows)
	}
	for _, w := range v.Windows {
		if w.Day < time.Sunday || w.Day > time.Saturday || w.From < 0 || w.To > 1440 || w.From >= w.To {
			return FieldErrorf("windows", "a window is a weekday 0–6 and minutes 0 ≤ from < to ≤ 1440")
		}
	}
	if v.MaxOpen == 0 {
		v.MaxOpen = DefaultMaxOpen
	}
	if v.MaxOpen < 1 || v.MaxOpen > MaxVolunteerOpen {
		return FieldErrorf("max_open", "max_open must be 1–%d", MaxVolunteerOpen)
	}
	if v.MentorID != 0 && v.MentorID == v.ID {
		return FieldErrorf("mentor_id", "a volunteer cannot mentor themselves")
	}
	if v.OpenOrders < 0 {
		return FieldErrorf("open_orders", "open_orders cannot be negative")
	}
	return v.Home.Validate()
}

func sortedUnique[T ~string | ~int64](xs []T) []T {
	if len(xs) == 0 {
		return nil
	}
	out := append([]T(nil), xs...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	w := 1
	for i := 1; i < len(out); i++ {
		if out[i] != out[w-1] {
			out[w] = out[i]
			w++
		}
	}
	return out[:w]
}
