-- dinhdanh schema, version 5: digital-signature certificates bound to
-- accounts. A certificate is named by the SHA-256 fingerprint of its DER
-- encoding and by its issuer and serial number; each is unique, so that one
-- certificate identifies at most one account.

CREATE TABLE certificate_bindings (
    fingerprint TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    issuer      TEXT NOT NULL,
    serial      TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    not_after   BIGINT NOT NULL,
    certificate BLOB NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (issuer, serial)
);
CREATE INDEX certificate_bindings_account ON certificate_bindings (account_id, created_at);
