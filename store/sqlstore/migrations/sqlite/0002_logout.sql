-- Version 2: single logout. Refresh tokens know whether they are offline
-- tokens; SSO sessions leave a durable trace; back-channel logout
-- notifications wait in a durable queue.

ALTER TABLE refresh_tokens ADD COLUMN offline INTEGER NOT NULL DEFAULT 0;
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE sso_sessions (
    id         TEXT PRIMARY KEY,
    subject    TEXT NOT NULL,
    clients    TEXT NOT NULL DEFAULT '',
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sso_sessions_expiry ON sso_sessions (expires_at);
CREATE INDEX sso_sessions_subject ON sso_sessions (subject);

CREATE TABLE logout_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id       TEXT NOT NULL,
    uri             TEXT NOT NULL,
    subject         TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    jti             TEXT NOT NULL,
    reason          TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX logout_deliveries_due ON logout_deliveries (state, next_attempt_at);
