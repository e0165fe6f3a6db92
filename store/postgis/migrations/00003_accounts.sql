-- Accounts (users, sessions, API tokens, sign-in throttle), the append-only audit log, the
-- moderation of activities and needs, and the de-duplication key of needs
-- (store.Accounts, store.Throttle, store.Audit, store.Activities.Moderate, store.Needs.CreateNeed).
-- Secrets are kept only as SHA-256 hashes (hex) or, for passwords, argon2id PHC strings.

-- +goose Up
CREATE TABLE users (
    id             BIGSERIAL PRIMARY KEY,
    login          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    scope          TEXT NOT NULL DEFAULT '',
    password_hash  TEXT NOT NULL DEFAULT '',
    code_hash      TEXT NOT NULL DEFAULT '',
    code_issued_at TIMESTAMPTZ,
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    demo           BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
-- One user per personal code: a (practically impossible) collision must not sign a volunteer in
-- as another.
CREATE UNIQUE INDEX users_code_hash_idx ON users (code_hash) WHERE code_hash <> '';
CREATE INDEX users_role_idx ON users (role, id);

CREATE TABLE sessions (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    kind          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    idle          INTERVAL NOT NULL,
    addr          TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT '',
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_tokens (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE,
    prefix        TEXT NOT NULL DEFAULT '',
    created_by    BIGINT NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Failed sign-ins per throttle key ("login:…", "addr:…"), shared by every instance.
CREATE TABLE login_failures (
    key           TEXT PRIMARY KEY,
    count         INTEGER NOT NULL,
    last_at       TIMESTAMPTZ NOT NULL
);

-- The audit log: rows are only ever inserted (see the triggers below).
CREATE TABLE audit (
    id            BIGSERIAL PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    actor_id      BIGINT NOT NULL DEFAULT 0,
    actor_login   TEXT NOT NULL DEFAULT '',
    actor_role    TEXT NOT NULL DEFAULT '',
    addr          TEXT NOT NULL DEFAULT '',
    action        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    record_id     TEXT NOT NULL DEFAULT '',
    before        JSONB,
    after         JSONB,
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_actor_idx ON audit (actor_id, id);
CREATE INDEX audit_record_idx ON audit (kind, record_id, id);
CREATE INDEX audit_action_idx ON audit (action, id);
CREATE INDEX audit_at_idx ON audit (at);

-- Append-only, underneath the application: any UPDATE, DELETE or TRUNCATE of audit fails, for
-- every role — superusers and roles granted the privileges included — unless someone first
-- drops or disables these triggers (which needs the table's owner and leaves a trace in the
-- server log when log_statement covers DDL).
-- +goose StatementBegin
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on audit is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
-- And the privileges: nobody is granted them by default, and the owner (the role that ran this
-- migration, usually the service's) gives up its own.
REVOKE UPDATE, DELETE, TRUNCATE ON audit FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit FROM CURRENT_USER;

-- Moderation: hidden records stay stored and leave public lists, tiles and cluster counts.
ALTER TABLE activities
    ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN hidden_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE needs
    ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN hidden_reason TEXT NOT NULL DEFAULT '',
    ADD COLUMN dedupe_key TEXT NOT NULL DEFAULT '';
CREATE INDEX needs_dedupe_idx ON needs (dedupe_key, created_at) WHERE dedupe_key <> '';

-- Cluster counts and the clusters layer count visible records only: the per-resolution cell
-- indexes become partial (WHERE NOT hidden), so a count stays an index-only GROUP BY.
DROP INDEX activities_h3_0_idx;
DROP INDEX activities_h3_1_idx;
DROP INDEX activities_h3_2_idx;
DROP INDEX activities_h3_3_idx;
DROP INDEX activities_h3_4_idx;
DROP INDEX activities_h3_5_idx;
DROP INDEX activities_h3_6_idx;
DROP INDEX activities_h3_7_idx;
DROP INDEX activities_h3_8_idx;
DROP INDEX activities_h3_9_idx;
DROP INDEX activities_h3_10_idx;
DROP INDEX activities_h3_11_idx;
CREATE INDEX activities_h3_0_idx ON activities (h3_0) WHERE NOT hidden;
CREATE INDEX activities_h3_1_idx ON activities (h3_1) WHERE NOT hidden;
CREATE INDEX activities_h3_2_idx ON activities (h3_2) WHERE NOT hidden;
CREATE INDEX activities_h3_3_idx ON activities (h3_3) WHERE NOT hidden;
CREATE INDEX activities_h3_4_idx ON activities (h3_4) WHERE NOT hidden;
CREATE INDEX activities_h3_5_idx ON activities (h3_5) WHERE NOT hidden;
CREATE INDEX activities_h3_6_idx ON activities (h3_6) WHERE NOT hidden;
CREATE INDEX activities_h3_7_idx ON activities (h3_7) WHERE NOT hidden;
CREATE INDEX activities_h3_8_idx ON activities (h3_8) WHERE NOT hidden;
CREATE INDEX activities_h3_9_idx ON activities (h3_9) WHERE NOT hidden;
CREATE INDEX activities_h3_10_idx ON activities (h3_10) WHERE NOT hidden;
CREATE INDEX activities_h3_11_idx ON activities (h3_11) WHERE NOT hidden;
DROP INDEX needs_h3_0_idx;
DROP INDEX needs_h3_1_idx;
DROP INDEX needs_h3_2_idx;
DROP INDEX needs_h3_3_idx;
DROP INDEX needs_h3_4_idx;
DROP INDEX needs_h3_5_idx;
DROP INDEX needs_h3_6_idx;
DROP INDEX needs_h3_7_idx;
DROP INDEX needs_h3_8_idx;
DROP INDEX needs_h3_9_idx;
DROP INDEX needs_h3_10_idx;
DROP INDEX needs_h3_11_idx;
CREATE INDEX needs_h3_0_idx ON needs (h3_0) WHERE NOT hidden;
CREATE INDEX needs_h3_1_idx ON needs (h3_1) WHERE NOT hidden;
CREATE INDEX needs_h3_2_idx ON needs (h3_2) WHERE NOT hidden;
CREATE INDEX needs_h3_3_idx ON needs (h3_3) WHERE NOT hidden;
CREATE INDEX needs_h3_4_idx ON needs (h3_4) WHERE NOT hidden;
CREATE INDEX needs_h3_5_idx ON needs (h3_5) WHERE NOT hidden;
CREATE INDEX needs_h3_6_idx ON needs (h3_6) WHERE NOT hidden;
CREATE INDEX needs_h3_7_idx ON needs (h3_7) WHERE NOT hidden;
CREATE INDEX needs_h3_8_idx ON needs (h3_8) WHERE NOT hidden;
CREATE INDEX needs_h3_9_idx ON needs (h3_9) WHERE NOT hidden;
CREATE INDEX needs_h3_10_idx ON needs (h3_10) WHERE NOT hidden;
CREATE INDEX needs_h3_11_idx ON needs (h3_11) WHERE NOT hidden;

-- +goose Down
DROP INDEX needs_h3_0_idx;
DROP INDEX needs_h3_1_idx;
DROP INDEX needs_h3_2_idx;
DROP INDEX needs_h3_3_idx;
DROP INDEX needs_h3_4_idx;
DROP INDEX needs_h3_5_idx;
DROP INDEX needs_h3_6_idx;
DROP INDEX needs_h3_7_idx;
DROP INDEX needs_h3_8_idx;
DROP INDEX needs_h3_9_idx;
DROP INDEX needs_h3_10_idx;
DROP INDEX needs_h3_11_idx;
DROP INDEX activities_h3_0_idx;
DROP INDEX activities_h3_1_idx;
DROP INDEX activities_h3_2_idx;
DROP INDEX activities_h3_3_idx;
DROP INDEX activities_h3_4_idx;
DROP INDEX activities_h3_5_idx;
DROP INDEX activities_h3_6_idx;
DROP INDEX activities_h3_7_idx;
DROP INDEX activities_h3_8_idx;
DROP INDEX activities_h3_9_idx;
DROP INDEX activities_h3_10_idx;
DROP INDEX activities_h3_11_idx;
DROP INDEX needs_dedupe_idx;
ALTER TABLE needs DROP COLUMN dedupe_key, DROP COLUMN hidden_reason, DROP COLUMN hidden;
ALTER TABLE activities DROP COLUMN hidden_reason, DROP COLUMN hidden;
CREATE INDEX activities_h3_0_idx ON activities (h3_0);
CREATE INDEX activities_h3_1_idx ON activities (h3_1);
CREATE INDEX activities_h3_2_idx ON activities (h3_2);
CREATE INDEX activities_h3_3_idx ON activities (h3_3);
CREATE INDEX activities_h3_4_idx ON activities (h3_4);
CREATE INDEX activities_h3_5_idx ON activities (h3_5);
CREATE INDEX activities_h3_6_idx ON activities (h3_6);
CREATE INDEX activities_h3_7_idx ON activities (h3_7);
CREATE INDEX activities_h3_8_idx ON activities (h3_8);
CREATE INDEX activities_h3_9_idx ON activities (h3_9);
CREATE INDEX activities_h3_10_idx ON activities (h3_10);
CREATE INDEX activities_h3_11_idx ON activities (h3_11);
CREATE INDEX needs_h3_0_idx ON needs (h3_0);
CREATE INDEX needs_h3_1_idx ON needs (h3_1);
CREATE INDEX needs_h3_2_idx ON needs (h3_2);
CREATE INDEX needs_h3_3_idx ON needs (h3_3);
CREATE INDEX needs_h3_4_idx ON needs (h3_4);
CREATE INDEX needs_h3_5_idx ON needs (h3_5);
CREATE INDEX needs_h3_6_idx ON needs (h3_6);
CREATE INDEX needs_h3_7_idx ON needs (h3_7);
CREATE INDEX needs_h3_8_idx ON needs (h3_8);
CREATE INDEX needs_h3_9_idx ON needs (h3_9);
CREATE INDEX needs_h3_10_idx ON needs (h3_10);
CREATE INDEX needs_h3_11_idx ON needs (h3_11);
DROP TABLE audit;
DROP FUNCTION audit_append_only();
DROP TABLE login_failures;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
