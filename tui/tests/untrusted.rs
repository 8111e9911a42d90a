//! Property tests over every parser of what a server or a file hands the TUI: HTML, `Set-Cookie`
//! (through the browser's jar, against a server that sends whatever the case says), jar files
//! in both formats, `Server-Timing` and `Location`. None of them panics; what the jar accepts
//! it can save and load again; and "copy as curl" quotes anything so that the shell gets it
//! back unchanged.

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse as _;
use proptest::prelude::*;
use proptest::sample::select;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::runtime::Runtime;
use tui::engine::netscape::parse_netscape;
use tui::engine::redirect::resolve_location;
use tui::engine::{
    Browser, BrowserOptions, Expiry, JarFormat, Request, parse_page, parse_server_timing,
};
use url::Url;

fn browser() -> Browser {
    Browser::new(BrowserOptions::default()).unwrap()
}

/// Where the pages come from.
fn page_url() -> impl Strategy<Value = Url> {
    select(vec![
        "http://store.localhost:8080/login",
        "https://forums.example/posts?page=2#top",
        "http://127.0.0.1/",
    ])
    .prop_map(|u| Url::parse(u).unwrap())
}

// ----- HTML -------------------------------------------------------------------------------------

#[test]
fn any_text_parses_as_a_page() {
    proptest!(ProptestConfig::with_cases(256), |(html in ".{0,2000}", url in page_url())| {
        parse_page(&html, &url);
    });
}

/// Pieces of markup the page model treats specially, malformed and nested as they come.
fn tag_soup() -> impl Strategy<Value = String> {
    let piece = select(vec![
        "<div>",
        "</div>",
        "<p>",
        "</p>",
        "<span>",
        "<b>",
        "</b>",
        "<br>",
        "<hr>",
        "<table>",
        "</table>",
        "<caption>",
        "<thead>",
        "<tbody>",
        "<tr>",
        "</tr>",
        "<td>",
        "</td>",
        "<th colspan=99999>",
        "<td rowspan=-1>",
        "<ul>",
        "</ul>",
        "<ol>",
        "<li>",
        "</li>",
        "<dl>",
        "<dt>",
        "<dd>",
        "<menu>",
        "<form action=\"/x\" method=post>",
        "<form action=\"//evil\" method=\"GET\">",
        "<form action=\"javascript:x\">",
        "<form>",
        "</form>",
        "<input name=a value=b>",
        "<input type=hidden name=csrf_token value=t>",
        "<input type=password name=password>",
        "<input type=checkbox name=c checked>",
        "<input type=submit value=Go>",
        "<input type=image>",
        "<input form=other name=x>",
        "<select name=s>",
        "<option value=1 selected>",
        "<optgroup label=g>",
        "</select>",
        "<textarea name=t>",
        "</textarea>",
        "<button>",
        "</button>",
        "<button formaction=\"//x\" formmethod=get name=b value=v>",
        "<label for=a>",
        "</label>",
        "<fieldset disabled>",
        "<legend>",
        "</fieldset>",
        "<a href=\"/l\">",
        "<a href=\"javascript:alert(1)\">",
        "<a href=\"//evil.example\">",
        "<a href=\"http://[::1\">",
        "<a>",
        "</a>",
        "<base href=\"http://evil/\">",
        "<h1>",
        "</h1>",
        "<h6>",
        "<header>",
        "<nav>",
        "</nav>",
        "<main>",
        "<section>",
        "<article>",
        "<aside>",
        "<footer>",
        "<details>",
        "<summary>",
        "<dialog open>",
        "<div role=alert>",
        "<div class=\"alert error\">",
        "<p class=notice>",
        "<template>",
        "</template>",
        "<script>",
        "</script>",
        "<style>",
        "</style>",
        "<noscript>",
        "<svg>",
        "<math>",
        "<iframe>",
        "<object>",
        "<img alt=x src=y>",
        "<title>",
        "</title>",
        "<head>",
        "<body>",
        "<html>",
        "<frameset>",
        "text",
        " ",
        "\n",
        "\t",
        "&amp;",
        "&nbsp;",
        "&#0;",
        "&#x110000;",
        "&bogus;",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<!DOCTYPE html>",
        "<?xml?>",
        "<",
        ">",
        "\"",
        "\u{0}",
        "\u{feff}",
        "🦀",
        "é",
    ]);
    let nested = (
        select(vec![
            "<div>",
            "<ul><li>",
            "<table><tr><td>",
            "<form>",
            "<ol><li><p>",
            "<a href=/>",
            "<dl><dd>",
            "<fieldset><legend>",
            "<select><option>",
            "<b><i>",
        ]),
        1usize..400,
    )
        .prop_map(|(open, depth)| open.repeat(depth));
    prop_oneof![
        4 => prop::collection::vec(piece, 0..400).prop_map(|pieces| pieces.concat()),
        1 => nested,
    ]
}

