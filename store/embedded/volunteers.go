package embedded

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"civmap"
	"civmap/store"
)

// Volunteers (store.Volunteers but for teams, in teams.go, and the nearest search, in
// nearest.go): written to SQLite, served from memory (the index of volindex.go).

// volOut is a volunteer as handed to a caller: a copy with slices of its own.
func volOut(v *civmap.Volunteer) civmap.Volunteer {
	out := *v
	out.Skills, out.Teams, out.Windows = slices.Clone(v.Skills), slices.Clone(v.Teams), slices.Clone(v.Windows)
	return out
}

// sameVolunteer reports whether two volunteers hold the same data (ignoring their times).
func sameVolunteer(a, b civmap.Volunteer) bool {
	return a.ID == b.ID && a.UserID == b.UserID && a.Name == b.Name && a.Phone == b.Phone &&
		slices.Equal(a.Skills, b.Skills) && slices.Equal(a.Teams, b.Teams) && a.Home == b.Home &&
		a.SiteCode == b.SiteCode && slices.Equal(a.Windows, b.Windows) && a.OnDuty == b.OnDuty &&
		a.MaxOpen == b.MaxOpen && a.Core == b.Core && a.MentorID == b.MentorID && a.Active == b.Active &&
		a.Demo == b.Demo && a.OpenOrders == b.OpenOrders
}

// fieldAt prefixes the field of an EINVALID (or other) error with "list[i].".
func fieldAt(list string, i int, err error) error {
	var e *civmap.Error
	if errors.As(err, &e) {
		f := fmt.Sprintf("%s[%d]", list, i)
		if e.Field != "" {
			f += "." + e.Field
		}
		return &civmap.Error{Code: e.Code, Field: f, Message: e.Message, Retry: e.Retry}
	}
	return err
}

// The columns of a volunteer, as stored.
const volunteerColumns = `id, user_id, name, phone, skills, teams, lon, lat, coord_source, precision, site_code,
	windows, on_duty, max_open, core, mentor_id, active, demo, open_orders, created_us, updated_us`

// interner shares the strings that many volunteers repeat (site codes, coordinate sources).
type interner map[string]string

func (in interner) get(s string) string {
	if x, ok := in[s]; ok {
		return x
	}
	in[s] = s
	return s
}

// scanVolunteer reads a volunteer selected with volunteerColumns.
func scanVolunteer(row scanner, in interner) (civmap.Volunteer, error) {
	var v civmap.Volunteer
	var user, mentor sql.NullInt64
	var skills, teams, windows, source, precision, site string
	var created, updated int64
	if err := row.Scan(&v.ID, &user, &v.Name, &v.Phone, &skills, &teams, &v.Home.Point[0], &v.Home.Point[1],
		&source, &precision, &site, &windows, &v.OnDuty, &v.MaxOpen, &v.Core, &mentor, &v.Active, &v.Demo,
		&v.OpenOrders, &created, &updated); err != nil {
		return civmap.Volunteer{}, err
	}
	v.UserID, v.MentorID = user.Int64, mentor.Int64
	v.Home.Source, v.Home.Precision = civmap.CoordSource(in.get(source)), civmap.Precision(in.get(precision))
	v.SiteCode = in.get(site)
	v.Skills = decodeSkills(skills)
	var err error
	if v.Teams, err = decodeIDs(teams); err != nil {
		return civmap.Volunteer{}, fmt.Errorf("volunteer %d: teams: %w", v.ID, err)
	}
	if v.Windows, err = decodeWindows(windows); err != nil {
		return civmap.Volunteer{}, fmt.Errorf("volunteer %d: windows: %w", v.ID, err)
	}
	v.CreatedAt, v.UpdatedAt = fromMicros(created), fromMicros(updated)
	return v, nil
}

// encodeSkills is a sorted list of skills as stored: comma-separated ("" for none). Skills
// are a fixed vocabulary without commas.
func encodeSkills(ss []civmap.Skill) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}

// decodeSkills reads encodeSkills' list, sharing the vocabulary's strings.
func decodeSkills(s string) []civmap.Skill {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]civmap.Skill, len(parts))
	for i, p := range parts {
		out[i] = civmap.Skill(p)
		for _, k := range civmap.Skills {
			if string(k) == p {
				out[i] = k
				break
			}
		}
	}
	return out
}

