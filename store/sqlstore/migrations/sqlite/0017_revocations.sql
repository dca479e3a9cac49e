-- Version 17: the durable list of revoked access tokens (store.TokenRevocations)
-- and the write heartbeat of each node (readiness: DB.ProbeWrite).
-- A revocation names a grant (kind 'grant': every token of one request id)
-- or a subject (kind 'subject': every token of the account issued at or
-- before revoked_at); it is kept until expires_at, when the last token it
-- names has expired.

CREATE TABLE token_revocations (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    revoked_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX token_revocations_expiry ON token_revocations (expires_at);

CREATE TABLE node_heartbeats (
    node    TEXT NOT NULL PRIMARY KEY,
    beat_at BIGINT NOT NULL
);
