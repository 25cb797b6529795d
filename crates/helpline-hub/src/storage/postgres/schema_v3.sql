-- An agent an admin reset the password of signs in with a one-time password and must
-- choose their own before pushing or pulling.
ALTER TABLE agents ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- Every administrative change (agents, departments, categories, SLA), by whom and when.
-- `actor` is NULL for the hub's command line; `details` is a JSON object of strings and
-- never holds a password or its hash.
CREATE TABLE admin_log (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      bigint NOT NULL,
    actor   uuid,
    action  text NOT NULL,
    subject text NOT NULL,
    details text NOT NULL
);
