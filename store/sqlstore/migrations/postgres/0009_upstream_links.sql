-- dinhdanh schema, version 9: the subjects of upstream OpenID Connect
-- providers (VNeID, the national portal) linked to accounts, so that a
-- person who comes back through a provider finds the same account.

CREATE TABLE upstream_links (
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX upstream_links_account ON upstream_links (account_id);
