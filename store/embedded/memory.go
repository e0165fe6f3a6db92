package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"civmap"
	"civmap/geo"
	"civmap/store"
	"civmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/quadtree"
	"github.com/uber/h3-go/v4"
)

// memory is the in-memory copy of the data file with its indexes.
type memory struct {
	sites      map[string]civmap.Site
	venues     map[string]civmap.Venue
	areas      map[string]store.Area
	activities map[int64]civmap.Activity
	needs      map[int64]civmap.Need

	siteTree, venueTree, activityTree *quadtree.Quadtree
	// needsBySite[code] holds the ids of the needs site code is responsible for: the needs tile
	// layer draws needs at their site's point (never their own), so it walks the sites in the
	// tile's bound and their needs.
	needsBySite map[string]map[int64]struct{}

	// counts[layer][res][cell] is the number of points of layer (activities or needs) in cell.
	counts map[tiles.Layer][]map[h3.Cell]int
	// centers caches the centre of every cell that has held a point: cluster queries filter
	// cells by centre, and computing one is a cgo call into the H3 library.
	centers map[h3.Cell]orb.Point

	// The dispatch issue: volunteers (volunteers.go, nearest.go), teams (teams.go) and the
	// workflow's assignments and indexes of needs (orders.go).
	vols  volunteerIndex
	teams teamIndex
	// assignments[need] are the need's assignments, by volunteer id; needsByVolunteer[v] the
	// needs volunteer v has an assignment in (NeedFilter.VolunteerID).
	assignments      map[int64][]civmap.Assignment
	needsByVolunteer map[int64]map[int64]struct{}
	// needByReceipt[hash] is the need with that receipt hash (unique in the data file).
	needByReceipt map[string]int64
}

// item is a quadtree entry: a point and the key of its record.
type item struct {
	p    orb.Point
	code string
	id   int64
}

func (i item) Point() orb.Point { return i.p }

var world = orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}

func newMemory() *memory {
	m := &memory{
		sites: map[string]civmap.Site{}, venues: map[string]civmap.Venue{}, areas: map[string]store.Area{},
		activities: map[int64]civmap.Activity{}, needs: map[int64]civmap.Need{},
		siteTree: quadtree.New(world), venueTree: quadtree.New(world),
		activityTree: quadtree.New(world), needsBySite: map[string]map[int64]struct{}{},
		counts: map[tiles.Layer][]map[h3.Cell]int{}, centers: map[h3.Cell]orb.Point{},
		vols: newVolunteerIndex(), teams: newTeamIndex(),
		assignments: map[int64][]civmap.Assignment{}, needsByVolunteer: map[int64]map[int64]struct{}{},
		needByReceipt: map[string]int64{},
	}
	for _, l := range []tiles.Layer{tiles.LayerActivities, tiles.LayerNeeds} {
		m.counts[l] = make([]map[h3.Cell]int, geo.MaxClusterRes+1)
		for r := range m.counts[l] {
			m.counts[l][r] = map[h3.Cell]int{}
		}
	}
	return m
}

func sameCode(code string) quadtree.FilterFunc {
	return func(p orb.Pointer) bool { return p.(item).code == code }
}

func sameID(id int64) quadtree.FilterFunc {
	return func(p orb.Pointer) bool { return p.(item).id == id }
}

func (m *memory) putSite(s civmap.Site) {
	if old, ok := m.sites[s.Code]; ok {
		m.siteTree.Remove(item{p: old.Location.Point, code: old.Code}, sameCode(old.Code))
	}
	m.sites[s.Code] = s
	m.siteTree.Add(item{p: s.Location.Point, code: s.Code})
}

func (m *memory) putVenue(v civmap.Venue) {
	if old, ok := m.venues[v.Code]; ok {
		m.venueTree.Remove(item{p: old.Location.Point, code: old.Code}, sameCode(old.Code))
	}
	m.venues[v.Code] = v
	m.venueTree.Add(item{p: v.Location.Point, code: v.Code})
}

