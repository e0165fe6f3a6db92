package geo

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// InMainlandChina reports whether a WGS-84 (or GCJ-02, BD-09 — the offsets are far smaller
// than the outline's accuracy) lon/lat point lies in mainland China, where Chinese map
// providers apply the GCJ-02 offset: inside the mainland or Hainan outline and outside Hong
// Kong and Macau. Taiwan, and every other country, is outside.
//
// The outlines are hand-digitised, simplified polygons (mainlandOutline, hainanOutline,
// hongKongOutline, macauOutline below), drawn for this purpose from general reference maps:
// the land borders and coasts are good to a few tens of kilometres, the Hong Kong and Macau
// boundaries (where the answer matters within a city: Shenzhen, Zhuhai) to about a kilometre.
// Offshore islands other than Hainan, Chongming and Zhoushan, and the South China Sea islands,
// are not included. Points near a border or coast may be misclassified; such a point is then
// shifted by at most the GCJ-02 offset (a few hundred metres) or not shifted.
func InMainlandChina(p orb.Point) bool {
	if !chinaBound.Contains(p) {
		return false
	}
	if planar.PolygonContains(hongKongOutline, p) || planar.PolygonContains(macauOutline, p) {
		return false
	}
	return planar.PolygonContains(mainlandOutline, p) || planar.PolygonContains(hainanOutline, p)
}

// chinaBound is the bounding box of the published GCJ-02 implementations (lon 72.004–137.8347°,
// lat 0.8293–55.8271°): a quick rejection before the polygon tests.
var chinaBound = orb.Bound{Min: orb.Point{72.004, 0.8293}, Max: orb.Point{137.8347, 55.8271}}

