//! Property tests over every parser of outside input: form bodies of any bytes and any type,
//! any `Cookie` header, any path, query and `Accept`, and any answer FusionAuth could give. The
//! sites never panic and never answer a 5xx they did not mean (503 is meant when FusionAuth is
//! unusable); the FusionAuth client turns any answer into a typed outcome or error.
//!
//! Each property starts one stack on a runtime of its own and sends every case to it; a panic
//! in a handler shows up as a dropped connection, reported as the failing case.

use crate::app::{Page, TestApp};
use crate::stub::{Answer, FusionAuthStub, alice_user};
use backend::fusionauth::model::{LoginRequest, TwoFactorLoginRequest};
use backend::fusionauth::{ClientError, FusionAuthClient, FusionAuthConfig, LoginOutcome};
use backend::stack::{FusionAuth, StackConfig, demo};
use backend::web::LoginLimits;
use proptest::prelude::*;
use proptest::sample::select;
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, HeaderValue};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::runtime::Runtime;

/// A runtime for one property: the stack and every case run on it.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The demo stack without login rate limits: the cases log in far more often than a person.
fn unlimited() -> StackConfig {
    StackConfig::ephemeral().with_login_limits(LoginLimits::unlimited())
}

/// Sends a request and reads the answer; no answer (a handler panicked) is an error.
async fn answer(request: reqwest::RequestBuilder) -> Result<Page, String> {
    let response = request
        .send()
        .await
        .map_err(|e| format!("no answer (did a handler panic?): {e:?}"))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .text()
        .await
        .map_err(|e| format!("the body broke off: {e:?}"))?;
    Ok(Page {
        status,
        headers,
        body,
    })
}

/// The bytes of a header value: whatever was generated, less what HTTP cannot carry (control
/// characters but tab).
fn header_value(bytes: &[u8]) -> HeaderValue {
    let bytes: Vec<u8> = bytes
        .iter()
        .map(|&b| {
            if (b < 0x20 && b != b'\t') || b == 0x7f {
                b'?'
            } else {
                b
            }
        })
        .collect();
    HeaderValue::from_bytes(&bytes).expect("a valid header value")
}

/// Text made of what the parsers care about, or of anything.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => select(vec![
            "", " ", "0", "1", "99", "100", "-1", "+1", " 7 ", "4294967295", "4294967296",
            "18446744073709551616", "1e2", "0x10", "١٢", "\u{feff}1", "TEA-001", "KET-003",
            "tea-001", "nope", "nobody@example.com", "two-factor@example.com", "\u{0}", "%",
            "%zz", "%ff%fe", "&", "=", "<script>", "\"'", "\r\n", "a\tb", "é", "🦀",
            "/", "//evil.example", "/\\evil", "http://evil.example",
        ])
        .prop_map(str::to_owned),
        2 => ".{0,40}",
        1 => "[0-9 +.-]{0,24}",
        1 => (1usize..6000).prop_map(|n| "x".repeat(n)),
    ]
}

/// A form field name: one the handlers read, or any.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(vec![
            "loginId", "password", "csrf_token", "next", "sku", "quantity", "title", "body",
            "code",
        ])
        .prop_map(str::to_owned),
        1 => ".{0,10}",
    ]
}

/// A body posted to a form.
#[derive(Clone, Debug)]
enum FormBody {
    /// Any bytes.
    Raw(Vec<u8>),
    /// Well-formed: values for the form's own fields (as many as it has, at most), other
    /// fields, and the session's CSRF token or not.
    Fields {
        values: Vec<String>,
        others: Vec<(String, String)>,
        with_token: bool,
    },
}

impl FormBody {
    fn bytes(&self, names: &[&str], token: &str) -> Vec<u8> {
        match self {
            Self::Raw(bytes) => bytes.clone(),
            Self::Fields {
                values,
                others,
                with_token,
            } => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                form.extend_pairs(names.iter().zip(values));
                form.extend_pairs(others);
                if *with_token {
                    form.append_pair("csrf_token", token);
                }
                form.finish().into_bytes()
            }
        }
    }
}

