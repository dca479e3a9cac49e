-- dinhdanh schema, version 11: account search. search_text holds the
-- account's name, email, phone and official username, folded (lower case,
-- without diacritics, đ as d, single spaces) and separated by newlines, as
-- sqlstore writes it with every account; the rows that exist are filled by
-- the same Go function, registered on every connection. The list of
-- accounts is ordered by (created_at, id), and an agency admin lists the
-- officials of an agency.

ALTER TABLE accounts ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE accounts SET search_text = dinhdanh_search_text(full_name, email, phone, official_username);
CREATE INDEX accounts_created ON accounts (created_at, id);
CREATE INDEX accounts_agency ON accounts (official_agency, created_at, id);
