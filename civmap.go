// Package civmap holds the domain types every civmap package shares: the practice network's
// sites and auxiliary venues, activities, needs, where each of them is, and the application error.
// It does no I/O.
//
// Geometry here is always WGS-84 longitude/latitude in degrees (EPSG:4326), as orb.Point{lon, lat}.
// GCJ-02 and BD-09 exist only at the edges (package geo).
package civmap
