package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"civmap"
	"civmap/store"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/geojson"
)

// Put writes a batch in one transaction; see store.Sites. Each inserted site, venue and area
// appends a civmap.AuditCreate record and each updated one a civmap.AuditUpdate record (before
// and after) in the same transaction; unchanged records, dry runs and rejected batches append
// none, and the activities and needs a Put moves are not audited separately. EINVALID naming
// the first bad record's field.
func (s *Store) Put(ctx context.Context, b store.Batch) (store.BatchResult, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()

	s.mu.RLock()
	err := store.ValidateBatch(b, func(code string) bool { _, ok := s.mem.sites[code]; return ok })
	s.mu.RUnlock()
	if err != nil {
		return store.BatchResult{}, err
	}

	now := s.now().UTC().Truncate(time.Microsecond) // as stored
	res := store.BatchResult{
		Sites: make([]store.Change, len(b.Sites)), Venues: make([]store.Change, len(b.Venues)),
		Areas: make([]store.Change, len(b.Areas)),
	}
	var sites []civmap.Site
	var venues []civmap.Venue
	var areas []store.Area
	areaJSON := make([]string, len(b.Areas))
	// One audit record per inserted or updated record, in input order: sites, venues, areas.
	var audit []civmap.AuditRecord
	record := func(kind, code string, old any, existed bool, x any) {
		if existed {
			audit = append(audit, store.NewAudit(ctx, now, civmap.AuditUpdate, kind, code, old, x, ""))
		} else {
			audit = append(audit, store.NewAudit(ctx, now, civmap.AuditCreate, kind, code, nil, x, ""))
		}
	}

	s.mu.RLock()
	for i, x := range b.Sites {
		x.ID = civmap.FeatureID(x.Code)
		old, ok := s.mem.sites[x.Code]
		switch {
		case ok && (b.InsertOnly || store.SameSite(old, x)):
			res.Sites[i] = store.Unchanged
			continue
		case ok:
			res.Sites[i] = store.Updated
		default:
			res.Sites[i] = store.Inserted
		}
		x.UpdatedAt = now
		sites = append(sites, x)
		if !b.DryRun {
			record(civmap.KindSite, x.Code, old, ok, x)
		}
	}
	for i, x := range b.Venues {
		x.ID = civmap.FeatureID(x.Code)
		old, ok := s.mem.venues[x.Code]
		switch {
		case ok && (b.InsertOnly || store.SameVenue(old, x)):
			res.Venues[i] = store.Unchanged
			continue
		case ok:
			res.Venues[i] = store.Updated
		default:
			res.Venues[i] = store.Inserted
		}
		x.UpdatedAt = now
		venues = append(venues, x)
		if !b.DryRun {
			record(civmap.KindVenue, x.Code, old, ok, x)
		}
	}
	for i, x := range b.Areas {
		js, err := geojson.NewGeometry(x.Polygon).MarshalJSON()
		if err != nil {
			s.mu.RUnlock()
			return store.BatchResult{}, civmap.FieldErrorf(fmt.Sprintf("areas[%d].polygon", i), "cannot encode polygon: %v", err)
		}
		areaJSON[i] = string(js)
		old, ok := s.mem.areas[x.Code]
		if ok {
			oldJS, _ := geojson.NewGeometry(old.Polygon).MarshalJSON()
			if b.InsertOnly || (old.Name == x.Name && old.Level == x.Level && string(oldJS) == areaJSON[i]) {
				res.Areas[i] = store.Unchanged
				continue
			}
			res.Areas[i] = store.Updated
		} else {
			res.Areas[i] = store.Inserted
		}
		areas = append(areas, x)
		if !b.DryRun {
			record(civmap.KindArea, x.Code, old, ok, x)
		}
	}
	moves := store.PlaceMoves(b,
		func(code string) (civmap.Site, bool) { x, ok := s.mem.sites[code]; return x, ok },
		func(code string) (civmap.Venue, bool) { x, ok := s.mem.venues[code]; return x, ok })
	s.mu.RUnlock()

	if b.DryRun || (len(sites) == 0 && len(venues) == 0 && len(areas) == 0) {
		return res, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return store.BatchResult{}, err
	}
	defer tx.Rollback()
	for _, x := range sites {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sites (code, id, name, level, parent_code, division_code,
			address, lon, lat, coord_source, precision, demo, updated_us) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (code) DO UPDATE SET name=excluded.name, level=excluded.level,
			parent_code=excluded.parent_code, division_code=excluded.division_code, address=excluded.address,
			lon=excluded.lon, lat=excluded.lat, coord_source=excluded.coord_source, precision=excluded.precision,
			demo=excluded.demo, updated_us=excluded.updated_us`,
			x.Code, x.ID, x.Name, x.Level, x.ParentCode, x.DivisionCode, x.Address, x.Location.Point[0],
			x.Location.Point[1], x.Location.Source, x.Location.Precision, x.Demo, x.UpdatedAt.UnixMicro()); err != nil {
			return store.BatchResult{}, fmt.Errorf("embedded: put site %s: %w", x.Code, err)
		}
	}
	for _, x := range venues {
		if _, err := tx.ExecContext(ctx, `INSERT INTO venues (code, id, name, type, level, site_code, address,
			lon, lat, coord_source, precision, demo, updated_us) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT (code) DO UPDATE SET name=excluded.name, type=excluded.type, level=excluded.level,
			site_code=excluded.site_code, address=excluded.address, lon=excluded.lon, lat=excluded.lat,
			coord_source=excluded.coord_source, precision=excluded.precision, demo=excluded.demo,
			updated_us=excluded.updated_us`,
			x.Code, x.ID, x.Name, x.Type, x.Level, x.SiteCode, x.Address, x.Location.Point[0], x.Location.Point[1],
			x.Location.Source, x.Location.Precision, x.Demo, x.UpdatedAt.UnixMicro()); err != nil {
			return store.BatchResult{}, fmt.Errorf("embedded: put venue %s: %w", x.Code, err)
		}
	}
	for i, x := range b.Areas {
		if res.Areas[i] == store.Unchanged {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO areas (code, name, level, geojson) VALUES (?,?,?,?)
			ON CONFLICT (code) DO UPDATE SET name=excluded.name, level=excluded.level, geojson=excluded.geojson`,
			x.Code, x.Name, x.Level, areaJSON[i]); err != nil {
			return store.BatchResult{}, fmt.Errorf("embedded: put area %s: %w", x.Code, err)
		}
	}
	moved, err := movePlaces(ctx, tx, moves)
	if err != nil {
		return store.BatchResult{}, err
	}
	for _, r := range audit {
		if err := appendAudit(ctx, tx, r); err != nil {
			return store.BatchResult{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return store.BatchResult{}, fmt.Errorf("embedded: commit: %w", err)
	}

	s.mu.Lock()
	for _, x := range sites {
		s.mem.putSite(x)
	}
	for _, x := range venues {
		s.mem.putVenue(x)
	}
	for _, x := range areas {
		s.mem.areas[x.Code] = x
	}
	for _, r := range moved.activities {
		s.mem.moveActivity(r.id, r.loc)
	}
	for _, r := range moved.needs {
		s.mem.moveNeed(r.id, r.loc)
	}
	s.mu.Unlock()
	s.version.Add(1)
	return res, nil
}

// Site returns one site; ENOTFOUND if there is none.
func (s *Store) Site(ctx context.Context, code string) (civmap.Site, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	x, ok := s.mem.sites[code]
	if !ok {
		return civmap.Site{}, errNoSite(code)
	}
	return x, nil
}

// ListSites returns the sites matching f, ordered by code.
func (s *Store) ListSites(ctx context.Context, f store.SiteFilter) ([]civmap.Site, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []civmap.Site
	for _, x := range s.mem.sites {
		if matchSite(x, f) {
			out = append(out, x)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

func matchSite(x civmap.Site, f store.SiteFilter) bool {
	return (f.Level == "" || x.Level == f.Level) &&
		(f.ParentCode == "" || x.ParentCode == f.ParentCode) &&
		(f.Bound == nil || f.Bound.Contains(x.Location.Point))
}

// NearestSites returns up to k sites nearest to p by haversine distance (orb/geo, metres),
// nearest first, ties by code. It searches growing boxes around p in the quadtree until the
// k-th candidate lies within the box's inscribed circle, so the answer is exact.
func (s *Store) NearestSites(ctx context.Context, p orb.Point, k int, f store.SiteFilter) ([]store.Near[civmap.Site], error) {
	if k <= 0 {
		return nil, civmap.FieldErrorf("k", "k must be positive")
	}
	if err := (civmap.Location{Point: p, Source: civmap.CoordImported, Precision: civmap.PrecisionExact}).Validate(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.Near[civmap.Site]
	for r := 1000.0; ; r *= 4 {
		out = out[:0]
		whole := r > 2.1e7 // half the earth's circumference: the box is the world
		var cands []civmap.Site
		if whole {
			for _, x := range s.mem.sites {
				cands = append(cands, x)
			}
		} else {
			for _, it := range s.mem.siteTree.InBound(nil, geo.NewBoundAroundPoint(p, r)) {
				cands = append(cands, s.mem.sites[it.(item).code])
			}
		}
		for _, x := range cands {
			if !matchSite(x, f) {
				continue
			}
			if d := geo.DistanceHaversine(p, x.Location.Point); whole || d <= r {
				out = append(out, store.Near[civmap.Site]{Item: x, DistanceM: d})
			}
		}
		if len(out) >= k || whole {
			break
		}
	}
	return store.SortNear(out, k), nil
}

// Venue returns one venue; ENOTFOUND if there is none.
func (s *Store) Venue(ctx context.Context, code string) (civmap.Venue, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	x, ok := s.mem.venues[code]
	if !ok {
		return civmap.Venue{}, civmap.Errorf(civmap.ENOTFOUND, "没有编码为 %s 的阵地", code)
	}
	return x, nil
}

// ListVenues returns the venues matching f, ordered by code.
func (s *Store) ListVenues(ctx context.Context, f store.VenueFilter) ([]civmap.Venue, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []civmap.Venue
	for _, x := range s.mem.venues {
		if (f.SiteCode == "" || x.SiteCode == f.SiteCode) && (f.Type == "" || x.Type == f.Type) &&
			(f.Bound == nil || f.Bound.Contains(x.Location.Point)) {
			out = append(out, x)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// ListAreas returns every area, ordered by code.
func (s *Store) ListAreas(ctx context.Context) ([]store.Area, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]store.Area, 0, len(s.mem.areas))
	for _, a := range s.mem.areas {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// movedRecord is an activity or need that a Put moved to loc.
type movedRecord struct {
	id  int64
	loc civmap.Location
}

// movedRecords lists what movePlaces changed in the data file, for the in-memory indexes.
type movedRecords struct {
	activities, needs []movedRecord
}

// movePlaces gives every activity and need placed at a moved code its new location, inside tx
// (see store.Sites.Put), and returns which records it changed.
func movePlaces(ctx context.Context, tx *sql.Tx, moves []store.Move) (movedRecords, error) {
	var out movedRecords
	for _, m := range moves {
		for _, t := range []struct {
			table string
			ids   *[]movedRecord
		}{{"activities", &out.activities}, {"needs", &out.needs}} {
			rows, err := tx.QueryContext(ctx, `UPDATE `+t.table+` SET lon = ?, lat = ?, coord_source = ?, precision = ?
				WHERE place_code = ? RETURNING id`,
				m.Location.Point[0], m.Location.Point[1], m.Location.Source, m.Location.Precision, m.Code)
			if err != nil {
				return movedRecords{}, fmt.Errorf("embedded: move %s of %s: %w", t.table, m.Code, err)
			}
			for rows.Next() {
				r := movedRecord{loc: m.Location}
				if err := rows.Scan(&r.id); err != nil {
					rows.Close()
					return movedRecords{}, fmt.Errorf("embedded: move %s of %s: %w", t.table, m.Code, err)
				}
				*t.ids = append(*t.ids, r)
			}
			if err := closeRows(rows); err != nil {
				return movedRecords{}, fmt.Errorf("embedded: move %s of %s: %w", t.table, m.Code, err)
			}
		}
	}
	return out, nil
}