// mainlandOutline is mainland China without Hainan, clockwise from the Argun–Amur confluence:
// the Amur and Ussuri, the North Korean border, the coast from the Yalu to the Beilun, the
// borders with Vietnam, Laos, Myanmar, India (the line of actual control), Bhutan, Nepal,
// Pakistan, Tajikistan, Kyrgyzstan, Kazakhstan, Mongolia and Russia. WGS-84 lon/lat degrees.
var mainlandOutline = orb.Polygon{{
	{121.3, 53.35}, {123.3, 53.56}, {125.5, 53.1}, {126.5, 52.2}, {127.6, 50.2}, {129.5, 49.4},
	{130.7, 48.9}, {132.5, 47.75}, {134.75, 48.4}, {134.0, 46.7}, {133.2, 45.5}, {132.0, 45.3},
	{131.0, 44.9}, {131.3, 43.5}, {131.2, 42.9}, {130.65, 42.42}, {129.85, 42.97}, {129.0, 42.4},
	{128.05, 41.98}, {126.9, 41.75}, {125.6, 40.95}, {124.35, 40.05}, {124.1, 39.8},
	// Coast: Liaodong, Bohai, Shandong, Jiangsu, Shanghai, Zhejiang, Fujian, Guangdong.
	{123.0, 39.6}, {121.6, 38.85}, {121.15, 38.72}, {121.6, 39.45}, {122.2, 40.5}, {121.9, 40.85},
	{121.0, 40.75}, {119.7, 39.9}, {118.5, 39.0}, {117.7, 38.85}, {117.6, 38.3}, {119.1, 37.75},
	{119.2, 37.1}, {119.9, 37.2}, {120.7, 37.8}, {121.5, 37.55}, {122.7, 37.4}, {122.4, 36.9},
	{121.5, 36.75}, {120.4, 36.05}, {119.6, 35.4}, {119.4, 34.75}, {120.5, 33.7}, {121.3, 32.4},
	{121.95, 31.75}, {122.0, 31.45}, {121.95, 30.9}, {121.3, 30.65}, {121.2, 30.3}, {122.45, 30.2},
	{122.0, 29.4}, {121.7, 28.6}, {121.1, 27.9}, {120.5, 27.2}, {120.05, 26.6}, {119.75, 26.1},
	{119.85, 25.45}, {119.2, 25.0}, {118.75, 24.7}, {118.2, 24.4}, {117.5, 23.8}, {116.8, 23.25},
	{116.2, 22.9}, {115.3, 22.7}, {114.6, 22.45},
	// Across the Pearl River estuary (Hong Kong and Macau are cut out below), then west.
	{114.45, 22.1}, {113.7, 21.9}, {113.0, 21.8}, {111.9, 21.55}, {111.0, 21.4}, {110.5, 20.9},
	{110.5, 20.3}, {110.15, 20.2}, {109.7, 20.9}, {109.1, 21.45}, {108.6, 21.65}, {108.0, 21.5},
	// Land borders, from the Beilun river westwards and round to the north-east.
	{107.0, 21.9}, {106.7, 22.0}, {106.6, 22.9}, {105.3, 23.3}, {104.8, 23.0}, {103.95, 22.5},
	{102.9, 22.45}, {102.14, 22.4}, {101.75, 22.05}, {101.55, 21.47}, {101.15, 21.14}, {100.2, 21.45},
	{99.2, 22.15}, {99.25, 23.15}, {98.7, 24.1}, {97.55, 24.1}, {97.55, 24.75}, {98.0, 25.3},
	{98.7, 25.85}, {98.5, 27.6}, {97.6, 28.3}, {97.1, 28.2}, {96.0, 29.45}, {95.3, 29.1},
	{94.6, 29.3}, {93.8, 28.7}, {92.5, 27.9}, {91.6, 27.95}, {90.3, 28.25}, {89.6, 28.15},
	{89.0, 27.3}, {88.8, 27.9}, {88.1, 27.9}, {86.9, 28.0}, {85.9, 28.1}, {85.0, 28.5},
	{84.2, 28.7}, {83.3, 29.4}, {82.1, 30.2}, {81.0, 30.2}, {80.3, 30.8}, {79.4, 31.2},
	{78.7, 31.8}, {78.4, 32.5}, {78.9, 33.0}, {78.7, 34.1}, {78.0, 35.5}, {77.8, 35.6},
	{76.1, 35.9}, {75.2, 36.9}, {74.9, 37.25}, {74.8, 37.4}, {75.0, 38.5}, {73.6, 39.45},
	{73.9, 39.8}, {75.7, 40.3}, {76.8, 40.95}, {78.3, 41.4}, {79.9, 42.1}, {80.25, 42.8},
	{80.8, 43.2}, {80.4, 44.1}, {80.1, 45.0}, {82.5, 45.2}, {82.6, 46.0}, {83.0, 47.2},
	{85.5, 47.05}, {85.7, 48.4}, {87.35, 49.15}, {87.8, 48.6}, {88.5, 48.3}, {90.1, 47.9},
	{90.8, 46.9}, {91.0, 46.0}, {90.9, 45.3}, {93.5, 44.95}, {95.4, 44.3}, {96.4, 42.75},
	{97.2, 42.8}, {100.9, 42.65}, {103.0, 41.9}, {105.0, 41.6}, {107.0, 42.3}, {109.3, 42.45},
	{110.5, 42.9}, {111.9, 43.7}, {113.0, 44.4}, {114.5, 44.9}, {116.0, 45.7}, {117.4, 46.55},
	{118.7, 46.7}, {119.9, 46.75}, {119.7, 47.2}, {118.5, 47.95}, {117.8, 47.7}, {116.9, 47.9},
	{115.6, 47.9}, {116.2, 49.0}, {117.8, 49.5}, {119.2, 50.3}, {120.1, 51.6}, {121.0, 52.5},
	{121.3, 53.35},
}}

// hainanOutline is Hainan island (WGS-84 lon/lat degrees).
var hainanOutline = orb.Polygon{{
	{109.6, 20.0}, {110.2, 20.1}, {110.7, 20.1}, {111.05, 19.6}, {110.5, 18.75}, {109.6, 18.15},
	{108.9, 18.4}, {108.6, 19.2}, {109.2, 19.8}, {109.6, 20.0},
}}

// hongKongOutline is Hong Kong with its waters: north along Deep Bay and the Shenzhen River
// (Lok Ma Chau 22.513 N, Lo Wu 22.530 N, Sha Tau Kok 22.547 N), east through Mirs Bay west of the
// Dapeng peninsula, south to the Lema channel, west to Lantau's waters.
var hongKongOutline = orb.Polygon{{
	{113.82, 22.42}, {113.94, 22.505}, {114.03, 22.505}, {114.08, 22.513}, {114.12, 22.530},
	{114.17, 22.550}, {114.22, 22.547}, {114.30, 22.565}, {114.42, 22.57}, {114.42, 22.45},
	{114.50, 22.14}, {113.82, 22.14}, {113.82, 22.42},
}}

// macauOutline is Macau: the peninsula north to the Portas do Cerco (22.217 N), Taipa and Coloane,
// east of Hengqin.
var macauOutline = orb.Polygon{{
	{113.528, 22.217}, {113.555, 22.217}, {113.600, 22.190}, {113.600, 22.105}, {113.540, 22.105},
	{113.528, 22.150}, {113.528, 22.217},
}}
