package importer

import (
	"fmt"
	"io"
	"sort"

	"civmap"
	"civmap/store"
)

// Write prints the report for the operator (Chinese, with English in brackets): the totals,
// then every rejected row with its line, column and reason, then every accepted row with what
// writing it did.
func (r Report) Write(w io.Writer) {
	fmt.Fprintf(w, "文件 %s：%d 行，接受 %d 行，拒绝 %d 行 (%d rows, %d accepted, %d rejected)\n",
		r.File, r.Rows, len(r.Accepted), len(r.Rejected), r.Rows, len(r.Accepted), len(r.Rejected))
	switch r.Kind {
	case KindVolunteers:
		fmt.Fprintln(w, "类型：志愿者 (volunteers)")
	case KindTeams:
		fmt.Fprintln(w, "类型：志愿服务队伍 (teams)")
	}
	for _, h := range r.Dropped {
		fmt.Fprintf(w, "已丢弃列“%s”：身份证号码不导入、不保存、不显示 (column dropped: never stored)\n", h)
	}
	switch {
	case r.DryRun:
		fmt.Fprintln(w, "试运行：未写入任何数据 (dry run: nothing stored)")
	case len(r.Rejected) > 0 && !r.Partial:
		fmt.Fprintln(w, "有行被拒绝，整个文件未导入；修正后重试，或用 --partial 只导入合格行 (nothing stored)")
	case r.Stored:
		fmt.Fprintln(w, "已写入 (stored)")
	default:
		fmt.Fprintln(w, "没有变化，未写入 (nothing changed)")
	}
	verb := "将"
	if r.Stored {
		verb = ""
	}
	fmt.Fprintf(w, "%s新增 %d，%s更新 %d，未变 %d (inserted %d, updated %d, unchanged %d)\n",
		verb, r.Inserted, verb, r.Updated, r.Unchanged, r.Inserted, r.Updated, r.Unchanged)
	for _, x := range r.Rejected {
		fmt.Fprintf(w, "  拒绝 第 %d 行 %s [%s]：%s\n", x.Line, x.Code, x.Field, x.Reason)
	}
	for _, x := range r.Accepted {
		if x.Source == "" {
			fmt.Fprintf(w, "  接受 第 %d 行 %s %s：%s\n", x.Line, x.Kind, x.Code, x.Change)
			continue
		}
		fmt.Fprintf(w, "  接受 第 %d 行 %s %s：%s (%s)\n", x.Line, x.Kind, x.Code, x.Change, x.Source)
	}
}

// add records an accepted row and counts its change.
func (r *Report) add(a Accepted) {
	switch a.Change {
	case store.Inserted:
		r.Inserted++
	case store.Updated:
		r.Updated++
	default:
		r.Unchanged++
	}
	r.Accepted = append(r.Accepted, a)
}

// reject records a rejected row.
func (r *Report) reject(line int, code, field, format string, args ...any) {
	r.Rejected = append(r.Rejected, Rejection{Line: line, Code: code, Field: field, Reason: fmt.Sprintf(format, args...)})
}

// finish sorts the rows by line, sets Stored for a batch written with dryRun, and returns the
// error of a file rejected as a whole (rejected rows without Partial).
func (r *Report) finish(dryRun bool) error {
	sort.SliceStable(r.Rejected, func(i, j int) bool { return r.Rejected[i].Line < r.Rejected[j].Line })
	sort.SliceStable(r.Accepted, func(i, j int) bool { return r.Accepted[i].Line < r.Accepted[j].Line })
	r.Stored = !dryRun && r.Inserted+r.Updated > 0
	if len(r.Rejected) > 0 && !r.Partial {
		return civmap.Errorf(civmap.EINVALID, "%s: %d 行被拒绝，整个文件未导入 (%d rows rejected; nothing stored — fix them or use --partial)",
			r.File, len(r.Rejected), len(r.Rejected))
	}
	return nil
}
