-- dinhdanh schema, version 3, for PostgreSQL: the same tables and indexes as
-- migrations/sqlite/0003_directory.sql. Identifiers use the "C" collation.

CREATE TABLE directory_entries (
    directory       TEXT COLLATE "C" NOT NULL,
    username        TEXT COLLATE "C" NOT NULL,
    account_id      TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    dn              TEXT NOT NULL,
    employee_number TEXT NOT NULL DEFAULT '',
    CONSTRAINT directory_entries_pkey PRIMARY KEY (directory, username)
);
CREATE INDEX directory_entries_account ON directory_entries (account_id);

CREATE TABLE directory_cursors (
    directory    TEXT COLLATE "C" NOT NULL,
    high_water   TEXT NOT NULL DEFAULT '',
    synced_at    BIGINT NOT NULL DEFAULT 0,
    full_sync_at BIGINT NOT NULL DEFAULT 0,
    entries      BIGINT NOT NULL DEFAULT 0,
    groups_digest TEXT NOT NULL DEFAULT '',
    CONSTRAINT directory_cursors_pkey PRIMARY KEY (directory)
);

CREATE INDEX accounts_official_username ON accounts (official_username);
