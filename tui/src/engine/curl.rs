//! "Copy as curl": one exchange as a command a shell runs as is, so a request seen in the
//! network pane can be replayed, tweaked and shared outside the TUI.
//!
//! Cookies go through a jar file (`-b FILE -c FILE`, the Netscape format the engine writes),
//! not a copied `Cookie:` header: curl then also stores what the server sets, and follows a
//! redirect chain with the cookies each hop received, as the browser did.

use super::model::{Exchange, Method};

/// Headers curl computes itself, or that come from the jar file.
const LEFT_TO_CURL: &[&str] = &["cookie", "content-length", "host"];

/// A copy-pasteable, single-line curl command reproducing `exchange`'s request, reading and
/// writing cookies in `jar_file` (save the jar there in the Netscape format first).
///
/// `-L` is added when the exchange is a redirect hop or was answered with a 3xx, so curl
/// follows the chain as the browser did. A POST with a body is not given `-X POST`: with `-L`
/// that would force POST onto every hop, where curl (like a browser) switches to GET after a
/// 301/302/303.
pub fn curl_command(exchange: &Exchange, jar_file: &str) -> String {
    let mut args: Vec<String> = vec!["curl".to_owned()];
    let redirected = exchange.hop > 0 || exchange.status.is_some_and(|s| (300..400).contains(&s));
    if redirected {
        args.push("-L".to_owned());
    }
    if exchange.method == Method::Post && exchange.request_body.is_none() {
        args.extend(["-X".to_owned(), "POST".to_owned()]);
    }
    for (name, value) in &exchange.request_headers {
        if LEFT_TO_CURL.contains(&name.to_ascii_lowercase().as_str()) {
            continue;
        }
        args.push("-H".to_owned());
        args.push(shell_quote(&format!("{name}: {value}")));
    }
    if let Some(body) = &exchange.request_body {
        args.push("--data-raw".to_owned());
        args.push(shell_quote(body));
    }
    args.extend([
        "-b".to_owned(),
        shell_quote(jar_file),
        "-c".to_owned(),
        shell_quote(jar_file),
    ]);
    args.push(shell_quote(exchange.url.as_str()));
    args.join(" ")
}

/// Quotes `arg` for a POSIX shell: bare when it is only safe characters, else in single
/// quotes, where nothing is special but the single quote itself, written `'\''`.
pub fn shell_quote(arg: &str) -> String {
    let safe = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c));
    if safe {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};
    use url::Url;

    fn exchange(method: Method, url: &str) -> Exchange {
        Exchange {
            id: 1,
            load_id: 1,
            hop: 0,
            method,
            url: Url::parse(url).unwrap(),
            request_headers: vec![
                ("Host".into(), "store.localhost:8080".into()),
                ("User-Agent".into(), "tui/0.1".into()),
                ("Accept".into(), "text/html,*/*;q=0.8".into()),
                ("Cookie".into(), "store_session=abc".into()),
            ],
            request_body: None,
            cookies_sent: vec![("store_session".into(), "abc".into())],
            status: Some(200),
            response_headers: Vec::new(),
            response_body: String::new(),
            location: None,
            set_cookies: Vec::new(),
            server_timing: Vec::new(),
            started: SystemTime::UNIX_EPOCH,
            duration: Duration::ZERO,
            error: None,
        }
    }

    #[test]
    fn a_get_keeps_headers_but_cookie_host_and_length() {
        let ex = exchange(Method::Get, "http://store.localhost:8080/shopping-cart");
        assert_eq!(
            curl_command(&ex, "jar.txt"),
            "curl -H 'User-Agent: tui/0.1' -H 'Accept: text/html,*/*;q=0.8' \
             -b jar.txt -c jar.txt http://store.localhost:8080/shopping-cart"
        );
    }

    #[test]
    fn a_redirected_post_sends_the_body_and_follows_without_forcing_post() {
        let mut ex = exchange(Method::Post, "http://store.localhost:8080/login");
        ex.request_headers.extend([
            (
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            ("Content-Length".into(), "42".into()),
        ]);
        ex.request_body = Some("csrf_token=t&loginId=alice%40example.com&password=p".into());
        ex.status = Some(303);
        let command = curl_command(&ex, "/tmp/my jar.txt");
        assert!(command.starts_with("curl -L -H "), "{command}");
        assert!(!command.contains("-X POST"), "{command}");
        assert!(!command.contains("Content-Length"), "{command}");
        assert!(
            command.contains("--data-raw 'csrf_token=t&loginId=alice%40example.com&password=p'")
        );
        assert!(command.ends_with(
            "-b '/tmp/my jar.txt' -c '/tmp/my jar.txt' http://store.localhost:8080/login"
        ));
    }

    #[test]
    fn a_later_hop_gets_follow_and_a_bodyless_post_an_explicit_method() {
        let mut hop = exchange(Method::Get, "http://h/next");
        hop.hop = 1;
        assert!(curl_command(&hop, "j").starts_with("curl -L "));
        let mut post = exchange(Method::Post, "http://h/logout");
        post.status = Some(200);
        assert!(curl_command(&post, "j").starts_with("curl -X POST "));
    }

    #[test]
    fn single_quotes_are_escaped_the_posix_way() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(shell_quote("http://h/p?q=1&r=2"), "'http://h/p?q=1&r=2'");
        let mut ex = exchange(Method::Post, "http://h/posts");
        ex.request_body = Some("title=Don't&body=x".into());
        let command = curl_command(&ex, "j");
        assert!(
            command.contains(r"--data-raw 'title=Don'\''t&body=x'"),
            "{command}"
        );
    }

    #[test]
    fn the_quoted_command_survives_a_real_shell() {
        // sh's own parser is the judge of the quoting: echo the arguments back.
        let mut ex = exchange(Method::Post, "http://h/p?a=1&b='2'");
        ex.request_body = Some("x='y' \"z\" $HOME `id` \\ end".into());
        let command = curl_command(&ex, "j");
        let script = format!("printf '%s\\n' {}", command.trim_start_matches("curl "));
        let Ok(output) = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .output()
        else {
            return; // no shell on this machine
        };
        let args = String::from_utf8(output.stdout).unwrap();
        assert!(
            args.lines().any(|l| l == "x='y' \"z\" $HOME `id` \\ end"),
            "{args}"
        );
        assert!(
            args.lines().any(|l| l == "http://h/p?a=1&b=%272%27"),
            "{args}"
        );
    }
}
