-- An agent an admin reset the password of signs in with a one-time password and must
-- choose their own before pushing or pulling.
ALTER TABLE agents ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

-- Every administrative change (agents, departments, categories, SLA), by whom and when.
-- `actor` is NULL for the hub's command line; `details` is a JSON object of strings and
-- never holds a password or its hash.
CREATE TABLE admin_log (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   BLOB,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL
);
