package postgis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"civmap"
	"civmap/store"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// Volunteers (store.Volunteers): one row each in volunteers, with the weekly windows as
// minute-of-week ranges (int4range[], CST) and the base site's chain (site_chain) for scopes.

const volunteerColumns = `v.id, v.user_id, v.name, v.phone, v.skills, v.teams, v.lon, v.lat, v.coord_source,
	v.precision, v.site_code, v.windows, v.on_duty, v.max_open, v.core, v.mentor_id, v.active, v.demo,
	v.open_orders, v.created_at, v.updated_at`

// volunteerRow receives a volunteers row (volunteerColumns).
type volunteerRow struct {
	v                civmap.Volunteer
	userID, mentorID *int64
	skills           []string
	teams            []int64
	windows          []pgtype.Range[pgtype.Int4]
}

func (r *volunteerRow) dest() []any {
	v := &r.v
	return []any{&v.ID, &r.userID, &v.Name, &v.Phone, &r.skills, &r.teams, &v.Home.Point[0], &v.Home.Point[1],
		&v.Home.Source, &v.Home.Precision, &v.SiteCode, &r.windows, &v.OnDuty, &v.MaxOpen, &v.Core, &r.mentorID,
		&v.Active, &v.Demo, &v.OpenOrders, &v.CreatedAt, &v.UpdatedAt}
}

func (r *volunteerRow) value() civmap.Volunteer {
	v := r.v
	if r.userID != nil {
		v.UserID = *r.userID
	}
	if r.mentorID != nil {
		v.MentorID = *r.mentorID
	}
	v.Skills = nil
	for _, s := range r.skills {
		v.Skills = append(v.Skills, civmap.Skill(s))
	}
	v.Teams = nil
	if len(r.teams) > 0 {
		v.Teams = slices.Clone(r.teams)
	}
	v.Windows = fromRanges(r.windows)
	v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	return v
}

func scanVolunteer(row pgx.Row) (civmap.Volunteer, error) {
	var r volunteerRow
	err := row.Scan(r.dest()...)
	return r.value(), err
}

const minutesPerDay = 24 * 60

// minuteOfWeek is t's minute of the week in China Standard Time (Sunday 00:00 is 0), the
// coordinate windows are stored in.
func minuteOfWeek(t time.Time) int32 {
	t = t.In(civmap.ChinaTime)
	return int32(int(t.Weekday())*minutesPerDay + t.Hour()*60 + t.Minute())
}

// toRanges encodes windows as minute-of-week ranges [day·1440 + from, day·1440 + to), in order.
// Since 0 ≤ from < to ≤ 1440, a range never leaves its day and decodes back exactly.
func toRanges(ws []civmap.Window) []pgtype.Range[pgtype.Int4] {
	out := make([]pgtype.Range[pgtype.Int4], len(ws))
	for i, w := range ws {
		base := int32(w.Day) * minutesPerDay
		out[i] = pgtype.Range[pgtype.Int4]{
			Lower: pgtype.Int4{Int32: base + int32(w.From), Valid: true}, Upper: pgtype.Int4{Int32: base + int32(w.To), Valid: true},
			LowerType: pgtype.Inclusive, UpperType: pgtype.Exclusive, Valid: true}
	}
	return out
}

// fromRanges decodes toRanges (PostgreSQL returns int4 ranges in the canonical [lower, upper)).
func fromRanges(rs []pgtype.Range[pgtype.Int4]) []civmap.Window {
	var out []civmap.Window
	for _, r := range rs {
		lo, hi := r.Lower.Int32, r.Upper.Int32
		if r.LowerType == pgtype.Exclusive {
			lo++
		}
		if r.UpperType == pgtype.Inclusive {
			hi++
		}
		day := lo / minutesPerDay
		out = append(out, civmap.Window{Day: time.Weekday(day), From: int(lo - day*minutesPerDay), To: int(hi - day*minutesPerDay)})
	}
	return out
}

func noVolunteer(id int64) error {
	return civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的志愿者", id)
}

// indexed names field f of record i of list (e.g. "volunteers[3].phone") in a civmap error.
func indexed(list string, i int, err error) error {
	var e *civmap.Error
	if errors.As(err, &e) {
		field := fmt.Sprintf("%s[%d]", list, i)
		if e.Field != "" {
			field += "." + e.Field
		}
		return &civmap.Error{Code: e.Code, Field: field, Message: e.Message, Retry: e.Retry}
	}
	return err
}