#[test]
fn tag_soup_and_deep_nesting_parse_as_a_page() {
    proptest!(ProptestConfig::with_cases(128), |(html in tag_soup(), url in page_url())| {
        let page = parse_page(&html, &url);
        // What the model hands out is usable: every form can be submitted.
        for form in &page.forms {
            form.submission();
        }
    });
}

// ----- Set-Cookie, through the jar ----------------------------------------------------------------

/// A `Set-Cookie` value: any bytes HTTP can carry, or a cookie with attributes from the edges
/// of what RFC 6265 and the browsers accept.
fn set_cookie() -> impl Strategy<Value = Vec<u8>> {
    let name = prop_oneof![
        3 => "[A-Za-z0-9_-]{1,10}",
        1 => select(vec!["store_session", "__Host-s", "__Secure-s", "", " ", "a b"])
            .prop_map(str::to_owned),
        1 => "[ -~]{0,8}",
    ];
    let value = prop_oneof![
        3 => "[A-Za-z0-9_-]{0,24}",
        1 => "[ -~]{0,20}",
        1 => "\"[ -~]{0,10}\"",
        1 => ".{0,10}",
        1 => select(vec!["a\tb", "\t", "x\u{a0}y", "é", "%0A", "%09"]).prop_map(str::to_owned),
    ];
    let attribute = prop_oneof![
        select(vec![
            "Domain=localhost",
            "Domain=.localhost",
            "Domain=store.localhost",
            "Domain=.store.localhost",
            "Domain=example.com",
            "Domain=127.0.0.1",
            "Domain=",
            "Domain=..",
            "Domain=localhost.",
            "Domain=LOCALHOST",
            "Domain=é.localhost",
        ]),
        select(vec![
            "Path=/",
            "Path=",
            "Path=/a/b",
            "Path=a",
            "Path=//",
            "Path=/\\",
            "Path=/%00",
        ]),
        select(vec![
            "Max-Age=0",
            "Max-Age=-1",
            "Max-Age=1",
            "Max-Age=86400",
            "Max-Age=9223372036854775807",
            "Max-Age=-9223372036854775808",
            "Max-Age=99999999999999999999",
            "Max-Age=abc",
            "Max-Age=",
        ]),
        select(vec![
            "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "Expires=Fri, 31 Dec 9999 23:59:59 GMT",
            "Expires=Sat, 01 Jan 275760 00:00:00 GMT",
            "Expires=Wed, 21 Oct 2015 07:28:00 GMT",
            "Expires=Mon, 32 Foo 2020",
            "Expires=",
            "Expires=0",
            "Expires=Sun, 06 Nov 1994 08:49:37 GMT",
        ]),
        select(vec![
            "Secure",
            "HttpOnly",
            "SameSite=Lax",
            "SameSite=Strict",
            "SameSite=None",
            "SameSite=",
            "SameSite=Sometimes",
            "Partitioned",
            "Priority=High",
        ]),
    ]
    .prop_map(str::to_owned);
    let attribute = prop_oneof![4 => attribute, 1 => "[ -~]{0,15}"];
    prop_oneof![
        4 => (name, value, prop::collection::vec(attribute, 0..5)).prop_map(
            |(name, value, attributes)| {
                let mut text = format!("{name}={value}");
                for attribute in attributes {
                    text.push_str("; ");
                    text.push_str(&attribute);
                }
                text.into_bytes()
            }
        ),
        // Bytes of any kind a header can hold.
        1 => prop::collection::vec(prop_oneof![Just(9u8), 0x20u8..0x7f, 0x80u8..=0xff], 0..80),
    ]
    .prop_filter("HTTP cannot carry it", |value| {
        HeaderValue::from_bytes(value).is_ok()
    })
}

