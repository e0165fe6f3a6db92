package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"civmap"
	"civmap/store"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// DemoNotice is shown next to every demo record.
const DemoNotice = "示例数据"

// DemoVenues returns placeholder venues for sites: a 农家书屋 and a 文化广场 per post, a 综合文化站
// and a 党群服务中心 per station, a 图书馆 and a 文化馆 for the center. Each sits 150 m from its
// site (synthetic position, flagged Demo) and has the code "{site code}V{nn}".
func DemoVenues(sites []civmap.Site) []civmap.Venue {
	kinds := map[civmap.Level][]civmap.VenueType{
		civmap.LevelCenter:  {"图书馆", "文化馆"},
		civmap.LevelStation: {"综合文化站", "党群服务中心"},
		civmap.LevelPost:    {"农家书屋", "文化广场"},
	}
	var out []civmap.Venue
	for _, s := range sites {
		for i, k := range kinds[s.Level] {
			bearing := 60.0 + 180*float64(i)
			p := geo.PointAtBearingAndDistance(s.Location.Point, bearing, 150)
			code := fmt.Sprintf("%sV%02d", s.Code, i+1)
			out = append(out, civmap.Venue{
				ID: civmap.FeatureID(code), Code: code, Name: baseName(s) + string(k), Type: k, Level: s.Level,
				SiteCode: s.Code, Address: s.Address,
				Location: civmap.Location{Point: round6(p), Source: civmap.CoordSynthetic, Precision: s.Location.Precision},
				Demo:     true,
			})
		}
	}
	return out
}

// baseName is the division part of a site's name ("长城社区" of "长城社区新时代文明实践站").
func baseName(s civmap.Site) string {
	t := s.Level.Title()
	if len(s.Name) > len(t) && s.Name[len(s.Name)-len(t):] == t {
		return s.Name[:len(s.Name)-len(t)]
	}
	return s.Name
}

func round6(p orb.Point) orb.Point {
	return orb.Point{float64(int64(p[0]*1e6+0.5)) / 1e6, float64(int64(p[1]*1e6+0.5)) / 1e6}
}

var activityTitles = map[civmap.Platform][]string{
	"理论宣讲": {"党的二十大精神宣讲", "“屋场会”政策宣讲", "理论微宣讲进村组"},
	"志愿服务": {"关爱留守儿童志愿服务", "空巢老人上门探访", "环境卫生大扫除"},
	"教育服务": {"四点半课堂", "家庭教育讲座", "暑期托管服务"},
	"文化惠民": {"送戏下乡文艺演出", "广场舞展演", "农家书屋读书会"},
	"创业科技": {"农技专家田间课堂", "电商直播培训", "茶叶种植技术培训"},
	"体育健康": {"义诊进社区", "全民健身运动会", "健康知识讲座"},
	"平安法治": {"普法宣传进万家", "反诈宣传", "矛盾纠纷调解"},
	"网络文明": {"网络安全宣传周", "文明上网倡议", "老年人智能手机课堂"},
}

var needDescriptions = map[civmap.NeedCategory]string{
	"理论宣讲": "希望有人来村里讲讲新政策", "普法宣传": "想咨询土地承包相关法律问题",
	"生态绿色环保": "村口垃圾需要清理", "卫生健康": "家中老人需要上门测量血压",
	"科技农技": "茶园病虫害需要技术指导", "教育体育": "孩子暑假需要辅导作业",
	"文化艺术": "想组织一次广场舞培训", "爱心帮扶": "独居老人需要帮忙采购生活用品",
	"网络文明": "老人想学用智能手机缴费", "扫黄打非": "发现非法出版物需要举报处理",
	"文明劝导": "路口乱停车需要劝导", "其他": "需要志愿者帮忙搬运物资",
}

// Demo returns demo activities and needs for sites, relative to now: per station and a third of
// the posts, one past, one current and one or two upcoming activities; needs at about half of
// the posts, within 800 m of them. The pseudo-random choices use a fixed seed, so the same sites
// and now give the same data.
func Demo(sites []civmap.Site, now time.Time) ([]civmap.Activity, []civmap.Need) {
	r := rand.New(rand.NewPCG(430682, 2021))
	now = now.Truncate(time.Hour)
	var acts []civmap.Activity
	for i, s := range sites {
		if s.Level == civmap.LevelPost && i%3 != 0 {
			continue
		}
		for k, offset := range []time.Duration{-72 * time.Hour, -time.Hour, 26 * time.Hour, 24 * 5 * time.Hour} {
			if k == 3 && r.IntN(2) == 0 {
				continue
			}
			pf := civmap.Platforms[r.IntN(len(civmap.Platforms))]
			titles := activityTitles[pf]
			acts = append(acts, civmap.Activity{
				Title:       titles[r.IntN(len(titles))],
				ContentArea: civmap.ContentAreas[r.IntN(len(civmap.ContentAreas))],
				Platform:    pf,
				Start:       now.Add(offset), End: now.Add(offset + time.Duration(2+r.IntN(3))*time.Hour),
				Place: civmap.Place{Code: s.Code}, SiteCode: s.Code, Location: s.Location,
				Status: civmap.ActivityPlanned, Demo: true,
			})
		}
	}
	var needs []civmap.Need
	for _, s := range sites {
		if s.Level != civmap.LevelPost || r.IntN(2) == 0 {
			continue
		}
		for n := 1 + r.IntN(2); n > 0; n-- {
			cat := civmap.NeedCategories[r.IntN(len(civmap.NeedCategories))]
			p := round6(geo.PointAtBearingAndDistance(s.Location.Point, r.Float64()*360, 100+r.Float64()*700))
			needs = append(needs, civmap.Need{
				Category: cat, Description: needDescriptions[cat] + "（示例）",
				Place: civmap.Place{Point: &p}, SiteCode: s.Code,
				Location:  civmap.Location{Point: p, Source: civmap.CoordSynthetic, Precision: civmap.PrecisionExact},
				Status:    civmap.NeedStatuses[r.IntN(4)],
				CreatedAt: now.Add(-time.Duration(r.IntN(14*24)) * time.Hour), Demo: true,
			})
		}
	}
	return acts, needs
}

// LoadDemo adds the demo venues, activities and needs for the sites in st, unless demo venues
// are already there (so restarting with --demo adds nothing twice). It returns how many records
// it added.
func LoadDemo(ctx context.Context, st store.Store, now time.Time) (int, error) {
	venues, err := st.ListVenues(ctx, store.VenueFilter{})
	if err != nil {
		return 0, err
	}
	for _, v := range venues {
		if v.Demo {
			return 0, nil
		}
	}
	sites, err := st.ListSites(ctx, store.SiteFilter{})
	if err != nil {
		return 0, err
	}
	dv := DemoVenues(sites)
	if _, err := st.Put(ctx, store.Batch{Venues: dv, InsertOnly: true}); err != nil {
		return 0, err
	}
	acts, needs := Demo(sites, now)
	for _, a := range acts {
		if _, err := st.CreateActivity(ctx, a); err != nil {
			return 0, err
		}
	}
	for _, n := range needs {
		if _, _, err := st.CreateNeed(ctx, n); err != nil {
			return 0, err
		}
	}
	return len(dv) + len(acts) + len(needs), nil
}
