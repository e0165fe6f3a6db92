package store

// MaxPlaceDistanceM is the service area's rule for a bare point (a need placed at lon/lat, a
// volunteer's home): at most this many metres (great-circle) from the nearest practice site.
// Farther than this a point is outside the service area and rejected (api, importer).
const MaxPlaceDistanceM = 30000
