-- dinhdanh schema, version 6, for PostgreSQL: the same column as
-- migrations/sqlite/0006_refresh_business.sql.

ALTER TABLE refresh_tokens ADD COLUMN tax_code TEXT COLLATE "C" NOT NULL DEFAULT '';
