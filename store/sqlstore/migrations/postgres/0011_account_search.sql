-- dinhdanh schema, version 11, for PostgreSQL: account search, as
-- migrations/sqlite/0011_account_search.sql, plus the indexes that keep a
-- search fast over millions of accounts.
--
-- search_text of the rows that exist is computed here the way sqlstore's
-- foldSearch does it in Go: lower(), NFD, the combining marks U+0300–U+036F
-- removed, đ as d, runs of white space as one space, trimmed.

ALTER TABLE accounts ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE accounts SET search_text =
    btrim(regexp_replace(replace(regexp_replace(normalize(lower(full_name), NFD), '[\u0300-\u036f]', '', 'g'), 'đ', 'd'), '\s+', ' ', 'g'))
    || E'\n' ||
    btrim(regexp_replace(replace(regexp_replace(normalize(lower(coalesce(email, '')), NFD), '[\u0300-\u036f]', '', 'g'), 'đ', 'd'), '\s+', ' ', 'g'))
    || E'\n' || coalesce(phone, '') || E'\n' ||
    btrim(regexp_replace(replace(regexp_replace(normalize(lower(coalesce(official_username, '')), NFD), '[\u0300-\u036f]', '', 'g'), 'đ', 'd'), '\s+', ' ', 'g'));
CREATE INDEX accounts_created ON accounts (created_at, id);
CREATE INDEX accounts_agency ON accounts (official_agency, created_at, id);
-- A query of digits is a prefix of personal IDs: LIKE '001099%' uses this
-- index whatever the database's collation.
CREATE INDEX accounts_personal_id_prefix ON accounts (personal_id text_pattern_ops);

-- The trigram index answers search_text LIKE '%…%' (queries of three
-- characters or more). pg_trgm ships with PostgreSQL (contrib) and is a
-- trusted extension: the owner of the database may create it. When it is
-- missing or may not be created, the migration goes on without the index:
-- search stays correct, and reads every row. Once an administrator has run
-- CREATE EXTENSION pg_trgm, the index is created by hand:
--   CREATE INDEX accounts_search_trgm ON accounts USING gin (search_text gin_trgm_ops);
-- The operator class is named in the extension's schema, which need not be
-- on the search_path.
DO $$
DECLARE
    trgm text;
BEGIN
    SELECT n.nspname INTO trgm FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF trgm IS NULL THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm;
        EXCEPTION WHEN others THEN
            RAISE WARNING 'dinhdanh: CREATE EXTENSION pg_trgm failed (%): account search works without its trigram index, reading every row', SQLERRM;
        END;
        SELECT n.nspname INTO trgm FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname = 'pg_trgm';
    END IF;
    IF trgm IS NOT NULL THEN
        EXECUTE format('CREATE INDEX accounts_search_trgm ON accounts USING gin (search_text %I.gin_trgm_ops)', trgm);
    END IF;
END
$$;
