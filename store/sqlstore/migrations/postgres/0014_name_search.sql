-- dinhdanh schema, version 14, for PostgreSQL: indexes that answer a search
-- of several words without reading the trigrams of a name.
--
-- A query of several words ("nguyen thi ha") is a phrase of the folded name
-- (the first line of search_text): its words in that order, each complete but
-- the last, which may begin a word; or a substring of the email, phone or
-- username (the lines after the first). sqlstore's ListAccounts writes the
-- first as
--   array_to_tsvector(array_remove(string_to_array(split_part(search_text, E'\n', 1), ' '), ''))
--       @@ 'nguyen' & 'thi' & 'ha':*
--   AND (' ' || search_text) LIKE '% nguyen thi ha%'
-- and the second as
--   substr(search_text, strpos(search_text, E'\n') + 1) LIKE '%nguyen thi ha%'
-- Each has an index below. The words of a name are the lexemes of the
-- tsvector exactly as folded (no parser, no dictionary: "h'hen" stays one
-- word; array_remove keeps an empty word, which a tsvector refuses, out of
-- it), so the rarest word of a query bounds the rows read, where the
-- trigrams of "nguyen" and "thi" are each in a third to a half of all rows.
-- A query of one word keeps the trigram index of migration 0011.
CREATE INDEX accounts_name_words ON accounts
    USING gin (array_to_tsvector(array_remove(string_to_array(split_part(search_text, E'\n', 1), ' '), '')));

-- The trigram index of the lines after the name, when pg_trgm is there (see
-- migration 0011: without it, a search of several words reads every row).
DO $$
DECLARE
    trgm text;
BEGIN
    SELECT n.nspname INTO trgm FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF trgm IS NOT NULL THEN
        EXECUTE format('CREATE INDEX accounts_search_rest_trgm ON accounts USING gin ((substr(search_text, strpos(search_text, E''\n'') + 1)) %I.gin_trgm_ops)', trgm);
    ELSE
        RAISE WARNING 'dinhdanh: pg_trgm is not installed: a search of several words reads every row';
    END IF;
END
$$;
