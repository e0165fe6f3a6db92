package postgis

import (
	"context"
	"fmt"
	"strings"

	"civmap"
	"civmap/geo"
	"civmap/store"
	"civmap/tiles"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/uber/h3-go/v4"
)

// ClusterCounts returns the non-zero H3 counts of layer at res with cell centres in bound
// (inclusive), ordered by cell, leaving out records hidden by moderation; see store.Clusters.
// The cells come from h3_cells (GiST on the centre, exact comparison on the stored doubles);
// each count is an index-only GROUP BY on the layer's partial h3_{res} index (WHERE NOT
// hidden). EINVALID for another layer or a resolution outside geo.MinClusterRes–MaxClusterRes.
func (s *Store) ClusterCounts(ctx context.Context, layer tiles.Layer, res int, bound orb.Bound) ([]store.CellCount, error) {
	if layer != tiles.LayerActivities && layer != tiles.LayerNeeds {
		return nil, civmap.FieldErrorf("layer", "clusters exist for activities and needs, not %q", layer)
	}
	if res < geo.MinClusterRes || res > geo.MaxClusterRes {
		return nil, civmap.FieldErrorf("res", "resolution %d is outside %d–%d", res, geo.MinClusterRes, geo.MaxClusterRes)
	}
	// layer and res are checked above: safe to format into the statement.
	rows, _ := s.pool.Query(ctx, fmt.Sprintf(`SELECT t.h3_%[2]d, count(*) FROM %[1]s t
		WHERE t.h3_%[2]d IN (SELECT cell FROM h3_cells c WHERE c.res = %[2]d
			AND c.center && ST_MakeEnvelope($1, $2, $3, $4, 4326)
			AND c.center_lon BETWEEN $1 AND $3 AND c.center_lat BETWEEN $2 AND $4)
			AND NOT t.hidden
		GROUP BY t.h3_%[2]d ORDER BY t.h3_%[2]d`, layer, res),
		bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1])
	var out []store.CellCount
	err := forEach(rows, func(r pgx.Row) error {
		var c int64
		var n int
		err := r.Scan(&c, &n)
		out = append(out, store.CellCount{Cell: h3.Cell(c), Count: n})
		return err
	})
	return out, wrap("cluster counts", err)
}

// Tile renders the layers of tile t in one query; see store.Tiler. Each layer is a
// ST_AsMVT(…) sub-select over ST_AsMVTGeom(geom3857, ST_TileEnvelope(z, x, y), 4096, 64, true),
// with the feature id column set and the properties of tiles.Fields, exactly as the builders in
// tiles/features.go make them; the layers are concatenated in the order given. Candidate rows
// are those inside tiles.BufferedBound(t), the same bound store/embedded uses. The query runs
// under ctx (cancelled when the client goes away) and the pool's statement timeout.
func (s *Store) Tile(ctx context.Context, layers []tiles.Layer, t maptile.Tile) ([]byte, error) {
	if len(layers) == 0 {
		return nil, nil
	}
	var parts []string
	for _, l := range layers {
		q, ok := layerSQL[l]
		if l == tiles.LayerClusters {
			q, ok = clusterSQL(tiles.ClusterRes(int(t.Z))), true
		}
		if !ok {
			return nil, civmap.FieldErrorf("layer", "unknown layer %q", l)
		}
		parts = append(parts, fmt.Sprintf(`COALESCE((SELECT ST_AsMVT(q, '%s', %d, 'geom', 'id') FROM (%s) q
			WHERE q.geom IS NOT NULL), ''::bytea)`, l, tiles.Extent, q))
	}
	b := tiles.BufferedBound(t)
	sql := `WITH p AS (SELECT ST_TileEnvelope($1, $2, $3) AS env,
			ST_MakeEnvelope($4, $5, $6, $7, 4326) AS bb, $4::float8 AS x0, $5::float8 AS y0, $6::float8 AS x1, $7::float8 AS y1)
		SELECT ` + strings.Join(parts, " || ") + ` FROM p`
	var mvt []byte
	if err := s.pool.QueryRow(ctx, sql, int(t.Z), int(t.X), int(t.Y), b.Min[0], b.Min[1], b.Max[0], b.Max[1]).Scan(&mvt); err != nil {
		return nil, wrap(fmt.Sprintf("tile %d/%d/%d", t.Z, t.X, t.Y), err)
	}
	if len(mvt) == 0 {
		return nil, nil
	}
	return mvt, nil
}

// mvtGeom is the tile geometry expression of a 3857 column.
func mvtGeom(col string) string {
	return fmt.Sprintf(`ST_AsMVTGeom(%s, p.env, %d, %d, true)`, col, tiles.Extent, tiles.Buffer)
}

