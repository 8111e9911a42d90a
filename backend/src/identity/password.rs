//! FusionAuth's default password scheme: `salted-pbkdf2-hmac-sha256`, factor 24000, a 256-bit
//! key, salt and hash base64. Hashes exported from a real FusionAuth verify here, and a login
//! costs what it costs in production.
//!
//! PBKDF2 takes milliseconds of CPU: callers run it on a blocking thread ([`verify_blocking`],
//! [`hash_blocking`]), never on the async runtime.

use base64::{Engine as _, engine::general_purpose::STANDARD as B64};
use rand::RngCore as _;
use sha2::Sha256;
use std::sync::LazyLock;
use subtle::ConstantTimeEq as _;

/// The scheme name FusionAuth stores in `encryptionScheme`.
pub const SCHEME: &str = "salted-pbkdf2-hmac-sha256";
/// FusionAuth's default work factor for [`SCHEME`].
pub const DEFAULT_FACTOR: u32 = 24_000;
/// Salt length in bytes before base64 (FusionAuth uses 32).
const SALT_LEN: usize = 32;
/// Derived key length in bytes (256 bits).
const KEY_LEN: usize = 32;

/// A stored password: scheme, factor, base64 salt and base64 hash.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    /// Always [`SCHEME`] for hashes made here; others are refused at verification.
    pub scheme: String,
    /// Iterations.
    pub factor: u32,
    /// Base64 salt.
    pub salt: String,
    /// Base64 derived key.
    pub hash: String,
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHash")
            .field("scheme", &self.scheme)
            .field("factor", &self.factor)
            .finish_non_exhaustive()
    }
}

/// Hashes `password` with a fresh random salt.
pub fn hash(password: &str, factor: u32) -> PasswordHash {
    let mut salt = [0u8; SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    let salt = B64.encode(salt);
    let hash = derive(password, &salt, factor).expect("a salt made here is valid base64");
    PasswordHash {
        scheme: SCHEME.to_owned(),
        factor,
        salt,
        hash,
    }
}

/// True when `password` matches `stored`. Unknown schemes and corrupt salts never match.
pub fn verify(password: &str, stored: &PasswordHash) -> bool {
    if stored.scheme != SCHEME || stored.factor == 0 {
        return false;
    }
    match derive(password, &stored.salt, stored.factor) {
        Some(candidate) => candidate.as_bytes().ct_eq(stored.hash.as_bytes()).into(),
        None => false,
    }
}

/// A hash no password is known to match, verified for unknown users so that "no such user"
/// costs the same time as "wrong password".
pub fn dummy() -> &'static PasswordHash {
    static DUMMY: LazyLock<PasswordHash> =
        LazyLock::new(|| hash("no user has this password", DEFAULT_FACTOR));
    &DUMMY
}

/// [`verify`] on a blocking thread. `None` verifies against [`dummy`] and returns false.
pub async fn verify_blocking(password: String, stored: Option<PasswordHash>) -> bool {
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => verify(&password, &stored),
        None => {
            verify(&password, dummy());
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// [`hash`] on a blocking thread.
pub async fn hash_blocking(password: String, factor: u32) -> PasswordHash {
    tokio::task::spawn_blocking(move || hash(&password, factor))
        .await
        .expect("hashing does not panic")
}

/// PBKDF2-HMAC-SHA256 over the decoded salt, base64 output, as FusionAuth's encryptor does.
fn derive(password: &str, salt_b64: &str, factor: u32) -> Option<String> {
    let salt = B64.decode(salt_b64).ok()?;
    let mut key = [0u8; KEY_LEN];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), &salt, factor, &mut key);
    Some(B64.encode(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_and_no_other() {
        let stored = hash("correct horse", 1000);
        assert!(verify("correct horse", &stored));
        assert!(!verify("correct hors", &stored));
        assert_ne!(
            hash("correct horse", 1000).salt,
            stored.salt,
            "salts are random"
        );
    }

    #[test]
    fn matches_a_known_pbkdf2_hmac_sha256_vector() {
        // RFC 7914 section 11: PBKDF2-HMAC-SHA256("passwd", "salt", 1, 64) starts 55 ac 04 6e.
        let salt = B64.encode(b"salt");
        let key = B64.decode(derive("passwd", &salt, 1).unwrap()).unwrap();
        assert_eq!(&key[..4], &[0x55, 0xac, 0x04, 0x6e]);
    }

    #[test]
    fn unknown_schemes_and_corrupt_salts_never_verify() {
        let mut stored = hash("pw", 10);
        stored.scheme = "bcrypt".into();
        assert!(!verify("pw", &stored));
        let mut stored = hash("pw", 10);
        stored.salt = "not base64!".into();
        assert!(!verify("pw", &stored));
    }

    #[test]
    fn debug_output_carries_no_salt_or_hash() {
        let stored = hash("pw", 10);
        let shown = format!("{stored:?}");
        assert!(!shown.contains(&stored.salt) && !shown.contains(&stored.hash));
    }
}
