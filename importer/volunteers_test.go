package importer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"civmap"
	"civmap/geo"
	"civmap/importer"
	"civmap/store"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var update = flag.Bool("update", false, "rewrite testdata/volunteers_gbk.csv from volunteerRecords")

// volunteerRecords is the volunteer file of the tests: testdata/volunteers_gbk.csv in GBK (go
// test ./importer -run TestVolunteersGBKFixture -update rewrites it) and, made in the test,
// the same rows as XLSX. Lines 2–4 are good; then a bad phone, an unknown team, an unknown
// skill, swapped coordinates, an ID-card number in the phone column and a home outside the
// service area. The 身份证号 column holds idNumbers.
var volunteerRecords = [][]string{
	{"姓名", "手机号", "身份证号", "技能", "所属队伍", "所属阵地", "住址", "经度", "纬度", "坐标系", "骨干", "可服务时间", "在岗", "最多同时接单", "状态"},
	{"张三", "13800138000", "430682199001011234", "卫生健康、理论宣讲", "长城社区志愿服务中队", "430682001001", "", "113.4431", "29.517", "wgs84", "是", "周一至周五 09:00-12:00；周六 14:00-17:00", "否", "3", "在册"},
	{"李四", "139-0013-9000", "43068219850505123X", "文化艺术/卫生健康志愿服务队", "长安街道文艺志愿服务队", "", "湖南省岳阳市临湘市长安街道长安社区", "", "", "", "否", "每天 全天", "是", "", "在册"},
	{"王五", "", "430682197712121111", "爱心帮扶", "临湘市卫生健康志愿服务队", "长城社区", "", "113.4494", "29.5141", "gcj02", "", "", "", "", ""},
	{"赵六", "12345678901", "430682198001010016", "卫生健康", "", "430682001001", "", "113.44", "29.51", "", "", "", "", "", ""},
	{"钱七", "13700137000", "430682198101010021", "理论宣讲", "不存在志愿服务队", "430682001001", "", "113.44", "29.51", "", "", "", "", "", ""},
	{"孙八", "13600136000", "430682198201010035", "飞行", "", "430682001001", "", "113.44", "29.51", "", "", "", "", "", ""},
	{"周九", "13500135000", "430682198301010040", "卫生健康", "", "430682001001", "", "29.48", "113.44", "", "", "", "", "", ""},
	{"吴十", "43068219900101567X", "", "卫生健康", "", "430682001001", "", "113.44", "29.51", "", "", "", "", "", ""},
	{"郑十一", "13300133000", "430682198401010057", "卫生健康", "", "430682001001", "", "116.40", "39.90", "", "", "", "", "", ""},
}

// idNumbers are the ID-card numbers of volunteerRecords: none may be stored or reported.
var idNumbers = []string{"430682199001011234", "43068219850505123X", "430682197712121111", "430682198001010016",
	"430682198101010021", "430682198201010035", "430682198301010040", "43068219900101567X", "430682198401010057"}

// volunteerRejects are the rejected lines of volunteerRecords and their columns.
var volunteerRejects = map[int]string{5: "phone", 6: "teams", 7: "skills", 8: "lat", 9: "phone", 10: "lon"}