fn form_body() -> impl Strategy<Value = FormBody> {
    let values = prop::collection::vec(text(), 0..4);
    let others = prop::collection::vec((field_name(), text()), 0..3);
    prop_oneof![
        12 => (values, others, prop::bool::weighted(0.8)).prop_map(
            |(values, others, with_token)| FormBody::Fields { values, others, with_token }
        ),
        3 => prop::collection::vec(any::<u8>(), 0..300).prop_map(FormBody::Raw),
        3 => prop::collection::vec(
            select(vec![
                "&", "=", "%", "%zz", "%ff", "%00", "+", "csrf_token=", "quantity=", "sku=",
                "title=", "a[]=", "a[b]=", ";", "\u{0}", "é", "x",
            ]),
            0..20,
        )
        .prop_map(|pieces| FormBody::Raw(pieces.concat().into_bytes())),
        // Past the 64 KiB body limit.
        1 => prop::collection::vec(any::<u8>(), 65_000..70_000).prop_map(FormBody::Raw),
    ]
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        20 => Just(Some("application/x-www-form-urlencoded".to_owned())),
        1 => Just(None),
        4 => select(vec![
            "application/x-www-form-urlencoded; charset=utf-8",
            "application/x-www-form-urlencoded; charset=latin1",
            "APPLICATION/X-WWW-FORM-URLENCODED",
            "application/json",
            "multipart/form-data; boundary=x",
            "text/plain",
            "text/html",
        ])
        .prop_map(|t| Some(t.to_owned())),
        1 => "[ -~]{0,30}".prop_map(Some),
    ]
}

/// Every form of both sites: (Forums?, path, its fields but the token).
const FORMS: &[(bool, &str, &[&str])] = &[
    (false, "/login", &["loginId", "password", "next"]),
    (false, "/shopping-cart/add", &["sku", "quantity"]),
    (false, "/shopping-cart/remove", &["sku"]),
    (false, "/login/two-factor", &["code"]),
    (false, "/login/change-password", &["password"]),
    (false, "/logout", &[]),
    (true, "/login", &["loginId", "password", "next"]),
    (true, "/posts", &["title", "body"]),
    (true, "/logout", &[]),
];

#[test]
fn form_posts_of_any_bytes_and_content_type_never_get_a_5xx() {
    let rt = runtime();
    let app = rt.block_on(TestApp::spawn_with(unlimited()));
    let browser = app.browser();
    let tokens = rt.block_on(async {
        browser
            .login(&app.store("/"), "alice@example.com", "password")
            .await;
        browser
            .login(&app.forums("/"), "alice@example.com", "password")
            .await;
        (
            browser.get(&app.store("/shopping-cart")).await.csrf(),
            browser.get(&app.forums("/posts")).await.csrf(),
        )
    });
    proptest!(ProptestConfig::with_cases(192), |(
        form in select(FORMS),
        body in form_body(),
        content_type in content_type(),
    )| {
        let (forums, path, names) = form;
        let (url, token) = if forums {
            (app.forums(path), &tokens.1)
        } else {
            (app.store(path), &tokens.0)
        };
        // The token would log the browser out, and the cases after would be anonymous.
        let token = if path == "/logout" { "" } else { token.as_str() };
        let mut request = browser.http.post(&url).body(body.bytes(names, token));
        if let Some(content_type) = &content_type {
            request = request.header(CONTENT_TYPE, header_value(content_type.as_bytes()));
        }
        let page = rt.block_on(answer(request)).map_err(TestCaseError::fail)?;
        prop_assert!(
            !page.status.is_server_error(),
            "POST {path} {content_type:?} {body:?} → {}: {}", page.status, page.body
        );
    });
}

