-- The per-user index of live sessions (backend/src/session/index.rs): lists a user's sessions
-- and signs them out everywhere. `key` is the store's key for a session (a hash of its id, in
-- hex), never the cookie's id. Times are epoch ms.

CREATE TABLE session_index (
    key          TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    user_agent   TEXT,
    ip           TEXT,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX session_index_user ON session_index (user_id);
