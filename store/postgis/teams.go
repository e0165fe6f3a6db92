package postgis

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"civmap"
	"civmap/store"

	"github.com/jackc/pgx/v5"
)

// Teams (store.Volunteers' PutTeams, Team, ListTeams): one row each in teams, unique by
// (site_code, name).

const teamColumns = `t.id, t.name, t.tier, t.site_code, t.leader_id, t.skills, t.demo, t.created_at, t.updated_at`

func scanTeam(row pgx.Row) (civmap.Team, error) {
	var t civmap.Team
	var leader *int64
	var skills []string
	err := row.Scan(&t.ID, &t.Name, &t.Tier, &t.SiteCode, &leader, &skills, &t.Demo, &t.CreatedAt, &t.UpdatedAt)
	if leader != nil {
		t.LeaderID = *leader
	}
	for _, s := range skills {
		t.Skills = append(t.Skills, civmap.Skill(s))
	}
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t, err
}

func noTeam(id int64) error {
	return civmap.Errorf(civmap.ENOTFOUND, "没有编号为 %d 的志愿服务队", id)
}

// sameTeam reports whether two teams hold the same data, ignoring CreatedAt and UpdatedAt.
func sameTeam(a, b civmap.Team) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Tier == b.Tier && a.SiteCode == b.SiteCode &&
		a.LeaderID == b.LeaderID && slices.Equal(a.Skills, b.Skills) && a.Demo == b.Demo
}

type teamKey struct{ site, name string }

// PutTeams validates and writes teams in one transaction, all or none; see store.Volunteers.
// The sites (their levels), leaders and the teams the records update (read FOR UPDATE) are read
// with one query each; the writes and their audit records go in one batch, and the data Version
// is bumped when something changed. Errors name the record ("teams[i].field"); a record that
// would give a team the (site, name) of another is ECONFLICT. A dry run writes nothing and
// returns inserted records with ID 0.
func (s *Store) PutTeams(ctx context.Context, ts []civmap.Team, dryRun bool) ([]civmap.Team, []store.Change, error) {
	in := make([]civmap.Team, len(ts))
	var ids, leaders []int64
	var codes, names []string
	seenID, seenKey := map[int64]bool{}, map[teamKey]bool{}
	for i, t := range ts {
		t.Skills = slices.Clone(t.Skills)
		if err := t.Validate(); err != nil {
			return nil, nil, indexed("teams", i, err)
		}
		if t.ID < 0 {
			return nil, nil, noTeam(t.ID)
		}
		if t.ID != 0 {
			if seenID[t.ID] {
				return nil, nil, indexed("teams", i, civmap.FieldErrorf("id", "team %d appears twice in the batch", t.ID))
			}
			seenID[t.ID] = true
			ids = append(ids, t.ID)
		}
		k := teamKey{t.SiteCode, t.Name}
		if seenKey[k] {
			return nil, nil, indexed("teams", i, civmap.FieldErrorf("name", "同一阵地的队名在本批数据中重复"))
		}
		seenKey[k] = true
		if t.LeaderID != 0 {
			leaders = append(leaders, t.LeaderID)
		}
		codes, names = append(codes, t.SiteCode), append(names, t.Name)
		in[i] = t
	}
	if len(in) == 0 {
		return nil, nil, nil
	}
	changes := make([]store.Change, len(in))
	err := s.inTx(ctx, "put teams", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, int64(putLock)); err != nil {
			return wrap("put teams: lock", err)
		}
		levels := map[string]civmap.Level{}
		rows, _ := tx.Query(ctx, `SELECT code, level FROM sites WHERE code = ANY($1)`, codes)
		if err := forEach(rows, func(r pgx.Row) error {
			var code string
			var level civmap.Level
			err := r.Scan(&code, &level)
			levels[code] = level
			return err
		}); err != nil {
			return wrap("put teams: sites", err)
		}
		users, err := existingIDs(ctx, tx, `SELECT id FROM users WHERE id = ANY($1)`, leaders)
		if err != nil {
			return wrap("put teams: leaders", err)
		}
		byID, byKey := map[int64]civmap.Team{}, map[teamKey]civmap.Team{}
		rows, _ = tx.Query(ctx, `SELECT `+teamColumns+` FROM teams t
			WHERE t.id = ANY($1) OR (t.site_code, t.name) IN (SELECT * FROM unnest($2::text[], $3::text[]))
			ORDER BY t.id FOR UPDATE`, ids, codes, names)
		if err := forEach(rows, func(r pgx.Row) error {
			x, err := scanTeam(r)
			byID[x.ID] = x
			byKey[teamKey{x.SiteCode, x.Name}] = x
			return err
		}); err != nil {
			return wrap("put teams: read", err)
		}
		now := s.clock()
		var b pgx.Batch
		type write struct {
			i      int
			old    civmap.Team
			exists bool
		}
		var writes []write
		target := map[int64]bool{}
		for i := range in {
			t := &in[i]
			var old civmap.Team
			var exists bool
			if t.ID != 0 {
				if old, exists = byID[t.ID]; !exists {
					return noTeam(t.ID)
				}
			} else {
				old, exists = byKey[teamKey{t.SiteCode, t.Name}]
			}
			if exists {
				if target[old.ID] {
					return indexed("teams", i, civmap.FieldErrorf("name", "与本批数据中的另一条记录是同一支队伍"))
				}
				target[old.ID] = true
				t.ID = old.ID
			}
			level, ok := levels[t.SiteCode]
			if !ok {
				return indexed("teams", i, civmap.FieldErrorf("site_code", "没有编码为 %s 的实践阵地", t.SiteCode))
			}
			if tier, ok := civmap.TierForLevel(level); !ok {
				return indexed("teams", i, civmap.FieldErrorf("tier", "%s（%s）不设志愿服务队", level.Title(), t.SiteCode))
			} else if tier != t.Tier {
				return indexed("teams", i, civmap.FieldErrorf("tier", "设在%s（%s）的队伍应为%s", level.Title(), t.SiteCode, tier.Title()))
			}
			if t.LeaderID != 0 && !users[t.LeaderID] {
				return indexed("teams", i, civmap.FieldErrorf("leader_id", "没有编号为 %d 的用户", t.LeaderID))
			}
			if other, taken := byKey[teamKey{t.SiteCode, t.Name}]; taken && other.ID != t.ID {
				return indexed("teams", i, &civmap.Error{Code: civmap.ECONFLICT, Field: "name", Message: "该阵地已有同名的志愿服务队"})
			}
			switch {
			case !exists:
				changes[i] = store.Inserted
				t.CreatedAt, t.UpdatedAt = now, now
			case sameTeam(old, withTimes(*t, old)):
				changes[i], *t = store.Unchanged, old
				continue
			default:
				changes[i] = store.Updated
				t.CreatedAt, t.UpdatedAt = old.CreatedAt, now
			}
			writes = append(writes, write{i, old, exists})
			if dryRun {
				continue
			}
			b.Queue(`INSERT INTO teams (id, name, tier, site_code, leader_id, skills, demo, created_at, updated_at)
				VALUES (COALESCE($1, nextval('teams_id_seq')), $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT (id) DO UPDATE SET name = excluded.name, tier = excluded.tier, site_code = excluded.site_code,
					leader_id = excluded.leader_id, skills = excluded.skills, demo = excluded.demo,
					updated_at = excluded.updated_at
				RETURNING id`,
				nullID(t.ID), t.Name, string(t.Tier), t.SiteCode, nullID(t.LeaderID), nonNil(skillStrings(t.Skills)),
				t.Demo, t.CreatedAt, t.UpdatedAt)
		}
		if dryRun || len(writes) == 0 {
			return nil
		}
		b.Queue(`UPDATE meta SET version = version + 1`)
		br := tx.SendBatch(ctx, &b)
		for _, w := range writes {
			if err := br.QueryRow().Scan(&in[w.i].ID); err != nil {
				br.Close()
				return teamWriteErr(w.i, err)
			}
		}
		if err := br.Close(); err != nil {
			return wrap("put teams: write", err)
		}
		// The audit records, now that new teams have their ids.
		var ab pgx.Batch
		for _, w := range writes {
			t := in[w.i]
			if w.exists {
				queueAudit(&ab, store.NewAudit(ctx, now, civmap.AuditUpdate, civmap.KindTeam, id10(t.ID), w.old, t, ""))
			} else {
				queueAudit(&ab, store.NewAudit(ctx, now, civmap.AuditCreate, civmap.KindTeam, id10(t.ID), nil, t, ""))
			}
		}
		return wrap("put teams: audit", tx.SendBatch(ctx, &ab).Close())
	})
	if err != nil {
		return nil, nil, err
	}
	return in, changes, nil
}

