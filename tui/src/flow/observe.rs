//! Turning what the engine saw into report records: exchanges with masked secrets, parsed
//! `Set-Cookie` headers, and the facts the checks read off a page.

use super::report::{Actor, ExchangeRecord, FusionAuthHop, SentCookie, SetCookie};
use crate::engine::{Block, Exchange, Page};
use cookie_store::RawCookie;
use sha2::{Digest as _, Sha256};
use shared::site::Site;
use std::time::SystemTime;
use url::Url;

/// The `Server-Timing` metric naming the app's calls to FusionAuth.
const FUSIONAUTH_METRIC: &str = "fusionauth";

/// Form fields whose values are secrets even with `--show-secrets` off or on: the password is
/// never printed.
const PASSWORD_FIELDS: &[&str] = &["password", "newPassword", "currentPassword"];

/// How cookie values and tokens appear in a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Masking {
    /// Print values as they are.
    pub show_secrets: bool,
}

impl Masking {
    /// The value, or `#` and the first 8 hex digits of its SHA-256: enough to see that two
    /// cookies hold the same id (or a new one), useless to replay.
    pub fn secret(self, value: &str) -> String {
        if self.show_secrets {
            return value.to_owned();
        }
        if value.is_empty() {
            return String::new();
        }
        let digest = Sha256::digest(value.as_bytes());
        let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        format!("#{hex}")
    }
}

/// A `Set-Cookie` header, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedSetCookie {
    /// The report's form (value masked).
    pub record: SetCookie,
    /// The real value, for comparing ids.
    pub value: String,
}

/// The cookies the first hop of a page load set, parsed, removals left out: what a step looks at
/// to see a session created, extended or rotated.
pub fn set_by_first_hop(
    exchanges: &[Exchange],
    masking: Masking,
) -> impl Iterator<Item = ParsedSetCookie> + '_ {
    exchanges
        .first()
        .into_iter()
        .flat_map(|e| &e.set_cookies)
        .filter_map(move |raw| parse_set_cookie(raw, masking))
        .filter(|c| !c.record.removal)
}

/// Parses one `Set-Cookie` value; `None` when it is not a cookie at all.
pub fn parse_set_cookie(raw: &str, masking: Masking) -> Option<ParsedSetCookie> {
    let cookie = RawCookie::parse(raw.to_owned()).ok()?;
    let max_age = cookie.max_age().map(|age| age.whole_seconds());
    let expired = cookie
        .expires_datetime()
        .is_some_and(|at| SystemTime::from(at) <= SystemTime::now());
    let masked_value = masking.secret(cookie.value());
    let attributes = raw.split_once(';').map(|(_, rest)| rest).unwrap_or("");
    let raw_masked = if attributes.is_empty() {
        format!("{}={masked_value}", cookie.name())
    } else {
        format!("{}={masked_value};{attributes}", cookie.name())
    };
    Some(ParsedSetCookie {
        value: cookie.value().to_owned(),
        record: SetCookie {
            name: cookie.name().to_owned(),
            value: masked_value,
            http_only: cookie.http_only().unwrap_or(false),
            secure: cookie.secure().unwrap_or(false),
            domain: cookie.domain().map(str::to_owned),
            path: cookie.path().map(str::to_owned),
            same_site: cookie.same_site().map(|s| s.to_string()),
            max_age,
            removal: max_age.is_some_and(|age| age <= 0) || (max_age.is_none() && expired),
            raw: raw_masked,
        },
    })
}

/// Which app a URL belongs to.
pub fn site_of(url: &Url, store: &Url) -> Site {
    if url.origin() == store.origin() {
        Site::Store
    } else {
        Site::Forums
    }
}

