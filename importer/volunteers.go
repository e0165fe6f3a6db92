package importer

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"civmap"
	"civmap/store"
)

// VolunteerColumns are the columns of a volunteer file, each with the headers that name it
// (English or Chinese, case-insensitive). Only name is required.
var VolunteerColumns = map[string][]string{
	"name":         {"name", "姓名"},
	"phone":        {"phone", "mobile", "手机号", "手机", "手机号码", "联系电话"},
	"skills":       {"skills", "skill", "技能", "专长"},
	"teams":        {"teams", "team", "所属队伍", "队伍"},
	"site":         {"site", "site_code", "所属阵地", "阵地编码", "阵地", "站点"},
	"address":      {"address", "住址", "地址", "家庭住址"},
	"lon":          {"lon", "lng", "longitude", "经度"},
	"lat":          {"lat", "latitude", "纬度"},
	"crs":          {"crs", "坐标系"},
	"core":         {"core", "骨干", "骨干志愿者"},
	"availability": {"availability", "可服务时间", "服务时间"},
	"on_duty":      {"on_duty", "在岗"},
	"max_open":     {"max_open", "最多同时接单"},
	"active":       {"active", "status", "状态"},
}

// IDCardHeaders name ID-card number columns (lower-case). A volunteer or team file may have
// one: it is recognised only to be dropped — its cells are never read into a row, stored,
// logged or shown — and the report says so (Report.Dropped).
var IDCardHeaders = []string{"身份证号", "身份证", "身份证号码", "公民身份号码", "证件号码", "id_card", "idcard", "id_number"}

var volunteerSchema = schema{columns: VolunteerColumns, required: []string{"name"}, dropped: IDCardHeaders}