// encodeWindows is a list of weekly windows as stored: JSON [[day, from, to], …], "" for none.
func encodeWindows(ws []civmap.Window) string {
	if len(ws) == 0 {
		return ""
	}
	a := make([][3]int, len(ws))
	for i, w := range ws {
		a[i] = [3]int{int(w.Day), w.From, w.To}
	}
	b, _ := json.Marshal(a) // ints always marshal
	return string(b)
}

func decodeWindows(s string) ([]civmap.Window, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var a [][3]int
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return nil, err
	}
	out := make([]civmap.Window, len(a))
	for i, w := range a {
		out[i] = civmap.Window{Day: time.Weekday(w[0]), From: w[1], To: w[2]}
	}
	return out, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// loadVolunteers reads the volunteers table into m.
func loadVolunteers(ctx context.Context, db *sql.DB, m *memory) error {
	rows, err := db.QueryContext(ctx, `SELECT `+volunteerColumns+` FROM volunteers ORDER BY id`)
	if err != nil {
		return err
	}
	in := interner{}
	var vs []*civmap.Volunteer
	for rows.Next() {
		v, err := scanVolunteer(rows, in)
		if err != nil {
			rows.Close()
			return err
		}
		vs = append(vs, &v)
	}
	if err := closeRows(rows); err != nil {
		return err
	}
	m.vols = buildVolunteerIndex(vs)
	return nil
}