/// A `Cookie` header: any bytes, or pairs around the sites' cookie names.
fn cookie_header() -> impl Strategy<Value = Vec<u8>> {
    let name = prop_oneof![
        3 => select(vec!["store_session", "forums_session", "__Host-store_session"])
            .prop_map(str::to_owned),
        1 => "[!-~]{0,10}",
    ];
    let value = prop_oneof![
        2 => "[A-Za-z0-9_-]{20,24}",
        1 => "[A-Za-z0-9+/=_-]{0,40}",
        2 => text(),
    ];
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..200),
        3 => prop::collection::vec((name, value), 0..5).prop_map(|pairs| {
            pairs
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ")
                .into_bytes()
        }),
    ]
}

/// The pages that read the session, as (Forums?, method is POST, path).
const SESSION_READERS: &[(bool, bool, &str)] = &[
    (false, false, "/"),
    (false, false, "/login"),
    (false, false, "/shopping-cart"),
    (false, false, "/login/two-factor"),
    (false, true, "/logout"),
    (true, false, "/posts"),
    (true, true, "/logout"),
];

#[test]
fn cookie_headers_of_any_bytes_never_get_a_5xx() {
    let rt = runtime();
    let app = rt.block_on(TestApp::spawn());
    let client = app.bare_client();
    proptest!(ProptestConfig::with_cases(192), |(
        page in select(SESSION_READERS),
        cookie in cookie_header(),
        json in any::<bool>(),
    )| {
        let (forums, post, path) = page;
        let url = if forums { app.forums(path) } else { app.store(path) };
        let mut request = if post { client.post(&url) } else { client.get(&url) };
        request = request.header(COOKIE, header_value(&cookie));
        if json {
            request = request.header(ACCEPT, "application/json");
        }
        let answer = rt.block_on(answer(request)).map_err(TestCaseError::fail)?;
        prop_assert!(
            !answer.status.is_server_error(),
            "{path} with Cookie {:?} → {}", String::from_utf8_lossy(&cookie), answer.status
        );
    });
}

#[test]
fn paths_queries_and_accept_headers_of_any_text_never_get_a_5xx() {
    let rt = runtime();
    let app = rt.block_on(TestApp::spawn());
    let client = app.bare_client();
    let path = prop_oneof![
        select(vec![
            "/",
            "/login",
            "/shopping-cart",
            "/posts",
            "/login/two-factor",
            "/login/change-password",
            "/logout",
            "/shopping-cart/add",
        ])
        .prop_map(str::to_owned),
        "/[ -~]{0,40}",
        "/.{0,20}",
    ];
    let query = prop::collection::vec(
        (
            prop_oneof![
                select(vec!["next", "notice"]).prop_map(str::to_owned),
                ".{0,6}"
            ],
            text(),
        ),
        0..4,
    );
    let accept = prop::option::of(prop_oneof![
        select(vec![
            "application/json",
            "text/html, application/json;q=0.9",
            "*/*",
            ",,,",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,30}",
    ]);
    proptest!(ProptestConfig::with_cases(192), |(
        forums in any::<bool>(),
        path in path,
        query in query,
        raw_query in prop::option::of("[ -~]{0,30}"),
        accept in accept,
    )| {
        let base = if forums { app.forums("/") } else { app.store("/") };
        let url = url::Url::parse(&format!("{}{path}", base.trim_end_matches('/')));
        prop_assume!(url.is_ok());
        let mut url = url.unwrap();
        match &raw_query {
            Some(raw) => url.set_query(Some(raw)),
            None if !query.is_empty() => {
                url.query_pairs_mut().extend_pairs(&query);
            }
            None => {}
        }
        let mut request = client.get(url.clone());
        if let Some(accept) = &accept {
            request = request.header(ACCEPT, header_value(accept.as_bytes()));
        }
        let page = rt.block_on(answer(request)).map_err(TestCaseError::fail)?;
        prop_assert!(!page.status.is_server_error(), "GET {url} → {}", page.status);
    });
}

// ----- FusionAuth's answers ---------------------------------------------------------------------

/// Any JSON, with the keys of FusionAuth's responses more likely than others.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        select(vec![
            "",
            "6a8f1f1e-0b39-4b4e-9f1d-0c2a1a000001",
            "not-a-uuid",
            "authenticator",
        ])
        .prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
    ];
    let key = prop_oneof![
        3 => select(vec![
            "user", "id", "email", "username", "firstName", "lastName", "fullName",
            "registrations", "applicationId", "roles", "token", "refreshToken",
            "twoFactorId", "changePasswordId", "changePasswordReason", "methods", "method",
            "actions", "fieldErrors", "generalErrors", "code", "message", "active",
            "verified", "data", "twoFactor", "tenantId",
        ])
        .prop_map(str::to_owned),
        1 => ".{0,8}",
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// A well-formed answer for `status`, as FusionAuth gives it (docs/identity-server.md).
fn well_formed(status: u16) -> Value {
    let user = alice_user();
    match status {
        200 => json!({ "token": "t", "refreshToken": "r", "user": user }),
        202 => json!({ "user": user }),
        203 => json!({ "changePasswordId": "c", "changePasswordReason": "Administrative" }),
        242 => json!({ "twoFactorId": "f", "methods": [{ "id": "m", "method": "authenticator" }] }),
        400 => {
            json!({ "fieldErrors": { "loginId": [{ "code": "[blank]loginId", "message": "x" }] } })
        }
        409 => json!({ "actions": [{ "actionId": demo::ALICE_ID, "name": "lock" }] }),
        _ => json!({}),
    }
}

/// `value` with the node at `seed` (in a walk of the tree) replaced by `with`.
fn mutate(value: &mut Value, seed: &mut usize, with: &Value) {
    if *seed == 0 {
        *value = with.clone();
        return;
    }
    *seed -= 1;
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| mutate(v, seed, with)),
        Value::Object(map) => map.values_mut().for_each(|v| mutate(v, seed, with)),
        _ => {}
    }
}

