// Package store declares the storage interfaces civmap's services use. Two implementations
// follow the same contract, checked by one conformance suite (store/storetest): store/embedded
// (the zero-setup default: a SQLite file plus in-memory indexes) and store/postgis (production).
//
// Every method takes a context; every write is durable before it returns nil and appends its
// audit record (NewAudit: the actor comes from the context, civmap.WithActor) in the same
// transaction. Errors are *civmap.Error values with the codes each method names; anything else
// is EINTERNAL.
package store

import (
	"context"
	"time"

	"civmap"
	"civmap/tiles"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/uber/h3-go/v4"
)

// Store is everything the service needs from storage.
type Store interface {
	Sites
	Venues
	Areas
	Activities
	Needs
	Clusters
	Tiler
	Accounts
	Throttle
	Audit
	Volunteers
	Orders
	Outbox
	Secrets
	// Version is a number that changes whenever data that tiles, lists or pages show changes
	// (not on account, session or audit writes); caches key on it.
	Version(ctx context.Context) (int64, error)
	Close() error
}

// Change says what a write did to one record.
type Change string

const (
	Inserted  Change = "inserted"
	Updated   Change = "updated"
	Unchanged Change = "unchanged"
)

// Batch is a set of sites, venues and areas written in one transaction (an import file).
type Batch struct {
	Sites  []civmap.Site
	Venues []civmap.Venue
	Areas  []Area
	// InsertOnly keeps existing records untouched (Unchanged) instead of updating them.
	InsertOnly bool
	// DryRun computes the changes and rolls back.
	DryRun bool
}

// BatchResult has one Change per input record, in input order.
type BatchResult struct {
	Sites  []Change
	Venues []Change
	Areas  []Change
}

// Sites stores the practice network's sites.
type Sites interface {
	// Put validates every record, then inserts or updates sites, venues and areas by code, all
	// in one transaction: either every record is written or none (EINVALID naming the first bad
	// record's field). IDs are FeatureID(code); UpdatedAt is set for inserted and updated rows.
	//
	// Activities and needs placed at a site or venue code (Place.Code) hold a copy of its
	// Location. When Put changes the Location (point, source or precision) of an existing site
	// or venue, every activity and need placed at that code takes the new Location in the same
	// transaction, and its H3 cluster cells move with it (see PlaceMoves for which codes move; a
	// code names the site when a site and a venue share it). Records placed at a bare point
	// (Place.Point) never move. DryRun and InsertOnly batches move nothing. (Callers resolve a
	// record's Location before CreateActivity/CreateNeed; one created from a Location read
	// before a moving Put committed keeps that Location.)
	Put(ctx context.Context, b Batch) (BatchResult, error)
	// Site returns the site with code; ENOTFOUND if there is none.
	Site(ctx context.Context, code string) (civmap.Site, error)
	// SiteChain returns the codes from the place with code up to the top of the network: for a
	// site, its own code, its parent's, … the center's; for a venue, the venue's code followed
	// by its site's chain (a code shared by a site and a venue names the site). The chain ends
	// early at a parent that does not exist, and after 16 codes. ENOTFOUND when no site or
	// venue has code. Authorization decides scope with it (auth.InScope).
	SiteChain(ctx context.Context, code string) ([]string, error)
	// ListSites returns the sites matching f, ordered by code.
	ListSites(ctx context.Context, f SiteFilter) ([]civmap.Site, error)
	// NearestSites returns up to k sites nearest to p (WGS-84 lon/lat) by great-circle
	// distance, nearest first (ties by code), with their distances in metres.
	NearestSites(ctx context.Context, p orb.Point, k int, f SiteFilter) ([]Near[civmap.Site], error)
}

// Near is a result of a nearest-neighbour search.
type Near[T any] struct {
	Item      T
	DistanceM float64 // metres
}

// SiteFilter narrows ListSites; zero fields do not filter.
type SiteFilter struct {
	Level      civmap.Level
	ParentCode string     // direct children of this site
	Bound      *orb.Bound // WGS-84 lon/lat degrees, inclusive
}

// Venues stores auxiliary venues (written with Sites.Put).
type Venues interface {
	// Venue returns the venue with code; ENOTFOUND if there is none.
	Venue(ctx context.Context, code string) (civmap.Venue, error)
	// ListVenues returns the venues matching f, ordered by code.
	ListVenues(ctx context.Context, f VenueFilter) ([]civmap.Venue, error)
}

// VenueFilter narrows ListVenues; zero fields do not filter.
type VenueFilter struct {
	SiteCode string
	Type     civmap.VenueType
	Bound    *orb.Bound
}

// Area is a division outline shown on the boundary layer.
type Area struct {
	Code    string
	Name    string
	Level   string       // county | town | village
	Polygon orb.Geometry // orb.Polygon or orb.MultiPolygon, WGS-84 lon/lat degrees
}

