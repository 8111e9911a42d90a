//! Redirects, followed the way browsers do (Fetch standard, "HTTP-redirect fetch"): which
//! statuses are redirects, where a `Location` points, and what the next request looks like.
//! Pure functions, so the rules are tested without a server.

use super::model::Method;
use url::Url;

/// True for the statuses a browser follows when they carry a `Location`.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Resolves a `Location` header against the URL that answered with it, as a browser does:
/// `./x`, `../y`, `/z`, `?q` and `//host/p` are all relative references.
pub fn resolve_location(current: &Url, location: &str) -> Result<Url, String> {
    let location = location.trim();
    if location.is_empty() {
        return Err("empty Location header".to_owned());
    }
    let mut next = current
        .join(location)
        .map_err(|e| format!("invalid Location {location:?}: {e}"))?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(format!(
            "redirect to unsupported scheme {:?} ({location:?})",
            next.scheme()
        ));
    }
    // A Location without a fragment inherits the request's (Fetch, step "If locationURL's
    // fragment is null").
    if next.fragment().is_none() && current.fragment().is_some() {
        next.set_fragment(current.fragment());
    }
    Ok(next)
}

/// The method of the next hop, and whether the body goes along: 301/302 turn a POST into a
/// GET and 303 turns everything into a GET (the body is dropped); 307/308 keep both.
pub fn next_method(status: u16, method: Method) -> (Method, bool) {
    match (status, method) {
        (301 | 302, Method::Post) | (303, _) => (Method::Get, false),
        (_, method) => (method, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://store.localhost:8080/a/b/page?old=1").unwrap()
    }

    fn resolved(location: &str) -> String {
        resolve_location(&base(), location).unwrap().to_string()
    }

    #[test]
    fn relative_locations_resolve_against_the_current_url() {
        assert_eq!(resolved("./x"), "http://store.localhost:8080/a/b/x");
        assert_eq!(resolved("../y"), "http://store.localhost:8080/a/y");
        assert_eq!(resolved("/z"), "http://store.localhost:8080/z");
        assert_eq!(resolved("?q"), "http://store.localhost:8080/a/b/page?q");
        assert_eq!(resolved("//host/p"), "http://host/p");
        assert_eq!(resolved("x"), "http://store.localhost:8080/a/b/x");
        assert_eq!(
            resolved("  https://other.example/full  "),
            "https://other.example/full"
        );
    }

    #[test]
    fn a_fragment_is_kept_unless_the_location_has_its_own() {
        let current = Url::parse("http://h/start#top").unwrap();
        assert_eq!(
            resolve_location(&current, "/next").unwrap().as_str(),
            "http://h/next#top"
        );
        assert_eq!(
            resolve_location(&current, "/next#end").unwrap().as_str(),
            "http://h/next#end"
        );
    }

    #[test]
    fn bad_locations_are_errors_with_the_reason() {
        assert!(resolve_location(&base(), "").unwrap_err().contains("empty"));
        assert!(
            resolve_location(&base(), "http://[::1")
                .unwrap_err()
                .contains("invalid Location")
        );
        assert!(
            resolve_location(&base(), "javascript:alert(1)")
                .unwrap_err()
                .contains("unsupported scheme")
        );
    }

    #[test]
    fn post_becomes_get_except_on_307_and_308() {
        assert_eq!(next_method(301, Method::Post), (Method::Get, false));
        assert_eq!(next_method(302, Method::Post), (Method::Get, false));
        assert_eq!(next_method(303, Method::Post), (Method::Get, false));
        assert_eq!(next_method(307, Method::Post), (Method::Post, true));
        assert_eq!(next_method(308, Method::Post), (Method::Post, true));
        assert_eq!(next_method(301, Method::Get), (Method::Get, true));
        assert_eq!(next_method(303, Method::Get), (Method::Get, false));
    }

    #[test]
    fn only_the_five_redirect_statuses_are_followed() {
        for status in [301, 302, 303, 307, 308] {
            assert!(is_redirect(status));
        }
        for status in [200, 300, 304, 305, 306, 400] {
            assert!(!is_redirect(status));
        }
    }
}