/// A status FusionAuth documents for these calls, or any other.
fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        2 => Just(200u16),
        3 => select(vec![200u16, 202, 203, 212, 242, 400, 401, 404, 409, 410, 421, 423]),
        1 => 200u16..600,
    ]
}

/// An answer: a well-formed body with one node replaced, any JSON, or any bytes.
fn fusionauth_answer() -> impl Strategy<Value = Answer> {
    let content_type = select(vec![
        "application/json",
        "text/html",
        "application/octet-stream",
    ]);
    (status(), content_type).prop_flat_map(|(status, content_type)| {
        let body = prop_oneof![
            3 => (json_value(), 0usize..40).prop_map(move |(with, mut seed)| {
                let mut body = well_formed(status);
                mutate(&mut body, &mut seed, &with);
                serde_json::to_vec(&body).unwrap()
            }),
            2 => json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
            1 => prop::collection::vec(any::<u8>(), 0..200),
            2 => Just(serde_json::to_vec(&well_formed(status)).unwrap()),
        ];
        body.prop_map(move |body| Answer::Reply {
            status,
            content_type,
            body,
        })
    })
}

/// The status a login outcome stands for.
fn status_of(outcome: &LoginOutcome) -> u16 {
    match outcome {
        LoginOutcome::Success(_) => 200,
        LoginOutcome::NotRegistered(_) => 202,
        LoginOutcome::ChangePasswordRequired(_) => 203,
        LoginOutcome::EmailNotVerified => 212,
        LoginOutcome::TwoFactorRequired(_) => 242,
        LoginOutcome::InvalidRequest(_) => 400,
        LoginOutcome::Unauthorized => 401,
        LoginOutcome::NotFound => 404,
        LoginOutcome::ActionPrevented(_) => 409,
        LoginOutcome::Expired => 410,
        LoginOutcome::InvalidTwoFactorCode => 421,
        LoginOutcome::Locked => 423,
    }
}

