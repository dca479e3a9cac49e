-- dinhdanh schema, version 5, for PostgreSQL: the same table and index as
-- migrations/sqlite/0005_certificates.sql. BLOB is BYTEA; identifiers use the
-- "C" collation; unique constraints are named after the table, so that
-- sqlstore reports a taken certificate as a conflict on "certificate".

CREATE TABLE certificate_bindings (
    fingerprint TEXT COLLATE "C" NOT NULL,
    account_id  TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    issuer      TEXT COLLATE "C" NOT NULL,
    serial      TEXT COLLATE "C" NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    not_after   BIGINT NOT NULL,
    certificate BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    CONSTRAINT certificate_bindings_pkey PRIMARY KEY (fingerprint),
    CONSTRAINT certificate_bindings_issuer_serial_key UNIQUE (issuer, serial)
);
CREATE INDEX certificate_bindings_account ON certificate_bindings (account_id, created_at);
