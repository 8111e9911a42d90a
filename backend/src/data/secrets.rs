//! The site's own secrets, each generated once and kept in the site's database: a restart, and
//! every replica of the site (which share the database), sign and check with the same key. A
//! key never leaves the process: not in a log line, not in a `Debug` output.

use crate::db::{Db, with_pool};
use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;

/// Length of every key, in bytes: 256 bits, HMAC-SHA256's block-sized strength.
pub const KEY_BYTES: usize = 32;

/// A secret key. Its `Debug` shows no byte of it, so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; KEY_BYTES]);

impl SecretKey {
    /// A new key from the thread's CSPRNG.
    pub fn random() -> Self {
        let mut bytes = [0u8; KEY_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The key's bytes, for the MAC that uses it.
    pub fn bytes(&self) -> &[u8; KEY_BYTES] {
        &self.0
    }

    /// The key as stored: base64url without padding.
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// A stored key; `None` unless it is exactly [`KEY_BYTES`] bytes of base64url.
    fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        bytes.try_into().ok().map(Self)
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

/// The secrets repository.
#[derive(Clone, Debug)]
pub struct Secrets {
    db: Db,
}

impl Secrets {
    pub(super) fn new(db: Db) -> Self {
        Self { db }
    }

    /// The key named `name`, generated and stored the first time any process of the site asks
    /// for it. Replicas starting at once agree: the first insert wins, the others' are ignored,
    /// and every one reads back the winner.
    pub async fn key(&self, name: &str) -> anyhow::Result<SecretKey> {
        let candidate = SecretKey::random().encode();
        let now = crate::clock::now_ms();
        with_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO site_secrets (name, value, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(&candidate)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ())
        })
        .with_context(|| format!("cannot store the site secret {name:?}"))?;
        let stored: String = with_pool!(&self.db, |pool| {
            sqlx::query_scalar("SELECT value FROM site_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await
        })
        .with_context(|| format!("cannot read the site secret {name:?}"))?;
        SecretKey::decode(&stored).with_context(|| {
            format!("the site secret {name:?} is not {KEY_BYTES} bytes of base64url; delete its row of site_secrets to have a new one generated")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn secrets() -> Secrets {
        let data = super::super::Data::connect("sqlite::memory:", "store")
            .await
            .unwrap();
        data.secrets.clone()
    }

    #[tokio::test]
    async fn a_key_is_generated_once_and_then_read_back() {
        let secrets = secrets().await;
        let first = secrets.key("login_csrf").await.unwrap();
        let again = secrets.key("login_csrf").await.unwrap();
        assert_eq!(first, again, "the stored key is kept, not replaced");
        let other = secrets.key("another").await.unwrap();
        assert_ne!(first, other, "each name has its own key");
    }

    #[tokio::test]
    async fn a_damaged_key_is_a_clear_error_not_a_weak_key() {
        let secrets = secrets().await;
        with_pool!(&secrets.db, |pool| {
            sqlx::query(
                "INSERT INTO site_secrets (name, value, created_at) VALUES ('k', 'c2hvcnQ', 0)",
            )
            .execute(pool)
            .await
            .map(|_| ())
        })
        .unwrap();
        let error = secrets.key("k").await.unwrap_err();
        assert!(format!("{error:#}").contains("not 32 bytes"), "{error:#}");
    }

    #[test]
    fn debug_shows_no_byte_of_the_key() {
        let key = SecretKey([0xab; KEY_BYTES]);
        assert_eq!(format!("{key:?}"), "SecretKey([redacted])");
        assert_eq!(SecretKey::decode(&key.encode()), Some(key));
    }
}
