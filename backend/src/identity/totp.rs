//! The authenticator (TOTP) second factor: RFC 6238, HMAC-SHA1, 6 digits, 30-second steps,
//! one step of clock skew either way — what authenticator apps and FusionAuth use.
//! FusionAuth stores the secret base64; apps show it base32.

use crate::fusionauth::model::{AuthenticatorConfig, TwoFactorMethod};
use base64::{Engine as _, engine::general_purpose::STANDARD as B64};
use totp_rs::{Algorithm, TOTP};

const DIGITS: usize = 6;
const STEP: u64 = 30;

/// True when `code` is valid for the base64 `secret` at `unix_seconds`.
pub fn check(secret_b64: &str, code: &str, unix_seconds: u64) -> bool {
    match totp(secret_b64) {
        Some(totp) => code.len() == DIGITS && totp.check(code, unix_seconds),
        None => false,
    }
}

/// The code for `secret` at `unix_seconds` (for demos and tests).
pub fn code(secret_b64: &str, unix_seconds: u64) -> Option<String> {
    Some(totp(secret_b64)?.generate(unix_seconds))
}

/// True when `secret` is base64 of at least 10 bytes (80 bits, RFC 4226's minimum is 128 but
/// authenticator apps accept 80).
pub fn valid_secret(secret_b64: &str) -> bool {
    B64.decode(secret_b64).is_ok_and(|bytes| bytes.len() >= 10)
}

/// How the login API describes an authenticator method.
pub fn method_info(id: &str) -> TwoFactorMethod {
    TwoFactorMethod {
        id: id.to_owned(),
        method: "authenticator".to_owned(),
        authenticator: Some(AuthenticatorConfig {
            algorithm: "HmacSHA1".to_owned(),
            code_length: DIGITS as u32,
            time_step: STEP,
        }),
    }
}

fn totp(secret_b64: &str) -> Option<TOTP> {
    let secret = B64.decode(secret_b64).ok()?;
    Some(TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP,
        secret,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_rfc_6238_sha1_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8 digits),
        // whose last 6 digits are the 6-digit code.
        let secret = B64.encode(b"12345678901234567890");
        assert_eq!(code(&secret, 59).as_deref(), Some("287082"));
        assert!(check(&secret, "287082", 59));
    }

    #[test]
    fn accepts_one_step_of_skew_and_no_more() {
        let secret = B64.encode(b"12345678901234567890");
        let now = 1_000_000;
        let previous = code(&secret, now - STEP).unwrap();
        let old = code(&secret, now - 3 * STEP).unwrap();
        assert!(check(&secret, &previous, now));
        assert!(!check(&secret, &old, now));
        assert!(!check(&secret, "12345", now));
        assert!(!check("%%%", "123456", now));
    }
}
