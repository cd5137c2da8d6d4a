-- Accounts, login sessions (refresh-token families), and the append-only, hash-chained audit
-- trail. Timestamps are UTC and set by the application.
CREATE TABLE users (
    id                   BIGSERIAL PRIMARY KEY,
    login                TEXT NOT NULL,
    role                 TEXT NOT NULL,
    facilities           TEXT NOT NULL,
    status               TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    password_changed_at  TIMESTAMP NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    CONSTRAINT users_login_key UNIQUE (login)
);

CREATE TABLE sessions (
    id              BIGSERIAL PRIMARY KEY,
    public_id       TEXT NOT NULL,
    user_id         BIGINT NOT NULL REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    revoked_at      TIMESTAMP,
    revoked_reason  TEXT,
    CONSTRAINT sessions_public_id_key UNIQUE (public_id)
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE refresh_tokens (
    id          BIGSERIAL PRIMARY KEY,
    session_id  BIGINT NOT NULL REFERENCES sessions (id),
    token_hash  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);

-- Ids are given by the application from audit_head, so they are consecutive: a deleted event
-- leaves a gap that verification names.
CREATE TABLE audit_events (
    id           BIGINT PRIMARY KEY,
    at           TIMESTAMP NOT NULL,
    user_id      BIGINT,
    login        TEXT,
    role         TEXT,
    action       TEXT NOT NULL,
    entity_kind  TEXT,
    entity_id    BIGINT,
    request_id   TEXT,
    outcome      TEXT NOT NULL,
    items        TEXT NOT NULL,
    detail       TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_events_at_idx ON audit_events (at);
CREATE INDEX audit_events_user_idx ON audit_events (user_id);
CREATE INDEX audit_events_entity_idx ON audit_events (entity_kind, entity_id);

-- The head of the chain: one row whose counter every event takes its id from, so concurrent
-- writers queue on its row lock and each finds the event before it already written.
CREATE TABLE audit_head (
    id       INTEGER PRIMARY KEY,
    last_id  BIGINT NOT NULL
);
INSERT INTO audit_head (id, last_id) VALUES (1, 0);

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
