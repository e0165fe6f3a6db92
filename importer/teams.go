package importer

import (
	"context"
	"strings"

	"civmap"
	"civmap/store"
)

// TeamColumns are the columns of a team file, each with the headers that name it (English or
// Chinese, case-insensitive). name and site are required.
var TeamColumns = map[string][]string{
	"name":   {"name", "队伍名称", "名称", "队名"},
	"tier":   {"tier", "层级", "级别"},
	"site":   {"site", "site_code", "所属阵地", "阵地编码", "阵地"},
	"skills": {"skills", "专业", "技能", "专长"},
	"leader": {"leader", "leader_login", "队长登录名"},
}

var teamSchema = schema{columns: TeamColumns, required: []string{"name", "site"}, dropped: IDCardHeaders}

// ImportTeams reads a CSV (UTF-8 or GBK/GB18030) or XLSX file of volunteer teams (columns:
// TeamColumns) and writes the accepted rows with one store.Volunteers.PutTeams (all or none),
// with Import's semantics (report, all-or-nothing unless opt.Partial, opt.DryRun, idempotent
// re-import). A team is its (site, name): a row updates the stored team of that name at that
// site, else it is inserted. The site is a code or a name; the tier (市级/镇级/村级 or
// municipal/town/village) defaults from the site's level and must fit it (a municipal team at
// the center, a town team at a station, a village team at a post); skills as for volunteers;
// the leader is a user's login. An empty cell (or a missing column) keeps the stored value.
func ImportTeams(ctx context.Context, st store.Store, name string, data []byte, opt Options) (Report, error) {
	rep := Report{File: name, Kind: KindTeams, DryRun: opt.DryRun, Partial: opt.Partial}
	rows, err := readKind(name, data, &opt, teamSchema, &rep)
	if err != nil {
		return rep, err
	}
	net, err := loadNetwork(ctx, st)
	if err != nil {
		return rep, err
	}
	stored, err := st.ListTeams(ctx, store.TeamFilter{})
	if err != nil {
		return rep, err
	}
	bySiteName := map[[2]string]civmap.Team{}
	for _, t := range stored {
		bySiteName[[2]string{t.SiteCode, t.Name}] = t
	}
	leaders := map[string]int64{} // login → user id (0: no such user)

	type record struct {
		line int
		t    civmap.Team
	}
	var recs []record
	seen := map[[2]string]int{}
	for i, r := range rows {
		if opt.Progress != nil {
			opt.Progress(i, len(rows))
		}
		f := r.Fields
		label := f["name"]
		reject := func(field, format string, args ...any) { rep.reject(r.Line, label, field, format, args...) }
		if c, ok := idNumberCell(f, "name", "site", "skills", "leader", "tier"); ok {
			label = ""
			reject(c, "疑似身份证号码：不导入、不显示 (looks like an ID-card number; never stored)")
			continue
		}
		if label == "" {
			reject("name", "缺少队伍名称 (name is required)")
			continue
		}
		if f["site"] == "" {
			reject("site", "缺少所属阵地 (site is required)")
			continue
		}
		site, reason := net.site(f["site"])
		if reason != "" {
			reject("site", "%s", reason)
			continue
		}
		want, ok := civmap.TierForLevel(site.Level)
		if !ok {
			reject("site", "%s 是基地，不设志愿服务队伍（请选中心、所或站）(a base has no teams)", site.Name)
			continue
		}
		k := [2]string{site.Code, label}
		if first := seen[k]; first != 0 {
			reject("name", "同一阵地的队伍名称与第 %d 行重复 (duplicate team)", first)
			continue
		}
		t, found := bySiteName[k]
		if !found {
			t = civmap.Team{Name: label, SiteCode: site.Code, Tier: want}
		}
		if c := f["tier"]; c != "" {
			tier, ok := parseTier(c)
			if !ok {
				reject("tier", "未知层级“%s”(want 市级/镇级/村级 or municipal/town/village)", clip(c, 10))
				continue
			}
			if tier != want {
				reject("tier", "层级“%s”与阵地不符：%s 的队伍应为%s (the tier does not fit the site's level)", clip(c, 10), site.Name, tierName(want))
				continue
			}
		}
		t.Tier = want
		if c := f["skills"]; c != "" {
			sk, reason := parseSkills(c)
			if reason != "" {
				reject("skills", "%s", reason)
				continue
			}
			t.Skills = sk
		}
		if login := f["leader"]; login != "" {
			id, ok := leaders[login]
			if !ok {
				u, err := st.UserByLogin(ctx, login)
				switch {
				case err == nil:
					id = u.ID
				case civmap.ErrorCode(err) == civmap.ENOTFOUND:
				default:
					return rep, err
				}
				leaders[login] = id
			}
			if id == 0 {
				reject("leader", "队长登录名“%s”不存在 (no user has this login)", clip(login, 30))
				continue
			}
			t.LeaderID = id
		}
		if err := t.Validate(); err != nil {
			reject(teamColumn(civmap.ErrorField(err)), "%s", civmap.ErrorMessage(err))
			continue
		}
		seen[k] = r.Line
		recs = append(recs, record{line: r.Line, t: t})
	}
	if opt.Progress != nil {
		opt.Progress(len(rows), len(rows))
	}

	dry := func() bool { return opt.DryRun || (len(rep.Rejected) > 0 && !opt.Partial) }
	var written bool
	idx, changes, err := putRows(len(recs), "teams", func(idx []int) ([]store.Change, error) {
		ts := make([]civmap.Team, len(idx))
		for j, i := range idx {
			ts[j] = recs[i].t
		}
		written = !dry()
		_, ch, err := st.PutTeams(ctx, ts, !written)
		return ch, err
	}, func(i int, field, msg string) {
		rep.reject(recs[i].line, recs[i].t.Name, teamColumn(field), "%s", msg)
	})
	if err != nil {
		return rep, err
	}
	for j, i := range idx {
		rep.add(Accepted{Line: recs[i].line, Code: recs[i].t.Name, Kind: "team", Change: changes[j]})
	}
	return rep, rep.finish(!written)
}

// teamColumn is the file column of a civmap.Team field named in an error.
func teamColumn(field string) string {
	switch field {
	case "site_code":
		return "site"
	case "leader_id":
		return "leader"
	}
	return field
}

// parseTier reads a 层级 cell.
func parseTier(s string) (civmap.TeamTier, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "市级", "市", "总队", "专业队", "municipal", "city", civmap.TierMunicipal.Title():
		return civmap.TierMunicipal, true
	case "镇级", "镇", "街道", "乡镇", "镇（街道）级", "大队", "town", civmap.TierTown.Title():
		return civmap.TierTown, true
	case "村级", "村", "社区", "村（社区）级", "中队", "village", civmap.TierVillage.Title():
		return civmap.TierVillage, true
	}
	return "", false
}

func tierName(t civmap.TeamTier) string {
	return map[civmap.TeamTier]string{civmap.TierMunicipal: "市级", civmap.TierTown: "镇级", civmap.TierVillage: "村级"}[t]
}

// idNumberCell returns the first of the row's text columns that holds what looks like an
// ID-card number.
func idNumberCell(f map[string]string, cols ...string) (string, bool) {
	for _, c := range cols {
		if looksLikeIDNumber(f[c]) {
			return c, true
		}
	}
	return "", false
}
