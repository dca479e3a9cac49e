-- dinhdanh schema, version 8: the proofing of an account's personal ID
-- (identity.Proofing). A personal ID stored before this version was only
-- asserted: it reads as unverified until someone proves it.

ALTER TABLE accounts ADD COLUMN pid_state TEXT NOT NULL DEFAULT 'unverified';
ALTER TABLE accounts ADD COLUMN pid_method TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN pid_provider TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN pid_assurance TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN pid_document TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN pid_by TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN pid_at BIGINT NOT NULL DEFAULT 0;
