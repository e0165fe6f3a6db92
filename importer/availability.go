package importer

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"civmap"
)

// ParseAvailability reads a volunteer's weekly availability (可服务时间), China Standard Time,
// into windows sorted by day and time, without repeats. The text is a sequence of days each
// followed by one or more time periods; separators (spaces, 、，,;；/ and line breaks) are free:
//
//	周一至周五 09:00-12:00；周六 14:00-17:00
//	周二、周四 08:30-11:30 14:30-17:00
//	每天 全天
//	周末 上午, 工作日 19:00-21:00
//
// Days: 周一…周日 (also 星期…, 礼拜…, 周天 for Sunday, or Mon…Sun), a range 周一至周五 (至, 到,
// -, ~; 周六至周一 wraps over Sunday), 每天/每日, 工作日 (Monday–Friday), 周末/双休日. Periods:
// HH:MM-HH:MM (24-hour, 24:00 may end one; 至/到/~ also join them), 全天 (00:00–24:00),
// 上午 (08:00–12:00), 下午 (14:00–18:00), 晚上 (19:00–21:00). A period applies to every day
// of the days before it; days written after periods start a new group. An empty text is no
// windows. Errors (in Chinese, quoting at most the unreadable part) for anything else: a
// period before any day, days without a period, a period that ends before it starts or
// crosses midnight, an unknown word.
func ParseAvailability(s string) ([]civmap.Window, error) {
	var out []civmap.Window
	var days []time.Weekday
	var spans [][2]int
	flush := func() error {
		if len(days) > 0 && len(spans) == 0 {
			return fmt.Errorf("星期后缺少时间段（如 09:00-12:00 或 全天）")
		}
		for _, d := range days {
			for _, sp := range spans {
				out = append(out, civmap.Window{Day: d, From: sp[0], To: sp[1]})
			}
		}
		days, spans = nil, nil
		return nil
	}
	rest := strings.TrimSpace(s)
	for {
		rest = strings.TrimLeft(rest, " \t\r\n\u3000、，,;；/／|｜")
		if rest == "" {
			break
		}
		if ds, n := matchDays(rest); n > 0 {
			if len(spans) > 0 {
				if err := flush(); err != nil {
					return nil, err
				}
			}
			days = append(days, ds...)
			rest = rest[n:]
			continue
		}
		sp, n, err := matchSpan(rest)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("无法识别“%s”（写法如：周一至周五 09:00-12:00；周六 全天）", clip(rest, 12))
		}
		if len(days) == 0 {
			return nil, fmt.Errorf("时间段“%s”前缺少星期（如 周一、每天、工作日）", clip(rest[:n], 12))
		}
		spans = append(spans, sp)
		rest = rest[n:]
	}
	if err := flush(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		if a.From != b.From {
			return a.From < b.From
		}
		return a.To < b.To
	})
	w := 0
	for i, x := range out {
		if i == 0 || x != out[w-1] {
			out[w] = x
			w++
		}
	}
	return out[:w], nil
}

const rangeJoin = `\s*(?:-|－|–|—|~|～|〜|至|到)\s*`

var (
	dayWord   = `(?:(?:周|星期|礼拜)[一二三四五六日天]|(?i:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)`
	dayRange  = regexp.MustCompile(`^(` + dayWord + `)` + rangeJoin + `(` + dayWord + `)`)
	dayOne    = regexp.MustCompile(`^` + dayWord)
	clockSpan = regexp.MustCompile(`^(\d{1,2})[:：](\d{2})` + rangeJoin + `(\d{1,2})[:：](\d{2})`)
	dayGroups = []struct {
		word string
		days []time.Weekday
	}{
		{"每天", allDays}, {"每日", allDays}, {"天天", allDays},
		{"工作日", []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}},
		{"周末", []time.Weekday{time.Saturday, time.Sunday}}, {"双休日", []time.Weekday{time.Saturday, time.Sunday}},
	}
	chineseDays = map[rune]time.Weekday{'日': time.Sunday, '天': time.Sunday, '一': time.Monday, '二': time.Tuesday,
		'三': time.Wednesday, '四': time.Thursday, '五': time.Friday, '六': time.Saturday}
	allDays   = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	namedSpan = map[string][2]int{"全天": {0, 1440}, "上午": {8 * 60, 12 * 60}, "下午": {14 * 60, 18 * 60}, "晚上": {19 * 60, 21 * 60}}
)

// matchDays matches days at the start of s: their weekdays and the bytes matched (0: none).
func matchDays(s string) ([]time.Weekday, int) {
	for _, g := range dayGroups {
		if strings.HasPrefix(s, g.word) {
			return g.days, len(g.word)
		}
	}
	if m := dayRange.FindStringSubmatch(s); m != nil {
		a, b := weekday(m[1]), weekday(m[2])
		var ds []time.Weekday
		for d := a; ; d = (d + 1) % 7 {
			ds = append(ds, d)
			if d == b {
				break
			}
		}
		return ds, len(m[0])
	}
	if m := dayOne.FindString(s); m != "" {
		return []time.Weekday{weekday(m)}, len(m)
	}
	return nil, 0
}

func weekday(w string) time.Weekday {
	if r := []rune(w); r[0] == '周' || r[0] == '星' || r[0] == '礼' {
		return chineseDays[r[len(r)-1]]
	}
	w = strings.ToLower(w)
	for d, p := range []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} {
		if strings.HasPrefix(w, p) {
			return time.Weekday(d)
		}
	}
	return time.Sunday
}

// matchSpan matches a period at the start of s: [from, to) in minutes and the bytes matched
// (0: none), or an error for a period that is not one.
func matchSpan(s string) ([2]int, int, error) {
	for w, sp := range namedSpan {
		if strings.HasPrefix(s, w) {
			return sp, len(w), nil
		}
	}
	m := clockSpan.FindStringSubmatch(s)
	if m == nil {
		return [2]int{}, 0, nil
	}
	n := func(x string) int { v, _ := strconv.Atoi(x); return v }
	h1, m1, h2, m2 := n(m[1]), n(m[2]), n(m[3]), n(m[4])
	from, to := h1*60+m1, h2*60+m2
	if m1 > 59 || m2 > 59 || h1 > 23 || to > 1440 {
		return [2]int{}, 0, fmt.Errorf("时间“%s”不是 00:00–24:00 之间的时刻", m[0])
	}
	if to <= from {
		return [2]int{}, 0, fmt.Errorf("时间段“%s”的结束须晚于开始（跨午夜请分成两段）", m[0])
	}
	return [2]int{from, to}, len(m[0]), nil
}

// clip returns s cut to at most n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