// pointIn filters rows of alias t whose point lies in the buffered bound of p (inclusive).
func pointIn(t string) string {
	return fmt.Sprintf(`%[1]s.geom && p.bb AND %[1]s.lon BETWEEN p.x0 AND p.x1 AND %[1]s.lat BETWEEN p.y0 AND p.y1`, t)
}

// rfc3339 formats a timestamptz column as tiles' "start"/"end" strings: UTC, whole seconds
// (truncated, as Go's time.Format does).
func rfc3339(col string) string {
	return fmt.Sprintf(`to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`, col)
}

// unix is time.Time.Unix of a timestamptz column: whole seconds, rounded down.
func unix(col string) string { return fmt.Sprintf(`floor(extract(epoch FROM %s))::int8`, col) }

// layerSQL holds, per point and boundary layer, the select whose columns are the feature id,
// the properties of tiles.Fields and geom (see tiles/features.go for the Go builders they must
// match).
var layerSQL = map[tiles.Layer]string{
	tiles.LayerSites: `SELECT s.id, s.code, s.name, s.level, 'site'::text AS kind, s.parent_code, s.coord_source,
		s.precision, s.coord_source = 'synthetic' AS placeholder, s.demo, ` + mvtGeom("s.geom3857") + ` AS geom
		FROM sites s, p WHERE ` + pointIn("s") + ` ORDER BY s.id`,
	tiles.LayerVenues: `SELECT v.id, v.code, v.name, v.level, v.type AS kind, v.site_code, v.coord_source,
		v.precision, v.coord_source = 'synthetic' AS placeholder, v.demo, ` + mvtGeom("v.geom3857") + ` AS geom
		FROM venues v, p WHERE ` + pointIn("v") + ` ORDER BY v.id`,
	tiles.LayerActivities: `SELECT a.id, a.site_code AS code, a.title AS name, COALESCE(s.level, '') AS level,
		a.platform AS kind, a.content_area, ` + rfc3339("a.start_at") + ` AS start, ` + rfc3339("a.end_at") + ` AS "end",
		` + unix("a.start_at") + ` AS start_ts, ` + unix("a.end_at") + ` AS end_ts, a.status, a.coord_source,
		a.coord_source = 'synthetic' AS placeholder, a.demo, ` + mvtGeom("a.geom3857") + ` AS geom
		FROM activities a CROSS JOIN p LEFT JOIN sites s ON s.code = a.site_code WHERE ` + pointIn("a") + ` AND NOT a.hidden
		ORDER BY a.id`,
	// Needs are drawn at their responsible site's point with its provenance, never at their own
	// (possibly a resident's home); rows are picked by the site's point, needs without a known
	// site are left out. Activities and needs hidden by moderation are never drawn.
	tiles.LayerNeeds: `SELECT n.id, n.site_code AS code, n.category AS name, s.level, n.category AS kind, n.status,
		` + unix("n.created_at") + ` AS created_ts, s.coord_source, s.precision,
		s.coord_source = 'synthetic' AS placeholder, n.demo, ` + mvtGeom("s.geom3857") + ` AS geom
		FROM sites s CROSS JOIN p JOIN needs n ON n.site_code = s.code AND NOT n.hidden WHERE ` + pointIn("s") + `
		ORDER BY n.id`,
	tiles.LayerBoundary: `SELECT a.id, a.code, a.name, a.level, 'boundary'::text AS kind, ` + mvtGeom("a.geom3857") + ` AS geom
		FROM areas a, p WHERE a.geom && p.bb ORDER BY a.id`,
}

// clusterSQL is the clusters layer at H3 resolution res: one feature per cell whose hexagon
// meets the buffered tile and holds visible (not hidden) activities or needs, id = the cell index.
func clusterSQL(res int) string {
	return fmt.Sprintf(`SELECT x.cell AS id, to_hex(x.cell) AS cell, %[1]d::int4 AS res,
		(x.activities + x.needs)::int8 AS count, x.activities, x.needs, 'cluster'::text AS kind, `+mvtGeom("x.hex3857")+` AS geom
		FROM (SELECT c.cell, c.hex3857,
			(SELECT count(*) FROM activities WHERE h3_%[1]d = c.cell AND NOT hidden) AS activities,
			(SELECT count(*) FROM needs WHERE h3_%[1]d = c.cell AND NOT hidden) AS needs
			FROM h3_cells c, p WHERE c.res = %[1]d AND c.hex && p.bb) x, p
		WHERE x.activities + x.needs > 0 ORDER BY x.cell`, res)
}
