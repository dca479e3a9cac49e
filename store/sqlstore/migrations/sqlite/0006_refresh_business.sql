-- Version 6: a refresh-token family remembers the business it acts for (the
-- tax code of the session it was issued from, '' for the person themselves),
-- so that unlinking a representative revokes the families that carry that
-- business (RevokeRefreshTokensOfBusiness). Tokens issued before this version
-- carry ''; the token endpoint re-checks the representation at every refresh.

ALTER TABLE refresh_tokens ADD COLUMN tax_code TEXT NOT NULL DEFAULT '';