// addActivity adds a new activity: to the map, and to the quadtree and counts unless it is
// hidden by moderation (tiles and clusters show visible records only).
func (m *memory) addActivity(a civmap.Activity) {
	m.activities[a.ID] = a
	m.indexActivity(a, +1)
}

// indexActivity adds (delta +1) or removes (−1) a visible activity's quadtree entry and counts;
// a hidden activity has none.
func (m *memory) indexActivity(a civmap.Activity, delta int) {
	if a.Moderation.Hidden {
		return
	}
	if delta > 0 {
		m.activityTree.Add(item{p: a.Location.Point, id: a.ID})
	} else {
		m.activityTree.Remove(item{p: a.Location.Point, id: a.ID}, sameID(a.ID))
	}
	m.count(tiles.LayerActivities, a.Location.Point, delta)
}

// replaceActivity stores a in place of the activity with its id, moving its quadtree entry and
// counts (and adding or removing them when its moderation changed).
func (m *memory) replaceActivity(a civmap.Activity) {
	if old, ok := m.activities[a.ID]; ok {
		m.indexActivity(old, -1)
	}
	m.addActivity(a)
}

// addNeed adds a new need: to the map and the receipt index, and to needsBySite and the
// counts unless it is hidden.
func (m *memory) addNeed(n civmap.Need) {
	m.needs[n.ID] = n
	if n.ReceiptHash != "" {
		if id, ok := m.needByReceipt[n.ReceiptHash]; !ok || n.ID < id {
			m.needByReceipt[n.ReceiptHash] = n.ID
		}
	}
	m.indexNeed(n, +1)
}

// setNeed stores n in place of the need with its id when only its workflow fields changed
// (status, queue, order, texts, times): its site, location and moderation, hence its index
// entries and counts, stay as they are.
func (m *memory) setNeed(n civmap.Need) {
	if old, ok := m.needs[n.ID]; !ok || old.SiteCode != n.SiteCode || old.Location != n.Location ||
		old.Moderation.Hidden != n.Moderation.Hidden || old.ReceiptHash != n.ReceiptHash {
		m.replaceNeed(n)
		return
	}
	m.needs[n.ID] = n
}

// indexNeed adds (delta +1) or removes (−1) a visible need's entry in needsBySite and its
// counts; a hidden need has none.
func (m *memory) indexNeed(n civmap.Need, delta int) {
	if n.Moderation.Hidden {
		return
	}
	ids := m.needsBySite[n.SiteCode]
	if delta > 0 {
		if ids == nil {
			ids = map[int64]struct{}{}
			m.needsBySite[n.SiteCode] = ids
		}
		ids[n.ID] = struct{}{}
	} else {
		delete(ids, n.ID)
		if len(ids) == 0 {
			delete(m.needsBySite, n.SiteCode)
		}
	}
	m.count(tiles.LayerNeeds, n.Location.Point, delta)
}

// replaceNeed stores n in place of the need with its id, moving its index entries.
func (m *memory) replaceNeed(n civmap.Need) {
	if old, ok := m.needs[n.ID]; ok {
		m.indexNeed(old, -1)
	}
	m.addNeed(n)
}

// moveActivity gives activity id a new location, moving its quadtree entry and cluster counts.
func (m *memory) moveActivity(id int64, loc civmap.Location) {
	a, ok := m.activities[id]
	if !ok {
		return
	}
	a.Location = loc
	m.replaceActivity(a)
}

// moveNeed gives need id a new location, moving its cluster counts (the needs layer draws needs
// at their site's point, so no spatial index holds the need's own point).
func (m *memory) moveNeed(id int64, loc civmap.Location) {
	n, ok := m.needs[id]
	if !ok {
		return
	}
	n.Location = loc
	m.replaceNeed(n)
}

// count adds delta to the cells holding p at every kept resolution.
func (m *memory) count(l tiles.Layer, p orb.Point, delta int) {
	for r := geo.MinClusterRes; r <= geo.MaxClusterRes; r++ {
		c, err := geo.Cell(p, r)
		if err != nil {
			continue // r is in range by construction
		}
		m.counts[l][r][c] += delta
		if m.counts[l][r][c] == 0 {
			delete(m.counts[l][r], c)
		}
		if _, ok := m.centers[c]; !ok && delta > 0 {
			m.centers[c] = geo.CellCenter(c)
		}
	}
}

