-- The identity server's own storage: FusionAuth's tenants, applications, users, registrations,
-- refresh tokens and login bookkeeping. Instants are epoch milliseconds, ids are UUID text.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE tenants (
    id     TEXT PRIMARY KEY NOT NULL,
    name   TEXT NOT NULL,
    -- The tenant's configuration as FusionAuth's JSON (the parts this server reads).
    config TEXT NOT NULL DEFAULT '{}'
);

-- Only a SHA-256 of each key is kept: a dump of this table yields no usable key.
CREATE TABLE api_keys (
    key_hash    TEXT PRIMARY KEY NOT NULL,
    description TEXT
);

CREATE TABLE applications (
    id                      TEXT PRIMARY KEY NOT NULL,
    tenant_id               TEXT NOT NULL REFERENCES tenants (id),
    name                    TEXT NOT NULL,
    roles                   TEXT NOT NULL DEFAULT '[]',
    require_authentication  INTEGER NOT NULL DEFAULT 1,
    generate_refresh_tokens INTEGER NOT NULL DEFAULT 1,
    jwt_ttl_seconds         INTEGER NOT NULL DEFAULT 3600,
    refresh_ttl_minutes     INTEGER NOT NULL DEFAULT 43200,
    insert_instant          INTEGER NOT NULL
);

CREATE TABLE user_action_definitions (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    prevent_login INTEGER NOT NULL DEFAULT 0,
    temporal      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE users (
    id                           TEXT PRIMARY KEY NOT NULL,
    tenant_id                    TEXT NOT NULL REFERENCES tenants (id),
    email                        TEXT UNIQUE COLLATE NOCASE,
    username                     TEXT UNIQUE,
    first_name                   TEXT,
    last_name                    TEXT,
    full_name                    TEXT,
    active                       INTEGER NOT NULL DEFAULT 1,
    verified                     INTEGER NOT NULL DEFAULT 1,
    password_change_required     INTEGER NOT NULL DEFAULT 0,
    password_change_reason       TEXT,
    expiry                       INTEGER,
    encryption_scheme            TEXT NOT NULL,
    factor                       INTEGER NOT NULL,
    salt                         TEXT NOT NULL,
    password_hash                TEXT NOT NULL,
    -- Base64 TOTP secret of the authenticator method, when two-factor is enabled.
    two_factor_secret            TEXT,
    two_factor_method_id         TEXT,
    data                         TEXT NOT NULL DEFAULT '{}',
    insert_instant               INTEGER NOT NULL,
    last_login_instant           INTEGER,
    last_login_ip                TEXT,
    password_last_update_instant INTEGER NOT NULL,
    CHECK (email IS NOT NULL OR username IS NOT NULL)
);

CREATE TABLE registrations (
    id                 TEXT PRIMARY KEY NOT NULL,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_id     TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    roles              TEXT NOT NULL DEFAULT '[]',
    username           TEXT,
    verified           INTEGER NOT NULL DEFAULT 1,
    insert_instant     INTEGER NOT NULL,
    last_login_instant INTEGER,
    UNIQUE (user_id, application_id)
);

-- Only a SHA-256 of each refresh token is kept.
CREATE TABLE refresh_tokens (
    id             TEXT PRIMARY KEY NOT NULL,
    token_hash     TEXT NOT NULL UNIQUE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    insert_instant INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE failed_logins (
    user_id       TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    count         INTEGER NOT NULL,
    first_failure INTEGER NOT NULL
);

-- Actions taken on users, such as the temporary lock after too many failed logins.
CREATE TABLE user_actions (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    action_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    reason      TEXT,
    reason_code TEXT,
    expiry      INTEGER
);
CREATE INDEX user_actions_user ON user_actions (user_id);

-- Pending second factors (242) and password changes (203): single-use, short-lived.
CREATE TABLE pending_logins (
    id             TEXT PRIMARY KEY NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('two-factor', 'change-password')),
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_id TEXT,
    ip_address     TEXT,
    reason         TEXT,
    expires_at     INTEGER NOT NULL
);

CREATE TABLE login_records (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_id TEXT,
    instant        INTEGER NOT NULL,
    ip_address     TEXT,
    login_id       TEXT
);
CREATE INDEX login_records_user ON login_records (user_id, instant);
