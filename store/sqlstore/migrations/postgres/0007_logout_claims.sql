-- dinhdanh schema, version 6: a back-channel logout delivery remembers the
-- claim that holds it, so that only the node holding the claim records the
-- outcome of an attempt; delivered and failed rows are purged by their last
-- update.

ALTER TABLE logout_deliveries ADD COLUMN claim TEXT NOT NULL DEFAULT '';
CREATE INDEX logout_deliveries_done ON logout_deliveries (state, updated_at);
