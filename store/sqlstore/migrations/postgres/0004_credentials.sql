-- dinhdanh schema, version 4, for PostgreSQL: the same tables and index as
-- migrations/sqlite/0004_credentials.sql. BLOB is BYTEA; identifiers use the
-- "C" collation; constraints are named after their table, so that sqlstore
-- reports a credential id already stored as a conflict on
-- "webauthn_credential".

CREATE TABLE totp_credentials (
    account_id    TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id            TEXT COLLATE "C" NOT NULL,
    sealed_secret BYTEA NOT NULL,
    digits        INTEGER NOT NULL,
    period        INTEGER NOT NULL,
    last_step     BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT totp_credentials_pkey PRIMARY KEY (account_id)
);

CREATE TABLE recovery_codes (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash  TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT recovery_codes_pkey PRIMARY KEY (account_id, code_hash)
);

CREATE TABLE webauthn_credentials (
    id                 TEXT COLLATE "C" NOT NULL,
    account_id         TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    public_key         BYTEA NOT NULL,
    attestation_type   TEXT NOT NULL DEFAULT '',
    attestation_format TEXT NOT NULL DEFAULT '',
    aaguid             BYTEA NOT NULL,
    sign_count         BIGINT NOT NULL DEFAULT 0,
    transports         TEXT NOT NULL DEFAULT '[]',
    discoverable       INTEGER NOT NULL DEFAULT 0,
    user_verified      INTEGER NOT NULL DEFAULT 0,
    backup_eligible    INTEGER NOT NULL DEFAULT 0,
    backup_state       INTEGER NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    last_used_at       BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT webauthn_credentials_pkey PRIMARY KEY (id)
);
CREATE INDEX webauthn_credentials_account ON webauthn_credentials (account_id, created_at);
