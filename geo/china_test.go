package geo_test

import (
	"testing"

	"civmap/geo"

	"github.com/paulmach/orb"
)

func TestInMainlandChina(t *testing.T) {
	inside := map[string]orb.Point{ // lon, lat (WGS-84)
		"Beijing": {116.4074, 39.9042}, "Shanghai": {121.4737, 31.2304},
		"Shenzhen (near Hong Kong)": {114.0579, 22.5431}, "Zhuhai (near Macau)": {113.5767, 22.2710},
		"Haikou": {110.3312, 20.0311}, "Urumqi": {87.6168, 43.8256}, "Harbin": {126.5350, 45.8038},
		"Lhasa": {91.1409, 29.6456}, "Linxiang": {113.4403, 29.4813}, "Guangzhou": {113.2644, 23.1291},
		"Kunming": {102.8329, 24.8801}, "Kashgar": {75.9897, 39.4704}, "Hohhot": {111.7492, 40.8424},
		"Dalian": {121.6147, 38.9140}, "Xiamen": {118.0894, 24.4798}, "Sanya": {109.5119, 18.2528},
	}
	outside := map[string]orb.Point{
		"Hong Kong": {114.1694, 22.3193}, "Macau": {113.5439, 22.1987}, "Taipei": {121.5654, 25.0330},
		"Manila": {120.9842, 14.5995}, "Osaka": {135.5023, 34.6937}, "Seoul": {126.9780, 37.5665},
		"Pyongyang": {125.7625, 39.0392}, "Ulaanbaatar": {106.9057, 47.8864}, "Hanoi": {105.8342, 21.0278},
		"Kathmandu": {85.3240, 27.7172}, "Vladivostok": {131.8869, 43.1155}, "Almaty": {76.8512, 43.2220},
		"Kaohsiung": {120.3014, 22.6273}, "London": {-0.1276, 51.5072},
	}
	for name, p := range inside {
		if !geo.InMainlandChina(p) {
			t.Errorf("%s %v: outside mainland China, want inside", name, p)
		}
	}
	for name, p := range outside {
		if geo.InMainlandChina(p) {
			t.Errorf("%s %v: inside mainland China, want outside", name, p)
		}
		if got := geo.WGS84ToGCJ02(p); got != p {
			t.Errorf("WGS84ToGCJ02(%s) = %v, want unchanged", name, got)
		}
		if got := geo.GCJ02ToWGS84(p); got != p {
			t.Errorf("GCJ02ToWGS84(%s) = %v, want unchanged", name, got)
		}
		if got := geo.WGS84ToBD09(p); got != geo.GCJ02ToBD09(p) {
			t.Errorf("WGS84ToBD09(%s) = %v, want BD-09 of the unshifted point", name, got)
		}
	}
}
