package geo

import (
	"math"
	"strings"

	"civmap"

	"github.com/paulmach/orb"
)

// Constants of the GCJ-02 ("Mars") obfuscation: the Krasovsky 1940 ellipsoid semi-major axis and
// first eccentricity squared, as used by every published implementation of the transform
// (e.g. eviltransform, coordtransform).
const (
	gcjA  = 6378245.0              // metres
	gcjEE = 0.00669342162296594323 // e², dimensionless
)

// bdXPi is π·3000/180, the constant of Baidu's BD-09 transform from GCJ-02.
const bdXPi = math.Pi * 3000.0 / 180.0

// WGS84ToGCJ02 converts a WGS-84 lon/lat point (degrees) to GCJ-02. Points outside mainland
// China (InMainlandChina) are returned unchanged, as the Chinese map providers do.
// CGCS2000 coordinates may be passed as WGS-84 (the datums differ by well under a metre).
func WGS84ToGCJ02(p orb.Point) orb.Point {
	if !InMainlandChina(p) {
		return p
	}
	return gcjForward(p)
}

func gcjForward(p orb.Point) orb.Point {
	lon, lat := p[0], p[1]
	dLat := transformLat(lon-105.0, lat-35.0)
	dLon := transformLon(lon-105.0, lat-35.0)
	radLat := lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dLon = (dLon * 180.0) / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return orb.Point{lon + dLon, lat + dLat}
}

func transformLat(x, y float64) float64 {
	ret := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	ret += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	ret += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	ret += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return ret
}

func transformLon(x, y float64) float64 {
	ret := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	ret += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	ret += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	ret += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return ret
}

// GCJ02ToWGS84 converts a GCJ-02 lon/lat point (degrees) back to WGS-84 by fixed-point
// iteration of the forward transform until the residual is below 1e-9° (about 0.1 mm), so the
// round trip WGS-84 → GCJ-02 → WGS-84 is exact to well under 1 cm. Points outside mainland
// China are returned unchanged.
func GCJ02ToWGS84(p orb.Point) orb.Point {
	if !InMainlandChina(p) {
		return p
	}
	g := gcjForward(p)
	w := orb.Point{2*p[0] - g[0], 2*p[1] - g[1]}
	for i := 0; i < 30; i++ {
		g = gcjForward(w)
		dLon, dLat := p[0]-g[0], p[1]-g[1]
		w[0] += dLon
		w[1] += dLat
		if math.Abs(dLon) < 1e-9 && math.Abs(dLat) < 1e-9 {
			break
		}
	}
	return w
}

// GCJ02ToBD09 converts a GCJ-02 lon/lat point (degrees) to Baidu's BD-09. Source: the
// published Baidu transform (bd_encrypt) with x_pi = π·3000/180.
func GCJ02ToBD09(p orb.Point) orb.Point {
	x, y := p[0], p[1]
	z := math.Sqrt(x*x+y*y) + 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) + 0.000003*math.Cos(x*bdXPi)
	return orb.Point{z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006}
}

// BD09ToGCJ02 converts a BD-09 lon/lat point (degrees) to GCJ-02: the published closed form
// (bd_decrypt), which alone is off by up to a few centimetres, refined by fixed-point iteration
// of GCJ02ToBD09 until the residual is below 1e-9° (about 0.1 mm).
func BD09ToGCJ02(p orb.Point) orb.Point {
	x, y := p[0]-0.0065, p[1]-0.006
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdXPi)
	g := orb.Point{z * math.Cos(theta), z * math.Sin(theta)}
	for i := 0; i < 30; i++ {
		b := GCJ02ToBD09(g)
		dLon, dLat := p[0]-b[0], p[1]-b[1]
		g[0] += dLon
		g[1] += dLat
		if math.Abs(dLon) < 1e-9 && math.Abs(dLat) < 1e-9 {
			break
		}
	}
	return g
}

// WGS84ToBD09 converts WGS-84 to BD-09 through GCJ-02 (never directly).
func WGS84ToBD09(p orb.Point) orb.Point { return GCJ02ToBD09(WGS84ToGCJ02(p)) }

// BD09ToWGS84 converts BD-09 to WGS-84 through GCJ-02.
func BD09ToWGS84(p orb.Point) orb.Point { return GCJ02ToWGS84(BD09ToGCJ02(p)) }

// PolygonGCJ02ToWGS84 converts every vertex of a GCJ-02 polygon to WGS-84 (a new polygon).
func PolygonGCJ02ToWGS84(p orb.Polygon) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		out[i] = make(orb.Ring, len(r))
		for j, pt := range r {
			out[i][j] = GCJ02ToWGS84(pt)
		}
	}
	return out
}

// ParseCRS maps the name of a datum to a converter of its lon/lat (degrees) to WGS-84: wgs84
// (also EPSG:4326, gps, and cgcs2000/EPSG:4490, which equals WGS-84 to well under a metre),
// gcj02 (火星坐标, as AMap and Tencent use) or bd09 (bd09ll, Baidu). Case, '-' and '_' are
// ignored. EINVALID naming "crs" for any other name.
func ParseCRS(s string) (func(orb.Point) orb.Point, error) {
	switch strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(s), "-", ""), "_", "")) {
	case "wgs84", "epsg4326", "4326", "gps", "cgcs2000", "epsg4490", "4490":
		return func(p orb.Point) orb.Point { return p }, nil
	case "gcj02", "gcj", "火星坐标", "高德", "腾讯":
		return GCJ02ToWGS84, nil
	case "bd09", "bd09ll", "百度":
		return BD09ToWGS84, nil
	}
	return nil, civmap.FieldErrorf("crs", "未知坐标系“%s”(want wgs84, gcj02, bd09 or cgcs2000)", s)
}