// pgError returns the PostgreSQL error in err's chain, or nil.
func pgError(err error) *pgconn.PgError {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr
	}
	return nil
}

// volunteerWriteErr maps the constraint violations of a volunteer write that a concurrent write
// can cause after the checks in Go (by SQLSTATE and constraint name, never by message text).
func volunteerWriteErr(op string, err error) error {
	if e := pgError(err); e != nil {
		switch {
		case e.Code == "23505" && e.ConstraintName == "volunteers_phone_idx":
			return &civmap.Error{Code: civmap.ECONFLICT, Field: "phone", Message: "手机号已被另一位志愿者使用"}
		case e.Code == "23505" && e.ConstraintName == "volunteers_user_id_key":
			return &civmap.Error{Code: civmap.ECONFLICT, Field: "user_id", Message: "该账号已关联另一位志愿者"}
		case e.Code == "23503":
			return civmap.Errorf(civmap.EINVALID, "引用的阵地、账号或志愿者不存在")
		}
	}
	return wrap(op, err)
}

// sameVolunteer reports whether two volunteers hold the same data, ignoring CreatedAt and
// UpdatedAt.
func sameVolunteer(a, b civmap.Volunteer) bool {
	return a.ID == b.ID && a.UserID == b.UserID && a.Name == b.Name && a.Phone == b.Phone &&
		slices.Equal(a.Skills, b.Skills) && slices.Equal(a.Teams, b.Teams) && a.Home == b.Home &&
		a.SiteCode == b.SiteCode && slices.Equal(a.Windows, b.Windows) && a.OnDuty == b.OnDuty &&
		a.MaxOpen == b.MaxOpen && a.Core == b.Core && a.MentorID == b.MentorID && a.Active == b.Active &&
		a.Demo == b.Demo && a.OpenOrders == b.OpenOrders
}

// siteChains returns the chain (store.Sites.SiteChain) of each of codes that names a site, in
// one recursive query; codes without a site are missing from the map.
func siteChains(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, codes []string) (map[string][]string, error) {
	rows, _ := q.Query(ctx, `WITH RECURSIVE chain (base, code, up, depth) AS (
			SELECT code, code, parent_code, 1 FROM sites WHERE code = ANY($1)
			UNION ALL
			SELECT c.base, s.code, s.parent_code, c.depth + 1 FROM chain c JOIN sites s ON s.code = c.up
			WHERE c.up <> '' AND c.depth < $2)
		SELECT base, array_agg(code ORDER BY depth) FROM chain GROUP BY base`, codes, maxChain)
	out := map[string][]string{}
	err := forEach(rows, func(r pgx.Row) error {
		var base string
		var chain []string
		err := r.Scan(&base, &chain)
		out[base] = chain
		return err
	})
	return out, err
}

// refreshChainsSQL recomputes site_chain for the volunteers based at sites whose chain passes
// through one of $1 (sites a Put inserted or gave a new parent), after the Put's site writes.
const refreshChainsSQL = `WITH RECURSIVE chain (base, code, up, depth) AS (
		SELECT code, code, parent_code, 1 FROM sites
		UNION ALL
		SELECT c.base, s.code, s.parent_code, c.depth + 1 FROM chain c JOIN sites s ON s.code = c.up
		WHERE c.up <> '' AND c.depth < 16),
	chains AS (SELECT base, array_agg(code ORDER BY depth) AS chain FROM chain GROUP BY base)
	UPDATE volunteers v SET site_chain = c.chain FROM chains c
	WHERE c.chain && $1::text[] AND v.site_code = c.base AND v.site_chain IS DISTINCT FROM c.chain`

// putVolunteer is one record of a PutVolunteers in progress.
type putVolunteer struct {
	v      civmap.Volunteer
	old    civmap.Volunteer
	exists bool
	change store.Change
	chain  []string
}

// bulkVolunteers is the batch size from which PutVolunteers writes through COPY into a
// temporary table instead of one statement per record.
const bulkVolunteers = 64

