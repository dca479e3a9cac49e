-- dinhdanh schema, version 1.
-- Times are Unix milliseconds (BIGINT); flags are 0/1 integers, so that the
-- same statements run on SQLite and PostgreSQL.

CREATE TABLE accounts (
    id                  TEXT PRIMARY KEY,
    full_name           TEXT NOT NULL,
    birthdate           TEXT NOT NULL DEFAULT '',
    gender              TEXT NOT NULL DEFAULT '',
    email               TEXT UNIQUE,
    email_verified      INTEGER NOT NULL DEFAULT 0,
    phone               TEXT UNIQUE,
    phone_verified      INTEGER NOT NULL DEFAULT 0,
    locale              TEXT NOT NULL DEFAULT '',
    personal_id         TEXT UNIQUE,
    is_official         INTEGER NOT NULL DEFAULT 0,
    official_directory  TEXT NOT NULL DEFAULT '',
    official_username   TEXT,
    official_agency     TEXT NOT NULL DEFAULT '',
    official_department TEXT NOT NULL DEFAULT '',
    official_title      TEXT NOT NULL DEFAULT '',
    official_roles      TEXT NOT NULL DEFAULT '[]',
    official_groups     TEXT NOT NULL DEFAULT '[]',
    admin               INTEGER NOT NULL DEFAULT 0,
    disabled            INTEGER NOT NULL DEFAULT 0,
    disabled_reason     TEXT NOT NULL DEFAULT '',
    password_hash       TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX accounts_username ON accounts (official_directory, official_username);

CREATE TABLE businesses (
    tax_code   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE representations (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    tax_code   TEXT NOT NULL REFERENCES businesses (tax_code) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    granted_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, tax_code)
);

CREATE TABLE clients (
    id          TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL DEFAULT '',
    settings    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE consents (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scopes     TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, client_id)
);

CREATE TABLE signing_keys (
    id             TEXT PRIMARY KEY,
    algorithm      TEXT NOT NULL,
    key_use        TEXT NOT NULL,
    sealed_private TEXT NOT NULL,
    public_jwk     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    retired_at     BIGINT NOT NULL DEFAULT 0,
    expires_at     BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE refresh_tokens (
    signature        TEXT PRIMARY KEY,
    request_id       TEXT NOT NULL,
    access_signature TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    session_id       TEXT NOT NULL DEFAULT '',
    active           INTEGER NOT NULL,
    request          BLOB NOT NULL,
    expires_at       BIGINT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_request ON refresh_tokens (request_id);
CREATE INDEX refresh_tokens_subject ON refresh_tokens (subject);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    time      BIGINT NOT NULL,
    type      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    subject   TEXT NOT NULL DEFAULT '',
    client_id TEXT NOT NULL DEFAULT '',
    address   TEXT NOT NULL DEFAULT '',
    details   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_subject ON audit_log (subject, id);

CREATE TABLE records (
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    request_id TEXT NOT NULL DEFAULT '',
    subject    TEXT NOT NULL DEFAULT '',
    data       BLOB,
    used       INTEGER NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX records_request ON records (kind, request_id);
CREATE INDEX records_subject ON records (kind, subject);
CREATE INDEX records_expiry ON records (expires_at);

CREATE TABLE counters (
    key        TEXT PRIMARY KEY,
    count      BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
