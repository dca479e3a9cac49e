-- Version 15: personal-data rights (Law 91/2025/QH15). consent_events is the
-- history of every consent (granted, changed, withdrawn), kept when the
-- consent itself is withdrawn or its client deleted; privacy_acceptances
-- records which version of the operator's privacy notice a person accepted
-- and when; closed_accounts marks the accounts their holders deleted, with
-- the end of the retention of the audit events about them.

CREATE TABLE consent_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    action     TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX consent_events_account ON consent_events (account_id, id);

CREATE TABLE privacy_acceptances (
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    version     TEXT NOT NULL,
    accepted_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, version)
);

CREATE TABLE closed_accounts (
    account_id  TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    closed_at   BIGINT NOT NULL,
    audit_until BIGINT NOT NULL
);