// ImportVolunteers reads a CSV (UTF-8 or GBK/GB18030) or XLSX file of volunteers (columns:
// VolunteerColumns), checks every row and writes the accepted ones with one
// store.Volunteers.PutVolunteers (all or none), with Import's semantics: any rejected row
// rejects the file unless opt.Partial, opt.DryRun stores nothing, the report gives each row's
// change or its line, column and reason, and re-importing a file changes nothing.
//
// A row updates the stored volunteer with its phone number; a row with a phone nobody has, or
// without a phone, updates the one volunteer of that name at that site (one with no phone, for
// a row with a phone), else it is inserted; two such namesakes reject the row. An updated
// volunteer keeps what the file does not say: a column the file lacks or an empty cell leaves
// the stored value (and the account link, mentor and open orders are never touched by an
// import); a new volunteer gets the defaults (active, not core, off duty, at most 2 open
// orders, no windows).
//
// The site (所属阵地) is a code or a name; without one, the stored volunteer's, else the site
// of the division the address geocodes to. The home point is the row's lon/lat (in its crs),
// else the geocoded address (the gazetteer's precision), else the stored one, else the site's
// point; a point more than store.MaxPlaceDistanceM from every site is outside the service area.
func ImportVolunteers(ctx context.Context, st store.Store, name string, data []byte, opt Options) (Report, error) {
	rep := Report{File: name, Kind: KindVolunteers, DryRun: opt.DryRun, Partial: opt.Partial}
	rows, err := readKind(name, data, &opt, volunteerSchema, &rep)
	if err != nil {
		return rep, err
	}
	net, err := loadNetwork(ctx, st)
	if err != nil {
		return rep, err
	}
	teams, err := st.ListTeams(ctx, store.TeamFilter{})
	if err != nil {
		return rep, err
	}
	stored, err := st.ListVolunteers(ctx, store.VolunteerFilter{})
	if err != nil {
		return rep, err
	}
	vi := volunteerImport{opt: opt, net: net, teams: map[string][]civmap.Team{}, byPhone: map[string]civmap.Volunteer{},
		bySiteName: map[[2]string][]civmap.Volunteer{}}
	for _, t := range teams {
		vi.teams[t.Name] = append(vi.teams[t.Name], t)
	}
	for _, v := range stored {
		if v.Phone != "" {
			vi.byPhone[v.Phone] = v
		}
		k := [2]string{v.SiteCode, v.Name}
		vi.bySiteName[k] = append(vi.bySiteName[k], v)
	}

	type record struct {
		line  int
		label string
		v     civmap.Volunteer
	}
	var recs []record
	phones, people, ids := map[string]int{}, map[[2]string]int{}, map[int64]int{}
	for i, r := range rows {
		if opt.Progress != nil {
			opt.Progress(i, len(rows))
		}
		v, label, field, reason := vi.row(r)
		if reason == "" {
			switch k := [2]string{v.SiteCode, v.Name}; {
			case v.Phone != "" && phones[v.Phone] != 0:
				field, reason = "phone", fmt.Sprintf("手机号与第 %d 行重复 (duplicate phone)", phones[v.Phone])
			case v.ID != 0 && ids[v.ID] != 0:
				field, reason = "name", fmt.Sprintf("与第 %d 行是同一名志愿者 (the same volunteer as another row)", ids[v.ID])
			case v.Phone == "" && people[k] != 0:
				field, reason = "name", fmt.Sprintf("同一阵地的同名志愿者与第 %d 行重复，请填写手机号区分 (duplicate name at the site)", people[k])
			default:
				if v.Phone != "" {
					phones[v.Phone] = r.Line
				}
				if v.ID != 0 {
					ids[v.ID] = r.Line
				}
				if v.Phone == "" {
					people[k] = r.Line
				}
			}
		}
		if reason != "" {
			rep.reject(r.Line, label, field, "%s", reason)
			continue
		}
		recs = append(recs, record{line: r.Line, label: label, v: v})
	}
	if opt.Progress != nil {
		opt.Progress(len(rows), len(rows))
	}

	dry := func() bool { return opt.DryRun || (len(rep.Rejected) > 0 && !opt.Partial) }
	var written bool
	idx, changes, err := putRows(len(recs), "volunteers", func(idx []int) ([]store.Change, error) {
		vs := make([]civmap.Volunteer, len(idx))
		for j, i := range idx {
			vs[j] = recs[i].v
		}
		written = !dry()
		_, ch, err := st.PutVolunteers(ctx, vs, !written)
		return ch, err
	}, func(i int, field, msg string) {
		rep.reject(recs[i].line, recs[i].label, volunteerColumn(field), "%s", msg)
	})
	if err != nil {
		return rep, err
	}
	for j, i := range idx {
		rep.add(Accepted{Line: recs[i].line, Code: recs[i].label, Kind: "volunteer", Change: changes[j], Source: recs[i].v.Home.Source})
	}
	return rep, rep.finish(!written)
}

// readKind reads a volunteer or team file (CSV or XLSX) with sc, noting its dropped columns.
func readKind(name string, data []byte, opt *Options, sc schema, rep *Report) ([]Row, error) {
	format, err := fileFormat(name, opt.Format)
	if err != nil {
		return nil, err
	}
	if format != "csv" && format != "xlsx" {
		return nil, civmap.FieldErrorf("format", "%s: %s files are CSV or XLSX, not %s", name, rep.Kind, format)
	}
	rows, dropped, err := readRows(name, data, format, opt.Encoding, sc)
	if err != nil {
		return nil, err
	}
	rep.Rows, rep.Dropped = len(rows), dropped
	return rows, opt.defaults()
}

// volunteerColumn is the file column of a civmap.Volunteer field named in a store error.
func volunteerColumn(field string) string {
	switch field {
	case "site_code":
		return "site"
	case "windows":
		return "availability"
	case "coord_source", "precision", "":
		return "lon"
	}
	return field
}

type volunteerImport struct {
	opt        Options
	net        *network
	teams      map[string][]civmap.Team
	byPhone    map[string]civmap.Volunteer
	bySiteName map[[2]string][]civmap.Volunteer
}

