//! The identity server over real HTTP: every status of FusionAuth's login table, the other
//! endpoints, bad input, and persistence across a restart. Every check runs twice, on SQLite
//! (`sqlite::…`) and on PostgreSQL (`postgres::…`, a database of its own on the server named by
//! `TEST_POSTGRES_URL`).

// Shared with other test binaries; this one uses only part of it.
#[allow(dead_code)]
#[path = "support/postgres.rs"]
mod test_database;

use backend::identity::{IdentityConfig, IdentityServer, KickstartSource, totp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

const API_KEY: &str = "demo-api-key-for-the-local-stack-only-0123456789";
const STORE: &str = "e9fdb985-9173-4e01-9d73-ac2d60d1dc8e";
const FORUMS: &str = "a3c1b2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const TENANT: &str = "8f3a2c4e-7d1b-4e5f-9a6c-2b0d1e3f4a50";
const LOCK_ACTION: &str = "0b2f4c6e-8a1d-4e3f-b5a7-c9d1e3f5a7b9";
const ALICE: &str = "6a8f1f1e-0b39-4b4e-9f1d-0c2a1a000001";
const TOTP_SECRET: &str = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=";

/// Where a check keeps the identity server's data.
#[derive(Clone, Copy, Debug)]
enum Database {
    Sqlite,
    Postgres,
}

/// An empty database for one test; a PostgreSQL one is dropped with this value.
enum Scratch {
    SqliteMemory,
    SqliteFile(tempfile::TempDir),
    Postgres(test_database::TestDatabase),
}

impl Database {
    /// An empty database for one server (SQLite: in memory, gone with the server).
    async fn scratch(self) -> Scratch {
        match self {
            Self::Sqlite => Scratch::SqliteMemory,
            Self::Postgres => Scratch::Postgres(test_database::TestDatabase::create().await),
        }
    }

    /// An empty database that outlives its server, for a restart (SQLite: a file).
    async fn durable(self) -> Scratch {
        match self {
            Self::Sqlite => Scratch::SqliteFile(tempfile::tempdir().unwrap()),
            Self::Postgres => self.scratch().await,
        }
    }
}

impl Scratch {
    fn url(&self) -> String {
        match self {
            Self::SqliteMemory => "sqlite::memory:".into(),
            Self::SqliteFile(dir) => {
                format!("sqlite://{}", dir.path().join("identity.db").display())
            }
            Self::Postgres(database) => database.url().to_owned(),
        }
    }

    /// The ephemeral configuration, on this database.
    fn config(&self) -> IdentityConfig {
        IdentityConfig {
            database_url: self.url(),
            ..IdentityConfig::ephemeral()
        }
    }
}

/// Runs each listed check once on each database, as `sqlite::<check>` and `postgres::<check>`.
macro_rules! on_each_database {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $check() {
                super::$check(super::Database::Sqlite).await
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $check() {
                super::$check(super::Database::Postgres).await
            })*
        }
    };
}

on_each_database!(
    login_200_returns_tokens_and_the_user_with_registrations_but_no_secrets,
    login_id_matches_email_case_insensitively_and_username_exactly,
    login_202_when_not_registered_for_the_application_and_no_refresh_token,
    login_203_then_change_password_completes_it_once,
    login_212_when_the_tenant_gates_unverified_emails,
    login_242_then_the_authenticator_code_completes_it_and_a_wrong_code_is_421,
    login_400_names_each_bad_field_with_fusionauths_codes,
    bad_input_never_yields_a_500,
    login_401_without_the_api_key_when_the_application_requires_it,
    login_404_is_the_same_for_an_unknown_user_and_a_wrong_password,
    login_409_with_the_lock_action_after_five_failures_in_the_window_then_unlocks,
    failures_outside_the_window_do_not_lock,
    login_410_for_an_expired_user_and_423_for_a_locked_one,
    an_administrator_locks_and_expires_a_user_with_patch,
    get_user_returns_the_user_without_secrets_and_404_for_unknown_ids,
    the_login_ip_is_the_body_ip_address_else_x_forwarded_for_else_the_peer,
    logout_revokes_the_refresh_token_and_global_revokes_all_of_the_users,
    jwt_validate_refuses_garbage_foreign_and_missing_tokens,
    kickstart_from_a_file_uses_env_variables_and_bad_files_fail_clearly,
    the_no_kickstart_option_starts_empty,
    deleting_a_registration_then_the_user_takes_their_access_and_refresh_tokens,
    a_restart_on_the_same_database_loses_nothing_and_does_not_kickstart_again,
);