// PutVolunteers validates and writes volunteers in one transaction, all or none; see
// store.Volunteers. Each inserted volunteer appends a civmap.AuditCreate record and each
// updated one a civmap.AuditUpdate (before and after); unchanged records, dry runs and
// rejected batches append none. EINVALID naming "volunteers[i].field" (a phone or account twice
// in the batch too), ENOTFOUND for an unknown ID, ECONFLICT naming "volunteers[i].phone" for a
// phone another volunteer has.
func (s *Store) PutVolunteers(ctx context.Context, vs []civmap.Volunteer, dryRun bool) ([]civmap.Volunteer, []store.Change, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	now := s.clock()
	out := make([]civmap.Volunteer, len(vs))
	changes := make([]store.Change, len(vs))
	olds := make([]*civmap.Volunteer, len(vs))

	// Accounts are SQL only: read those the batch links before taking the memory's lock.
	users := map[int64]civmap.User{}
	for _, v := range vs {
		if v.UserID == 0 {
			continue
		}
		if _, ok := users[v.UserID]; ok {
			continue
		}
		u, err := userIn(ctx, s.db, v.UserID)
		if civmap.ErrorCode(err) == civmap.ENOTFOUND {
			continue // reported in order below
		} else if err != nil {
			return nil, nil, err
		}
		users[v.UserID] = u
	}

	s.mu.RLock()
	err := func() error {
		m := s.mem
		ids := map[int64]int{}     // volunteer id → batch index
		phones := map[string]int{} // phone → batch index
		linked := map[int64]int{}  // user id → batch index
		for i, v := range vs {
			bad := func(field, format string, args ...any) error {
				return fieldAt("volunteers", i, civmap.FieldErrorf(field, format, args...))
			}
			if err := v.Validate(); err != nil {
				return fieldAt("volunteers", i, err)
			}
			v.Windows = slices.Clip(slices.Clone(v.Windows)) // memory's own
			if len(v.Windows) == 0 {
				v.Windows = nil
			}
			var old *civmap.Volunteer
			switch {
			case v.ID != 0:
				it, ok := m.vols.byID[v.ID]
				if !ok {
					return fieldAt("volunteers", i, &civmap.Error{Code: civmap.ENOTFOUND, Field: "id",
						Message: fmt.Sprintf("没有编号为 %d 的志愿者", v.ID)})
				}
				old = &it.rec
			case v.Phone != "":
				if id, ok := m.vols.byPhone[v.Phone]; ok {
					old = &m.vols.byID[id].rec
				}
			}
			if old != nil {
				v.ID = old.ID
				if j, ok := ids[v.ID]; ok {
					return bad("id", "volunteer %d appears twice in the batch (also volunteers[%d])", v.ID, j)
				}
				ids[v.ID] = i
			}
			if v.MentorID != 0 && v.MentorID == v.ID {
				return bad("mentor_id", "a volunteer cannot mentor themselves")
			}
			if v.Phone != "" {
				if j, ok := phones[v.Phone]; ok {
					return bad("phone", "phone %s appears twice in the batch (also volunteers[%d])", v.Phone, j)
				}
				phones[v.Phone] = i
				if id, ok := m.vols.byPhone[v.Phone]; ok && id != v.ID {
					return fieldAt("volunteers", i, &civmap.Error{Code: civmap.ECONFLICT, Field: "phone",
						Message: fmt.Sprintf("手机号已被编号为 %d 的志愿者使用", id)})
				}
			}
			if _, ok := m.sites[v.SiteCode]; !ok {
				return bad("site_code", "site %s does not exist", v.SiteCode)
			}
			for _, t := range v.Teams {
				if _, ok := m.teams.byID[t]; !ok {
					return bad("teams", "team %d does not exist", t)
				}
			}
			if v.MentorID != 0 {
				if _, ok := m.vols.byID[v.MentorID]; !ok {
					return bad("mentor_id", "mentor %d is not a volunteer", v.MentorID)
				}
			}
			if v.UserID != 0 {
				u, ok := users[v.UserID]
				switch {
				case !ok:
					return bad("user_id", "user %d does not exist", v.UserID)
				case u.Role != civmap.RoleVolunteer:
					return bad("user_id", "user %s has role %s, not volunteer", u.Login, u.Role)
				}
				if j, ok := linked[v.UserID]; ok {
					return bad("user_id", "user %d appears twice in the batch (also volunteers[%d])", v.UserID, j)
				}
				linked[v.UserID] = i
				if id, ok := m.vols.byUser[v.UserID]; ok && id != v.ID {
					return bad("user_id", "user %s is already linked to volunteer %d", u.Login, id)
				}
			}
			if old != nil {
				v.OpenOrders, v.CreatedAt, v.UpdatedAt = old.OpenOrders, old.CreatedAt, old.UpdatedAt
				if sameVolunteer(*old, v) {
					changes[i], out[i] = store.Unchanged, volOut(old)
					continue
				}
				changes[i], olds[i] = store.Updated, old
				v.UpdatedAt = now
			} else {
				changes[i] = store.Inserted
				v.ID, v.CreatedAt, v.UpdatedAt = 0, now, now
			}
			out[i] = v
		}
		return nil
	}()
	var before []civmap.Volunteer // the updated records as they were, for the audit
	if err == nil && !dryRun {
		before = make([]civmap.Volunteer, len(vs))
		for i, o := range olds {
			if o != nil {
				before[i] = volOut(o)
			}
		}
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, nil, err
	}
	if dryRun || !slices.ContainsFunc(changes, func(c store.Change) bool { return c != store.Unchanged }) {
		return out, changes, nil
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("embedded: put volunteers: %w", err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO volunteers (user_id, name, phone, skills, teams, lon, lat,
		coord_source, precision, site_code, windows, on_duty, max_open, core, mentor_id, active, demo, open_orders,
		created_us, updated_us) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`)
	if err != nil {
		return nil, nil, fmt.Errorf("embedded: put volunteers: %w", err)
	}
	defer ins.Close()
	aw, err := newAuditWriter(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	defer aw.Close()
	for i := range out {
		v := &out[i]
		switch changes[i] {
		case store.Inserted:
			err = ins.QueryRowContext(ctx, nullID(v.UserID), v.Name, v.Phone, encodeSkills(v.Skills), encodeIDs(v.Teams),
				v.Home.Point[0], v.Home.Point[1], v.Home.Source, v.Home.Precision, v.SiteCode, encodeWindows(v.Windows),
				v.OnDuty, v.MaxOpen, v.Core, nullID(v.MentorID), v.Active, v.Demo, v.OpenOrders, v.CreatedAt.UnixMicro(),
				v.UpdatedAt.UnixMicro()).Scan(&v.ID)
		case store.Updated:
			_, err = tx.ExecContext(ctx, `UPDATE volunteers SET user_id = ?, name = ?, phone = ?, skills = ?, teams = ?,
				lon = ?, lat = ?, coord_source = ?, precision = ?, site_code = ?, windows = ?, on_duty = ?, max_open = ?,
				core = ?, mentor_id = ?, active = ?, demo = ?, updated_us = ? WHERE id = ?`,
				nullID(v.UserID), v.Name, v.Phone, encodeSkills(v.Skills), encodeIDs(v.Teams), v.Home.Point[0],
				v.Home.Point[1], v.Home.Source, v.Home.Precision, v.SiteCode, encodeWindows(v.Windows), v.OnDuty,
				v.MaxOpen, v.Core, nullID(v.MentorID), v.Active, v.Demo, v.UpdatedAt.UnixMicro(), v.ID)
		default:
			continue
		}
		if isUnique(err) {
			return nil, nil, &civmap.Error{Code: civmap.ECONFLICT, Field: fmt.Sprintf("volunteers[%d].phone", i),
				Message: "another volunteer has this phone or account"}
		} else if err != nil {
			return nil, nil, fmt.Errorf("embedded: put volunteer (volunteers[%d]): %w", i, err)
		}
		if changes[i] == store.Inserted {
			err = aw.append(store.NewAudit(ctx, now, civmap.AuditCreate, civmap.KindVolunteer, idString(v.ID), nil, *v, ""))
		} else {
			err = aw.append(store.NewAudit(ctx, now, civmap.AuditUpdate, civmap.KindVolunteer, idString(v.ID), before[i], *v, ""))
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("embedded: put volunteers: commit: %w", err)
	}
	var inserted []*civmap.Volunteer
	for i := range out {
		if changes[i] == store.Inserted {
			inserted = append(inserted, &out[i])
		}
	}
	s.mu.Lock()
	for i := range out {
		if changes[i] == store.Updated {
			s.mem.vols.put(out[i])
		}
	}
	s.mem.vols.insert(inserted)
	for i := range out {
		if changes[i] != store.Unchanged {
			out[i] = volOut(&s.mem.vols.byID[out[i].ID].rec)
		}
	}
	s.mu.Unlock()
	if s.mem.vols.needsRelayout() {
		// Built from the index without its lock: only this writer (holding wmu) changes memory,
		// and readers only read; swapped in under the lock.
		relaid := s.mem.vols.relaid()
		s.mu.Lock()
		s.mem.vols = relaid
		s.mu.Unlock()
	}
	s.version.Add(1)
	return out, changes, nil
}

// Volunteer returns the volunteer with id; ENOTFOUND.
func (s *Store) Volunteer(ctx context.Context, id int64) (civmap.Volunteer, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	it, ok := s.mem.vols.byID[id]
	if !ok {
		return civmap.Volunteer{}, notFound("没有编号为 %d 的志愿者", id)
	}
	return volOut(&it.rec), nil
}

// VolunteerByUser returns the volunteer whose account is userID; ENOTFOUND.
func (s *Store) VolunteerByUser(ctx context.Context, userID int64) (civmap.Volunteer, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.mem.vols.byUser[userID]
	if !ok || userID == 0 {
		return civmap.Volunteer{}, notFound("用户 %d 没有志愿者登记信息", userID)
	}
	return volOut(&s.mem.vols.byID[id].rec), nil
}

// ListVolunteers returns the volunteers matching f, ordered by id. Never an error.
func (s *Store) ListVolunteers(ctx context.Context, f store.VolunteerFilter) ([]civmap.Volunteer, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	list := s.mem.vols.list
	start := sort.Search(len(list), func(i int) bool { return list[i].rec.ID > f.AfterID })
	scope := s.mem.scopeTest(f.Scope)
	var out []civmap.Volunteer
	for _, it := range list[start:] {
		v := &it.rec
		if f.Limit > 0 && len(out) >= f.Limit {
			break
		}
		if (f.TeamID == 0 || slices.Contains(v.Teams, f.TeamID)) && v.HasSkill(f.Skill) &&
			(f.Phone == "" || v.Phone == f.Phone) && (f.Active == nil || v.Active == *f.Active) &&
			(f.Scope == "" || scope(v.SiteCode)) {
			out = append(out, volOut(v))
		}
	}
	return out, nil
}

// chain is SiteChain of code from memory (nil when no site or venue has it).
func (m *memory) chain(code string) []string {
	c, _ := siteChain(code,
		func(c string) (string, bool, error) { x, ok := m.sites[c]; return x.ParentCode, ok, nil },
		func(c string) (string, bool, error) { x, ok := m.venues[c]; return x.SiteCode, ok, nil })
	return c
}

// scopeTest returns whether the chain of a site code passes through scope, remembering each
// code's answer (a call's worth: sites are few, volunteers many).
func (m *memory) scopeTest(scope string) func(code string) bool {
	memo := map[string]bool{}
	return func(code string) bool {
		in, ok := memo[code]
		if !ok {
			in = slices.Contains(m.chain(code), scope)
			memo[code] = in
		}
		return in
	}
}
