//! The Netscape cookie file, as curl reads it with `-b FILE` and writes it with `-c FILE`, so a
//! jar moves between the TUI and curl both ways.
//!
//! One cookie per line, seven tab-separated fields: domain, include-subdomains (`TRUE` only for
//! a `Domain` cookie, whose domain then has a leading dot; a host-only cookie is `FALSE` with
//! the bare host), path, secure, expiry (Unix seconds; 0 for a session cookie), name, value.
//! HttpOnly cookies carry the `#HttpOnly_` prefix on the domain; any other line starting with
//! `#` is a comment. The format has no SameSite: it is lost on the way through.

use super::model::{CookieView, Expiry};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The first lines of a file, as curl writes them (curl does not need them to read it).
const HEADER: &str = "# Netscape HTTP Cookie File\n\
                      # https://curl.se/docs/http-cookies.html\n\
                      # Written by the tui browser; curl reads it with -b and writes it with -c.\n\n";

/// The latest expiry kept (9999-12-31T23:59:59Z): later ones would overflow date types.
const MAX_EXPIRY_SECS: u64 = 253_402_300_799;

/// A line that is not a cookie.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct NetscapeError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// Writes `cookies` in curl's format. Expired cookies are written as given; the jar leaves them
/// out, as curl does.
///
/// A cookie the format cannot hold — a tab or a line break in its name, value, domain or path,
/// which would split its line (a server may send `Set-Cookie: a=x<TAB>y`, and browsers keep
/// it) — is left out, named in a comment line instead: written as is, it would make the whole
/// file unreadable, to curl and to the next start of the TUI alike.
pub fn write_netscape(cookies: &[CookieView]) -> String {
    let mut out = String::from(HEADER);
    for cookie in cookies {
        if !fits_a_line(cookie) {
            out.push_str(&format!(
                "# left out {:?} for {:?}: a tab or line break in it cannot be written here\n",
                cookie.name, cookie.domain
            ));
            continue;
        }
        let prefix = if cookie.http_only { "#HttpOnly_" } else { "" };
        let (domain, subdomains) = if cookie.host_only {
            (cookie.domain.clone(), "FALSE")
        } else {
            (
                format!(".{}", cookie.domain.trim_start_matches('.')),
                "TRUE",
            )
        };
        let secure = if cookie.secure { "TRUE" } else { "FALSE" };
        let expiry = match cookie.expires {
            Expiry::Session => 0,
            // 0 would read back as a session cookie: an expiry at the epoch is kept at 1.
            Expiry::At(at) => at
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_secs().max(1)),
        };
        out.push_str(&format!(
            "{prefix}{domain}\t{subdomains}\t{path}\t{secure}\t{expiry}\t{name}\t{value}\n",
            path = cookie.path,
            name = cookie.name,
            value = cookie.value,
        ));
    }
    out
}