/// A running identity server and a client for it.
struct TestIdentity {
    server: IdentityServer,
    http: reqwest::Client,
    /// The server's database, when this value owns it.
    _database: Option<Scratch>,
}

/// A response, read whole.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// The demo server on an empty database of its own.
async fn spawn_identity(db: Database) -> TestIdentity {
    spawn_on(db, |config| config).await
}

/// A server on an empty database of its own, configured by `configure`.
async fn spawn_on(
    db: Database,
    configure: impl FnOnce(IdentityConfig) -> IdentityConfig,
) -> TestIdentity {
    let scratch = db.scratch().await;
    let mut id = spawn_with(configure(scratch.config())).await;
    id._database = Some(scratch);
    id
}

/// A server configured by `config`, on whatever database it names.
async fn spawn_with(config: IdentityConfig) -> TestIdentity {
    let server = IdentityServer::start(config)
        .await
        .expect("identity server starts");
    TestIdentity {
        server,
        http: reqwest::Client::new(),
        _database: None,
    }
}

impl TestIdentity {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request is sent");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.expect("body is read");
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn post(&self, path: &str, key: Option<&str>, body: Value) -> Reply {
        let mut request = self.http.post(self.url(path)).json(&body);
        if let Some(key) = key {
            request = request.header("Authorization", key);
        }
        self.send(request).await
    }

    /// A POST with a body of any content type, no API key.
    async fn post_raw(&self, path: &str, content_type: &str, body: &str) -> Reply {
        self.send(
            self.http
                .post(self.url(path))
                .header("content-type", content_type)
                .body(body.to_owned()),
        )
        .await
    }

    /// Logs in and checks only the status (a number, as FusionAuth's login table lists
    /// them): most checks of the login table need no more.
    async fn assert_login(
        &self,
        login_id: &str,
        password: &str,
        application_id: Option<&str>,
        expected: u16,
    ) {
        let reply = self.login(login_id, password, application_id).await;
        assert_eq!(
            reply.status.as_u16(),
            expected,
            "login {login_id:?} / {password:?} for {application_id:?}: {}",
            reply.body
        );
    }

    /// [`Self::assert_login`] for each `(loginId, password, applicationId, expected)` in
    /// turn, for checks that try several logins in a row.
    async fn assert_logins(&self, cases: &[(&str, &str, Option<&str>, u16)]) {
        for &(login_id, password, application_id, expected) in cases {
            self.assert_login(login_id, password, application_id, expected)
                .await;
        }
    }

    async fn login(&self, login_id: &str, password: &str, application_id: Option<&str>) -> Reply {
        let mut body = json!({ "loginId": login_id, "password": password });
        if let Some(app) = application_id {
            body["applicationId"] = json!(app);
        }
        self.post("/api/login", Some(API_KEY), body).await
    }

    /// Completes a 203 with a new password.
    async fn change_password(&self, change_id: &str, password: &str) -> Reply {
        let path = format!("/api/user/change-password/{change_id}");
        self.post(&path, None, json!({ "password": password }))
            .await
    }

    /// Completes a 242 (`twoFactorId`, `code`, maybe `applicationId`).
    async fn two_factor_login(&self, body: Value) -> Reply {
        self.post("/api/two-factor/login", None, body).await
    }

    async fn get_user(&self, id: &str) -> Reply {
        self.send(
            self.http
                .get(self.url(&format!("/api/user/{id}")))
                .header("Authorization", API_KEY),
        )
        .await
    }

    async fn patch_user(&self, id: &str, user: Value) -> Reply {
        self.send(
            self.http
                .patch(self.url(&format!("/api/user/{id}")))
                .header("Authorization", API_KEY)
                .json(&json!({ "user": user })),
        )
        .await
    }

    async fn patch_tenant(&self, tenant: Value) -> Reply {
        self.send(
            self.http
                .patch(self.url(&format!("/api/tenant/{TENANT}")))
                .header("Authorization", API_KEY)
                .json(&json!({ "tenant": tenant })),
        )
        .await
    }

    async fn validate(&self, token: &str) -> Reply {
        self.send(
            self.http
                .get(self.url("/api/jwt/validate"))
                .bearer_auth(token),
        )
        .await
    }

    async fn refresh(&self, refresh_token: &str) -> Reply {
        self.post(
            "/api/jwt/refresh",
            None,
            json!({ "refreshToken": refresh_token }),
        )
        .await
    }

