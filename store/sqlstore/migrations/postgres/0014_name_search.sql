-- dinhdanh schema, version 14, for PostgreSQL: indexes that answer a search
-- of several words without reading the trigrams of a name.
--
-- A query of several words ("nguyen thi ha") is a phrase of the folded name
-- (the first line of search_text): its words in that order, next to each
-- other, each complete but the last, which may begin a word; or a substring
-- of the email, phone or username (the lines after the first). sqlstore's
-- ListAccounts writes the first as
--   coalesce((' ' || search_text) LIKE '% nguyen thi ha%', false)
--   AND name_pairs @@ 'nguyen thi' & 'thi ha':*
-- and the second as
--   substr(search_text, strpos(search_text, E'\n') + 1) LIKE '%nguyen thi ha%'
-- Each has an index below.
--
-- name_pairs, a column that PostgreSQL computes from search_text, holds the
-- pairs of neighbouring words of the name ("nguyen thi", "thi ha"), each a
-- lexeme as it is (no parser, no dictionary: "h'hen nie" stays one pair).
-- Every name that holds the phrase holds the pairs of the query, the last by
-- prefix, so the tsquery only narrows the rows that the LIKE decides on.
-- Pairs rather than words: the rarest pair bounds the rows read, where the
-- words "nguyen" and "thi" are each in a third to a tenth of all rows; and
-- the statistics of the pairs tell the planner how many rows a phrase finds
-- (family, middle and given names go together: "van" and "an" are each
-- common, "van an" is rare), so that it reads a frequent phrase ("nguyen
-- thi", 4 % of the rows) in creation order and stops at the end of the page,
-- and a rare one through the index. coalesce keeps the LIKE's own estimate
-- (0.5 % of the rows, whatever the pattern) out: the planner counts 50 %.
-- The column is stored, not an index expression, so that checking a row
-- reads it rather than splitting the name again. A pair is cut to its first
-- 500 characters (at most 2,000 bytes: a lexeme holds less than 2,048): the
-- pairs of a query are no longer (sqlstore reads the rows for a query with a
-- longer pair), so a pair of a query still begins the pair it begins, or
-- equals the pair it equals.
CREATE FUNCTION dinhdanh_name_pairs(search_text text) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    w text[] := string_to_array(split_part(search_text, E'\n', 1), ' ');
    p text[] := '{}';
BEGIN
    FOR i IN 1 .. coalesce(array_length(w, 1), 0) - 1 LOOP
        IF w[i] <> '' AND w[i + 1] <> '' THEN
            p := p || left(w[i] || ' ' || w[i + 1], 500);
        END IF;
    END LOOP;
    RETURN array_to_tsvector(p);
END
$$;
ALTER TABLE accounts ADD COLUMN name_pairs tsvector GENERATED ALWAYS AS (dinhdanh_name_pairs(search_text)) STORED;
-- About 3,000 pairs are common in a province: the statistics keep 10,000.
ALTER TABLE accounts ALTER COLUMN name_pairs SET STATISTICS 1000;
CREATE INDEX accounts_name_pairs ON accounts USING gin (name_pairs);

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