// row turns a row into the volunteer to write, or says which column is at fault and why.
// label names the row in the report (the volunteer's name).
func (vi *volunteerImport) row(r Row) (v civmap.Volunteer, label, field, reason string) {
	f := r.Fields
	// An ID-card number in any text cell is refused, and nothing of the row is echoed.
	if c, ok := idNumberCell(f, "name", "phone", "skills", "teams", "site", "address", "availability", "core", "on_duty", "active"); ok {
		return v, "", c, "疑似身份证号码：不导入、不显示 (looks like an ID-card number; never stored)"
	}
	label = f["name"]
	if label == "" {
		return v, "", "name", "缺少姓名 (name is required)"
	}
	phone := ""
	if f["phone"] != "" {
		phone = normalizePhone(f["phone"])
		if !civmap.ValidMobile(phone) {
			return v, label, "phone", "手机号不是 11 位大陆手机号码（1 开头，第二位 3–9）(not a mainland mobile number)"
		}
	}

	// Where: the site and the home point.
	var loc civmap.Location
	var divCode string
	hasPoint := f["lon"] != "" || f["lat"] != "" || f["address"] != ""
	if hasPoint {
		var reason string
		loc, divCode, field, reason = locate(r, vi.opt)
		if reason != "" {
			return v, label, field, reason
		}
		if d := vi.net.distanceToNearest(loc.Point); d > store.MaxPlaceDistanceM {
			field := "lon"
			if f["lon"] == "" {
				field = "address"
			}
			return v, label, field, fmt.Sprintf("位置 (%.6f, %.6f) 距最近的实践阵地 %.1f 公里，超出服务范围（至多 %d 公里）(outside the service area)",
				loc.Point[0], loc.Point[1], d/1000, store.MaxPlaceDistanceM/1000)
		}
	}
	var site civmap.Site
	var siteKnown bool
	if f["site"] != "" {
		s, reason := vi.net.site(f["site"])
		if reason != "" {
			return v, label, "site", reason
		}
		site, siteKnown = s, true
	}

	// Who: the stored volunteer this row is, if any.
	var base civmap.Volunteer
	found := false
	if phone != "" {
		base, found = vi.byPhone[phone]
	}
	if !found && !siteKnown && divCode == "" && f["address"] != "" && vi.opt.Geocoder != nil {
		// Coordinates place the home; the address still says where the volunteer belongs.
		if code, _, err := vi.opt.Geocoder.Geocode(f["address"]); err == nil {
			divCode = code
		}
	}
	if !found && !siteKnown && divCode != "" {
		site, siteKnown = vi.net.ofDivision(divCode)
	}
	if !found && siteKnown {
		var same []civmap.Volunteer
		for _, s := range vi.bySiteName[[2]string{site.Code, label}] {
			if phone == "" || s.Phone == "" {
				same = append(same, s)
			}
		}
		switch len(same) {
		case 1:
			base, found = same[0], true
		case 0:
		default:
			return v, label, "name", fmt.Sprintf("该阵地有 %d 名同名志愿者，请填写手机号区分 (several volunteers of this name at the site)", len(same))
		}
	}
	if found {
		v = base
		if !siteKnown {
			site, siteKnown = vi.net.byCode[base.SiteCode]
		}
	} else {
		v = civmap.Volunteer{Active: true}
	}
	if !siteKnown {
		if divCode != "" {
			return v, label, "address", "住址所在区划没有实践阵地，请填写所属阵地 (no site for the address: give the site)"
		}
		return v, label, "site", "缺少所属阵地：请填写阵地编码或名称，或填写住址 (site is required, or an address to find it)"
	}
	v.Name, v.SiteCode = label, site.Code
	if phone != "" {
		v.Phone = phone
	}
	switch {
	case hasPoint:
		v.Home = loc
	case !found:
		v.Home = site.Location
	}

	// What: skills, teams and the rest.
	if c := f["skills"]; c != "" {
		sk, reason := parseSkills(c)
		if reason != "" {
			return v, label, "skills", reason
		}
		v.Skills = sk
	}
	if c := f["teams"]; c != "" {
		ids, reason := vi.resolveTeams(c, site.Code)
		if reason != "" {
			return v, label, "teams", reason
		}
		v.Teams = ids
	}
	if c := f["availability"]; c != "" {
		ws, err := ParseAvailability(c)
		if err != nil {
			return v, label, "availability", fmt.Sprintf("可服务时间：%v (bad availability)", err)
		}
		v.Windows = ws
	}
	for _, b := range []struct {
		col string
		to  *bool
		yes []string
		no  []string
	}{
		{"core", &v.Core, nil, nil},
		{"on_duty", &v.OnDuty, []string{"在岗"}, []string{"不在岗", "离岗"}},
		{"active", &v.Active, []string{"在册", "正常", "有效", "启用", "active"}, []string{"停用", "注销", "离册", "inactive", "disabled"}},
	} {
		if c := f[b.col]; c != "" {
			val, ok := parseYesNo(c, b.yes, b.no)
			if !ok {
				return v, label, b.col, fmt.Sprintf("“%s”不是 是/否 (want 是/否, true/false, 1/0)", clip(c, 10))
			}
			*b.to = val
		}
	}
	if c := f["max_open"]; c != "" {
		n, err := strconv.ParseFloat(c, 64)
		if err != nil || n != float64(int(n)) || n < 1 || n > civmap.MaxVolunteerOpen {
			return v, label, "max_open", fmt.Sprintf("最多同时接单应为 1–%d 的整数 (max_open must be 1–%d)", civmap.MaxVolunteerOpen, civmap.MaxVolunteerOpen)
		}
		v.MaxOpen = int(n)
	}
	if err := v.Validate(); err != nil {
		return v, label, volunteerColumn(civmap.ErrorField(err)), civmap.ErrorMessage(err)
	}
	return v, label, "", ""
}