    async fn login_records(&self, user_id: &str) -> Value {
        let reply = self
            .send(
                self.http
                    .get(self.url(&format!("/api/system/login-record/search?userId={user_id}")))
                    .header("Authorization", API_KEY),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.json()
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn field_codes(errors: &Value, field: &str) -> Vec<String> {
    errors["fieldErrors"][field]
        .as_array()
        .unwrap_or_else(|| panic!("no fieldErrors.{field} in {errors}"))
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Every key anywhere in a JSON document.
fn keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

async fn login_200_returns_tokens_and_the_user_with_registrations_but_no_secrets(db: Database) {
    let id = spawn_identity(db).await;
    let before = now_ms();
    let reply = id.login("alice@example.com", "password", Some(STORE)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // Tokens are never sniffed into anything else, nor kept by a cache.
    assert_eq!(reply.headers["x-content-type-options"], "nosniff");
    assert_eq!(reply.headers["cache-control"], "no-store");
    let body = reply.json();

    let user = &body["user"];
    assert_eq!(user["id"], ALICE);
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["firstName"], "Alice");
    assert_eq!(user["tenantId"], TENANT);
    assert_eq!(user["active"], true);
    assert!(user["lastLoginInstant"].as_i64().unwrap() >= before);
    let registrations = user["registrations"].as_array().unwrap();
    assert_eq!(registrations.len(), 2);
    let store = registrations
        .iter()
        .find(|r| r["applicationId"] == STORE)
        .unwrap();
    assert_eq!(store["roles"], json!(["customer"]));

    let mut all_keys = Vec::new();
    keys(&body, &mut all_keys);
    for secret in [
        "password",
        "salt",
        "hash",
        "secret",
        "encryptionScheme",
        "factor",
    ] {
        assert!(
            !all_keys.iter().any(|k| k == secret),
            "{secret} leaked: {body}"
        );
    }
    assert!(!reply.body.contains(TOTP_SECRET));

    let expires = body["tokenExpirationInstant"].as_i64().unwrap();
    assert!(
        (before + 3_590_000..=now_ms() + 3_600_000).contains(&expires),
        "{expires}"
    );
    assert!(body["refreshToken"].as_str().is_some_and(|t| t.len() >= 32));
    let refresh_token_id = body["refreshTokenId"].as_str().unwrap();

    let token = body["token"].as_str().unwrap();
    let header: Value = {
        use base64::Engine as _;
        let raw = token.split('.').next().unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(raw)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(header["alg"], "HS256");
    assert!(header["kid"].as_str().is_some_and(|k| !k.is_empty()));

    let validated = id.validate(token).await;
    assert_eq!(validated.status, StatusCode::OK, "{}", validated.body);
    let claims = &validated.json()["jwt"];
    assert_eq!(claims["sub"], ALICE);
    assert_eq!(claims["aud"], STORE);
    assert_eq!(claims["applicationId"], STORE);
    assert_eq!(claims["roles"], json!(["customer"]));
    assert_eq!(claims["iss"], "acme.com");
    assert_eq!(claims["tid"], TENANT);
    assert_eq!(claims["sid"], refresh_token_id);
    assert_eq!(claims["authenticationType"], "PASSWORD");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], true);
    for claim in ["exp", "iat", "auth_time", "jti"] {
        assert!(!claims[claim].is_null(), "missing {claim}: {claims}");
    }
}

async fn login_id_matches_email_case_insensitively_and_username_exactly(db: Database) {
    let id = spawn_identity(db).await;
    let created = id
        .post(
            "/api/user",
            Some(API_KEY),
            json!({ "user": { "username": "bob_the_builder", "password": "a long password" } }),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    id.assert_logins(&[
        ("bob_the_builder", "a long password", None, 200),
        ("Bob_The_Builder", "a long password", None, 404),
        ("ALICE@Example.com", "password", None, 200),
    ])
    .await;
}

async fn login_202_when_not_registered_for_the_application_and_no_refresh_token(db: Database) {
    let id = spawn_identity(db).await;
    let reply = id
        .login("store-only@example.com", "password", Some(FORUMS))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["user"]["email"], "store-only@example.com");
    assert!(body.get("refreshToken").is_none(), "{body}");
    let store = id
        .login("store-only@example.com", "password", Some(STORE))
        .await;
    assert_eq!(store.status, StatusCode::OK);
}

async fn login_203_then_change_password_completes_it_once(db: Database) {
    let id = spawn_identity(db).await;
    let reply = id
        .login("change-password@example.com", "password", Some(STORE))
        .await;
    assert_eq!(reply.status.as_u16(), 203, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["changePasswordReason"], "Administrative");
    let change_id = body["changePasswordId"].as_str().unwrap().to_owned();

    let short = id.change_password(&change_id, "short").await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        field_codes(&short.json(), "password"),
        ["[tooShort]password"]
    );

    let changed = id.change_password(&change_id, "a brand new secret").await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let again = id.change_password(&change_id, "another new secret").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "the id is single use");

    id.assert_login("change-password@example.com", "password", Some(STORE), 404)
        .await;
    let after = id
        .login(
            "change-password@example.com",
            "a brand new secret",
            Some(STORE),
        )
        .await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);
    assert_eq!(after.json()["user"]["passwordChangeRequired"], false);
}

