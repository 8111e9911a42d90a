//! Response bodies as text: the charset a response declares, and what an invalid byte costs.

/// Response bodies are kept (and parsed) up to this many bytes.
pub const BODY_LIMIT: usize = 256 * 1024;

/// The body as text. UTF-8 unless the Content-Type names a Latin-1 charset; invalid UTF-8 is
/// shown with U+FFFD and a warning. A character cut in half by [`BODY_LIMIT`] is not invalid.
pub(super) fn decode_body(
    bytes: &[u8],
    content_type: &str,
    truncated: bool,
) -> (String, Option<String>) {
    let charset = content_type
        .split(';')
        .skip(1)
        .filter_map(|param| param.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, value)| value.trim().trim_matches('"').to_ascii_lowercase());
    if let Some("iso-8859-1" | "latin1" | "latin-1" | "windows-1252" | "us-ascii") =
        charset.as_deref()
    {
        // windows-1252 differs from Latin-1 only in 0x80–0x9F, rare in practice.
        return (bytes.iter().map(|&b| char::from(b)).collect(), None);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), None),
        Err(e) if truncated && e.error_len().is_none() => (
            String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned(),
            None,
        ),
        Err(e) => (
            String::from_utf8_lossy(bytes).into_owned(),
            Some(format!(
                "the response body is not valid UTF-8 (first bad byte at offset {}); \
                 shown with U+FFFD in place of invalid bytes",
                e.valid_up_to()
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_bodies_decode_and_invalid_bytes_give_a_warning() {
        assert_eq!(
            decode_body("héllo".as_bytes(), "text/html", false),
            ("héllo".into(), None)
        );
        let (text, warning) = decode_body(b"ok \xFF\xFE bad", "text/html; charset=utf-8", false);
        assert_eq!(text, "ok \u{FFFD}\u{FFFD} bad");
        assert!(warning.unwrap().contains("offset 3"));
    }

    #[test]
    fn a_character_cut_by_the_limit_is_not_an_error() {
        let bytes = "abc€".as_bytes();
        let cut = &bytes[..bytes.len() - 1];
        assert_eq!(decode_body(cut, "", true), ("abc".into(), None));
        assert!(decode_body(cut, "", false).1.is_some());
    }

    #[test]
    fn latin1_is_decoded_when_declared_and_a_bom_is_dropped() {
        assert_eq!(
            decode_body(b"caf\xE9", "text/html; charset=\"ISO-8859-1\"", false),
            ("café".into(), None)
        );
        assert_eq!(
            decode_body(b"\xEF\xBB\xBF<p>", "", false),
            ("<p>".into(), None)
        );
    }
}
