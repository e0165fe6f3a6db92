// Package geo is civmap's pure geodesy: conversions between the WGS-84, GCJ-02 and BD-09 datums
// used by Chinese maps, and H3 grid-cell helpers. Every function takes and returns orb.Point
// values in longitude/latitude order, in degrees; the datum is in each function's name.
// Distances come from orb/geo (haversine on a sphere of radius 6,378,137 m) and are in metres.
package geo
