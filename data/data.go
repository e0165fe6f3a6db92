// Package data embeds the reference datasets civmap ships in its binary; see README.md for the
// provenance and licence of each file.
package data

import "embed"

// FS holds every embedded dataset, addressed by its path below this directory
// (for example "linxiang/divisions.csv").
//
//go:embed README.md divisions linxiang
var FS embed.FS

// Paths of the datasets in FS.
const (
	ProvincesCSV     = "divisions/provinces.csv"   // code,name
	CitiesCSV        = "divisions/cities.csv"      // code,name,provinceCode
	LinxiangCSV      = "linxiang/divisions.csv"    // code,name,level,parent_code
	LinxiangBoundary = "linxiang/boundary.geojson" // FeatureCollection, one Polygon, lon/lat (likely GCJ-02)
)
