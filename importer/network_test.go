package importer

import (
	"fmt"
	"testing"

	"civmap"
	"civmap/store"
)

// A row the store rejects is reported on its own and the others are written without it.
func TestPutRowsRetries(t *testing.T) {
	var calls [][]int
	rejected := map[int]string{}
	idx, ch, err := putRows(4, "volunteers", func(idx []int) ([]store.Change, error) {
		calls = append(calls, append([]int(nil), idx...))
		for j, i := range idx {
			if i == 1 || i == 3 {
				return nil, civmap.FieldErrorf(fmt.Sprintf("volunteers[%d].mentor_id", j), "no such mentor")
			}
		}
		return make([]store.Change, len(idx)), nil
	}, func(i int, field, msg string) { rejected[i] = field + ": " + msg })
	if err != nil || fmt.Sprint(idx) != "[0 2]" || len(ch) != 2 || fmt.Sprint(calls) != "[[0 1 2 3] [0 2 3] [0 2]]" ||
		fmt.Sprint(rejected) != "map[1:mentor_id: no such mentor 3:mentor_id: no such mentor]" {
		t.Errorf("putRows = %v, %v, %v; calls %v, rejected %v", idx, ch, err, calls, rejected)
	}
	// Other errors end it.
	_, _, err = putRows(2, "volunteers", func([]int) ([]store.Change, error) {
		return nil, civmap.FieldErrorf("teams[0].name", "x")
	}, func(int, string, string) { t.Error("rejected a row for another batch's error") })
	if civmap.ErrorField(err) != "teams[0].name" {
		t.Errorf("foreign error: %v", err)
	}
}

func TestLooksLikeIDNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"430682199001011234": true, "43068219900101123x": true, "身份证 430682 1990 0101 1234": true, "430682900101123": true,
		"13800138000": false, "29.481997000000001": false, "6222021234567890123": false, "张三": false, "": false,
	} {
		if got := looksLikeIDNumber(s); got != want {
			t.Errorf("looksLikeIDNumber(%q) = %v", s, got)
		}
	}
}