/// Reads a cookie file. Blank lines and comments are skipped; a malformed line is an error
/// naming its number, rather than a cookie silently missing.
pub fn parse_netscape(text: &str) -> Result<Vec<CookieView>, NetscapeError> {
    let mut cookies = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_number = index + 1;
        let error = |reason: String| NetscapeError {
            line: line_number,
            reason,
        };
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let (line, http_only) = match line.strip_prefix("#HttpOnly_") {
            Some(rest) => (rest, true),
            None if line.starts_with('#') => continue,
            None => (line, false),
        };
        let fields: Vec<&str> = line.split('\t').collect();
        // curl accepts a missing value field as an empty value.
        let [domain, subdomains, path, secure, expiry, name, value] = match fields[..] {
            [d, s, p, sec, e, n, v] => [d, s, p, sec, e, n, v],
            [d, s, p, sec, e, n] => [d, s, p, sec, e, n, ""],
            _ => {
                return Err(error(format!(
                    "expected 7 tab-separated fields (domain, include-subdomains, path, \
                     secure, expiry, name, value), found {}",
                    fields.len()
                )));
            }
        };
        let domain = domain.trim();
        let host = domain.trim_start_matches('.');
        if host.is_empty() {
            return Err(error("empty domain".to_owned()));
        }
        let include_subdomains = flag(subdomains).ok_or_else(|| {
            error(format!(
                "include-subdomains must be TRUE or FALSE, not {subdomains:?}"
            ))
        })?;
        if !path.starts_with('/') {
            return Err(error(format!("path must start with '/', not {path:?}")));
        }
        let secure = flag(secure)
            .ok_or_else(|| error(format!("secure must be TRUE or FALSE, not {secure:?}")))?;
        let seconds: i64 = expiry.trim().parse().map_err(|_| {
            error(format!(
                "expiry must be whole seconds since 1970 (0 for a session cookie), not {expiry:?}"
            ))
        })?;
        if name.is_empty() {
            return Err(error("empty cookie name".to_owned()));
        }
        let expires = match seconds {
            0 => Expiry::Session,
            // A negative expiry is in the past: the cookie is kept, expired.
            s if s < 0 => Expiry::At(UNIX_EPOCH),
            s => Expiry::At(
                SystemTime::UNIX_EPOCH + Duration::from_secs(s.unsigned_abs().min(MAX_EXPIRY_SECS)),
            ),
        };
        cookies.push(CookieView {
            name: name.to_owned(),
            value: value.to_owned(),
            domain: host.to_owned(),
            host_only: !include_subdomains,
            path: path.to_owned(),
            expires,
            secure,
            http_only,
            same_site: None,
            set_by: None,
        });
    }
    Ok(cookies)
}

/// True when none of `cookie`'s fields holds a field or line separator.
fn fits_a_line(cookie: &CookieView) -> bool {
    [&cookie.name, &cookie.value, &cookie.domain, &cookie.path]
        .iter()
        .all(|field| !field.contains(['\t', '\n', '\r']))
}

