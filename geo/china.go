package geo

import "github.com/paulmach/orb"

// InMainlandChina reports whether a lon/lat point lies in the area where Chinese map providers
// apply the GCJ-02 offset: the bounding box lon 72.004–137.8347°, lat 0.8293–55.8271° used by
// the published transform implementations.
func InMainlandChina(p orb.Point) bool {
	return p[0] >= 72.004 && p[0] <= 137.8347 && p[1] >= 0.8293 && p[1] <= 55.8271
}