// resolveTeams reads a 所属队伍 cell: team names separated by 、，,;；/|, each the team of that
// name at the volunteer's site or its nearest ancestor, else the only team of that name.
func (vi *volunteerImport) resolveTeams(cell, siteCode string) ([]int64, string) {
	chain := vi.net.chain(siteCode)
	var ids []int64
	for _, name := range splitList(cell, false) {
		name = strings.TrimSpace(name)
		cands := vi.teams[name]
		id := int64(0)
	chain:
		for _, code := range chain {
			for _, t := range cands {
				if t.SiteCode == code {
					id = t.ID
					break chain
				}
			}
		}
		switch {
		case id != 0:
		case len(cands) == 1:
			id = cands[0].ID
		case len(cands) == 0:
			return nil, fmt.Sprintf("未知队伍“%s”(no team has this name)", clip(name, 30))
		default:
			return nil, fmt.Sprintf("队伍“%s”有 %d 支同名，且都不在本阵地或其上级 (ambiguous team name)", clip(name, 30), len(cands))
		}
		ids = append(ids, id)
	}
	return ids, ""
}

// normalizePhone removes spaces and dashes and a +86/0086/86 prefix.
func normalizePhone(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\u3000', '\t':
			return -1
		}
		return r
	}, s)
	for _, p := range []string{"+86", "0086", "86"} {
		if strings.HasPrefix(s, p) && len(s) == len(p)+11 {
			return s[len(p):]
		}
	}
	return s
}

// parseYesNo reads a yes/no cell: 是/否, true/false, 1/0, yes/no, y/n, √/×, and the words of
// yes and no.
func parseYesNo(s string, yes, no []string) (bool, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, w := range append([]string{"是", "1", "true", "yes", "y", "√", "✓", "有"}, yes...) {
		if s == w {
			return true, true
		}
	}
	for _, w := range append([]string{"否", "0", "false", "no", "n", "×", "✗", "无", "不是"}, no...) {
		if s == w {
			return false, true
		}
	}
	return false, false
}
