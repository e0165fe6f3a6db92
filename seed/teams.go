package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"civmap"
	"civmap/store"

	"github.com/paulmach/orb/geo"
)

// Demo volunteers per team of each tier: the plan asks for at least 50 core volunteers in each
// of the 11 municipal professional teams; towns' and villages' teams are smaller.
const (
	demoMunicipalCore  = 50
	demoTownMembers    = 5
	demoVillageMembers = 3
)

// townTeamSkills are the specialties of the four demo teams each town's 大队 gets (the plan asks
// for at least four per town).
var townTeamSkills = []civmap.Skill{"理论宣讲", "卫生健康", "文化艺术", "爱心帮扶"}

// LoadDemoTeams adds, once (unless demo teams exist), the plan's three tiers of teams with
// generated volunteers flagged Demo — no real names or numbers ("示例志愿者0001", no phone): the
// center's 11 professional teams by their real names with 50 core volunteers each, four teams
// per town, one 中队 per village with three members. Homes are within 1.5 km of the team's site
// (synthetic positions), availability evenings and weekends, a quarter on duty. It returns how
// many teams and volunteers it added.
func LoadDemoTeams(ctx context.Context, st store.Store, seed uint64) (teams, volunteers int, err error) {
	existing, err := st.ListTeams(ctx, store.TeamFilter{})
	if err != nil {
		return 0, 0, err
	}
	for _, t := range existing {
		if t.Demo {
			return 0, 0, nil
		}
	}
	sites, err := st.ListSites(ctx, store.SiteFilter{})
	if err != nil {
		return 0, 0, err
	}
	var ts []civmap.Team
	for _, s := range sites {
		switch s.Level {
		case civmap.LevelCenter:
			for i, name := range civmap.MunicipalTeams() {
				ts = append(ts, civmap.Team{Name: name, Tier: civmap.TierMunicipal, SiteCode: s.Code, Skills: []civmap.Skill{civmap.Skills[i]}, Demo: true})
			}
		case civmap.LevelStation:
			for _, k := range townTeamSkills {
				ts = append(ts, civmap.Team{Name: baseName(s) + string(k) + "志愿服务队", Tier: civmap.TierTown, SiteCode: s.Code, Skills: []civmap.Skill{k}, Demo: true})
			}
		case civmap.LevelPost:
			ts = append(ts, civmap.Team{Name: baseName(s) + "志愿服务中队", Tier: civmap.TierVillage, SiteCode: s.Code,
				Skills: []civmap.Skill{"爱心帮扶", "文明劝导"}, Demo: true})
		}
	}
	stored, _, err := st.PutTeams(ctx, ts, false)
	if err != nil {
		return 0, 0, fmt.Errorf("demo teams: %w", err)
	}
	byCode := map[string]civmap.Site{}
	for _, s := range sites {
		byCode[s.Code] = s
	}
	r := rand.New(rand.NewPCG(seed, 2026))
	var vs []civmap.Volunteer
	n := 0
	for _, t := range stored {
		site := byCode[t.SiteCode]
		members := demoVillageMembers
		switch t.Tier {
		case civmap.TierMunicipal:
			members = demoMunicipalCore
		case civmap.TierTown:
			members = demoTownMembers
		}
		for i := 0; i < members; i++ {
			n++
			p := geo.PointAtBearingAndDistance(site.Location.Point, r.Float64()*360, 200+r.Float64()*1300)
			v := civmap.Volunteer{Name: fmt.Sprintf("示例志愿者%04d", n), Skills: append([]civmap.Skill(nil), t.Skills...),
				Teams: []int64{t.ID}, SiteCode: site.Code, Active: true, Demo: true, OnDuty: r.IntN(4) == 0,
				Core: t.Tier == civmap.TierMunicipal || i == 0,
				Home: civmap.Location{Point: round6(p), Source: civmap.CoordSynthetic, Precision: site.Location.Precision}}
			if r.IntN(3) == 0 {
				v.Skills = append(v.Skills, civmap.Skills[r.IntN(len(civmap.Skills))])
			}
			for d := time.Sunday; d <= time.Saturday; d++ {
				if d == time.Saturday || d == time.Sunday {
					v.Windows = append(v.Windows, civmap.Window{Day: d, From: 8 * 60, To: 18 * 60})
				} else if r.IntN(2) == 0 {
					v.Windows = append(v.Windows, civmap.Window{Day: d, From: 18 * 60, To: 21 * 60})
				}
			}
			vs = append(vs, v)
		}
	}
	if _, _, err := st.PutVolunteers(ctx, vs, false); err != nil {
		return 0, 0, fmt.Errorf("demo volunteers: %w", err)
	}
	return len(stored), len(vs), nil
}

// LinkDemoAccounts makes the demo volunteer account a volunteer (the first member of its post's
// 中队, on duty) and the demo team leader that 中队's leader, so the demo can be walked through.
func LinkDemoAccounts(ctx context.Context, st store.Store, accounts []DemoAccount) error {
	var vol, leader *civmap.User
	for i := range accounts {
		switch accounts[i].User.Role {
		case civmap.RoleVolunteer:
			vol = &accounts[i].User
		case civmap.RoleTeamLeader:
			leader = &accounts[i].User
		}
	}
	if vol == nil {
		return nil
	}
	if _, err := st.VolunteerByUser(ctx, vol.ID); err == nil {
		return nil
	}
	teams, err := st.ListTeams(ctx, store.TeamFilter{SiteCode: vol.Scope})
	if err != nil || len(teams) == 0 {
		return err
	}
	t := teams[0]
	if leader != nil && t.LeaderID == 0 {
		t.LeaderID = leader.ID
		if _, _, err := st.PutTeams(ctx, []civmap.Team{t}, false); err != nil {
			return err
		}
	}
	members, err := st.ListVolunteers(ctx, store.VolunteerFilter{TeamID: t.ID, Limit: 1})
	if err != nil || len(members) == 0 {
		return err
	}
	v := members[0]
	v.UserID, v.OnDuty, v.Name = vol.ID, true, vol.Name
	v.Skills = civmap.Skills // the demo volunteer can take any order
	_, _, err = st.PutVolunteers(ctx, []civmap.Volunteer{v}, false)
	return err
}
