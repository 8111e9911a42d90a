//! Random secrets: ids that must not be guessed (refresh tokens, `twoFactorId`,
//! `changePasswordId`, CSRF tokens).

use base64::Engine as _;
use rand::RngCore as _;

/// A random URL-safe token of `bytes` random bytes from the thread's CSPRNG.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}
