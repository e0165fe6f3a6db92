-- Volunteers, teams and the service workflow of needs (the dispatch issue, #9): volunteers and
-- teams, the workflow's columns of a need, assignments, the history of each need, the outbox of
-- notifications and the service's own secrets. Times are Unix microseconds (UTC) like the other
-- tables; NULL where a time is optional (not yet ordered, dispatched, closed, erased, …).

-- +goose Up
CREATE TABLE teams (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    tier        TEXT NOT NULL,
    site_code   TEXT NOT NULL,
    leader_id   INTEGER NULL REFERENCES users (id),      -- NULL: no leader yet
    skills      TEXT NOT NULL DEFAULT '',                 -- comma-separated, sorted
    demo        INTEGER NOT NULL DEFAULT 0,
    created_us  INTEGER NOT NULL,
    updated_us  INTEGER NOT NULL,
    UNIQUE (site_code, name)
);

CREATE TABLE volunteers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NULL UNIQUE REFERENCES users (id), -- NULL: no account
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL DEFAULT '',
    skills        TEXT NOT NULL DEFAULT '',               -- comma-separated, sorted
    teams         TEXT NOT NULL DEFAULT '',               -- JSON array of team ids, sorted; '' for none
    lon           REAL NOT NULL,
    lat           REAL NOT NULL,
    coord_source  TEXT NOT NULL,
    precision     TEXT NOT NULL,
    site_code     TEXT NOT NULL,
    windows       TEXT NOT NULL DEFAULT '',               -- JSON [[day, from, to], …]; '' for none
    on_duty       INTEGER NOT NULL DEFAULT 0,
    max_open      INTEGER NOT NULL,
    core          INTEGER NOT NULL DEFAULT 0,
    mentor_id     INTEGER NULL REFERENCES volunteers (id), -- NULL: none
    active        INTEGER NOT NULL DEFAULT 1,
    demo          INTEGER NOT NULL DEFAULT 0,
    open_orders   INTEGER NOT NULL DEFAULT 0,
    created_us    INTEGER NOT NULL,
    updated_us    INTEGER NOT NULL
);
-- An import matches people by their number: one volunteer per phone.
CREATE UNIQUE INDEX volunteers_phone_idx ON volunteers (phone) WHERE phone <> '';
CREATE INDEX volunteers_site_idx ON volunteers (site_code);

-- The workflow's state of a need (civmap.Need; package workflow changes it).
ALTER TABLE needs ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN receipt_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN queue TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN order_skill TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN order_slots INTEGER NOT NULL DEFAULT 0;
ALTER TABLE needs ADD COLUMN order_start_us INTEGER NULL;
ALTER TABLE needs ADD COLUMN order_end_us INTEGER NULL;
ALTER TABLE needs ADD COLUMN order_urgency TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN order_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN order_team_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE needs ADD COLUMN order_offered TEXT NOT NULL DEFAULT '';  -- JSON array of volunteer ids; '' for none
ALTER TABLE needs ADD COLUMN order_dispatched_us INTEGER NULL;
ALTER TABLE needs ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;
ALTER TABLE needs ADD COLUMN comment TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE needs ADD COLUMN updated_us INTEGER NOT NULL DEFAULT 0;
ALTER TABLE needs ADD COLUMN closed_us INTEGER NULL;
ALTER TABLE needs ADD COLUMN erased_us INTEGER NULL;
UPDATE needs SET queue = site_code, updated_us = created_us;
-- A receipt names one need (NeedByReceipt).
CREATE UNIQUE INDEX needs_receipt_idx ON needs (receipt_hash) WHERE receipt_hash <> '';
-- Retention: closed needs not yet erased.
CREATE INDEX needs_closed_idx ON needs (closed_us) WHERE closed_us IS NOT NULL AND erased_us IS NULL;

-- One volunteer's part in an order (civmap.Assignment).
CREATE TABLE assignments (
    need_id       INTEGER NOT NULL REFERENCES needs (id),
    volunteer_id  INTEGER NOT NULL REFERENCES volunteers (id),
    state         TEXT NOT NULL,
    accepted_us   INTEGER NULL,
    started_us    INTEGER NULL,
    done_us       INTEGER NULL,
    hours         REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (need_id, volunteer_id)
) WITHOUT ROWID;
CREATE INDEX assignments_volunteer_idx ON assignments (volunteer_id);

-- The history of each need: one row per transition (civmap.NeedEvent).
CREATE TABLE need_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    need_id       INTEGER NOT NULL REFERENCES needs (id),
    at_us         INTEGER NOT NULL,
    action        TEXT NOT NULL,
    from_status   TEXT NOT NULL DEFAULT '',
    to_status     TEXT NOT NULL,
    actor_role    TEXT NOT NULL DEFAULT '',
    actor_id      INTEGER NOT NULL DEFAULT 0,
    volunteer_id  INTEGER NOT NULL DEFAULT 0,
    team          TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX need_events_need_idx ON need_events (need_id, id);

-- The outbox (civmap.Notification): written in the transition's transaction, delivered at
-- least once; key is the idempotency key "need/{id}/event/{event id}/{recipient}".
CREATE TABLE notifications (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    key           TEXT NOT NULL UNIQUE,
    type          TEXT NOT NULL,
    need_id       INTEGER NOT NULL REFERENCES needs (id),
    recipient     TEXT NOT NULL,
    payload       BLOB NOT NULL,
    created_us    INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_us       INTEGER NOT NULL,
    delivered_us  INTEGER NULL
);
-- What a sender claims: undelivered and due.
CREATE INDEX notifications_due_idx ON notifications (next_us) WHERE delivered_us IS NULL;

-- The service's own secrets (e.g. the key receipts are derived with): 32 random bytes each,
-- created on first use.
CREATE TABLE secrets (
    name        TEXT PRIMARY KEY,
    value       BLOB NOT NULL,
    created_us  INTEGER NOT NULL
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE notifications;
DROP TABLE need_events;
DROP TABLE assignments;
DROP INDEX needs_closed_idx;
DROP INDEX needs_receipt_idx;
ALTER TABLE needs DROP COLUMN erased_us;
ALTER TABLE needs DROP COLUMN closed_us;
ALTER TABLE needs DROP COLUMN updated_us;
ALTER TABLE needs DROP COLUMN version;
ALTER TABLE needs DROP COLUMN comment;
ALTER TABLE needs DROP COLUMN rating;
ALTER TABLE needs DROP COLUMN reason;
ALTER TABLE needs DROP COLUMN order_dispatched_us;
ALTER TABLE needs DROP COLUMN order_offered;
ALTER TABLE needs DROP COLUMN order_team_id;
ALTER TABLE needs DROP COLUMN order_mode;
ALTER TABLE needs DROP COLUMN order_urgency;
ALTER TABLE needs DROP COLUMN order_end_us;
ALTER TABLE needs DROP COLUMN order_start_us;
ALTER TABLE needs DROP COLUMN order_slots;
ALTER TABLE needs DROP COLUMN order_skill;
ALTER TABLE needs DROP COLUMN queue;
ALTER TABLE needs DROP COLUMN receipt_hash;
ALTER TABLE needs DROP COLUMN phone;
DROP TABLE volunteers;
DROP TABLE teams;
