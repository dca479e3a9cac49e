-- dinhdanh schema, version 10: the audit log as a hash chain, and the
-- indexes of its search.
--
-- Each event carries the hash of the event before it (prev_hash) and its own
-- (hash, see store.AuditHash). audit_chain is one row: the chain's start
-- (events with a lower id predate the chain and carry no hash), its anchor
-- (the last event removed by retention, whose hash the oldest kept event
-- carries as prev_hash) and its head (the last event appended). Appending
-- updates the head in the same transaction as the insert, which serialises
-- appenders on every engine and gives gapless ids.

ALTER TABLE audit_log ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';

CREATE TABLE audit_chain (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    start_id    BIGINT NOT NULL,
    anchor_id   BIGINT NOT NULL,
    anchor_hash TEXT NOT NULL,
    head_id     BIGINT NOT NULL,
    head_hash   TEXT NOT NULL
);
INSERT INTO audit_chain (id, start_id, anchor_id, anchor_hash, head_id, head_hash)
    SELECT 1, COALESCE(MAX(id), 0) + 1, COALESCE(MAX(id), 0), '', COALESCE(MAX(id), 0), '' FROM audit_log;

CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_client ON audit_log (client_id, id);
CREATE INDEX audit_log_type ON audit_log (type, id);
CREATE INDEX audit_log_address ON audit_log (address, id);
CREATE INDEX audit_log_time ON audit_log (time, id);
