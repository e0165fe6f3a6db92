package gazetteer_test

import (
	"fmt"

	"github.com/paulmach/orb"

	"civmap"
	"civmap/geo/gazetteer"
)

func ExampleGazetteer_Geocode() {
	g, err := gazetteer.Linxiang()
	if err != nil {
		panic(err)
	}
	r := g.Geocode("湖南岳阳临湘羊楼司镇龙窖山村村委会3组")
	fmt.Println(r.Code, r.Name, r.Level, r.Confidence)
	for _, s := range r.Spans {
		fmt.Printf("%s %s %q\n", s.Level, s.Code, s.Text)
	}
	// Output:
	// 430682114239 龙窖山村 village 1
	// province 43 "湖南"
	// prefecture 4306 "岳阳"
	// county 430682 "临湘"
	// town 430682114 "羊楼司镇"
	// village 430682114239 "龙窖山村村委会"
}

func ExampleGazetteer_Geocode_ambiguous() {
	g, err := gazetteer.National()
	if err != nil {
		panic(err)
	}
	r := g.Geocode("江苏鼓楼区")
	fmt.Println(r.Code, r.Name, r.Ambiguous)
	for _, c := range r.Candidates {
		fmt.Println(c.Code, c.Name)
	}
	// Output:
	// 32 江苏省 true
	// 320106 鼓楼区
	// 320302 鼓楼区
}

func ExampleGazetteer_PointOf() {
	g, err := gazetteer.NewLinxiang()
	if err != nil {
		panic(err)
	}
	// A placeholder point for the town (lon, lat in WGS-84 degrees), as geo/placement makes them.
	if err := g.SetPoint("430682114", orb.Point{113.53, 29.33}, civmap.CoordSynthetic); err != nil {
		panic(err)
	}
	p, src, prec, ok := g.PointOf("430682114239") // a village of that town, without a point of its own
	fmt.Println(p, src, prec, ok)
	// Output:
	// [113.53 29.33] synthetic town true
}
