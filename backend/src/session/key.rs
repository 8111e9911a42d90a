//! What session storage is keyed by: a hash of the session id, never the id itself, and the salted
//! ids that logs show instead of either.

use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;
use tower_sessions::session::Id;

/// The session storage's key for a session: the first 16 bytes of SHA-256 over the id's 16 bytes.
///
/// The id is 128 random bits, so the hash needs no secret: nobody can find an id from its key,
/// and a dump of the session storage holds keys only. Shown as 32 hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionKey(i128);

impl SessionKey {
    /// The key of the session whose cookie holds `id`.
    pub fn of(id: &Id) -> Self {
        let digest = Sha256::digest(id.0.to_le_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Self(i128::from_le_bytes(bytes))
    }

    /// The key as the `Id` the inner storage is given (and shows in a dump).
    pub fn as_storage_id(self) -> Id {
        Id(self.0)
    }

    /// A salted hash of the key for logs; the salt is per process, so log ids cannot be matched
    /// against a dump of the session storage.
    pub fn log_id(self) -> String {
        static SALT: LazyLock<[u8; 16]> = LazyLock::new(|| {
            let mut salt = [0u8; 16];
            rand::rng().fill_bytes(&mut salt);
            salt
        });
        let digest = Sha256::new()
            .chain_update(*SALT)
            .chain_update(self.0.to_le_bytes())
            .finalize();
        digest[..6].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Which of `n` stripes this key's writes are serialized on.
    pub(crate) fn stripe(self, n: usize) -> usize {
        (self.0.cast_unsigned() % n as u128) as usize
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0.to_be_bytes() {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// A string that is not 32 hex digits.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a session key is 32 hex digits")]
pub struct BadSessionKey;

impl FromStr for SessionKey {
    type Err = BadSessionKey;

    fn from_str(text: &str) -> Result<Self, BadSessionKey> {
        if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(BadSessionKey);
        }
        u128::from_str_radix(text, 16)
            .map(|n| Self(n.cast_signed()))
            .map_err(|_| BadSessionKey)
    }
}

/// A salted hash of a session id for logs (never the id itself); the same as its key's
/// [`SessionKey::log_id`], so the session storage and the handlers name a session alike.
pub fn log_id(id: &Id) -> String {
    SessionKey::of(id).log_id()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_not_the_id_and_is_stable() {
        let id = Id::default();
        let key = SessionKey::of(&id);
        assert_ne!(key.as_storage_id(), id);
        assert_eq!(SessionKey::of(&id), key);
        assert_ne!(SessionKey::of(&Id::default()), key);
    }

    #[test]
    fn keys_round_trip_through_hex() {
        let key = SessionKey::of(&Id::default());
        let hex = key.to_string();
        assert_eq!(hex.len(), 32);
        assert_eq!(hex.parse::<SessionKey>(), Ok(key));
        assert_eq!("zz".parse::<SessionKey>(), Err(BadSessionKey));
        assert_eq!("+".repeat(32).parse::<SessionKey>(), Err(BadSessionKey));
    }

    #[test]
    fn log_ids_name_the_key_without_showing_it() {
        let id = Id::default();
        let key = SessionKey::of(&id);
        assert_eq!(log_id(&id), key.log_id());
        assert!(!key.to_string().contains(&key.log_id()));
        assert_eq!(key.log_id().len(), 12);
    }

    #[test]
    fn a_key_is_exactly_32_hex_digits() {
        let key = SessionKey::of(&Id::default()).to_string();
        for bad in [&key[1..], &format!("{key}0"), &format!("+{}", &key[1..])] {
            assert_eq!(bad.parse::<SessionKey>(), Err(BadSessionKey), "{bad:?}");
        }
    }

    #[test]
    fn keys_spread_over_the_stripes() {
        let stripes: std::collections::HashSet<usize> = (0..64)
            .map(|_| SessionKey::of(&Id::default()).stripe(8))
            .collect();
        assert!(stripes.iter().all(|s| *s < 8));
        assert!(stripes.len() > 2, "{stripes:?}");
    }
}