async fn login_212_when_the_tenant_gates_unverified_emails(db: Database) {
    let id = spawn_identity(db).await;
    let patched = id
        .patch_tenant(json!({ "emailConfiguration": { "verifyEmail": true, "unverified": { "behavior": "Gated" } } }))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    let created = id
        .post(
            "/api/user/registration",
            Some(API_KEY),
            json!({ "user": { "email": "new@example.com", "password": "password1" }, "registration": { "applicationId": STORE } }),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let reply = id.login("new@example.com", "password1", Some(STORE)).await;
    assert_eq!(reply.status.as_u16(), 212, "{}", reply.body);
    assert_eq!(reply.json()["user"]["verified"], false);
    assert!(reply.json().get("token").is_none());
    // Users created before (skipVerification) still log in.
    id.assert_login("alice@example.com", "password", Some(STORE), 200)
        .await;
}

async fn login_242_then_the_authenticator_code_completes_it_and_a_wrong_code_is_421(db: Database) {
    let id = spawn_identity(db).await;
    let reply = id
        .login("two-factor@example.com", "password", Some(STORE))
        .await;
    assert_eq!(reply.status.as_u16(), 242, "{}", reply.body);
    let body = reply.json();
    let two_factor_id = body["twoFactorId"].as_str().unwrap().to_owned();
    let method = &body["methods"][0];
    assert_eq!(method["method"], "authenticator");
    assert_eq!(
        method["authenticator"],
        json!({ "algorithm": "HmacSHA1", "codeLength": 6, "timeStep": 30 })
    );
    assert!(body.get("token").is_none());

    let unix = (now_ms() / 1000) as u64;
    let good = totp::code(TOTP_SECRET, unix).unwrap();
    let wrong = format!("{:06}", (good.parse::<u32>().unwrap() + 1) % 1_000_000);
    let refused = id
        .two_factor_login(json!({ "twoFactorId": two_factor_id, "code": wrong }))
        .await;
    assert_eq!(refused.status.as_u16(), 421, "{}", refused.body);

    let done = id
        .two_factor_login(
            json!({ "twoFactorId": two_factor_id, "code": good, "applicationId": STORE }),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let done = done.json();
    assert_eq!(done["user"]["email"], "two-factor@example.com");
    assert!(done["refreshToken"].is_string());
    assert_eq!(
        id.validate(done["token"].as_str().unwrap()).await.status,
        StatusCode::OK
    );

    let reused = id
        .two_factor_login(json!({ "twoFactorId": two_factor_id, "code": good }))
        .await;
    assert_eq!(
        reused.status,
        StatusCode::NOT_FOUND,
        "a twoFactorId is single use"
    );
    let unknown = id
        .two_factor_login(json!({ "twoFactorId": "nope", "code": good }))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

async fn login_400_names_each_bad_field_with_fusionauths_codes(db: Database) {
    let id = spawn_identity(db).await;
    let blank = id
        .post(
            "/api/login",
            Some(API_KEY),
            json!({ "loginId": " ", "applicationId": "store" }),
        )
        .await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    let errors = blank.json();
    assert_eq!(field_codes(&errors, "loginId"), ["[blank]loginId"]);
    assert_eq!(field_codes(&errors, "password"), ["[blank]password"]);
    assert_eq!(
        field_codes(&errors, "applicationId"),
        ["[couldNotConvert]applicationId"]
    );

    let not_json = id
        .post_raw("/api/login", "application/json", "{\"loginId\": ")
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_json.json()["generalErrors"][0]["code"], "[invalidJSON]");

    let array = id.post_raw("/api/login", "application/json", "[1,2]").await;
    assert_eq!(array.status, StatusCode::BAD_REQUEST);
    assert_eq!(array.json()["generalErrors"][0]["code"], "[invalidJSON]");

    let form = id
        .post_raw(
            "/api/login",
            "application/x-www-form-urlencoded",
            "loginId=alice%40example.com&password=password",
        )
        .await;
    assert_eq!(form.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        form.json()["generalErrors"][0]["code"],
        "[invalidContentType]"
    );

    let wrong_type = id
        .post(
            "/api/login",
            Some(API_KEY),
            json!({ "loginId": 42, "password": "password" }),
        )
        .await;
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        field_codes(&wrong_type.json(), "loginId"),
        ["[invalid]loginId"]
    );
}

async fn bad_input_never_yields_a_500(db: Database) {
    let id = spawn_identity(db).await;
    let huge = json!({ "loginId": "a".repeat(70 * 1024), "password": "x" });
    assert_eq!(
        id.post("/api/login", Some(API_KEY), huge).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );

    let unknown = id.send(id.http.get(id.url("/api/nothing/here"))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.is_empty());

    for (path, body) in [
        ("/api/two-factor/login", "{}"),
        ("/api/jwt/refresh", "{\"refreshToken\": 5}"),
        ("/api/user/change-password/x", "null"),
        ("/api/logout", "{\"global\": \"maybe\"}"),
        ("/api/user", "{\"user\": {\"email\": \"x\"}}"),
        ("/api/user/registration/not-a-uuid", "{}"),
        ("/api/application/not-a-uuid", "{}"),
    ] {
        let reply = id
            .send(
                id.http
                    .post(id.url(path))
                    .header("Authorization", API_KEY)
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
        assert!(
            reply.status.is_client_error(),
            "{path} {body} → {} {}",
            reply.status,
            reply.body
        );
    }
    for path in [
        "/api/user/not-a-uuid",
        "/api/system/login-record/search?userId=zzz",
    ] {
        let reply = id
            .send(id.http.get(id.url(path)).header("Authorization", API_KEY))
            .await;
        assert!(reply.status.is_client_error(), "{path} → {}", reply.status);
    }
}

async fn login_401_without_the_api_key_when_the_application_requires_it(db: Database) {
    let id = spawn_identity(db).await;
    let body =
        json!({ "loginId": "alice@example.com", "password": "password", "applicationId": STORE });
    let missing = id.post("/api/login", None, body.clone()).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert!(missing.body.is_empty());
    let wrong = id.post("/api/login", Some("not-the-key"), body).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // Without an applicationId no key is needed, but a wrong one is still refused.
    let plain = json!({ "loginId": "alice@example.com", "password": "password" });
    assert_eq!(
        id.post("/api/login", None, plain.clone()).await.status,
        StatusCode::OK
    );
    assert_eq!(
        id.post("/api/login", Some("nope"), plain).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The admin APIs always need it.
    let user = id
        .send(id.http.get(id.url(&format!("/api/user/{ALICE}"))))
        .await;
    assert_eq!(user.status, StatusCode::UNAUTHORIZED);
}

async fn login_404_is_the_same_for_an_unknown_user_and_a_wrong_password(db: Database) {
    let id = spawn_identity(db).await;
    let unknown = id
        .login("nobody@example.com", "password", Some(STORE))
        .await;
    let wrong = id
        .login("alice@example.com", "not her password", Some(STORE))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body, "");
    assert_eq!(wrong.body, "");
}

async fn login_409_with_the_lock_action_after_five_failures_in_the_window_then_unlocks(
    db: Database,
) {
    let id = spawn_identity(db).await;
    let patched = id
        .patch_tenant(json!({ "failedAuthenticationConfiguration": { "actionDuration": 2, "actionDurationUnit": "SECONDS" } }))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    for attempt in 1..=5 {
        let reply = id
            .login("alice@example.com", "wrong password", Some(STORE))
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "attempt {attempt}");
    }
    let before = now_ms();
    let locked = id.login("alice@example.com", "password", Some(STORE)).await;
    assert_eq!(locked.status, StatusCode::CONFLICT, "{}", locked.body);
    let action = &locked.json()["actions"][0];
    assert_eq!(action["actionId"], LOCK_ACTION);
    assert_eq!(action["name"], "Locked: too many failed logins");
    let expiry = action["expiry"].as_i64().unwrap();
    assert!(
        expiry > before && expiry <= before + 2_000,
        "{expiry} vs {before}"
    );
    // Other users are not affected.
    id.assert_login("store-only@example.com", "password", Some(STORE), 200)
        .await;

    tokio::time::sleep(std::time::Duration::from_millis(
        (expiry - now_ms()).max(0) as u64 + 100,
    ))
    .await;
    let unlocked = id.login("alice@example.com", "password", Some(STORE)).await;
    assert_eq!(unlocked.status, StatusCode::OK, "{}", unlocked.body);
}

async fn failures_outside_the_window_do_not_lock(db: Database) {
    let id = spawn_identity(db).await;
    let patched = id
        .patch_tenant(json!({ "failedAuthenticationConfiguration": { "tooManyAttempts": 2, "resetCountInSeconds": 1 } }))
        .await;
    assert_eq!(patched.status, StatusCode::OK);
    id.assert_login("alice@example.com", "nope-nope", None, 404)
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    id.assert_logins(&[
        ("alice@example.com", "nope-nope", None, 404),
        ("alice@example.com", "password", None, 200),
    ])
    .await;
}

async fn login_410_for_an_expired_user_and_423_for_a_locked_one(db: Database) {
    let id = spawn_identity(db).await;
    id.assert_logins(&[
        ("expired@example.com", "password", Some(STORE), 410),
        ("locked@example.com", "password", Some(STORE), 423),
        // A wrong password on those accounts is still just 404.
        ("locked@example.com", "wrong-one", Some(STORE), 404),
    ])
    .await;
}

async fn an_administrator_locks_and_expires_a_user_with_patch(db: Database) {
    let id = spawn_identity(db).await;
    let first = id
        .login("alice@example.com", "password", Some(STORE))
        .await
        .json();
    let refresh_token = first["refreshToken"].as_str().unwrap().to_owned();

    let locked = id.patch_user(ALICE, json!({ "active": false })).await;
    assert_eq!(locked.status, StatusCode::OK, "{}", locked.body);
    assert_eq!(locked.json()["user"]["active"], false);
    id.assert_login("alice@example.com", "password", Some(STORE), 423)
        .await;
    assert_eq!(
        id.refresh(&refresh_token).await.status,
        StatusCode::BAD_REQUEST,
        "locking revokes"
    );

    assert_eq!(
        id.patch_user(ALICE, json!({ "active": true })).await.status,
        StatusCode::OK
    );
    id.assert_login("alice@example.com", "password", Some(STORE), 200)
        .await;

    let expired = id
        .patch_user(ALICE, json!({ "expiry": now_ms() - 1 }))
        .await;
    assert_eq!(expired.status, StatusCode::OK);
    id.assert_login("alice@example.com", "password", Some(STORE), 410)
        .await;
    assert_eq!(
        id.patch_user(ALICE, json!({ "expiry": null })).await.status,
        StatusCode::OK
    );

    let required = id
        .patch_user(ALICE, json!({ "passwordChangeRequired": true }))
        .await;
    assert_eq!(required.status, StatusCode::OK);
    id.assert_login("alice@example.com", "password", Some(STORE), 203)
        .await;
    assert_eq!(
        id.patch_user(ALICE, json!({ "passwordChangeRequired": false }))
            .await
            .status,
        StatusCode::OK
    );

    let reset = id
        .patch_user(ALICE, json!({ "password": "reset by an admin" }))
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    id.assert_logins(&[
        ("alice@example.com", "password", Some(STORE), 404),
        ("alice@example.com", "reset by an admin", Some(STORE), 200),
    ])
    .await;

    assert_eq!(
        id.patch_user(
            "6a8f1f1e-0b39-4b4e-9f1d-0c2a1a0000ff",
            json!({ "active": false })
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let bad = id.patch_user(ALICE, json!({ "active": "no" })).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

async fn get_user_returns_the_user_without_secrets_and_404_for_unknown_ids(db: Database) {
    let id = spawn_identity(db).await;
    let reply = id.get_user(ALICE).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["user"]["email"], "alice@example.com");
    assert_eq!(body["user"]["registrations"].as_array().unwrap().len(), 2);
    assert!(!reply.body.contains("salt") && !reply.body.contains("password\""));
    assert_eq!(
        id.get_user("6a8f1f1e-0b39-4b4e-9f1d-0c2a1a0000ff")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let by_email = id
        .send(
            id.http
                .get(id.url("/api/user?email=alice@example.com"))
                .header("Authorization", API_KEY),
        )
        .await;
    assert_eq!(by_email.json()["user"]["id"], ALICE);
}

async fn the_login_ip_is_the_body_ip_address_else_x_forwarded_for_else_the_peer(db: Database) {
    let id = spawn_identity(db).await;
    // The first two come through a proxy that names the client in X-Forwarded-For.
    let proxied_login = |body: Value| {
        id.send(
            id.http
                .post(id.url("/api/login"))
                .header("Authorization", API_KEY)
                .header("X-Forwarded-For", "198.51.100.1, 10.0.0.1")
                .json(&body),
        )
    };
    let with_body = json!({ "loginId": "alice@example.com", "password": "password", "applicationId": STORE, "ipAddress": "203.0.113.7" });
    let reply = proxied_login(with_body).await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply =
        proxied_login(json!({ "loginId": "alice@example.com", "password": "password" })).await;
    assert_eq!(reply.status, StatusCode::OK);
    id.assert_login("alice@example.com", "password", Some(FORUMS), 200)
        .await;

    let records = id.login_records(ALICE).await;
    let logins = records["logins"].as_array().unwrap();
    assert_eq!(records["total"], 3);
    assert_eq!(logins[0]["ipAddress"], "127.0.0.1");
    assert_eq!(logins[0]["applicationId"], FORUMS);
    assert_eq!(logins[1]["ipAddress"], "198.51.100.1");
    assert_eq!(logins[2]["ipAddress"], "203.0.113.7");
    assert_eq!(logins[2]["loginId"], "alice@example.com");
}

async fn logout_revokes_the_refresh_token_and_global_revokes_all_of_the_users(db: Database) {
    let id = spawn_identity(db).await;
    let first = id
        .login("alice@example.com", "password", Some(STORE))
        .await
        .json();
    let second = id
        .login("alice@example.com", "password", Some(FORUMS))
        .await
        .json();
    let third = id
        .login("alice@example.com", "password", Some(STORE))
        .await
        .json();
    let token = |v: &Value| v["refreshToken"].as_str().unwrap().to_owned();

    let refreshed = id.refresh(&token(&first)).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    let refreshed = refreshed.json();
    assert_eq!(refreshed["refreshToken"], first["refreshToken"]);
    assert_eq!(refreshed["refreshTokenId"], first["refreshTokenId"]);
    let claims = id
        .validate(refreshed["token"].as_str().unwrap())
        .await
        .json();
    assert_eq!(claims["jwt"]["authenticationType"], "REFRESH_TOKEN");

    // Query-string form, as the official Python client sends it.
    let logout = id
        .send(id.http.post(id.url(&format!(
            "/api/logout?global=false&refreshToken={}",
            token(&first)
        ))))
        .await;
    assert_eq!(logout.status, StatusCode::OK, "{}", logout.body);
    let refused = id.refresh(&token(&first)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        field_codes(&refused.json(), "refreshToken"),
        ["[invalid]refreshToken"]
    );
    assert_eq!(
        id.refresh(&token(&second)).await.status,
        StatusCode::OK,
        "other sessions live on"
    );

    // JSON-body form, global.
    let logout = id
        .post(
            "/api/logout",
            None,
            json!({ "global": true, "refreshToken": token(&second) }),
        )
        .await;
    assert_eq!(logout.status, StatusCode::OK);
    assert_eq!(
        id.refresh(&token(&second)).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        id.refresh(&token(&third)).await.status,
        StatusCode::BAD_REQUEST
    );

    // Logging out with an unknown token is still a 200, as in FusionAuth.
    assert_eq!(
        id.post("/api/logout", None, json!({ "refreshToken": "unknown" }))
            .await
            .status,
        StatusCode::OK
    );
}

async fn jwt_validate_refuses_garbage_foreign_and_missing_tokens(db: Database) {
    let id = spawn_identity(db).await;
    assert_eq!(
        id.validate("not.a.jwt").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        id.send(id.http.get(id.url("/api/jwt/validate")))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let other = spawn_identity(db).await;
    let foreign = other
        .login("alice@example.com", "password", Some(STORE))
        .await
        .json();
    let reply = id.validate(foreign["token"].as_str().unwrap()).await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "a token signed by another server's secret"
    );
}

async fn kickstart_from_a_file_uses_env_variables_and_bad_files_fail_clearly(db: Database) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kickstart.json");
    let key = "K".repeat(40);
    // Cargo sets CARGO_PKG_NAME for the test process: a variable #{ENV.…} can read.
    std::fs::write(
        &path,
        r##"{
          "variables": { "app": "#{UUID()}", "name": "#{ENV.CARGO_PKG_NAME}" },
          "apiKeys": [{ "key": "KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK" }],
          "requests": [
            { "method": "POST", "url": "/api/application/#{app}", "body": { "application": { "name": "Only" } } },
            { "method": "POST", "url": "/api/user/registration", "body": {
                "user": { "email": "solo@example.com", "password": "password", "firstName": "#{name}" },
                "registration": { "applicationId": "#{app}" } } }
          ]
        }"##,
    )
    .unwrap();
    let id = spawn_on(db, |config| IdentityConfig {
        kickstart: KickstartSource::File(path.clone()),
        ..config
    })
    .await;
    let reply = id
        .post(
            "/api/login",
            Some(&key),
            json!({ "loginId": "solo@example.com", "password": "password" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["user"]["firstName"], env!("CARGO_PKG_NAME"));
    let alice = json!({ "loginId": "alice@example.com", "password": "password" });
    assert_eq!(
        id.post("/api/login", None, alice).await.status,
        StatusCode::NOT_FOUND,
        "no demo data"
    );

    std::fs::write(
        &path,
        r#"{ "requests": [{ "method": "POST", "url": "/api/application/x", "body": {} }] }"#,
    )
    .unwrap();
    let scratch = db.scratch().await;
    let error = IdentityServer::start(IdentityConfig {
        kickstart: KickstartSource::File(path),
        ..scratch.config()
    })
    .await
    .unwrap_err();
    let message = format!("{error:#}");
    assert!(
        message.contains("requests[0]") && message.contains("400"),
        "{message}"
    );
}

async fn the_no_kickstart_option_starts_empty(db: Database) {
    let id = spawn_on(db, |config| IdentityConfig {
        kickstart: KickstartSource::None,
        ..config
    })
    .await;
    let alice = json!({ "loginId": "alice@example.com", "password": "password" });
    assert_eq!(
        id.post("/api/login", None, alice).await.status,
        StatusCode::NOT_FOUND
    );
    // The demo key does not exist there: a key that is sent must be valid.
    id.assert_login("alice@example.com", "password", None, 401)
        .await;
    let status = id.send(id.http.get(id.url("/api/status"))).await;
    assert_eq!(status.status, StatusCode::OK);
}

async fn deleting_a_registration_then_the_user_takes_their_access_and_refresh_tokens(db: Database) {
    let id = spawn_identity(db).await;
    let login = id
        .login("alice@example.com", "password", Some(STORE))
        .await
        .json();
    let refresh_token = login["refreshToken"].as_str().unwrap();
    let deregister = |application: &str| {
        id.http
            .delete(id.url(&format!("/api/user/registration/{ALICE}/{application}")))
            .header("Authorization", API_KEY)
    };
    assert_eq!(id.send(deregister(FORUMS)).await.status, StatusCode::OK);
    assert_eq!(
        id.send(deregister(FORUMS)).await.status,
        StatusCode::NOT_FOUND,
        "already gone"
    );
    id.assert_logins(&[
        // No longer registered for the Forums.
        ("alice@example.com", "password", Some(FORUMS), 202),
        // Still registered for the Store.
        ("alice@example.com", "password", Some(STORE), 200),
    ])
    .await;
    assert_eq!(
        id.refresh(refresh_token).await.status,
        StatusCode::OK,
        "the Store's refresh token is untouched"
    );

    let hard_delete = id
        .send(
            id.http
                .delete(id.url(&format!("/api/user/{ALICE}?hardDelete=true")))
                .header("Authorization", API_KEY),
        )
        .await;
    assert_eq!(hard_delete.status, StatusCode::OK);
    assert_eq!(id.get_user(ALICE).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        id.refresh(refresh_token).await.status,
        StatusCode::BAD_REQUEST,
        "the user's refresh tokens went with them"
    );
    id.assert_login("alice@example.com", "password", Some(STORE), 404)
        .await;
}

async fn a_restart_on_the_same_database_loses_nothing_and_does_not_kickstart_again(db: Database) {
    let database = db.durable().await;
    let config = database.config();

    let id = spawn_with(config.clone()).await;
    let login = id
        .login("alice@example.com", "password", Some(STORE))
        .await
        .json();
    let created = id
        .post(
            "/api/user",
            Some(API_KEY),
            json!({ "user": { "email": "kept@example.com", "password": "password" } }),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(
        id.patch_user(ALICE, json!({ "firstName": "Alicia" }))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        id.patch_tenant(json!({ "failedAuthenticationConfiguration": { "tooManyAttempts": 1 } }))
            .await
            .status,
        StatusCode::OK
    );
    id.server.stop().await.unwrap();

    let id = spawn_with(config).await;
    id.assert_login("kept@example.com", "password", None, 200)
        .await;
    let alice = id.get_user(ALICE).await.json();
    assert_eq!(
        alice["user"]["firstName"], "Alicia",
        "kickstart did not run again"
    );
    assert_eq!(
        id.validate(login["token"].as_str().unwrap()).await.status,
        StatusCode::OK,
        "signing secret kept"
    );
    assert_eq!(
        id.refresh(login["refreshToken"].as_str().unwrap())
            .await
            .status,
        StatusCode::OK
    );
    id.assert_logins(&[
        // The tenant setting survived: one failure locks.
        ("kept@example.com", "wrong-password", None, 404),
        ("kept@example.com", "password", None, 409),
    ])
    .await;
}