/// An exchange as the report shows it.
pub fn record(exchange: &Exchange, actor: Actor, store: &Url, masking: Masking) -> ExchangeRecord {
    let form = exchange
        .request_body
        .as_deref()
        .map(|body| {
            url::form_urlencoded::parse(body.as_bytes())
                .map(|(name, value)| {
                    let shown = if PASSWORD_FIELDS.contains(&name.as_ref()) {
                        "••••••".to_owned()
                    } else if name == shared::paths::form::CSRF_TOKEN {
                        masking.secret(&value)
                    } else {
                        value.into_owned()
                    };
                    (name.into_owned(), shown)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut path = exchange.url.path().to_owned();
    if let Some(query) = exchange.url.query() {
        path = format!("{path}?{query}");
    }
    ExchangeRecord {
        id: exchange.id,
        actor,
        site: site_of(&exchange.url, store),
        method: exchange.method.as_str().to_owned(),
        url: exchange.url.to_string(),
        path,
        form,
        cookies_sent: exchange
            .cookies_sent
            .iter()
            .map(|(name, value)| SentCookie {
                name: name.clone(),
                value: masking.secret(value),
            })
            .collect(),
        status: exchange.status,
        location: exchange.location.clone(),
        cookies_set: exchange
            .set_cookies
            .iter()
            .filter_map(|raw| parse_set_cookie(raw, masking))
            .map(|parsed| parsed.record)
            .collect(),
        fusionauth: fusionauth_hops(exchange),
        duration_ms: exchange.duration.as_secs_f64() * 1000.0,
        error: exchange.error.clone(),
    }
}

/// The calls to FusionAuth the app reported in `Server-Timing`.
pub fn fusionauth_hops(exchange: &Exchange) -> Vec<FusionAuthHop> {
    exchange
        .server_timing
        .iter()
        .filter(|timing| timing.name == FUSIONAUTH_METRIC)
        .map(|timing| FusionAuthHop {
            description: timing.description.clone().unwrap_or_default(),
            duration_ms: timing.duration_ms,
        })
        .collect()
}

/// A response header's value (the first one).
pub fn header<'a>(exchange: &'a Exchange, name: &str) -> Option<&'a str> {
    exchange
        .response_headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// The path a `Location` points to, resolved against the request URL.
pub fn location_path(exchange: &Exchange) -> Option<String> {
    let location = exchange.location.as_deref()?;
    let target = exchange.url.join(location).ok()?;
    Some(target.path().to_owned())
}

/// A 301/302/303/307/308.
pub fn is_redirect(exchange: &Exchange) -> bool {
    matches!(exchange.status, Some(301 | 302 | 303 | 307 | 308))
}

/// Who the page says is signed in: the header's "Signed in as …", or a Log out form.
pub fn signed_in_as(page: &Page) -> Option<String> {
    let said = page.blocks.iter().find_map(|block| match block {
        Block::Paragraph { text, .. } => text
            .split_once("Signed in as ")
            .map(|(_, name)| name.trim().to_owned()),
        _ => None,
    });
    said.or_else(|| logout_form_index(page).map(|_| "(a Log out form is shown)".to_owned()))
}

/// The index of the form that posts to `/logout`.
pub fn logout_form_index(page: &Page) -> Option<usize> {
    page.forms
        .iter()
        .position(|form| form.action.path() == shared::paths::common::LOGOUT)
}

/// The first table on the page: (body rows, the footer's text).
pub fn first_table(page: &Page) -> Option<(usize, String)> {
    page.blocks.iter().find_map(|block| match block {
        Block::Table(table) => {
            let footer = table
                .footer
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|cell| cell.text.as_str())
                        .filter(|text| !text.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect::<Vec<_>>()
                .join("; ");
            Some((table.rows.len(), footer))
        }
        _ => None,
    })
}

/// The first link to `path` on the page, by its text.
pub fn link_to(page: &Page, path: &str) -> Option<String> {
    page.links
        .iter()
        .find(|link| link.url.as_ref().is_some_and(|url| url.path() == path))
        .map(|link| link.text.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOWN: Masking = Masking { show_secrets: true };
    const MASKED: Masking = Masking {
        show_secrets: false,
    };

    #[test]
    fn masked_values_are_stable_fingerprints() {
        assert_eq!(MASKED.secret("abc"), MASKED.secret("abc"));
        assert_ne!(MASKED.secret("abc"), MASKED.secret("abd"));
        assert!(MASKED.secret("abc").starts_with('#'));
        assert_eq!(MASKED.secret("abc").len(), 9);
        assert_eq!(SHOWN.secret("abc"), "abc");
    }

    #[test]
    fn set_cookie_attributes_and_removals() {
        let parsed = parse_set_cookie(
            "store_session=s3cret; HttpOnly; SameSite=Lax; Path=/; Max-Age=60",
            MASKED,
        )
        .unwrap();
        assert_eq!(parsed.value, "s3cret");
        let cookie = parsed.record;
        assert!(cookie.http_only && !cookie.secure && !cookie.removal);
        assert_eq!(cookie.domain, None);
        assert_eq!(cookie.path.as_deref(), Some("/"));
        assert_eq!(cookie.max_age, Some(60));
        assert!(!cookie.raw.contains("s3cret"), "{}", cookie.raw);
        assert!(
            cookie
                .raw
                .ends_with("; HttpOnly; SameSite=Lax; Path=/; Max-Age=60")
        );

        let removal = parse_set_cookie(
            "a=; Domain=localhost; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            SHOWN,
        )
        .unwrap();
        assert!(removal.record.removal);
        assert_eq!(removal.record.domain.as_deref(), Some("localhost"));
        assert!(parse_set_cookie("", SHOWN).is_none());
    }
}
