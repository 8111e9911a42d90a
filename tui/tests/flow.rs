//! `tui flow`, the binary, against the embedded stack it starts itself: every step of the
//! article passes, and what it prints (text, JSON, diagrams) says what happened.

#[path = "support/plantuml.rs"]
mod plantuml;

use plantuml::{render_svg, svg_texts};
use serde_json::Value;
use std::process::{Command, Output};

/// Runs `tui flow ARGS` and returns its output.
fn flow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tui"))
        .arg("flow")
        .args(args)
        .env_remove("STORE_URL")
        .env_remove("FORUMS_URL")
        .env_remove("FLOW_PASSWORD")
        .env("NO_COLOR", "1")
        .output()
        .expect("tui runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

/// The steps of a JSON report: (number, verdict, reason, exchange count).
fn steps(report: &Value) -> Vec<(u64, String, String, usize)> {
    report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|step| {
            (
                step["number"].as_u64().unwrap(),
                step["verdict"].as_str().unwrap().to_owned(),
                step["reason"].as_str().unwrap_or_default().to_owned(),
                step["exchanges"].as_array().unwrap().len(),
            )
        })
        .collect()
}

#[test]
fn the_json_report_has_every_step_passed_with_its_exchanges() {
    let output = flow(&["--format", "json"]);
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(&stdout(&output)).expect("one JSON document");
    assert_eq!(report["passed"], true);
    let steps = steps(&report);
    assert_eq!(
        steps.iter().map(|s| s.0).collect::<Vec<_>>(),
        (1..=24).collect::<Vec<_>>()
    );
    for (number, verdict, reason, exchanges) in &steps {
        assert_eq!(verdict, "PASS", "step {number}: {reason}");
        assert!(*exchanges > 0, "step {number} has no exchanges");
    }
    let step = |n: usize| &report["steps"][n - 1];
    // The login: a POST to the Store, FusionAuth behind it, a 303 with the session cookie.
    let login = &step(7)["exchanges"][0];
    assert_eq!(login["method"], "POST");
    assert_eq!(login["path"], "/login");
    assert_eq!(login["status"], 303);
    assert_eq!(login["location"], "/shopping-cart");
    assert_eq!(login["fusionauth"][0]["description"], "POST /api/login 200");
    let cookie = &login["cookies_set"][0];
    assert_eq!(cookie["name"], "store_session");
    assert_eq!(cookie["http_only"], true);
    assert_eq!(cookie["domain"], Value::Null);
    assert_eq!(cookie["path"], "/");
    // Values are fingerprints, and the password is never printed.
    let value = cookie["value"].as_str().unwrap();
    assert!(value.starts_with('#') && value.len() == 9, "{value}");
    let form = login["form"].as_array().unwrap();
    assert!(
        form.contains(&serde_json::json!(["password", "••••••"])),
        "{form:?}"
    );
    // The hacker's replay carries the same id the user's browser had.
    let replay = &step(18)["exchanges"][0];
    assert_eq!(replay["actor"], "Hacker");
    assert_eq!(replay["status"], 200);
    let relogin_cookie = step(12)["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["method"] == "POST")
        .flat_map(|e| e["cookies_set"].as_array().unwrap())
        .find(|c| c["name"] == "store_session" && c["removal"] == false)
        .expect("the relogin sets a new cookie")["value"]
        .clone();
    assert_eq!(replay["cookies_sent"][0]["value"], relogin_cookie);
    assert_ne!(relogin_cookie, cookie["value"], "a new id at the relogin");
    // Theft detection: on a Store of its own (ids rotating every second), the hacker's copy of
    // the login's cookie is replayed after the user's read rotated it and the grace period
    // passed; it lands on the login page, and so does the user's new id.
    let theft = step(24)["exchanges"].as_array().unwrap();
    assert_ne!(
        theft[0]["url"],
        step(1)["exchanges"][0]["url"],
        "a Store of its own"
    );
    let set_by = |e: &Value| {
        e["cookies_set"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "store_session" && c["removal"] == false)
            .map(|c| c["value"].clone())
    };
    let login = theft.iter().find(|e| e["method"] == "POST").unwrap();
    let stolen = set_by(login).expect("the login sets the cookie the hacker copies");
    let hacker: Vec<&Value> = theft.iter().filter(|e| e["actor"] == "Hacker").collect();
    assert_eq!(hacker[0]["cookies_sent"][0]["value"], stolen);
    assert_eq!(hacker[0]["status"], 303);
    assert_eq!(hacker[0]["location"], "/login?next=/shopping-cart");
    let carts: Vec<&Value> = theft
        .iter()
        .filter(|e| e["actor"] == "Browser" && e["path"] == "/shopping-cart")
        .collect();
    let rotated = carts
        .iter()
        .find_map(|e| set_by(e))
        .expect("a read rotates the id");
    assert_ne!(rotated, stolen);
    let last = carts.last().unwrap();
    // The browser sends the login form's CSRF cookie too: the session cookie is told by name.
    let sent_session = last["cookies_sent"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "store_session")
        .expect("the user's browser sends its session cookie");
    assert_eq!(sent_session["value"], rotated);
    assert_eq!(last["status"], 303, "the user's new id is logged out too");
    let observed: Vec<&str> = step(24)["observed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    assert!(
        observed
            .iter()
            .any(|o| o.contains("the hacker is not signed in")
                && o.contains("#session-theft-notice")),
        "{observed:#?}"
    );
    assert!(
        observed
            .iter()
            .any(|o| o.contains("the whole session is over")),
        "{observed:#?}"
    );
    // The times add up, and the waits are most of them.
    let total = report["total_ms"].as_f64().unwrap();
    let waited = report["waited_ms"].as_f64().unwrap();
    assert!(waited > 4000.0 && waited < total, "{waited} of {total}");
    assert!(report["fusionauth_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn the_text_transcript_numbers_the_steps_and_ends_with_the_counts() {
    let output = flow(&["--steps", "1-9", "--site", "store"]);
    assert!(output.status.success(), "{}", stdout(&output));
    let text = stdout(&output);
    for n in 1..=9 {
        assert!(
            text.lines()
                .any(|line| line.trim_start().starts_with(&format!("{n} PASS"))),
            "no PASS line for step {n}:\n{text}"
        );
    }
    assert!(!text.contains("10 PASS"), "{text}");
    assert!(
        text.lines()
            .any(|line| line.starts_with("9 passed, 0 failed")),
        "{text}"
    );
    assert!(
        text.contains("Set-Cookie") && text.contains("HttpOnly"),
        "{text}"
    );
}

#[test]
fn show_secrets_prints_cookie_values_and_tokens_but_never_the_password() {
    let output = flow(&["--steps", "1-7", "--show-secrets", "--format", "json"]);
    assert!(output.status.success(), "{}", stdout(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let login = &report["steps"][6]["exchanges"][0];
    let value = login["cookies_set"][0]["value"].as_str().unwrap();
    assert!(!value.starts_with('#') && value.len() > 20, "{value}");
    assert!(
        login["cookies_set"][0]["raw"]
            .as_str()
            .unwrap()
            .contains(value)
    );
    let form = login["form"].as_array().unwrap();
    let field = |name: &str| {
        form.iter()
            .find(|pair| pair[0] == name)
            .map(|pair| pair[1].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert!(!field("csrf_token").starts_with('#'));
    assert_eq!(field("password"), "••••••");
}

#[test]
fn the_password_is_never_printed_in_any_format_even_with_secrets_shown() {
    let password = "a-distinctive-s3cret";
    for format in ["text", "json", "plantuml", "mermaid"] {
        let output = flow(&[
            "--steps",
            "1-3",
            "--show-secrets",
            "--password",
            password,
            "--format",
            format,
        ]);
        assert!(output.status.success(), "{format}: {}", stdout(&output));
        assert!(!stdout(&output).contains(password), "{format}");
        assert!(!String::from_utf8_lossy(&output.stderr).contains(password));
    }
}

#[test]
fn a_wrong_password_fails_the_login_steps_and_the_exit_status() {
    let output = flow(&["--steps", "1-7", "--password", "not the password"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(text.contains("FusionAuth answered 404"), "{text}");
    assert!(text.contains("FAIL"), "{text}");
}

#[test]
fn forums_alone_runs_steps_13_to_17() {
    let output = flow(&["--site", "forums", "--format", "json"]);
    assert!(output.status.success(), "{}", stdout(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let numbers: Vec<u64> = steps(&report).iter().map(|s| s.0).collect();
    assert_eq!(numbers, vec![13, 14, 15, 16, 17]);
    assert_eq!(report["waited_ms"], 0.0, "no expiry to wait for");
}

#[test]
fn an_unreachable_site_is_a_clear_error_with_its_own_status() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let output = flow(&[
        "--store-url",
        &format!("http://store.localhost:{port}"),
        "--forums-url",
        &format!("http://forums.localhost:{port}"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot reach the Store at"), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
}

#[test]
fn bad_flags_are_refused_before_anything_runs() {
    for (args, says) in [
        (&["--steps", "25"][..], "steps are 1–24"),
        (&["--steps", "7-3"][..], "backwards"),
        (&["--site", "bank"][..], "invalid value"),
        (&["--format", "svg"][..], "invalid value"),
        (&["--idle-timeout", "soon"][..], "not a duration"),
        (&["--rotation-interval", "soon"][..], "not a duration"),
    ] {
        let output = flow(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

/// The step numbers that lead labels (`7. 303 → …`), in order.
fn step_labels<'a>(labels: impl IntoIterator<Item = &'a str>) -> Vec<u64> {
    labels
        .into_iter()
        .filter_map(|label| label.split_once(". ")?.0.trim().parse().ok())
        .collect()
}

#[test]
fn the_plantuml_diagram_renders_with_the_articles_participants_and_every_step_in_order() {
    let output = flow(&["--format", "plantuml"]);
    assert!(output.status.success(), "{}", stdout(&output));
    let source = stdout(&output);
    assert!(source.starts_with("@startuml\n") && source.ends_with("@enduml\n"));
    let svg = render_svg(&source);
    let texts = svg_texts(&svg);
    // Participants are drawn at the top (and again at the bottom), in the article's order.
    let participants: Vec<&str> = texts.iter().take(10).map(String::as_str).collect();
    assert_eq!(
        participants,
        [
            "Browser",
            "Browser",
            "Store",
            "Store",
            "Forums",
            "Forums",
            "FusionAuth",
            "FusionAuth",
            "Hacker",
            "Hacker"
        ]
    );
    // The sections as dividers, in order.
    let sections: Vec<&str> = texts
        .iter()
        .skip(participants.len())
        .map(String::as_str)
        .filter(|t| {
            [
                "Login",
                "Session load",
                "Relogin",
                "Forums",
                "Stolen session id",
            ]
            .contains(t)
        })
        .collect();
    assert_eq!(
        sections,
        [
            "Login",
            "Session load",
            "Relogin",
            "Forums",
            "Stolen session id"
        ]
    );
    // Every step of docs/flow.md, once, in order.
    assert_eq!(
        step_labels(texts.iter().map(String::as_str)),
        (1..=24).collect::<Vec<_>>()
    );
    // The hops the article draws: the login to FusionAuth, the cookie, the hacker's replay.
    for label in [
        "4. POST /api/login",
        "7. 303 → /shopping-cart, sets store_session (HttpOnly)",
        "18. GET /shopping-cart [store_session]",
    ] {
        assert!(
            texts.iter().any(|t| t == label),
            "no {label:?} in {texts:#?}"
        );
    }
}

#[test]
fn the_mermaid_diagram_has_the_same_participants_sections_and_steps() {
    let output = flow(&["--format", "mermaid"]);
    assert!(output.status.success(), "{}", stdout(&output));
    let source = stdout(&output);
    let mut lines = source.lines().map(str::trim);
    assert_eq!(lines.next(), Some("sequenceDiagram"));
    let declared: Vec<&str> = source
        .lines()
        .filter_map(|l| l.trim().strip_prefix("participant "))
        .chain(
            source
                .lines()
                .filter_map(|l| l.trim().strip_prefix("actor ")),
        )
        .collect();
    for name in ["Browser", "Store", "Forums", "FusionAuth", "Hacker"] {
        assert!(declared.contains(&name), "{name} not declared:\n{source}");
    }
    let labels = source
        .lines()
        .filter_map(|l| l.split_once(": ").map(|(_, label)| label));
    assert_eq!(step_labels(labels), (1..=24).collect::<Vec<_>>());
    assert!(
        source.contains("Note over Browser,Hacker: Stolen session id"),
        "{source}"
    );
}
