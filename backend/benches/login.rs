//! What one login costs: PBKDF2 alone, then `POST /api/login` end to end over loopback HTTP.
//! The difference is everything that is not hashing (goal: under 1 ms). The unknown-user and
//! wrong-password cases should cost the same as each other (no user enumeration by timing).
//!
//! Run: `cargo bench -p backend --bench login`.

use backend::identity::{IdentityConfig, IdentityServer, password};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use std::hint::black_box;

const API_KEY: &str = "demo-api-key-for-the-local-stack-only-0123456789";
const STORE: &str = "e9fdb985-9173-4e01-9d73-ac2d60d1dc8e";

fn login(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = runtime.block_on(async {
        let server = IdentityServer::start(IdentityConfig::ephemeral())
            .await
            .expect("server");
        // Failures must not lock the account while the wrong-password case repeats.
        let tenant = "8f3a2c4e-7d1b-4e5f-9a6c-2b0d1e3f4a50";
        let reply = reqwest::Client::new()
            .patch(format!("{}/api/tenant/{tenant}", server.url()))
            .header("Authorization", API_KEY)
            .json(&json!({ "tenant": { "failedAuthenticationConfiguration": { "tooManyAttempts": 1_000_000_000 } } }))
            .send()
            .await
            .expect("patch tenant");
        assert!(reply.status().is_success());
        server
    });
    let client = reqwest::Client::new();
    let url = format!("{}/api/login", server.url());

    let stored = password::hash("password", password::DEFAULT_FACTOR);
    let mut group = c.benchmark_group("login");
    group.sample_size(60);
    group.bench_function("pbkdf2_verify_only", |b| {
        b.iter(|| assert!(password::verify(black_box("password"), &stored)))
    });
    // The floor of any call: client, loopback HTTP, routing, one trivial query.
    let status_url = format!("{}/api/status", server.url());
    group.bench_function("http_status_floor", |b| {
        b.to_async(&runtime).iter(|| async {
            let response = client.get(&status_url).send().await.expect("status");
            assert!(response.status().is_success());
            black_box(response.bytes().await.expect("body"));
        })
    });
    for (name, login_id, pw, status) in [
        ("http_200", "alice@example.com", "password", 200),
        (
            "http_404_wrong_password",
            "alice@example.com",
            "wrong password",
            404,
        ),
        (
            "http_404_unknown_user",
            "nobody@example.com",
            "password",
            404,
        ),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let response = client
                    .post(&url)
                    .header("Authorization", API_KEY)
                    .json(&json!({ "loginId": login_id, "password": pw, "applicationId": STORE }))
                    .send()
                    .await
                    .expect("login");
                assert_eq!(response.status().as_u16(), status);
                black_box(response.bytes().await.expect("body"));
            })
        });
    }
    group.finish();
    runtime.block_on(server.stop()).expect("stop");
}

criterion_group!(benches, login);
criterion_main!(benches);