// fromMicros converts stored Unix microseconds to a UTC time.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

const siteColumns = `code, id, name, level, parent_code, division_code, address, lon, lat, coord_source,
	precision, demo, updated_us`

// scanSite reads a site selected with siteColumns.
func scanSite(row scanner) (civmap.Site, error) {
	var s civmap.Site
	var us int64
	if err := row.Scan(&s.Code, &s.ID, &s.Name, &s.Level, &s.ParentCode, &s.DivisionCode, &s.Address,
		&s.Location.Point[0], &s.Location.Point[1], &s.Location.Source, &s.Location.Precision, &s.Demo, &us); err != nil {
		return civmap.Site{}, err
	}
	s.UpdatedAt = fromMicros(us)
	return s, nil
}

// load reads the tables of sites, venues, areas, activities, needs, teams, volunteers and
// assignments into a new memory (hidden activities and needs in the maps only, not in the tile
// and cluster indexes).
func load(ctx context.Context, db *sql.DB) (*memory, error) {
	m := newMemory()
	rows, err := db.QueryContext(ctx, `SELECT `+siteColumns+` FROM sites`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		s, err := scanSite(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		m.putSite(s)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}

	rows, err = db.QueryContext(ctx, `SELECT code, id, name, type, level, site_code, address,
		lon, lat, coord_source, precision, demo, updated_us FROM venues`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var v civmap.Venue
		var us int64
		if err := rows.Scan(&v.Code, &v.ID, &v.Name, &v.Type, &v.Level, &v.SiteCode, &v.Address,
			&v.Location.Point[0], &v.Location.Point[1], &v.Location.Source, &v.Location.Precision, &v.Demo, &us); err != nil {
			rows.Close()
			return nil, err
		}
		v.UpdatedAt = fromMicros(us)
		m.putVenue(v)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}

	rows, err = db.QueryContext(ctx, `SELECT code, name, level, geojson FROM areas`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var a store.Area
		var js string
		if err := rows.Scan(&a.Code, &a.Name, &a.Level, &js); err != nil {
			rows.Close()
			return nil, err
		}
		g, err := geojson.UnmarshalGeometry([]byte(js))
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("area %s: %w", a.Code, err)
		}
		a.Polygon = g.Geometry()
		m.areas[a.Code] = a
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}

	rows, err = db.QueryContext(ctx, `SELECT id, title, content_area, platform, start_us, end_us, place_code,
		place_lon, place_lat, site_code, lon, lat, coord_source, precision, status, demo, created_us, hidden,
		hidden_reason FROM activities`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var a civmap.Activity
		var startUS, endUS, createdUS int64
		var plon, plat sql.NullFloat64
		if err := rows.Scan(&a.ID, &a.Title, &a.ContentArea, &a.Platform, &startUS, &endUS, &a.Place.Code,
			&plon, &plat, &a.SiteCode, &a.Location.Point[0], &a.Location.Point[1], &a.Location.Source,
			&a.Location.Precision, &a.Status, &a.Demo, &createdUS, &a.Moderation.Hidden, &a.Moderation.Reason); err != nil {
			rows.Close()
			return nil, err
		}
		a.Start, a.End, a.CreatedAt = fromMicros(startUS), fromMicros(endUS), fromMicros(createdUS)
		if plon.Valid && plat.Valid {
			a.Place.Point = &orb.Point{plon.Float64, plat.Float64}
		}
		m.addActivity(a)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}

	rows, err = db.QueryContext(ctx, `SELECT `+needColumns+` FROM needs`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		n, err := scanNeed(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		m.addNeed(n)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	if err := loadTeams(ctx, db, m); err != nil {
		return nil, err
	}
	if err := loadVolunteers(ctx, db, m); err != nil {
		return nil, err
	}
	if err := loadAssignments(ctx, db, m); err != nil {
		return nil, err
	}
	return m, nil
}

func closeRows(rows *sql.Rows) error {
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}
