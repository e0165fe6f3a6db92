-- Accounts (users, sessions, API tokens), the sign-in throttle, the append-only audit log,
-- moderation of activities and needs, and de-duplication of need submissions (the accounts
-- issue, #8). Times are Unix microseconds (UTC) like the other tables; NULL where a time is
-- optional (never issued, never used, not revoked). Secrets are kept only as hashes.

-- +goose Up
CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    login           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,
    scope           TEXT NOT NULL DEFAULT '',
    password_hash   TEXT NOT NULL DEFAULT '',
    code_hash       TEXT NOT NULL DEFAULT '',
    code_issued_us  INTEGER,
    disabled        INTEGER NOT NULL DEFAULT 0,
    demo            INTEGER NOT NULL DEFAULT 0,
    created_us      INTEGER NOT NULL,
    updated_us      INTEGER NOT NULL
);
-- A personal code signs in one user: look it up by hash, never two users with one code.
CREATE UNIQUE INDEX users_code_idx ON users (code_hash) WHERE code_hash <> '';

CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    kind          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_us    INTEGER NOT NULL,
    last_seen_us  INTEGER NOT NULL,
    expires_us    INTEGER NOT NULL,
    idle_us       INTEGER NOT NULL,
    addr          TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT '',
    revoked_us    INTEGER
);
CREATE INDEX sessions_user_idx ON sessions (user_id, created_us);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE,
    prefix        TEXT NOT NULL DEFAULT '',
    created_by    INTEGER NOT NULL DEFAULT 0,
    created_us    INTEGER NOT NULL,
    last_used_us  INTEGER,
    revoked_us    INTEGER
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, created_us);

-- Failed sign-ins per throttle key ("login:…", "addr:…"), read by auth's back-off.
CREATE TABLE login_failures (
    key      TEXT PRIMARY KEY,
    count    INTEGER NOT NULL,
    last_us  INTEGER NOT NULL
);

-- The audit log. Append-only: the triggers below refuse UPDATE and DELETE, and an INSERT that
-- would replace an existing row (INSERT OR REPLACE deletes without firing delete triggers).
-- The Down migration keeps it.
CREATE TABLE IF NOT EXISTS audit (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at_us        INTEGER NOT NULL,
    actor_id     INTEGER NOT NULL DEFAULT 0,
    actor_login  TEXT NOT NULL DEFAULT '',
    actor_role   TEXT NOT NULL DEFAULT '',
    addr         TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    record_id    TEXT NOT NULL DEFAULT '',
    before       TEXT NULL,
    after        TEXT NULL,
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_record_idx ON audit (kind, record_id);
CREATE INDEX IF NOT EXISTS audit_actor_idx ON audit (actor_id);
CREATE INDEX IF NOT EXISTS audit_at_idx ON audit (at_us);

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS audit_no_replace BEFORE INSERT ON audit
WHEN EXISTS (SELECT 1 FROM audit WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
-- +goose StatementEnd

-- Moderation: a hidden record stays stored (and visible to staff) with the reason.
ALTER TABLE activities ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activities ADD COLUMN hidden_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE needs ADD COLUMN hidden_reason TEXT NOT NULL DEFAULT '';

-- De-duplication of need submissions: the same key within civmap.NeedDedupeWindow.
ALTER TABLE needs ADD COLUMN dedupe_key TEXT NOT NULL DEFAULT '';
CREATE INDEX needs_dedupe_idx ON needs (dedupe_key, created_us);

-- +goose Down
DROP INDEX needs_dedupe_idx;
ALTER TABLE needs DROP COLUMN dedupe_key;
ALTER TABLE needs DROP COLUMN hidden_reason;
ALTER TABLE needs DROP COLUMN hidden;
ALTER TABLE activities DROP COLUMN hidden_reason;
ALTER TABLE activities DROP COLUMN hidden;
-- The audit log and its triggers are kept: no migration deletes audit records (the Up
-- creates them only if missing, so migrating up again reuses the kept log).
DROP TABLE login_failures;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