// PutVolunteers validates and writes volunteers in one transaction, all or none; see
// store.Volunteers. Every reference is checked in Go with one query per kind (sites with their
// chains, teams, mentors, users and the volunteers the records update, read FOR UPDATE in id
// order), so the errors name the record ("volunteers[i].field"). Changed records are written by
// one statement each (small batches) or by COPY into a temporary table and one INSERT … ON
// CONFLICT (id) DO UPDATE (from 64 records), with their audit records (COPY) in the same
// transaction; new volunteers' ids are drawn from the sequence first, in input order. The
// data Version is bumped when something changed. A dry run checks everything, writes nothing
// and returns inserted records with ID 0. The transaction holds Put's advisory lock in shared
// mode, so no Put changes the site tree between reading a chain and storing it.
func (s *Store) PutVolunteers(ctx context.Context, vs []civmap.Volunteer, dryRun bool) ([]civmap.Volunteer, []store.Change, error) {
	recs := make([]putVolunteer, len(vs))
	var ids, mentors, users, teamIDs []int64
	var phones, sites []string
	seenID, seenPhone, seenUser := map[int64]int{}, map[string]int{}, map[int64]int{}
	for i, v := range vs {
		v.Skills, v.Teams, v.Windows = slices.Clone(v.Skills), slices.Clone(v.Teams), slices.Clone(v.Windows)
		if err := v.Validate(); err != nil {
			return nil, nil, indexed("volunteers", i, err)
		}
		if len(v.Windows) == 0 {
			v.Windows = nil
		}
		if v.ID < 0 {
			return nil, nil, noVolunteer(v.ID)
		}
		if v.ID != 0 {
			if _, dup := seenID[v.ID]; dup {
				return nil, nil, indexed("volunteers", i, civmap.FieldErrorf("id", "volunteer %d appears twice in the batch", v.ID))
			}
			seenID[v.ID] = i
			ids = append(ids, v.ID)
		}
		if v.Phone != "" {
			if _, dup := seenPhone[v.Phone]; dup {
				return nil, nil, indexed("volunteers", i, civmap.FieldErrorf("phone", "手机号在本批数据中重复"))
			}
			seenPhone[v.Phone] = i
			phones = append(phones, v.Phone)
		}
		if v.UserID != 0 {
			if _, dup := seenUser[v.UserID]; dup {
				return nil, nil, indexed("volunteers", i, civmap.FieldErrorf("user_id", "账号 %d 在本批数据中重复", v.UserID))
			}
			seenUser[v.UserID] = i
			users = append(users, v.UserID)
		}
		if v.MentorID != 0 {
			mentors = append(mentors, v.MentorID)
		}
		teamIDs = append(teamIDs, v.Teams...)
		sites = append(sites, v.SiteCode)
		recs[i].v = v
	}
	if len(recs) == 0 {
		return nil, nil, nil
	}
	var out []civmap.Volunteer
	var changes []store.Change
	err := s.inTx(ctx, "put volunteers", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, int64(putLock)); err != nil {
			return wrap("put volunteers: lock", err)
		}
		chains, err := siteChains(ctx, tx, sites)
		if err != nil {
			return wrap("put volunteers: sites", err)
		}
		teams, err := existingIDs(ctx, tx, `SELECT id FROM teams WHERE id = ANY($1)`, teamIDs)
		if err != nil {
			return wrap("put volunteers: teams", err)
		}
		mentorOK, err := existingIDs(ctx, tx, `SELECT id FROM volunteers WHERE id = ANY($1)`, mentors)
		if err != nil {
			return wrap("put volunteers: mentors", err)
		}
		roles := map[int64]civmap.Role{}
		linked := map[int64]int64{} // user → the volunteer linked to it
		rows, _ := tx.Query(ctx, `SELECT u.id, u.role, v.id FROM users u LEFT JOIN volunteers v ON v.user_id = u.id
			WHERE u.id = ANY($1)`, users)
		if err := forEach(rows, func(r pgx.Row) error {
			var id int64
			var role civmap.Role
			var vid *int64
			err := r.Scan(&id, &role, &vid)
			roles[id] = role
			if vid != nil {
				linked[id] = *vid
			}
			return err
		}); err != nil {
			return wrap("put volunteers: users", err)
		}
		byID, byPhone := map[int64]civmap.Volunteer{}, map[string]civmap.Volunteer{}
		rows, _ = tx.Query(ctx, `SELECT `+volunteerColumns+` FROM volunteers v
			WHERE v.id = ANY($1) OR (v.phone <> '' AND v.phone = ANY($2)) ORDER BY v.id FOR UPDATE`, ids, phones)
		if err := forEach(rows, func(r pgx.Row) error {
			x, err := scanVolunteer(r)
			byID[x.ID] = x
			if x.Phone != "" {
				byPhone[x.Phone] = x
			}
			return err
		}); err != nil {
			return wrap("put volunteers: read", err)
		}

		now := s.clock()
		target := map[int64]int{}
		var inserts int
		for i := range recs {
			r := &recs[i]
			v := &r.v
			switch {
			case v.ID != 0:
				old, ok := byID[v.ID]
				if !ok {
					return noVolunteer(v.ID)
				}
				r.old, r.exists = old, true
			case v.Phone != "":
				r.old, r.exists = byPhone[v.Phone]
			}
			if r.exists {
				if j, dup := target[r.old.ID]; dup {
					return indexed("volunteers", i, civmap.FieldErrorf("phone", "与第 %d 条记录是同一位志愿者", j+1))
				}
				target[r.old.ID] = i
				v.ID = r.old.ID
			}
			if err := checkVolunteerRefs(v, chains, teams, mentorOK, roles, linked, byPhone); err != nil {
				return indexed("volunteers", i, err)
			}
			r.chain = chains[v.SiteCode]
			switch {
			case !r.exists:
				r.change = store.Inserted
				v.CreatedAt, v.UpdatedAt = now, now
				inserts++
			default:
				v.OpenOrders, v.CreatedAt, v.UpdatedAt = r.old.OpenOrders, r.old.CreatedAt, r.old.UpdatedAt
				if v.UserID == 0 {
					v.UserID = r.old.UserID // an update without an account keeps the link
				}
				if sameVolunteer(r.old, *v) {
					r.change, *v = store.Unchanged, r.old
				} else {
					r.change, v.UpdatedAt = store.Updated, now
				}
			}
		}
		if !dryRun && inserts > 0 {
			// New ids in input order.
			rows, _ := tx.Query(ctx, `SELECT nextval('volunteers_id_seq') FROM generate_series(1, $1)`, inserts)
			var fresh []int64
			if err := forEach(rows, func(r pgx.Row) error {
				var id int64
				err := r.Scan(&id)
				fresh = append(fresh, id)
				return err
			}); err != nil {
				return wrap("put volunteers: ids", err)
			}
			slices.Sort(fresh)
			for i := range recs {
				if recs[i].change == store.Inserted {
					recs[i].v.ID, fresh = fresh[0], fresh[1:]
				}
			}
		}
		out, changes = make([]civmap.Volunteer, len(recs)), make([]store.Change, len(recs))
		var write []*putVolunteer
		for i := range recs {
			out[i], changes[i] = recs[i].v, recs[i].change
			if recs[i].change != store.Unchanged {
				write = append(write, &recs[i])
			}
		}
		if dryRun || len(write) == 0 {
			return nil
		}
		if len(write) < bulkVolunteers {
			return s.writeVolunteers(ctx, tx, write, now)
		}
		return s.copyVolunteers(ctx, tx, write, now)
	})
	if err != nil {
		return nil, nil, err
	}
	return out, changes, nil
}

