-- dinhdanh schema, version 3: LDAP staff directories. Each account made from
-- a directory entry is linked to it (DN and staff number); each directory
-- has a synchronisation cursor. Directory officials are found by
-- (official_directory, official_username), already unique since version 1.

CREATE TABLE directory_entries (
    directory       TEXT NOT NULL,
    username        TEXT NOT NULL,
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    dn              TEXT NOT NULL,
    employee_number TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (directory, username)
);
CREATE INDEX directory_entries_account ON directory_entries (account_id);

CREATE TABLE directory_cursors (
    directory    TEXT PRIMARY KEY,
    high_water   TEXT NOT NULL DEFAULT '',
    synced_at    BIGINT NOT NULL DEFAULT 0,
    full_sync_at BIGINT NOT NULL DEFAULT 0,
    entries      BIGINT NOT NULL DEFAULT 0,
    groups_digest TEXT NOT NULL DEFAULT ''
);

CREATE INDEX accounts_official_username ON accounts (official_username);
