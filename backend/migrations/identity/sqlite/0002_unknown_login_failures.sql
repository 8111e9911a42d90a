-- Failed logins for login ids that match no user, keyed by a SHA-256 of the id. Counting them
-- costs an unknown login id the same database work as a known one's wrong password, so the two
-- 404s take the same time.
CREATE TABLE unknown_login_failures (
    login_id_hash TEXT PRIMARY KEY NOT NULL,
    count         INTEGER NOT NULL,
    first_failure INTEGER NOT NULL
);
