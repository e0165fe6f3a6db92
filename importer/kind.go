package importer

import (
	"context"
	"errors"

	"civmap"
	"civmap/store"
)

// Kinds of import file.
const (
	KindSites      = "sites"      // practice sites and venues: Import
	KindVolunteers = "volunteers" // volunteers: ImportVolunteers
	KindTeams      = "teams"      // volunteer teams: ImportTeams
)

// Headers that only a file of volunteers or of teams has: DetectKind looks for them.
var (
	volunteerMarks = []string{"姓名", "手机号", "手机", "手机号码", "所属队伍", "骨干", "可服务时间", "在岗",
		"phone", "mobile", "teams", "core", "availability", "on_duty"}
	teamMarks = []string{"队伍名称", "队名", "队长登录名", "tier", "leader", "leader_login"}
)

// DetectKind says what a file holds from its header: KindVolunteers when a header names a
// column only volunteer files have (姓名, 手机号, 所属队伍, 骨干, 可服务时间, an ID-card column …),
// else KindTeams when one names a team column (队伍名称, 队长登录名, tier, leader), else
// KindSites (also for every GeoJSON file). Errors are ReadFile's for an unreadable file.
func DetectKind(name string, data []byte, format, encoding string) (string, error) {
	if len(data) > MaxFileBytes {
		return "", civmap.Errorf(civmap.ETOOLARGE, "%s is %d bytes, over the limit of %d", name, len(data), MaxFileBytes)
	}
	format, err := fileFormat(name, format)
	if err != nil {
		return "", err
	}
	if format != "csv" && format != "xlsx" {
		return KindSites, nil
	}
	var header []string
	errStop := errors.New("header read")
	err = readTable(data, format, encoding, func(h []string) error { header = h; return errStop }, func(int, []string) {})
	if err != errStop {
		return "", err
	}
	has := func(marks []string) bool {
		for _, h := range header {
			h = normHeader(h)
			for _, m := range marks {
				if h == m {
					return true
				}
			}
		}
		return false
	}
	switch {
	case has(volunteerMarks) || has(IDCardHeaders):
		return KindVolunteers, nil
	case has(teamMarks):
		return KindTeams, nil
	}
	return KindSites, nil
}

// ImportKind imports a file of the given kind (KindSites, KindVolunteers, KindTeams; "" or
// "auto" detects it with DetectKind). The report's Kind says which it was.
func ImportKind(ctx context.Context, st store.Store, kind, name string, data []byte, opt Options) (Report, error) {
	if kind == "" || kind == "auto" {
		k, err := DetectKind(name, data, opt.Format, opt.Encoding)
		if err != nil {
			return Report{File: name, DryRun: opt.DryRun, Partial: opt.Partial}, err
		}
		kind = k
	}
	switch kind {
	case KindSites, "site":
		rep, err := Import(ctx, st, name, data, opt)
		rep.Kind = KindSites
		return rep, err
	case KindVolunteers, "volunteer":
		return ImportVolunteers(ctx, st, name, data, opt)
	case KindTeams, "team":
		return ImportTeams(ctx, st, name, data, opt)
	}
	return Report{File: name}, civmap.FieldErrorf("kind", "unknown kind %q (want sites, volunteers, teams or auto)", kind)
}