// Areas stores division outlines (written with Sites.Put).
type Areas interface {
	// ListAreas returns every area, ordered by code.
	ListAreas(ctx context.Context) ([]Area, error)
}

// Activities stores activities.
type Activities interface {
	// CreateActivity validates and stores a new activity, assigning ID and CreatedAt (when
	// zero), and updates the cluster counts in the same transaction. EINVALID for bad input.
	CreateActivity(ctx context.Context, a civmap.Activity) (civmap.Activity, error)
	// Activity returns one activity; ENOTFOUND if there is none.
	Activity(ctx context.Context, id int64) (civmap.Activity, error)
	// ListActivities returns the activities matching f, ordered by start time then id.
	ListActivities(ctx context.Context, f ActivityFilter) ([]civmap.Activity, error)
	// UpdateActivity validates a and replaces the stored activity a.ID with it (everything but
	// ID, CreatedAt, Demo and Moderation, which stay as stored), moving its point and cluster
	// cells when its Location changed. ENOTFOUND, EINVALID.
	UpdateActivity(ctx context.Context, a civmap.Activity) (civmap.Activity, error)
	// Moderate sets the moderation of the activity (kind civmap.KindActivity) or need
	// (civmap.KindNeed) with id: a hidden record leaves public lists, tiles, cluster counts
	// and pages, and comes back when unhidden. Audited as civmap.AuditHide or AuditUnhide with
	// the reason; setting the moderation it already has changes nothing. ENOTFOUND, EINVALID.
	Moderate(ctx context.Context, kind string, id int64, m civmap.Moderation) error
}

// ActivityFilter narrows ListActivities; zero fields do not filter.
type ActivityFilter struct {
	SiteCode string     // activities of this site
	EndAfter time.Time  // activities that end after this instant (current and upcoming)
	Bound    *orb.Bound // WGS-84 lon/lat degrees
	Limit    int        // at most this many (0: no limit)
	// IncludeHidden includes activities hidden by moderation (for staff); without it they
	// are left out.
	IncludeHidden bool
}

// Needs stores residents' needs.
type Needs interface {
	// CreateNeed validates and stores a new need, assigning ID and CreatedAt (when zero), with
	// Queue = SiteCode, Version 0 and UpdatedAt = CreatedAt, and updates the cluster counts; in
	// the same transaction it appends the need's first history event and outbox notification
	// (workflow.Submitted) and its audit record; it returns Inserted. When n.DedupeKey
	// is set and a need with the same key was created within civmap.NeedDedupeWindow of
	// n.CreatedAt (before or after it: racing submissions reach the store in any order), it
	// stores nothing and returns that need and Unchanged (also when two such submissions race,
	// on any number of instances). EINVALID for bad input.
	CreateNeed(ctx context.Context, n civmap.Need) (civmap.Need, Change, error)
	// Need returns one need; ENOTFOUND if there is none.
	Need(ctx context.Context, id int64) (civmap.Need, error)
	// ListNeeds returns the needs matching f, newest first.
	ListNeeds(ctx context.Context, f NeedFilter) ([]civmap.Need, error)
}

// NeedFilter narrows ListNeeds; zero fields do not filter.
type NeedFilter struct {
	SiteCode string
	Status   civmap.NeedStatus
	Statuses []civmap.NeedStatus // any of these
	Queues   []string            // queued at one of these sites (a dispatcher's scope)
	// VolunteerID: needs this volunteer has an assignment in (any state).
	VolunteerID int64
	Bound       *orb.Bound
	Limit       int
	// IncludeHidden includes needs hidden by moderation (for staff); without it they are left
	// out.
	IncludeHidden bool
}

// CellCount is the number of points of a layer in one H3 cell.
type CellCount struct {
	Cell  h3.Cell
	Count int
}

// Clusters answers H3 cell counts, kept current on every write.
type Clusters interface {
	// ClusterCounts returns, for layer activities or needs, the non-zero counts (records hidden
	// by moderation not counted) of the cells of resolution res (geo.MinClusterRes–geo.MaxClusterRes) whose centre lies in bound, ordered
	// by cell. EINVALID for another layer or resolution.
	ClusterCounts(ctx context.Context, layer tiles.Layer, res int, bound orb.Bound) ([]CellCount, error)
}

// Tiler renders vector tiles.
type Tiler interface {
	// Tile renders the given layers (in tiles.Layers order) of tile t as an uncompressed MVT 2.1
	// tile with the properties of tiles.Fields, extent 4096 and buffer 64; nil for an empty tile.
	// The needs layer draws each need at its responsible site's point (tiles.NeedFeature),
	// picked by that point, and leaves out needs whose site is unknown; a need's own Location
	// (possibly a resident's home) is never drawn. Activities and needs hidden by moderation
	// are left out.
	Tile(ctx context.Context, layers []tiles.Layer, t maptile.Tile) ([]byte, error)
}