// withTimes is t with old's CreatedAt and UpdatedAt (for comparisons that ignore them).
func withTimes(t, old civmap.Team) civmap.Team {
	t.CreatedAt, t.UpdatedAt = old.CreatedAt, old.UpdatedAt
	return t
}

// teamWriteErr maps the constraint violations a concurrent write can cause after the checks.
func teamWriteErr(i int, err error) error {
	if e := pgError(err); e != nil {
		switch e.Code {
		case "23505":
			return indexed("teams", i, &civmap.Error{Code: civmap.ECONFLICT, Field: "name", Message: "该阵地已有同名的志愿服务队"})
		case "23503":
			return indexed("teams", i, civmap.FieldErrorf("", "引用的阵地或用户不存在"))
		}
	}
	return wrap(fmt.Sprintf("put teams: write teams[%d]", i), err)
}

// Team returns the team with id; ENOTFOUND.
func (s *Store) Team(ctx context.Context, id int64) (civmap.Team, error) {
	t, err := scanTeam(s.pool.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return civmap.Team{}, noTeam(id)
	}
	return t, wrap("team", err)
}

// ListTeams returns the teams matching f, ordered by id.
func (s *Store) ListTeams(ctx context.Context, f store.TeamFilter) ([]civmap.Team, error) {
	var w where
	if f.SiteCode != "" {
		w.add(`t.site_code = ?`, f.SiteCode)
	}
	if f.Tier != "" {
		w.add(`t.tier = ?`, string(f.Tier))
	}
	if f.LeaderID != 0 {
		w.add(`t.leader_id = ?`, f.LeaderID)
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+teamColumns+` FROM teams t WHERE `+w.sql()+` ORDER BY t.id`, w.args...)
	var out []civmap.Team
	err := forEach(rows, func(r pgx.Row) error {
		t, err := scanTeam(r)
		out = append(out, t)
		return err
	})
	return out, wrap("list teams", err)
}
