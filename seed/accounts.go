package seed

import (
	"context"
	"fmt"
	"sort"

	"civmap"
	"civmap/auth"
	"civmap/store"
)

// DemoAccount is a demo user with the password (or, for the volunteer, the personal code) it
// got at this start.
type DemoAccount struct {
	User     civmap.User
	Password string // "" for the volunteer
	Code     string // the volunteer's personal code ("" for others)
}

// DemoAccounts makes sure the demo accounts exist — one per role: demo-admin (whole network),
// demo-station (the first station's town), demo-post and demo-leader and demo-volunteer (the
// first post of that town), demo-viewer — all flagged Demo, and gives each a fresh password (a
// fresh personal code for the volunteer), since the stored ones are hashes no one can show. An
// existing account with a demo login that is not a demo account is left alone and skipped. The
// caller prints the passwords: they are demo data, not secrets worth more than the demo.
func DemoAccounts(ctx context.Context, st interface {
	auth.Store
	ListSites(ctx context.Context, f store.SiteFilter) ([]civmap.Site, error)
}) ([]DemoAccount, error) {
	stations, err := st.ListSites(ctx, store.SiteFilter{Level: civmap.LevelStation})
	if err != nil || len(stations) == 0 {
		return nil, fmt.Errorf("demo accounts: no station to scope them to (%v)", err)
	}
	sort.Slice(stations, func(i, j int) bool { return stations[i].Code < stations[j].Code })
	town := stations[0]
	posts, err := st.ListSites(ctx, store.SiteFilter{ParentCode: town.Code, Level: civmap.LevelPost})
	if err != nil || len(posts) == 0 {
		return nil, fmt.Errorf("demo accounts: no post under %s (%v)", town.Code, err)
	}
	post := posts[0]
	want := []civmap.User{
		{Login: "demo-admin", Name: "示例管理员", Role: civmap.RoleAdmin},
		{Login: "demo-station", Name: "示例实践所工作人员", Role: civmap.RoleStation, Scope: town.Code},
		{Login: "demo-post", Name: "示例实践站专管员", Role: civmap.RolePost, Scope: post.Code},
		{Login: "demo-leader", Name: "示例志愿服务队队长", Role: civmap.RoleTeamLeader, Scope: post.Code},
		{Login: "demo-volunteer", Name: "示例志愿者", Role: civmap.RoleVolunteer, Scope: post.Code},
		{Login: "demo-viewer", Name: "示例领导", Role: civmap.RoleViewer},
	}
	svc := &auth.Service{Store: st}
	var out []DemoAccount
	for _, w := range want {
		w.Demo = true
		u, err := st.UserByLogin(ctx, w.Login)
		switch {
		case civmap.ErrorCode(err) == civmap.ENOTFOUND:
			if u, err = st.CreateUser(ctx, w); err != nil {
				return nil, err
			}
		case err != nil:
			return nil, err
		case !u.Demo:
			continue // a real account took the name
		}
		acc := DemoAccount{}
		if u.Role == civmap.RoleVolunteer {
			if acc.Code, u, err = svc.IssueCode(ctx, u.ID); err != nil {
				return nil, err
			}
		} else {
			acc.Password = auth.NewPassword()
			if u.PasswordHash, err = auth.HashPassword(acc.Password); err != nil {
				return nil, err
			}
			u.Disabled = false
			if u, err = st.UpdateUser(ctx, u); err != nil {
				return nil, err
			}
		}
		acc.User = u
		out = append(out, acc)
	}
	return out, nil
}