// checkVolunteerRefs checks what v refers to: its site, teams, mentor and account, and that its
// phone belongs to no other volunteer.
func checkVolunteerRefs(v *civmap.Volunteer, chains map[string][]string, teams, mentors map[int64]bool,
	roles map[int64]civmap.Role, linked map[int64]int64, byPhone map[string]civmap.Volunteer) error {
	if _, ok := chains[v.SiteCode]; !ok {
		return civmap.FieldErrorf("site_code", "没有编码为 %s 的实践阵地", v.SiteCode)
	}
	for _, t := range v.Teams {
		if !teams[t] {
			return civmap.FieldErrorf("teams", "没有编号为 %d 的志愿服务队", t)
		}
	}
	if v.MentorID != 0 && (!mentors[v.MentorID] || v.MentorID == v.ID) {
		if v.MentorID == v.ID {
			return civmap.FieldErrorf("mentor_id", "a volunteer cannot mentor themselves")
		}
		return civmap.FieldErrorf("mentor_id", "没有编号为 %d 的志愿者", v.MentorID)
	}
	if v.UserID != 0 {
		role, ok := roles[v.UserID]
		switch {
		case !ok:
			return civmap.FieldErrorf("user_id", "没有编号为 %d 的用户", v.UserID)
		case role != civmap.RoleVolunteer:
			return civmap.FieldErrorf("user_id", "账号 %d 不是志愿者账号", v.UserID)
		}
		if other, ok := linked[v.UserID]; ok && other != v.ID {
			return civmap.FieldErrorf("user_id", "账号 %d 已关联编号为 %d 的志愿者", v.UserID, other)
		}
	}
	if owner, ok := byPhone[v.Phone]; ok && v.Phone != "" && owner.ID != v.ID {
		return &civmap.Error{Code: civmap.ECONFLICT, Field: "phone", Message: "手机号已被另一位志愿者使用"}
	}
	return nil
}