func gbkCSV(t *testing.T, recs [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.WriteAll(recs)
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// xlsxOf writes recs as a workbook, numbers (lon, lat, max_open, plain phone numbers) as
// numeric cells as Excel would keep them.
func xlsxOf(t *testing.T, recs [][]string) []byte {
	f := excelize.NewFile()
	defer f.Close()
	for i, rec := range recs {
		for j, v := range rec {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			var val any = v
			if n, err := strconv.ParseFloat(v, 64); err == nil && i > 0 && j != 2 {
				val = n
			}
			if err := f.SetCellValue("Sheet1", cell, val); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestVolunteersGBKFixture(t *testing.T) {
	want := gbkCSV(t, volunteerRecords)
	path := filepath.Join("testdata", "volunteers_gbk.csv")
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s is not volunteerRecords in GBK (%v): run go test ./importer -run TestVolunteersGBKFixture -update", path, err)
	}
	if bytes.Contains(got, []byte("张三")) {
		t.Errorf("%s is not GBK", path)
	}
}

// teamsFile is testdata/teams.csv (UTF-8): a municipal, a town and a village team, the last led
// by leader-zhang.
const leaderLogin = "leader-zhang"

func addLeader(t *testing.T, st store.Store) civmap.User {
	u, err := st.CreateUser(context.Background(), civmap.User{Login: leaderLogin, Name: "张队长", Role: civmap.RoleTeamLeader,
		Scope: "430682001001", PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func importTeams(t *testing.T, st store.Store) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "teams.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := importer.ImportTeams(context.Background(), st, "teams.csv", data, options(t))
	if err != nil || rep.Inserted != 3 {
		t.Fatalf("teams: %+v, %v", rep, err)
	}
}

func TestImportVolunteers(t *testing.T) {
	gbk, err := os.ReadFile(filepath.Join("testdata", "volunteers_gbk.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"volunteers_gbk.csv", gbk},
		{"volunteers.xlsx", xlsxOf(t, volunteerRecords)},
	} {
		t.Run(c.name, func(t *testing.T) {
			stores(t, func(t *testing.T, st store.Store) {
				addLeader(t, st)
				importTeams(t, st)
				checkVolunteerImport(t, st, c.name, c.data)
			})
		})
	}
}

func report(rep importer.Report) string {
	var b strings.Builder
	rep.Write(&b)
	return b.String()
}

func checkVolunteerImport(t *testing.T, st store.Store, name string, data []byte) {
	ctx := context.Background()
	run := func(partial, dryRun bool) (importer.Report, error) {
		opt := options(t)
		opt.Partial, opt.DryRun = partial, dryRun
		rep, err := importer.ImportVolunteers(ctx, st, name, data, opt)
		for _, id := range idNumbers {
			if s := fmt.Sprintf("%+v\n%s%v", rep, report(rep), err); strings.Contains(s, id) {
				t.Errorf("the report shows ID-card number %s:\n%s", id, s)
			}
		}
		return rep, err
	}
	count := func() int {
		vs, err := st.ListVolunteers(ctx, store.VolunteerFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(vs)
	}
	checkRejects := func(rep importer.Report) {
		t.Helper()
		got := map[int]string{}
		for _, r := range rep.Rejected {
			got[r.Line] = r.Field
		}
		if fmt.Sprint(got) != fmt.Sprint(volunteerRejects) {
			t.Errorf("rejected lines → columns: %v\nwant %v\n%s", got, volunteerRejects, report(rep))
		}
		out := report(rep)
		for _, s := range []string{"已丢弃列“身份证号”", "不保存", "第 5 行", "手机号", "未知队伍“不存在志愿服务队”", "[teams]",
			"未知技能“飞行”", "经纬度可能填反了", "疑似身份证号码", "超出服务范围"} {
			if !strings.Contains(out, s) {
				t.Errorf("the report does not say %q:\n%s", s, out)
			}
		}
		if fmt.Sprint(rep.Dropped) != "[身份证号]" {
			t.Errorf("dropped columns: %v", rep.Dropped)
		}
	}

	// All or nothing: nothing stored.
	rep, err := run(false, false)
	if civmap.ErrorCode(err) != civmap.EINVALID || rep.Stored || rep.Rows != 9 || len(rep.Accepted) != 3 || rep.Inserted != 3 {
		t.Fatalf("default import: %+v, %v", rep, err)
	}
	checkRejects(rep)
	if !strings.Contains(report(rep), "--partial") {
		t.Errorf("report: %s", report(rep))
	}
	if n := count(); n != 0 {
		t.Fatalf("a rejected file stored %d volunteers", n)
	}
	// A dry run, even partial, stores nothing.
	rep, err = run(true, true)
	if err != nil || rep.Stored || rep.Inserted != 3 || !strings.Contains(report(rep), "试运行") {
		t.Fatalf("dry run: %+v, %v", rep, err)
	}
	if n := count(); n != 0 {
		t.Fatalf("a dry run stored %d volunteers", n)
	}
	// --partial stores the good rows.
	rep, err = run(true, false)
	if err != nil || !rep.Stored || rep.Inserted != 3 || rep.Updated+rep.Unchanged != 0 {
		t.Fatalf("partial import: %+v, %v\n%s", rep, err, report(rep))
	}
	checkRejects(rep)
	checkStoredVolunteers(t, st)
	before, _ := st.ListVolunteers(ctx, store.VolunteerFilter{})

	// Re-importing changes nothing; 王五 (no phone) is found again by name and site.
	rep, err = run(true, false)
	if err != nil || rep.Stored || rep.Unchanged != 3 || rep.Inserted+rep.Updated != 0 {
		t.Fatalf("re-import: %+v, %v\n%s", rep, err, report(rep))
	}
	if after, _ := st.ListVolunteers(ctx, store.VolunteerFilter{}); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("re-import changed volunteers:\n%v\n%v", before, after)
	}

	// A file of a few columns updates only those: 张三 goes on duty and keeps the rest.
	rep, err = importer.ImportVolunteers(ctx, st, "duty.csv", []byte("手机号,姓名,在岗\n138 0013 8000,张三,是\n"), options(t))
	if err != nil || rep.Updated != 1 {
		t.Fatalf("update on_duty: %+v, %v", rep, err)
	}
	if vs, _ := st.ListVolunteers(ctx, store.VolunteerFilter{Phone: "13800138000"}); len(vs) != 1 || !vs[0].OnDuty ||
		fmt.Sprint(vs[0].Skills) != "[卫生健康 理论宣讲]" || len(vs[0].Teams) != 1 || vs[0].MaxOpen != 3 || len(vs[0].Windows) != 6 {
		t.Errorf("after updating on_duty: %+v", vs)
	}

	// A phone for someone stored without one: found by name and site, the phone added.
	rep, err = importer.ImportVolunteers(ctx, st, "phone.csv", []byte("姓名,手机号,所属阵地\n王五,13200132000,430682001001\n"), options(t))
	if err != nil || rep.Updated != 1 || count() != 3 {
		t.Fatalf("add a phone: %+v, %v", rep, err)
	}
	if vs, _ := st.ListVolunteers(ctx, store.VolunteerFilter{Phone: "13200132000"}); len(vs) != 1 || vs[0].Name != "王五" || len(vs[0].Skills) != 1 {
		t.Errorf("after adding a phone: %+v", vs)
	}

	// The ID-card numbers are nowhere in the store: not in the volunteers, not in the audit log.
	vs, _ := st.ListVolunteers(ctx, store.VolunteerFilter{})
	audit, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	dump, _ := json.Marshal(audit)
	all := fmt.Sprintf("%+v", vs) + string(dump)
	for _, id := range idNumbers {
		if strings.Contains(all, id) {
			t.Errorf("ID-card number %s is stored", id)
		}
	}
	nv := 0
	for _, r := range audit {
		if r.Kind == civmap.KindVolunteer {
			nv++
		}
	}
	if nv != 5 { // three inserts, two updates
		t.Errorf("%d volunteer audit records; want 5", nv)
	}
}

// checkStoredVolunteers checks the three good rows of volunteerRecords as stored.
func checkStoredVolunteers(t *testing.T, st store.Store) {
	ctx := context.Background()
	teams, err := st.ListTeams(ctx, store.TeamFilter{})
	if err != nil {
		t.Fatal(err)
	}
	team := map[string]int64{}
	for _, tm := range teams {
		team[tm.Name] = tm.ID
	}
	vs, err := st.ListVolunteers(ctx, store.VolunteerFilter{})
	if err != nil || len(vs) != 3 {
		t.Fatalf("%d volunteers stored, %v", len(vs), err)
	}
	by := map[string]civmap.Volunteer{}
	for _, v := range vs {
		by[v.Name] = v
	}
	z := by["张三"]
	var wantWindows []civmap.Window
	for d := time.Monday; d <= time.Friday; d++ {
		wantWindows = append(wantWindows, civmap.Window{Day: d, From: 9 * 60, To: 12 * 60})
	}
	wantWindows = append(wantWindows, civmap.Window{Day: time.Saturday, From: 14 * 60, To: 17 * 60})
	if z.Phone != "13800138000" || fmt.Sprint(z.Skills) != "[卫生健康 理论宣讲]" || fmt.Sprint(z.Teams) != fmt.Sprint([]int64{team["长城社区志愿服务中队"]}) ||
		z.SiteCode != "430682001001" || z.Home != (civmap.Location{Point: orb.Point{113.4431, 29.517}, Source: civmap.CoordImported, Precision: civmap.PrecisionExact}) ||
		!z.Core || z.OnDuty || z.MaxOpen != 3 || !z.Active || fmt.Sprint(z.Windows) != fmt.Sprint(wantWindows) {
		t.Errorf("张三: %+v", z)
	}
	// No coordinates: the address is geocoded (a placeholder village point) and names the site.
	l := by["李四"]
	if l.Phone != "13900139000" || fmt.Sprint(l.Skills) != "[卫生健康 文化艺术]" || fmt.Sprint(l.Teams) != fmt.Sprint([]int64{team["长安街道文艺志愿服务队"]}) ||
		l.SiteCode != "430682001002" || l.Home.Source != civmap.CoordSynthetic || l.Home.Precision != civmap.PrecisionVillage ||
		!l.OnDuty || l.Core || l.MaxOpen != civmap.DefaultMaxOpen || len(l.Windows) != 7 || l.Windows[0] != (civmap.Window{Day: time.Sunday, From: 0, To: 1440}) {
		t.Errorf("李四: %+v", l)
	}
	// GCJ-02 in, WGS-84 stored; the site by the start of its name; a municipal team by name.
	w := by["王五"]
	if w.Phone != "" || w.SiteCode != "430682001001" || !near(w.Home.Point, geo.GCJ02ToWGS84(orb.Point{113.4494, 29.5141})) ||
		fmt.Sprint(w.Teams) != fmt.Sprint([]int64{team["临湘市卫生健康志愿服务队"]}) || !w.Active || w.Core || w.OnDuty {
		t.Errorf("王五: %+v", w)
	}
}

func TestImportTeams(t *testing.T) {
	stores(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		leader := addLeader(t, st)
		data, err := os.ReadFile(filepath.Join("testdata", "teams.csv"))
		if err != nil {
			t.Fatal(err)
		}
		opt := options(t)
		opt.DryRun = true
		if rep, err := importer.ImportTeams(ctx, st, "teams.csv", data, opt); err != nil || rep.Inserted != 3 || rep.Stored {
			t.Fatalf("dry run: %+v, %v", rep, err)
		}
		if ts, _ := st.ListTeams(ctx, store.TeamFilter{}); len(ts) != 0 {
			t.Fatalf("a dry run stored %d teams", len(ts))
		}
		importTeams(t, st)
		ts, err := st.ListTeams(ctx, store.TeamFilter{})
		if err != nil || len(ts) != 3 {
			t.Fatalf("teams: %v, %v", ts, err)
		}
		by := map[string]civmap.Team{}
		for _, tm := range ts {
			by[tm.Name] = tm
		}
		if m := by["临湘市卫生健康志愿服务队"]; m.Tier != civmap.TierMunicipal || m.SiteCode != "430682" || fmt.Sprint(m.Skills) != "[卫生健康]" {
			t.Errorf("municipal team: %+v", m)
		}
		if m := by["长安街道文艺志愿服务队"]; m.Tier != civmap.TierTown || m.SiteCode != "430682001" || fmt.Sprint(m.Skills) != "[教育体育 文化艺术]" {
			t.Errorf("town team (site by name): %+v", m)
		}
		if m := by["长城社区志愿服务中队"]; m.Tier != civmap.TierVillage || m.SiteCode != "430682001001" || m.LeaderID != leader.ID {
			t.Errorf("village team (tier from the site's level): %+v", m)
		}
		rep, err := importer.ImportTeams(ctx, st, "teams.csv", data, options(t))
		if err != nil || rep.Unchanged != 3 || rep.Stored {
			t.Errorf("re-import: %+v, %v", rep, err)
		}

		bad := "name,tier,site,skills,leader\n" +
			"长城社区志愿服务中队,,430682001001,爱心帮扶,\n" + // 2: good (an update)
			"队伍甲,municipal,430682001001,,\n" + // 3: tier of another level
			"队伍乙,,430682999999,,\n" + // 4: unknown site
			"队伍丙,,430682001001,,nobody\n" + // 5: unknown leader
			"队伍丁,,430682001001,飞行,\n" + // 6: unknown skill
			"长城社区志愿服务中队,,长城社区,,\n" + // 7: the same team as line 2
			",,430682001001,,\n" + // 8: no name
			"队伍戊,市级级,430682,,\n" // 9: unknown tier
		rep, err = importer.ImportTeams(ctx, st, "bad.csv", []byte(bad), options(t))
		want := map[int]string{3: "tier", 4: "site", 5: "leader", 6: "skills", 7: "name", 8: "name", 9: "tier"}
		got := map[int]string{}
		for _, r := range rep.Rejected {
			got[r.Line] = r.Field
		}
		if civmap.ErrorCode(err) != civmap.EINVALID || fmt.Sprint(got) != fmt.Sprint(want) || rep.Stored {
			t.Errorf("bad teams: %v, %v; want %v\n%s", got, err, want, report(rep))
		}
		for _, s := range []string{"nobody", "不存在", "应为村级"} {
			if !strings.Contains(report(rep), s) {
				t.Errorf("the report does not say %q:\n%s", s, report(rep))
			}
		}
		opt = options(t)
		opt.Partial = true
		rep, err = importer.ImportTeams(ctx, st, "bad.csv", []byte(bad), opt)
		if err != nil || rep.Updated != 1 || !rep.Stored {
			t.Errorf("partial: %+v, %v", rep, err)
		}
		if tm, _ := st.Team(ctx, by["长城社区志愿服务中队"].ID); fmt.Sprint(tm.Skills) != "[爱心帮扶]" || tm.LeaderID != leader.ID {
			t.Errorf("an empty leader cell must keep the leader: %+v", tm)
		}
	})
}

func TestDetectKind(t *testing.T) {
	for file, want := range map[string]string{
		"volunteers_gbk.csv": importer.KindVolunteers, "teams.csv": importer.KindTeams, "sites_gbk.csv": importer.KindSites,
		"sites.xlsx": importer.KindSites, "sites.geojson": importer.KindSites,
	} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := importer.DetectKind(file, data, "", ""); err != nil || got != want {
			t.Errorf("DetectKind(%s) = %s, %v; want %s", file, got, err, want)
		}
	}
	if got, err := importer.DetectKind("v.xlsx", xlsxOf(t, volunteerRecords), "", ""); err != nil || got != importer.KindVolunteers {
		t.Errorf("DetectKind(xlsx of volunteers) = %s, %v", got, err)
	}
	if got, _ := importer.DetectKind("v.csv", []byte("name,phone\n"), "", ""); got != importer.KindVolunteers {
		t.Errorf("English volunteer header: %s", got)
	}
	if _, err := importer.DetectKind("v.csv", nil, "", ""); civmap.ErrorField(err) != "header" {
		t.Errorf("empty file: %v", err)
	}
}

func TestReadVolunteerFileErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name, data, field string
	}{
		{"v.csv", "手机号,技能\n13800138000,卫生健康\n", "header"}, // no name column
		{"v.geojson", `{"type":"FeatureCollection","features":[]}`, "format"},
		{"v.csv", "姓名,手机,手机号\n", "header"}, // two phone columns
	} {
		_, err := importer.ImportVolunteers(ctx, nil, c.name, []byte(c.data), importer.Options{})
		if civmap.ErrorCode(err) != civmap.EINVALID || civmap.ErrorField(err) != c.field {
			t.Errorf("ImportVolunteers(%s, %q) = %v; want EINVALID on %s", c.name, c.data, err, c.field)
		}
	}
}

func TestParseAvailability(t *testing.T) {
	w := func(d time.Weekday, from, to int) civmap.Window { return civmap.Window{Day: d, From: from, To: to} }
	for in, want := range map[string][]civmap.Window{
		"":                 nil,
		"周一 09:00-12:00":   {w(1, 540, 720)},
		"周一至周三 9:00-10:30": {w(1, 540, 630), w(2, 540, 630), w(3, 540, 630)},
		"周六至周一 全天":         {w(0, 0, 1440), w(1, 0, 1440), w(6, 0, 1440)},
		"星期二、礼拜四 08:30~11:30 14:30至17:00": {w(2, 510, 690), w(2, 870, 1020), w(4, 510, 690), w(4, 870, 1020)},
		"周末 上午，工作日 19:00-21:00；周日 20:00-24:00": {w(0, 480, 720), w(0, 1200, 1440), w(1, 1140, 1260), w(2, 1140, 1260),
			w(3, 1140, 1260), w(4, 1140, 1260), w(5, 1140, 1260), w(6, 480, 720)},
		"Mon-Wed 09:00-10:00; sat 下午":   {w(1, 540, 600), w(2, 540, 600), w(3, 540, 600), w(6, 840, 1080)},
		"周一 09:00-12:00 周一 09:00-12:00": {w(1, 540, 720)},
	} {
		got, err := importer.ParseAvailability(in)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("ParseAvailability(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"09:00-12:00", "周一", "周一 12:00-09:00", "周一 22:00-02:00", "周一 25:00-26:00",
		"周一 09:60-10:00", "周八 09:00-10:00", "周一 上班时间", "周一 09:00-24:01"} {
		if got, err := importer.ParseAvailability(in); err == nil {
			t.Errorf("ParseAvailability(%q) = %v; want an error", in, got)
		}
	}
}
