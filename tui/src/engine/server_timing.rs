//! `Server-Timing` parsing: the apps name each call they made to FusionAuth in this header, so
//! the network pane can show the backend→FusionAuth hop that never crosses the browser's wire.
//!
//! Grammar (W3C Server Timing): `metric *( "," metric )`, `metric = name *( ";" param )`,
//! `param = name [ "=" ( token / quoted-string ) ]`. A quoted `desc` may itself hold commas and
//! semicolons, which is why this is a small scanner rather than a `split(',')`.

use super::model::ServerTiming;

/// Parses one or more `Server-Timing` header values (pass each header separately, or several
/// joined with `,`). Entries without a name are skipped; malformed parameters are ignored, as a
/// browser would, rather than failing the whole header.
pub fn parse_server_timing(value: &str) -> Vec<ServerTiming> {
    let mut scanner = Scanner {
        chars: value.chars().collect(),
        pos: 0,
    };
    let mut entries = Vec::new();
    loop {
        scanner.skip_whitespace();
        if scanner.at_end() {
            break;
        }
        let name = scanner.token();
        let mut entry = ServerTiming {
            name: name.clone(),
            duration_ms: None,
            description: None,
        };
        // Parameters until the next top-level comma.
        loop {
            scanner.skip_whitespace();
            match scanner.peek() {
                Some(';') => {
                    scanner.pos += 1;
                    scanner.skip_whitespace();
                    let param = scanner.token().to_ascii_lowercase();
                    scanner.skip_whitespace();
                    let param_value = if scanner.peek() == Some('=') {
                        scanner.pos += 1;
                        scanner.skip_whitespace();
                        if scanner.peek() == Some('"') {
                            scanner.quoted()
                        } else {
                            scanner.token()
                        }
                    } else {
                        String::new()
                    };
                    // The spec keeps the first occurrence of each parameter.
                    match param.as_str() {
                        "dur" if entry.duration_ms.is_none() => {
                            entry.duration_ms = param_value.parse::<f64>().ok();
                        }
                        "desc" if entry.description.is_none() => {
                            entry.description = Some(param_value);
                        }
                        _ => {}
                    }
                }
                Some(',') => {
                    scanner.pos += 1;
                    break;
                }
                None => break,
                // Garbage after a name or value: skip to the next separator.
                Some(_) => scanner.pos += 1,
            }
        }
        if !name.is_empty() {
            entries.push(entry);
        }
    }
    entries
}

/// A cursor over the header's characters.
struct Scanner {
    chars: Vec<char>,
    pos: usize,
}

impl Scanner {
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
    }

    /// Everything up to a delimiter (`;`, `,`, `=`, `"`) or whitespace.
    fn token(&mut self) -> String {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if matches!(c, ';' | ',' | '=' | '"' | ' ' | '\t') {
                break;
            }
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// A quoted string starting at `"`, with `\` escapes; an unterminated one runs to the end.
    fn quoted(&mut self) -> String {
        let mut out = String::new();
        self.pos += 1;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '"' => break,
                '\\' => {
                    if let Some(escaped) = self.peek() {
                        out.push(escaped);
                        self.pos += 1;
                    }
                }
                c => out.push(c),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(name: &str, dur: Option<f64>, desc: Option<&str>) -> ServerTiming {
        ServerTiming {
            name: name.into(),
            duration_ms: dur,
            description: desc.map(Into::into),
        }
    }

    #[test]
    fn the_backends_fusionauth_entry_is_parsed() {
        assert_eq!(
            parse_server_timing(r#"fusionauth;dur=12.3;desc="POST /api/login 200""#),
            vec![timing(
                "fusionauth",
                Some(12.3),
                Some("POST /api/login 200")
            )]
        );
    }

    #[test]
    fn several_entries_are_split_on_top_level_commas_only() {
        let parsed = parse_server_timing(
            r#"db;dur=53, app;dur=47.2, cache;desc="Cache Read, hit; fast", total"#,
        );
        assert_eq!(
            parsed,
            vec![
                timing("db", Some(53.0), None),
                timing("app", Some(47.2), None),
                timing("cache", None, Some("Cache Read, hit; fast")),
                timing("total", None, None),
            ]
        );
    }

    #[test]
    fn parameters_are_case_insensitive_and_the_first_one_wins() {
        assert_eq!(
            parse_server_timing("miss; DUR = 1.5 ; dur=9; Desc=token"),
            vec![timing("miss", Some(1.5), Some("token"))]
        );
    }

    #[test]
    fn escapes_and_unterminated_quotes_do_not_break_parsing() {
        assert_eq!(
            parse_server_timing(r#"a;desc="say \"hi\"", b;desc="open"#),
            vec![
                timing("a", None, Some(r#"say "hi""#)),
                timing("b", None, Some("open")),
            ]
        );
    }

    #[test]
    fn garbage_gives_no_panic_and_no_nameless_entries() {
        assert_eq!(parse_server_timing(""), vec![]);
        assert_eq!(parse_server_timing(" , ,;;=\""), vec![]);
        assert_eq!(
            parse_server_timing("x;dur=abc"),
            vec![timing("x", None, None)]
        );
    }
}