// existingIDs returns which of ids query ($1: the ids) finds.
func existingIDs(ctx context.Context, tx pgx.Tx, query string, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, _ := tx.Query(ctx, query, ids)
	err := forEach(rows, func(r pgx.Row) error {
		var id int64
		err := r.Scan(&id)
		out[id] = true
		return err
	})
	return out, err
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func skillStrings(ss []civmap.Skill) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// volunteerWriteColumns are the columns PutVolunteers writes, in volunteerArgs order.
const volunteerWriteColumns = `id, user_id, name, phone, skills, teams, lon, lat, coord_source, precision, site_code,
	site_chain, windows, on_duty, max_open, core, mentor_id, active, demo, open_orders, created_at, updated_at`

// volunteerUpsert completes an INSERT INTO volunteers (volunteerWriteColumns): an existing row
// takes everything but its OpenOrders and CreatedAt.
const volunteerUpsert = ` ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, name = excluded.name,
	phone = excluded.phone, skills = excluded.skills, teams = excluded.teams, lon = excluded.lon, lat = excluded.lat,
	coord_source = excluded.coord_source, precision = excluded.precision, site_code = excluded.site_code,
	site_chain = excluded.site_chain, windows = excluded.windows, on_duty = excluded.on_duty,
	max_open = excluded.max_open, core = excluded.core, mentor_id = excluded.mentor_id, active = excluded.active,
	demo = excluded.demo, updated_at = excluded.updated_at`

func volunteerArgs(r *putVolunteer) []any {
	v := &r.v
	return []any{v.ID, nullID(v.UserID), v.Name, v.Phone, nonNil(skillStrings(v.Skills)), nonNil(v.Teams),
		v.Home.Point[0], v.Home.Point[1], string(v.Home.Source), string(v.Home.Precision), v.SiteCode, nonNil(r.chain),
		toRanges(v.Windows), v.OnDuty, v.MaxOpen, v.Core, nullID(v.MentorID), v.Active, v.Demo, v.OpenOrders,
		v.CreatedAt, v.UpdatedAt}
}

// volunteerAudit is the audit record of a written volunteer.
func volunteerAudit(ctx context.Context, now time.Time, r *putVolunteer) civmap.AuditRecord {
	if r.exists {
		return store.NewAudit(ctx, now, civmap.AuditUpdate, civmap.KindVolunteer, id10(r.v.ID), r.old, r.v, "")
	}
	return store.NewAudit(ctx, now, civmap.AuditCreate, civmap.KindVolunteer, id10(r.v.ID), nil, r.v, "")
}

// writeVolunteers writes a few volunteers in one batch: an upsert and an audit record each.
func (s *Store) writeVolunteers(ctx context.Context, tx pgx.Tx, write []*putVolunteer, now time.Time) error {
	var b pgx.Batch
	for _, r := range write {
		b.Queue(`INSERT INTO volunteers (`+volunteerWriteColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`+
			volunteerUpsert, volunteerArgs(r)...)
		queueAudit(&b, volunteerAudit(ctx, now, r))
	}
	b.Queue(`UPDATE meta SET version = version + 1`)
	return volunteerWriteErr("put volunteers: write", tx.SendBatch(ctx, &b).Close())
}

// copyVolunteers writes many volunteers: COPY into a temporary table, one INSERT … SELECT …
// ON CONFLICT (id) DO UPDATE, and COPY of their audit records. New rows go into the heap in
// geohash order, so that neighbours share pages and a nearest-volunteer search reads few of them
// (the rows it updates are already locked, in id order, by PutVolunteers).
func (s *Store) copyVolunteers(ctx context.Context, tx pgx.Tx, write []*putVolunteer, now time.Time) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE volunteers_in (
			id int8, user_id int8, name text, phone text, skills text[], teams int8[], lon float8, lat float8,
			coord_source text, precision text, site_code text, site_chain text[], windows int4range[], on_duty bool,
			max_open int4, core bool, mentor_id int8, active bool, demo bool, open_orders int4,
			created_at timestamptz, updated_at timestamptz) ON COMMIT DROP`); err != nil {
		return wrap("put volunteers: temporary table", err)
	}
	cols := strings.Fields(strings.ReplaceAll(volunteerWriteColumns, ",", " "))
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"volunteers_in"}, cols, pgx.CopyFromSlice(len(write), func(i int) ([]any, error) {
		return volunteerArgs(write[i]), nil
	})); err != nil {
		return wrap("put volunteers: copy", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO volunteers (`+volunteerWriteColumns+`)
		SELECT `+volunteerWriteColumns+` FROM volunteers_in
		ORDER BY ST_GeoHash(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 10), id`+volunteerUpsert); err != nil {
		return volunteerWriteErr("put volunteers: write", err)
	}
	if err := copyAudit(ctx, tx, len(write), func(i int) civmap.AuditRecord { return volunteerAudit(ctx, now, write[i]) }); err != nil {
		return wrap("put volunteers: audit", err)
	}
	_, err := tx.Exec(ctx, `UPDATE meta SET version = version + 1`)
	return wrap("put volunteers: version", err)
}

// copyAudit appends n audit records (record(i)) with COPY, as part of tx.
func copyAudit(ctx context.Context, tx pgx.Tx, n int, record func(i int) civmap.AuditRecord) error {
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"audit"},
		[]string{"at", "actor_id", "actor_login", "actor_role", "addr", "action", "kind", "record_id", "before", "after", "note"},
		pgx.CopyFromSlice(n, func(i int) ([]any, error) { return auditArgs(record(i)), nil }))
	return err
}

// Volunteer returns the volunteer with id; ENOTFOUND.
func (s *Store) Volunteer(ctx context.Context, id int64) (civmap.Volunteer, error) {
	v, err := scanVolunteer(s.pool.QueryRow(ctx, `SELECT `+volunteerColumns+` FROM volunteers v WHERE v.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.Volunteer{}, noVolunteer(id)
	}
	return v, wrap("volunteer", err)
}

// VolunteerByUser returns the volunteer whose account is userID; ENOTFOUND.
func (s *Store) VolunteerByUser(ctx context.Context, userID int64) (civmap.Volunteer, error) {
	v, err := scanVolunteer(s.pool.QueryRow(ctx, `SELECT `+volunteerColumns+` FROM volunteers v WHERE v.user_id = $1`, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.Volunteer{}, civmap.Errorf(civmap.ENOTFOUND, "账号 %d 没有关联志愿者", userID)
	}
	return v, wrap("volunteer by user", err)
}

// where builds a WHERE clause of AND-ed conditions with numbered parameters.
type where struct {
	conds []string
	args  []any
}

// add appends cond, in which each "?" is replaced by the next parameter number, with its args.
func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return "TRUE"
	}
	return strings.Join(w.conds, " AND ")
}

