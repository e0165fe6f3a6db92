package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"

	"civmap"
	"civmap/store"
)

// Teams (store.Volunteers' PutTeams, Team, ListTeams): written to SQLite, served from memory
// (a county has hundreds).

// teamKey is what PutTeams matches a team without an ID by.
type teamKey struct{ site, name string }

type teamIndex struct {
	byID  map[int64]civmap.Team
	byKey map[teamKey]int64
}

func newTeamIndex() teamIndex {
	return teamIndex{byID: map[int64]civmap.Team{}, byKey: map[teamKey]int64{}}
}

func (ix *teamIndex) put(t civmap.Team) {
	if old, ok := ix.byID[t.ID]; ok {
		delete(ix.byKey, teamKey{old.SiteCode, old.Name})
	}
	ix.byID[t.ID] = t
	ix.byKey[teamKey{t.SiteCode, t.Name}] = t.ID
}

// teamOut is a team as handed to a caller, with a slice of its own.
func teamOut(t civmap.Team) civmap.Team {
	t.Skills = slices.Clone(t.Skills)
	return t
}

// sameTeam reports whether two teams hold the same data (ignoring their times).
func sameTeam(a, b civmap.Team) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Tier == b.Tier && a.SiteCode == b.SiteCode &&
		a.LeaderID == b.LeaderID && slices.Equal(a.Skills, b.Skills) && a.Demo == b.Demo
}

