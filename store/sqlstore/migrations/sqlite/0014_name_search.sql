-- dinhdanh schema, version 14: nothing changes on SQLite. The PostgreSQL
-- migration of the same number adds the indexes of a search of several words
-- (a phrase of the name, or a substring of the email, phone or username);
-- SQLite answers the same query by reading the accounts in creation order.
SELECT 1;
