-- dinhdanh schema, version 12: administrative roles held per agency.
-- An account may administer when it holds at least one role; the old admin
-- flag of the accounts table becomes one super_admin role each, and the
-- flag is no longer read (the roles are the one source).

CREATE TABLE admin_roles (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    agency     TEXT NOT NULL,
    sub_units  INTEGER NOT NULL DEFAULT 0,
    granted_by TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, role, agency)
);
CREATE INDEX admin_roles_agency ON admin_roles (agency, role);

INSERT INTO admin_roles (account_id, role, agency, sub_units, granted_by, granted_at)
    SELECT id, 'super_admin', '', 0, 'migration', updated_at FROM accounts WHERE admin = 1;
UPDATE accounts SET admin = 0;
