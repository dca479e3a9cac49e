-- dinhdanh schema, version 17, for PostgreSQL: the same columns, tables and
-- indexes as migrations/sqlite/0017_revocations.sql.

CREATE TABLE token_revocations (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    revoked_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    CONSTRAINT token_revocations_pkey PRIMARY KEY (kind, id)
);
CREATE INDEX token_revocations_expiry ON token_revocations (expires_at);

CREATE TABLE node_heartbeats (
    node    TEXT NOT NULL,
    beat_at BIGINT NOT NULL,
    CONSTRAINT node_heartbeats_pkey PRIMARY KEY (node)
);
