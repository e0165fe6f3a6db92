package auth_test

import (
	"fmt"
	"testing"

	"civmap"
	"civmap/auth"
	"civmap/seed"
)

// linxiang returns the 176 real sites with the demo venues, and the chain of every code, built
// from the parent links alone (as store.Sites.SiteChain answers).
func linxiang(t *testing.T) ([]civmap.Site, []civmap.Venue, map[string][]string) {
	t.Helper()
	locate, err := seed.LinxiangLocator()
	if err != nil {
		t.Fatal(err)
	}
	sites, err := seed.LinxiangSites(locate)
	if err != nil {
		t.Fatal(err)
	}
	if len(sites) != 176 {
		t.Fatalf("%d sites, want 176", len(sites))
	}
	parent := map[string]string{}
	for _, s := range sites {
		parent[s.Code] = s.ParentCode
	}
	chains := map[string][]string{}
	for _, s := range sites {
		for c := s.Code; c != ""; c = parent[c] {
			chains[s.Code] = append(chains[s.Code], c)
		}
	}
	venues := seed.DemoVenues(sites)
	for _, v := range venues {
		chains[v.Code] = append([]string{v.Code}, chains[v.SiteCode]...)
	}
	return sites, venues, chains
}

// TestInScopeOverLinxiang checks InScope for every scope a user can have × every site and venue
// of the real network: a station's scope holds its town's subtree and nothing of another town;
// a post's holds the post and its venues and nothing of its neighbours; the center's, and the
// empty scope, hold everything.
func TestInScopeOverLinxiang(t *testing.T) {
	sites, venues, chains := linxiang(t)
	town := map[string]string{}  // code → its town's station code ("" for the center)
	owner := map[string]string{} // code → the post or station it belongs to
	for _, s := range sites {
		switch s.Level {
		case civmap.LevelStation:
			town[s.Code], owner[s.Code] = s.Code, s.Code
		case civmap.LevelPost:
			town[s.Code], owner[s.Code] = s.ParentCode, s.Code
		}
	}
	for _, v := range venues {
		town[v.Code], owner[v.Code] = town[v.SiteCode], v.SiteCode
	}
	checked := 0
	for _, scope := range sites {
		for code, chain := range chains {
			var want bool
			switch scope.Level {
			case civmap.LevelCenter:
				want = true
			case civmap.LevelStation:
				want = town[code] == scope.Code
			case civmap.LevelPost:
				want = owner[code] == scope.Code
			}
			if got := auth.InScope(scope.Code, chain); got != want {
				t.Errorf("InScope(%s %s, %s) = %v, want %v", scope.Level, scope.Code, code, got, want)
			}
			checked++
		}
		if !auth.InScope("", chains[scope.Code]) {
			t.Errorf("the empty scope does not hold %s", scope.Code)
		}
	}
	if checked < 176*(176+len(venues)) {
		t.Errorf("checked %d pairs", checked)
	}
}

// TestAuthorizeRoles checks each action for every role, in scope and out of it, on a post of
// one town, its neighbour, and another town.
func TestAuthorizeRoles(t *testing.T) {
	_, _, chains := linxiang(t)
	const townA, postA1, postA2, townB = "430682001", "430682001001", "430682001002", "430682003"
	postB1 := "430682003001"
	users := map[string]*civmap.User{
		"anonymous": nil,
		"admin":     {ID: 1, Role: civmap.RoleAdmin},
		"center":    {ID: 2, Role: civmap.RoleAdmin, Scope: "430682"},
		"station":   {ID: 3, Role: civmap.RoleStation, Scope: townA},
		"post":      {ID: 4, Role: civmap.RolePost, Scope: postA1},
		"leader":    {ID: 5, Role: civmap.RoleTeamLeader, Scope: postA1},
		"volunteer": {ID: 6, Role: civmap.RoleVolunteer, Scope: postA1},
		"viewer":    {ID: 7, Role: civmap.RoleViewer},
		"disabled":  {ID: 8, Role: civmap.RoleAdmin, Disabled: true},
	}
	volA1 := &civmap.User{ID: 6, Role: civmap.RoleVolunteer, Scope: postA1}
	volB1 := &civmap.User{ID: 9, Role: civmap.RoleVolunteer, Scope: postB1}
	staffA1 := &civmap.User{ID: 10, Role: civmap.RolePost, Scope: postA1}
	// allowed lists who may, by target; everyone else gets 401 (anonymous, disabled) or 403.
	for _, c := range []struct {
		act     auth.Action
		target  auth.Target
		allowed []string
	}{
		{auth.SubmitNeed, auth.Target{}, []string{"anonymous", "admin", "center", "station", "post", "leader", "volunteer", "viewer", "disabled"}},
		{auth.WriteActivity, auth.Target{Chain: chains[postA1]}, []string{"admin", "center", "station", "post"}},
		{auth.WriteActivity, auth.Target{Chain: chains[postA1+"V01"]}, []string{"admin", "center", "station", "post"}},
		{auth.WriteActivity, auth.Target{Chain: chains[postA2]}, []string{"admin", "center", "station"}},
		{auth.WriteActivity, auth.Target{Chain: chains[townB]}, []string{"admin", "center"}},
		{auth.WriteSite, auth.Target{Chain: chains[townA]}, []string{"admin", "center", "station"}},
		{auth.Moderate, auth.Target{Chain: chains[postB1]}, []string{"admin", "center"}},
		{auth.ReadPersonal, auth.Target{Chain: chains[postA1]}, []string{"admin", "center", "station", "post"}},
		{auth.ReadPersonal, auth.Target{Chain: chains["430682"]}, []string{"admin", "center"}},
		{auth.ManageUser, auth.Target{Chain: chains[postA1], User: volA1}, []string{"admin", "center", "station", "post", "leader"}},
		{auth.ManageUser, auth.Target{Chain: chains[postB1], User: volB1}, []string{"admin", "center"}},
		{auth.ManageUser, auth.Target{Chain: chains[postA1], User: staffA1}, []string{"admin", "center"}},
		{auth.IssueCode, auth.Target{Chain: chains[postA1], User: volA1}, []string{"admin", "center", "station", "post", "leader"}},
		{auth.IssueCode, auth.Target{Chain: chains[postA1], User: staffA1}, nil},
		{auth.ManageSessions, auth.Target{Chain: chains[postA1], User: volA1}, []string{"admin", "center", "station", "post", "leader", "volunteer"}},
		{auth.ManageTokens, auth.Target{Chain: chains[postA1], User: volA1}, []string{"admin", "center"}},
		{auth.ReadAudit, auth.Target{Chain: chains["430682"]}, []string{"admin", "center"}},
		{auth.ReadAggregates, auth.Target{Chain: chains[townA]}, []string{"admin", "center", "station", "viewer"}},
		{auth.ReadAggregates, auth.Target{Chain: chains[townB]}, []string{"admin", "center", "viewer"}},
	} {
		for name, u := range users {
			err := auth.Authorize(u, c.act, c.target)
			want := ""
			switch {
			case contains(c.allowed, name):
			case u == nil || u.Disabled:
				want = civmap.EUNAUTHORIZED
			default:
				want = civmap.EFORBIDDEN
			}
			if got := civmap.ErrorCode(err); got != want {
				t.Errorf("%s on %v as %s: %q (%v), want %q", c.act, fmt.Sprint(c.target.Chain), name, got, err, want)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
