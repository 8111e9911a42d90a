//! What session storage is keyed by: a hash of the session id, never the id itself; the salted
//! ids that logs show instead of either; and the sealed successor id a rotated id's marker keeps.

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
        write_hex(f, self.0)
    }
}

/// A string that is not 32 hex digits.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a session key is 32 hex digits")]
pub struct BadSessionKey;

impl FromStr for SessionKey {
    type Err = BadSessionKey;

    fn from_str(text: &str) -> Result<Self, BadSessionKey> {
        parse_hex(text).map(Self).ok_or(BadSessionKey)
    }
}

/// A session id sealed with the id it replaced: what a rotated id's marker keeps of its
/// successor, so that a request still presenting the rotated id can be given the same successor
/// (one login, one session family) while a dump of the session storage, which holds keys and
/// never ids, still gives no usable cookie.
///
/// The seal is the id XOR a pad: SHA-256 of the rotated id under a label of its own (so the
/// rotated id's key, which the dump does show, says nothing of it). An id is rotated once, so
/// each pad seals one id; opening checks the result against the successor's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealedId(i128);

impl SealedId {
    /// `id` sealed with `rotated`, the id it replaces.
    pub fn seal(id: &Id, rotated: &Id) -> Self {
        Self(id.0 ^ pad(rotated))
    }

    /// The id sealed with `rotated`, if it is the session `key` names (a wrong id or a damaged
    /// marker opens to nothing).
    pub fn open(self, rotated: &Id, key: SessionKey) -> Option<Id> {
        let id = Id(self.0 ^ pad(rotated));
        (SessionKey::of(&id) == key).then_some(id)
    }
}

impl fmt::Display for SealedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, self.0)
    }
}

impl FromStr for SealedId {
    type Err = BadSessionKey;

    fn from_str(text: &str) -> Result<Self, BadSessionKey> {
        parse_hex(text).map(Self).ok_or(BadSessionKey)
    }
}

/// The pad [`SealedId`] XORs with: 128 bits of SHA-256 over a label and the id's bytes.
fn pad(id: &Id) -> i128 {
    let digest = Sha256::new()
        .chain_update(b"session successor seal\0")
        .chain_update(id.0.to_le_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    i128::from_le_bytes(bytes)
}

/// 128 bits as 32 hex digits, most significant first.
fn write_hex(f: &mut fmt::Formatter<'_>, value: i128) -> fmt::Result {
    for byte in value.to_be_bytes() {
        write!(f, "{byte:02x}")?;
    }
    Ok(())
}

/// 32 hex digits back to 128 bits; `None` for anything else.
fn parse_hex(text: &str) -> Option<i128> {
    if text.len() != 32 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(text, 16).ok().map(u128::cast_signed)
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
    fn a_sealed_id_opens_only_with_the_id_it_was_sealed_with() {
        let (successor, rotated) = (Id::default(), Id::default());
        let sealed = SealedId::seal(&successor, &rotated);
        let key = SessionKey::of(&successor);
        assert_eq!(sealed.open(&rotated, key), Some(successor));
        assert_eq!(sealed.to_string().parse::<SealedId>(), Ok(sealed));
        // Neither the seal nor the rotated id's key (which a dump shows) is the id.
        assert_ne!(sealed.0, successor.0);
        assert_eq!(sealed.open(&Id::default(), key), None, "a wrong id");
        let rotated_key = SessionKey::of(&rotated).as_storage_id();
        assert_eq!(sealed.open(&rotated_key, key), None, "the rotated id's key");
        let damaged = SealedId(sealed.0 ^ 1);
        assert_eq!(damaged.open(&rotated, key), None, "a damaged seal");
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
