-- The dispatch issue: volunteers and teams (store.Volunteers), the need workflow's state, the
-- volunteers' assignments and each need's history (store.Orders), the outbox of notifications
-- (store.Outbox) and the service's own secrets (store.Secrets).

-- +goose Up
CREATE TABLE teams (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL,
    tier          TEXT NOT NULL,
    site_code     TEXT NOT NULL REFERENCES sites (code),
    leader_id     BIGINT REFERENCES users (id),
    skills        TEXT[] NOT NULL DEFAULT '{}',
    demo          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (site_code, name)
);
CREATE INDEX teams_leader_idx ON teams (leader_id) WHERE leader_id IS NOT NULL;

-- Volunteers. Name, phone and home point are personal data. windows are the weekly availability
-- windows as minute-of-week ranges in China Standard Time (day·1440 + from, day·1440 + to), in
-- the order given; site_chain is the base site's chain (store.Sites.SiteChain), kept current by
-- PutVolunteers and by Put when the site tree changes, so that a scope is `$scope = ANY(site_chain)`.
CREATE TABLE volunteers (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT UNIQUE REFERENCES users (id),
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL DEFAULT '',
    skills        TEXT[] NOT NULL DEFAULT '{}',
    teams         BIGINT[] NOT NULL DEFAULT '{}',
    lon           DOUBLE PRECISION NOT NULL,
    lat           DOUBLE PRECISION NOT NULL,
    geom          geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
    coord_source  TEXT NOT NULL,
    precision     TEXT NOT NULL,
    site_code     TEXT NOT NULL REFERENCES sites (code),
    site_chain    TEXT[] NOT NULL DEFAULT '{}',
    windows       INT4RANGE[] NOT NULL DEFAULT '{}',
    on_duty       BOOLEAN NOT NULL DEFAULT FALSE,
    max_open      INTEGER NOT NULL,
    core          BOOLEAN NOT NULL DEFAULT FALSE,
    mentor_id     BIGINT REFERENCES volunteers (id),
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    demo          BOOLEAN NOT NULL DEFAULT FALSE,
    open_orders   INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
) WITH (fillfactor = 90); -- room for HOT updates of open_orders, so rows stay near their neighbours
-- Nearest volunteers: a KNN scan (ORDER BY geography(geom) <-> point) of this index, filtered.
CREATE INDEX volunteers_geog_idx ON volunteers USING gist (geography(geom));
CREATE UNIQUE INDEX volunteers_phone_idx ON volunteers (phone) WHERE phone <> '';
CREATE INDEX volunteers_site_idx ON volunteers (site_code);
CREATE INDEX volunteers_chain_idx ON volunteers USING gin (site_chain);
CREATE INDEX volunteers_teams_idx ON volunteers USING gin (teams);
CREATE INDEX volunteers_mentor_idx ON volunteers (mentor_id) WHERE mentor_id IS NOT NULL;

-- The workflow's state of a need (civmap.Need: Phone … ErasedAt, Order).
ALTER TABLE needs
    ADD COLUMN phone               TEXT NOT NULL DEFAULT '',
    ADD COLUMN receipt_hash        TEXT NOT NULL DEFAULT '',
    ADD COLUMN queue               TEXT NOT NULL DEFAULT '',
    ADD COLUMN order_skill         TEXT NOT NULL DEFAULT '',
    ADD COLUMN order_slots         INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN order_start         TIMESTAMPTZ,
    ADD COLUMN order_end           TIMESTAMPTZ,
    ADD COLUMN order_urgency       TEXT NOT NULL DEFAULT '',
    ADD COLUMN order_mode          TEXT NOT NULL DEFAULT '',
    ADD COLUMN order_team_id       BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN order_offered       BIGINT[] NOT NULL DEFAULT '{}',
    ADD COLUMN order_dispatched_at TIMESTAMPTZ,
    ADD COLUMN reason              TEXT NOT NULL DEFAULT '',
    ADD COLUMN rating              INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN comment             TEXT NOT NULL DEFAULT '',
    ADD COLUMN version             BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN updated_at          TIMESTAMPTZ,
    ADD COLUMN closed_at           TIMESTAMPTZ,
    ADD COLUMN erased_at           TIMESTAMPTZ;