fn flag(field: &str) -> Option<bool> {
    match field.trim() {
        f if f.eq_ignore_ascii_case("TRUE") => Some(true),
        f if f.eq_ignore_ascii_case("FALSE") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie(name: &str, domain: &str, host_only: bool) -> CookieView {
        CookieView {
            name: name.into(),
            value: "v".into(),
            domain: domain.into(),
            host_only,
            path: "/".into(),
            expires: Expiry::Session,
            secure: false,
            http_only: false,
            same_site: None,
            set_by: None,
        }
    }

    #[test]
    fn a_file_written_by_curl_keeps_host_only_and_http_only() {
        let text = "# Netscape HTTP Cookie File\n\
                    # https://curl.se/docs/http-cookies.html\n\
                    # This file was generated by libcurl! Edit at your own risk.\n\
                    \n\
                    #HttpOnly_store.localhost\tFALSE\t/\tFALSE\t1795860735\tstore_session\tabc\n";
        let cookies = parse_netscape(text).unwrap();
        assert_eq!(cookies.len(), 1);
        let c = &cookies[0];
        assert_eq!(
            (c.name.as_str(), c.value.as_str(), c.domain.as_str()),
            ("store_session", "abc", "store.localhost")
        );
        assert!(c.host_only && c.http_only && !c.secure);
        assert_eq!(
            c.expires,
            Expiry::At(UNIX_EPOCH + Duration::from_secs(1_795_860_735))
        );
    }

    #[test]
    fn host_only_is_false_without_a_dot_and_domain_cookies_get_true_and_a_dot() {
        let mut domain = cookie("wide", "example.com", false);
        domain.secure = true;
        domain.path = "/app".into();
        domain.expires = Expiry::At(UNIX_EPOCH + Duration::from_secs(2_000_000_000));
        let mut host = cookie("narrow", "store.localhost", true);
        host.http_only = true;
        let text = write_netscape(&[domain, host]);
        let lines: Vec<&str> = text.lines().filter(|l| l.contains('\t')).collect();
        assert_eq!(
            lines,
            vec![
                ".example.com\tTRUE\t/app\tTRUE\t2000000000\twide\tv",
                "#HttpOnly_store.localhost\tFALSE\t/\tFALSE\t0\tnarrow\tv",
            ]
        );
    }

    #[test]
    fn every_attribute_survives_a_round_trip_but_samesite() {
        let mut a = cookie("a", "example.com", false);
        a.secure = true;
        a.http_only = true;
        a.expires = Expiry::At(UNIX_EPOCH + Duration::from_secs(1_900_000_000));
        a.value = "x=y;z".into();
        let b = cookie("b", "forums.localhost", true);
        let mut c = cookie("c", "127.0.0.1", true);
        c.value = String::new();
        c.same_site = Some("Lax".into());
        let parsed = parse_netscape(&write_netscape(&[a.clone(), b.clone(), c.clone()])).unwrap();
        c.same_site = None;
        assert_eq!(parsed, vec![a, b, c]);
    }

    #[test]
    fn a_cookie_with_a_tab_or_line_break_is_left_out_and_the_file_still_reads() {
        let mut tab = cookie("tab", "h", true);
        tab.value = "a\tb".into();
        let mut newline = cookie("newline\n", "h", true);
        newline.path = "/\r".into();
        let kept = cookie("kept", "h", true);
        let text = write_netscape(&[tab, newline, kept.clone()]);
        assert_eq!(parse_netscape(&text).unwrap(), vec![kept]);
        assert!(
            text.contains("# left out \"tab\" for \"h\"")
                && text.contains("# left out \"newline\\n\""),
            "{text}"
        );
    }

    #[test]
    fn comments_blank_lines_and_crlf_are_skipped() {
        let text = "# comment\r\n\r\n   \nhost\tFALSE\t/\tFALSE\t0\tn\tv\r\n# another\n";
        let parsed = parse_netscape(text).unwrap();
        assert_eq!(parsed, vec![cookie("n", "host", true)]);
    }

    #[test]
    fn a_missing_value_field_is_an_empty_value() {
        let parsed = parse_netscape("host\tFALSE\t/\tFALSE\t0\tn").unwrap();
        assert_eq!(parsed[0].value, "");
    }

    #[test]
    fn malformed_lines_name_their_line_number() {
        let good = "host\tFALSE\t/\tFALSE\t0\tn\tv\n";
        let cases = [
            (
                "host FALSE / FALSE 0 n v",
                "expected 7 tab-separated fields",
            ),
            ("host\tMAYBE\t/\tFALSE\t0\tn\tv", "include-subdomains"),
            ("host\tFALSE\tnoslash\tFALSE\t0\tn\tv", "path must start"),
            ("host\tFALSE\t/\tyes\t0\tn\tv", "secure must be"),
            ("host\tFALSE\t/\tFALSE\tsoon\tn\tv", "expiry must be"),
            ("\tFALSE\t/\tFALSE\t0\tn\tv", "empty domain"),
            ("host\tFALSE\t/\tFALSE\t0\t\tv", "empty cookie name"),
        ];
        for (line, reason) in cases {
            let text = format!("# header\n{good}{line}\n");
            let err = parse_netscape(&text).unwrap_err();
            assert_eq!(err.line, 3, "{line}");
            assert!(err.to_string().starts_with("line 3: "), "{err}");
            assert!(err.reason.contains(reason), "{err}");
        }
    }

    #[test]
    fn expiries_before_1970_or_past_9999_are_clamped() {
        let parsed = parse_netscape(
            "h\tFALSE\t/\tFALSE\t-5\told\tv\nh\tFALSE\t/\tFALSE\t99999999999999\tfar\tv\n",
        )
        .unwrap();
        assert_eq!(parsed[0].expires, Expiry::At(UNIX_EPOCH));
        assert_eq!(
            parsed[1].expires,
            Expiry::At(UNIX_EPOCH + Duration::from_secs(MAX_EXPIRY_SECS))
        );
    }
}
