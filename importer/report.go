package importer

import (
	"fmt"
	"io"
)

// Write prints the report for the operator (Chinese, with English in brackets): the totals,
// then every rejected row with its line, column and reason, then every accepted row with what
// writing it did.
func (r Report) Write(w io.Writer) {
	fmt.Fprintf(w, "文件 %s：%d 行，接受 %d 行，拒绝 %d 行 (%d rows, %d accepted, %d rejected)\n",
		r.File, r.Rows, len(r.Accepted), len(r.Rejected), r.Rows, len(r.Accepted), len(r.Rejected))
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
		fmt.Fprintf(w, "  接受 第 %d 行 %s %s：%s (%s)\n", x.Line, x.Kind, x.Code, x.Change, x.Source)
	}
}
