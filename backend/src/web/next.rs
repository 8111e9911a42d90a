//! The `next` parameter: where to go after logging in. Only same-origin relative paths are
//! accepted, so a login link can never send the user to another site (no open redirect).

use std::fmt;

/// A path on this site, safe to redirect to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextPath(String);

impl NextPath {
    /// Accepts `/…` paths; refuses `//host`, `/\host`, schemes, backslashes, control characters,
    /// and anything over 1 KiB. Refused values are simply ignored by callers.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = raw.starts_with('/')
            && !raw.starts_with("//")
            && raw.len() <= 1024
            && !raw.contains('\\')
            && !raw.chars().any(|c| c.is_control() || c.is_whitespace());
        ok.then(|| Self(raw.to_owned()))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NextPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::NextPath;

    #[test]
    fn same_origin_paths_are_accepted() {
        for good in ["/", "/shopping-cart", "/posts?page=2", "/a/b#c"] {
            assert_eq!(NextPath::parse(good).unwrap().as_str(), good);
        }
    }

    #[test]
    fn anything_that_could_leave_the_site_is_refused() {
        for bad in [
            "",
            "shopping-cart",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "http://evil.example",
            "https:evil.example",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/ /evil.example",
            "/\n",
        ] {
            assert_eq!(NextPath::parse(bad), None, "{bad:?}");
        }
        assert_eq!(NextPath::parse(&format!("/{}", "a".repeat(2000))), None);
    }

    #[test]
    fn an_accepted_path_is_redirected_to_unchanged() {
        let next = NextPath::parse("/posts?page=2").unwrap();
        assert_eq!(next.to_string(), "/posts?page=2");
    }
}