// ListVolunteers returns the volunteers matching f, ordered by id. Only the filters that are set
// are part of the query, so the GIN indexes on site_chain and teams serve scope and team lists.
func (s *Store) ListVolunteers(ctx context.Context, f store.VolunteerFilter) ([]civmap.Volunteer, error) {
	var w where
	if f.Scope != "" {
		w.add(`v.site_chain @> ARRAY[?::text]`, f.Scope)
	}
	if f.TeamID != 0 {
		w.add(`v.teams @> ARRAY[?::int8]`, f.TeamID)
	}
	if f.Skill != "" {
		w.add(`v.skills @> ARRAY[?::text]`, string(f.Skill))
	}
	if f.Phone != "" {
		w.add(`v.phone = ?`, f.Phone)
	}
	if f.Active != nil {
		w.add(`v.active = ?`, *f.Active)
	}
	if f.AfterID != 0 {
		w.add(`v.id > ?`, f.AfterID)
	}
	limit := ""
	if f.Limit > 0 {
		limit = fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+volunteerColumns+` FROM volunteers v WHERE `+w.sql()+` ORDER BY v.id`+limit, w.args...)
	var out []civmap.Volunteer
	err := forEach(rows, func(r pgx.Row) error {
		v, err := scanVolunteer(r)
		out = append(out, v)
		return err
	})
	return out, wrap("list volunteers", err)
}