func loadTeams(ctx context.Context, db *sql.DB, m *memory) error {
	rows, err := db.QueryContext(ctx, `SELECT id, name, tier, site_code, leader_id, skills, demo, created_us,
		updated_us FROM teams ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var t civmap.Team
		var leader sql.NullInt64
		var skills string
		var created, updated int64
		if err := rows.Scan(&t.ID, &t.Name, &t.Tier, &t.SiteCode, &leader, &skills, &t.Demo, &created, &updated); err != nil {
			rows.Close()
			return err
		}
		t.LeaderID, t.Skills = leader.Int64, decodeSkills(skills)
		t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
		m.teams.put(t)
	}
	return closeRows(rows)
}

// PutTeams validates and writes teams in one transaction, all or none; see store.Volunteers.
// Audited like PutVolunteers (civmap.KindTeam). EINVALID naming "teams[i].field", ENOTFOUND
// for an unknown ID, ECONFLICT naming "teams[i].name" when an update by ID would give a team
// the (site, name) of another.
func (s *Store) PutTeams(ctx context.Context, ts []civmap.Team, dryRun bool) ([]civmap.Team, []store.Change, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	now := s.clock()
	out := make([]civmap.Team, len(ts))
	changes := make([]store.Change, len(ts))
	before := make([]civmap.Team, len(ts))

	leaders := map[int64]bool{}
	for _, t := range ts {
		if t.LeaderID == 0 {
			continue
		}
		_, err := userIn(ctx, s.db, t.LeaderID)
		switch civmap.ErrorCode(err) {
		case "":
			leaders[t.LeaderID] = true
		case civmap.ENOTFOUND:
		default:
			return nil, nil, err
		}
	}

	s.mu.RLock()
	err := func() error {
		m := s.mem
		ids, keys := map[int64]int{}, map[teamKey]int{}
		for i, t := range ts {
			bad := func(field, format string, args ...any) error {
				return fieldAt("teams", i, civmap.FieldErrorf(field, format, args...))
			}
			if err := t.Validate(); err != nil {
				return fieldAt("teams", i, err)
			}
			key := teamKey{t.SiteCode, t.Name}
			old, exists := civmap.Team{}, false
			if t.ID != 0 {
				if old, exists = m.teams.byID[t.ID]; !exists {
					return fieldAt("teams", i, &civmap.Error{Code: civmap.ENOTFOUND, Field: "id",
						Message: fmt.Sprintf("没有编号为 %d 的志愿服务队", t.ID)})
				}
			} else if id, ok := m.teams.byKey[key]; ok {
				old, exists = m.teams.byID[id], true
			}
			if exists {
				t.ID = old.ID
				if j, ok := ids[t.ID]; ok {
					return bad("id", "team %d appears twice in the batch (also teams[%d])", t.ID, j)
				}
				ids[t.ID] = i
			}
			if j, ok := keys[key]; ok {
				return bad("name", "team %s appears twice at site %s in the batch (also teams[%d])", t.Name, t.SiteCode, j)
			}
			keys[key] = i
			if id, ok := m.teams.byKey[key]; ok && id != t.ID {
				return fieldAt("teams", i, &civmap.Error{Code: civmap.ECONFLICT, Field: "name",
					Message: fmt.Sprintf("该阵地已有同名的志愿服务队（编号 %d）", id)})
			}
			site, ok := m.sites[t.SiteCode]
			if !ok {
				return bad("site_code", "site %s does not exist", t.SiteCode)
			}
			if tier, ok := civmap.TierForLevel(site.Level); !ok || tier != t.Tier {
				if !ok {
					return bad("tier", "a team cannot be based at site %s (level %s)", site.Code, site.Level)
				}
				return bad("tier", "a team at site %s (level %s) is of tier %s, not %s", site.Code, site.Level, tier, t.Tier)
			}
			if t.LeaderID != 0 && !leaders[t.LeaderID] {
				return bad("leader_id", "user %d does not exist", t.LeaderID)
			}
			if exists {
				t.CreatedAt, t.UpdatedAt = old.CreatedAt, old.UpdatedAt
				if sameTeam(old, t) {
					changes[i], out[i] = store.Unchanged, teamOut(old)
					continue
				}
				changes[i], before[i] = store.Updated, old
				t.UpdatedAt = now
			} else {
				changes[i] = store.Inserted
				t.CreatedAt, t.UpdatedAt = now, now
			}
			out[i] = t
		}
		return nil
	}()
	s.mu.RUnlock()
	if err != nil {
		return nil, nil, err
	}
	if dryRun || !slices.ContainsFunc(changes, func(c store.Change) bool { return c != store.Unchanged }) {
		return out, changes, nil
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("embedded: put teams: %w", err)
	}
	defer tx.Rollback()
	aw, err := newAuditWriter(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	defer aw.Close()
	for i := range out {
		t := &out[i]
		switch changes[i] {
		case store.Inserted:
			err = tx.QueryRowContext(ctx, `INSERT INTO teams (name, tier, site_code, leader_id, skills, demo, created_us,
				updated_us) VALUES (?,?,?,?,?,?,?,?) RETURNING id`, t.Name, t.Tier, t.SiteCode, nullID(t.LeaderID),
				encodeSkills(t.Skills), t.Demo, t.CreatedAt.UnixMicro(), t.UpdatedAt.UnixMicro()).Scan(&t.ID)
			if err == nil {
				err = aw.append(store.NewAudit(ctx, now, civmap.AuditCreate, civmap.KindTeam, idString(t.ID), nil, *t, ""))
			}
		case store.Updated:
			_, err = tx.ExecContext(ctx, `UPDATE teams SET name = ?, tier = ?, site_code = ?, leader_id = ?, skills = ?,
				demo = ?, updated_us = ? WHERE id = ?`, t.Name, t.Tier, t.SiteCode, nullID(t.LeaderID),
				encodeSkills(t.Skills), t.Demo, t.UpdatedAt.UnixMicro(), t.ID)
			if err == nil {
				err = aw.append(store.NewAudit(ctx, now, civmap.AuditUpdate, civmap.KindTeam, idString(t.ID), before[i], *t, ""))
			}
		}
		if isUnique(err) {
			return nil, nil, &civmap.Error{Code: civmap.ECONFLICT, Field: fmt.Sprintf("teams[%d].name", i),
				Message: fmt.Sprintf("site %s already has a team named %s", t.SiteCode, t.Name)}
		} else if err != nil {
			return nil, nil, fmt.Errorf("embedded: put team (teams[%d]): %w", i, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("embedded: put teams: commit: %w", err)
	}
	s.mu.Lock()
	for i := range out {
		if changes[i] != store.Unchanged {
			s.mem.teams.put(out[i])
			out[i] = teamOut(out[i])
		}
	}
	s.mu.Unlock()
	s.version.Add(1)
	return out, changes, nil
}

// Team returns the team with id; ENOTFOUND.
func (s *Store) Team(ctx context.Context, id int64) (civmap.Team, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.mem.teams.byID[id]
	if !ok {
		return civmap.Team{}, notFound("没有编号为 %d 的志愿服务队", id)
	}
	return teamOut(t), nil
}

// ListTeams returns the teams matching f, ordered by id. Never an error.
func (s *Store) ListTeams(ctx context.Context, f store.TeamFilter) ([]civmap.Team, error) {
	s.mu.RLock()
	var out []civmap.Team
	for _, t := range s.mem.teams.byID {
		if (f.SiteCode == "" || t.SiteCode == f.SiteCode) && (f.Tier == "" || t.Tier == f.Tier) &&
			(f.LeaderID == 0 || t.LeaderID == f.LeaderID) {
			out = append(out, teamOut(t))
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
