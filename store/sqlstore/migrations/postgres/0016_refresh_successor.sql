-- Version 16: a rotated refresh token remembers its successor, so that the
-- same token presented again by its client within the reuse window is
-- answered with that successor instead of revoking the family. rotated_at
-- is when it was rotated away (0: never); successor is the successor's
-- signature; successor_seal is the successor token itself, sealed under a
-- key derived from the rotated token (only its presenter can open it).

ALTER TABLE refresh_tokens ADD COLUMN rotated_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE refresh_tokens ADD COLUMN successor TEXT NOT NULL DEFAULT '';
ALTER TABLE refresh_tokens ADD COLUMN successor_seal BYTEA NOT NULL DEFAULT ''::bytea;