/// A server that answers every request with the `Set-Cookie` headers last given to it.
struct CookieServer {
    url: Url,
    set_cookies: Arc<Mutex<Vec<HeaderValue>>>,
}

impl CookieServer {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let set_cookies = Arc::new(Mutex::new(Vec::new()));
        let sent = set_cookies.clone();
        let router = axum::Router::new().fallback(move || {
            let values: Vec<HeaderValue> =
                sent.lock().unwrap_or_else(PoisonError::into_inner).clone();
            async move {
                let mut response = "<p>cookies</p>".into_response();
                for value in values {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
                response
            }
        });
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            url: Url::parse(&format!("http://store.localhost:{port}/a/b/page")).unwrap(),
            set_cookies,
        }
    }

    fn send(&self, values: Vec<HeaderValue>) {
        *self
            .set_cookies
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = values;
    }
}

#[test]
fn any_set_cookie_is_stored_or_dropped_and_the_jar_saves_and_loads_it() {
    let rt = Runtime::new().unwrap();
    let server = rt.block_on(CookieServer::start());
    let dir = tempfile::tempdir().unwrap();
    let (netscape, json) = (dir.path().join("jar.txt"), dir.path().join("jar.json"));
    proptest!(ProptestConfig::with_cases(192), |(set_cookies in prop::collection::vec(set_cookie(), 1..6))| {
        server.send(
            set_cookies
                .iter()
                .map(|v| HeaderValue::from_bytes(v).unwrap())
                .collect(),
        );
        let browser = browser();
        let load = rt.block_on(browser.load(Request::get(server.url.clone())));
        prop_assert_eq!(load.error, None);
        let cookies = browser.cookies();
        browser.decisions_for(&server.url);
        browser.decisions_for(&Url::parse("https://forums.localhost/").unwrap());

        // Whatever the jar took, both jar files hold it and load again; a curl file leaves out
        // the expired and what it cannot hold: a tab or line break in a field.
        browser.save_jar(&json, JarFormat::Json).unwrap();
        let from_json = self::browser();
        let loaded = from_json.load_jar(&json, JarFormat::Json);
        prop_assert_eq!(loaded.ok(), Some(cookies.len()));
        browser.save_jar(&netscape, JarFormat::Netscape).unwrap();
        let from_file = self::browser();
        let loaded = from_file.load_jar(&netscape, JarFormat::Netscape);
        let now = std::time::SystemTime::now();
        let live: Vec<_> = cookies
            .iter()
            .filter(|c| !matches!(c.expires, Expiry::At(at) if at <= now))
            .filter(|c| {
                [&c.name, &c.value, &c.domain, &c.path]
                    .iter()
                    .all(|f| !f.contains(['\t', '\n', '\r']))
            })
            .map(|c| (&c.name, &c.value, &c.domain, &c.path, c.host_only, c.secure))
            .collect();
        prop_assert!(
            loaded.as_ref().is_ok_and(|n| *n == live.len()),
            "{:?} → {:?}\n{}",
            live,
            loaded,
            std::fs::read_to_string(&netscape).unwrap()
        );
        let again = from_file.cookies();
        let again: Vec<_> = again
            .iter()
            .map(|c| (&c.name, &c.value, &c.domain, &c.path, c.host_only, c.secure))
            .collect();
        prop_assert_eq!(again, live);
    });
}

// ----- Jar files ----------------------------------------------------------------------------------

