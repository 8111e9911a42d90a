-- A site's own secrets (backend/src/data/secrets.rs), each generated once and kept here so that a
-- restart and every replica of the site sign with the same key: today the key of the login
-- form's signed CSRF cookie. `value` is base64url; it is never logged. Times are epoch ms.
-- PostgreSQL's version of ../sqlite/0003_site_secrets.sql.

CREATE TABLE site_secrets (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