#[test]
fn the_fusionauth_client_turns_any_answer_into_an_outcome_or_an_error() {
    let rt = runtime();
    let stub = rt.block_on(FusionAuthStub::start(Answer::json(200, "")));
    let client = FusionAuthClient::new(FusionAuthConfig {
        base_url: stub.url(),
        api_key: demo::API_KEY.to_owned().into(),
        tenant_id: None,
        timeout: Duration::from_secs(5),
    })
    .unwrap();
    let login = LoginRequest {
        login_id: "alice@example.com".into(),
        password: "password".into(),
        application_id: Some(demo::STORE_APPLICATION_ID),
        ip_address: Some("127.0.0.1".into()),
        no_jwt: None,
    };
    let two_factor = TwoFactorLoginRequest {
        two_factor_id: "f".into(),
        code: "123456".into(),
        application_id: Some(demo::STORE_APPLICATION_ID),
        ip_address: None,
    };
    proptest!(ProptestConfig::with_cases(256), |(answer in fusionauth_answer(), call in 0..5usize)| {
        let Answer::Reply { status, .. } = answer else { unreachable!() };
        stub.answer(answer.clone());
        // Every call: a 5xx is `Server`, and nothing else is an error but an undocumented
        // status or an unreadable body.
        let check = |error: &ClientError| match error {
            ClientError::Server(s) => *s == status && status >= 500,
            ClientError::Unexpected(s) => *s == status && status < 500,
            ClientError::InvalidBody { status: s, .. } => *s == status,
            ClientError::Unreachable(_) | ClientError::Timeout(_) => false,
        };
        match call {
            0 | 1 => {
                let result = rt.block_on(async {
                    if call == 0 {
                        client.login(&login).await
                    } else {
                        client.two_factor_login(&two_factor).await
                    }
                });
                match &result {
                    Ok(outcome) => prop_assert_eq!(status_of(outcome), status),
                    Err(error) => prop_assert!(check(error), "{status}: {error:?}"),
                }
            }
            2 => {
                let result = rt.block_on(client.change_password("c", "a new passphrase"));
                if let Err(error) = &result {
                    prop_assert!(check(error), "{status}: {error:?}");
                }
            }
            3 => {
                let result = rt.block_on(client.logout("r"));
                prop_assert_eq!(result.is_ok(), status == 200, "{:?}", result);
            }
            _ => {
                let result = rt.block_on(client.retrieve_user(demo::ALICE_ID));
                if let Err(error) = &result {
                    prop_assert!(check(error), "{status}: {error:?}");
                }
            }
        }
    });
}

#[test]
fn the_sites_given_any_fusionauth_answer_never_answer_a_500() {
    let rt = runtime();
    let stub = rt.block_on(FusionAuthStub::start(Answer::json(200, "")));
    let mut config = unlimited();
    config.fusionauth = FusionAuth::External(stub.url());
    let app = rt.block_on(TestApp::spawn_with(config));
    // One browser throughout: what one answer left in its session meets the next one.
    let browser = app.browser();
    proptest!(ProptestConfig::with_cases(128), |(answer in fusionauth_answer(), forums in any::<bool>())| {
        stub.answer(answer.clone());
        let base = if forums { app.forums("/") } else { app.store("/") };
        let pages = rt.block_on(async {
            let login = browser.login(&base, "alice@example.com", "password").await;
            // Follow a login to where it leads (the cart with the user FusionAuth described,
            // a second-factor or password form) and the home page.
            let mut pages = vec![("POST /login".to_owned(), login.status)];
            if let Some(location) = login.header("location").map(str::to_owned) {
                let next = browser.get(&format!("{}{location}", base.trim_end_matches('/'))).await;
                pages.push((format!("GET {location}"), next.status));
            }
            pages.push(("GET /".to_owned(), browser.get(&base).await.status));
            pages
        });
        for (what, status) in pages {
            prop_assert!(
                !status.is_server_error() || status == reqwest::StatusCode::SERVICE_UNAVAILABLE,
                "{what} after FusionAuth answered {answer:?} → {status}"
            );
        }
    });
}