/// A line of a Netscape cookie file: seven fields from the edges of each, or anything.
fn netscape_line() -> impl Strategy<Value = String> {
    let domain = prop_oneof![
        select(vec![
            "store.localhost",
            ".localhost",
            "#HttpOnly_store.localhost",
            "#HttpOnly_",
            "",
            ".",
            "..",
            "localhost",
            "[::1]",
            "127.0.0.1",
            "é.localhost",
            "a b",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,12}",
    ];
    let flag = select(vec!["TRUE", "FALSE", "true", "", "1"]);
    let path = prop_oneof![
        select(vec!["/", "/a", "", "a", "//", "/\\"]).prop_map(str::to_owned),
        "[ -~]{0,8}",
    ];
    let expiry = prop_oneof![
        select(vec![
            "0",
            "1",
            "-1",
            "253402300799",
            "253402300800",
            "9223372036854775807",
            "-9223372036854775808",
            "99999999999999999999",
            "1e9",
            "",
            " 5 ",
        ])
        .prop_map(str::to_owned),
        any::<i64>().prop_map(|n| n.to_string()),
    ];
    let word = prop_oneof!["[!-~]{0,10}", ".{0,6}"];
    let fields = (domain, flag.clone(), path, flag, expiry, word.clone(), word).prop_map(
        |(domain, subdomains, path, secure, expiry, name, value)| {
            format!("{domain}\t{subdomains}\t{path}\t{secure}\t{expiry}\t{name}\t{value}")
        },
    );
    prop_oneof![
        6 => fields,
        1 => "#[ -~]{0,20}",
        1 => ".{0,40}",
        1 => "[ -~\t]{0,40}",
    ]
}

#[test]
fn any_text_in_a_jar_file_loads_or_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cookies.txt");
    let file = prop_oneof![
        3 => prop::collection::vec(netscape_line(), 0..8).prop_map(|lines| lines.join("\n")),
        1 => ".{0,300}",
    ];
    proptest!(ProptestConfig::with_cases(256), |(text in file, as_json in prop::bool::weighted(0.2))| {
        match parse_netscape(&text) {
            Ok(_) => {}
            Err(error) => prop_assert!(!error.reason.is_empty()),
        }
        std::fs::write(&path, &text).unwrap();
        let format = if as_json { JarFormat::Json } else { JarFormat::Netscape };
        // Loading puts each parsed cookie in a real jar: that may refuse it, with a message.
        if let Err(error) = browser().load_jar(&path, format) {
            let message = format!("{error:#}");
            prop_assert!(!message.is_empty());
        }
    });
}

// ----- Headers ------------------------------------------------------------------------------------

#[test]
fn any_server_timing_or_location_header_is_read_without_a_panic() {
    let header = prop_oneof![
        prop::collection::vec(
            select(vec![
                "fusionauth",
                ";",
                ",",
                "dur=",
                "dur=12.5",
                "dur=-1",
                "dur=NaN",
                "dur=1e309",
                "desc=",
                "desc=\"POST /api/login 200\"",
                "\"",
                "\\",
                "\\\"",
                "=",
                " ",
                "\t",
                "é",
                "\u{0}",
            ]),
            0..16,
        )
        .prop_map(|pieces| pieces.concat()),
        ".{0,80}",
    ];
    let location = prop_oneof![
        select(vec![
            "",
            " ",
            "/",
            "//evil.example",
            "/\\evil",
            "\\\\evil",
            "http://[::1",
            "http://a:99999/",
            "javascript:alert(1)",
            "data:text/html,x",
            "?q",
            "#f",
            "..",
            "http:",
            "https://é.example/",
            "http://user:pass@host/",
            "file:///etc/passwd",
        ])
        .prop_map(str::to_owned),
        ".{0,60}",
    ];
    proptest!(ProptestConfig::with_cases(256), |(header in header, location in location, base in page_url())| {
        parse_server_timing(&header);
        if let Ok(next) = resolve_location(&base, &location) {
            prop_assert!(matches!(next.scheme(), "http" | "https"), "{next}");
        }
    });
}

// ----- Copy as curl -------------------------------------------------------------------------------

#[test]
fn copy_as_curl_quotes_anything_for_the_shell() {
    proptest!(ProptestConfig::with_cases(64), |(arg in prop_oneof![".{0,30}", "[ -~]{0,30}", "['\"\\\\$`!;&|<>(){}* \n]{0,12}"])| {
        // A shell cannot pass NUL in an argument; the engine never has one in a header.
        prop_assume!(!arg.contains('\0'));
        let quoted = tui::engine::curl::shell_quote(&arg);
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s' {quoted}"))
            .output()
            .unwrap();
        prop_assert_eq!(String::from_utf8_lossy(&output.stdout), arg.as_str(), "{}", quoted);
    });
}