UPDATE needs SET queue = site_code, updated_at = created_at;
ALTER TABLE needs ALTER COLUMN updated_at SET NOT NULL;
CREATE UNIQUE INDEX needs_receipt_idx ON needs (receipt_hash) WHERE receipt_hash <> '';
CREATE INDEX needs_queue_idx ON needs (queue, status);
-- Escalation: the needs still waiting for someone to take them, by when they started waiting
-- (workflow.EscalationDue: the last transition, or the dispatch of a dispatched need).
CREATE INDEX needs_waiting_idx ON needs
    ((CASE WHEN status = 'dispatched' AND order_dispatched_at IS NOT NULL THEN order_dispatched_at ELSE updated_at END))
    WHERE status IN ('submitted', 'ordered', 'dispatched');
-- Retention: closed needs whose free text is not erased yet.
CREATE INDEX needs_erase_idx ON needs (closed_at) WHERE closed_at IS NOT NULL AND erased_at IS NULL;

CREATE TABLE assignments (
    need_id       BIGINT NOT NULL REFERENCES needs (id),
    volunteer_id  BIGINT NOT NULL REFERENCES volunteers (id),
    state         TEXT NOT NULL,
    accepted_at   TIMESTAMPTZ,
    started_at    TIMESTAMPTZ,
    done_at       TIMESTAMPTZ,
    hours         DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (need_id, volunteer_id)
);
CREATE INDEX assignments_volunteer_idx ON assignments (volunteer_id, need_id);

CREATE TABLE need_events (
    id            BIGSERIAL PRIMARY KEY,
    need_id       BIGINT NOT NULL REFERENCES needs (id),
    at            TIMESTAMPTZ NOT NULL,
    action        TEXT NOT NULL,
    from_status   TEXT NOT NULL DEFAULT '',
    to_status     TEXT NOT NULL,
    actor_role    TEXT NOT NULL DEFAULT '',
    actor_id      BIGINT NOT NULL DEFAULT 0,
    volunteer_id  BIGINT NOT NULL DEFAULT 0,
    team          TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX need_events_need_idx ON need_events (need_id, id);

-- The outbox: written in the transition's transaction, delivered at least once.
CREATE TABLE notifications (
    id            BIGSERIAL PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,
    type          TEXT NOT NULL,
    need_id       BIGINT NOT NULL REFERENCES needs (id),
    recipient     TEXT NOT NULL,
    payload       JSONB NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       TIMESTAMPTZ NOT NULL,
    delivered_at  TIMESTAMPTZ
);
CREATE INDEX notifications_due_idx ON notifications (next_at) WHERE delivered_at IS NULL;
CREATE INDEX notifications_need_idx ON notifications (need_id);

CREATE TABLE secrets (
    name          TEXT PRIMARY KEY,
    value         BYTEA NOT NULL
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE notifications;
DROP TABLE need_events;
DROP TABLE assignments;
DROP INDEX needs_erase_idx;
DROP INDEX needs_waiting_idx;
DROP INDEX needs_queue_idx;
DROP INDEX needs_receipt_idx;
ALTER TABLE needs
    DROP COLUMN phone, DROP COLUMN receipt_hash, DROP COLUMN queue, DROP COLUMN order_skill,
    DROP COLUMN order_slots, DROP COLUMN order_start, DROP COLUMN order_end, DROP COLUMN order_urgency,
    DROP COLUMN order_mode, DROP COLUMN order_team_id, DROP COLUMN order_offered,
    DROP COLUMN order_dispatched_at, DROP COLUMN reason, DROP COLUMN rating, DROP COLUMN comment,
    DROP COLUMN version, DROP COLUMN updated_at, DROP COLUMN closed_at, DROP COLUMN erased_at;
DROP TABLE volunteers;
DROP TABLE teams;
