//! `tui flow` must be able to fail: against a Store that is wrong in one way, the step checking
//! that property FAILs with a reason naming it, while the steps that do not depend on it still
//! PASS (so the failure is precise).

#[path = "support/misconfigured.rs"]
mod misconfigured;

use backend::stack::{SessionPolicy, Stack, StackConfig};
use misconfigured::{Misconfiguration, MisconfiguredStack};
use std::time::Duration;
use tokio::net::TcpListener;
use tui::flow::{FlowOptions, Report, Rotation, Verdict, run};
use url::Url;

/// Short, so that a run which has to wait for a session to age stays short too; as long as
/// `tui flow`'s own default, since at 1 s a loaded machine (a CI run beside a build) let the
/// session lapse between a login and the replay of its cookie (step 18).
const IDLE: Duration = Duration::from_secs(2);

/// Runs `steps` (and what they need) against a stack whose Store has `broken`.
async fn run_against(broken: Misconfiguration, steps: impl IntoIterator<Item = u8>) -> Report {
    let stack = MisconfiguredStack::start(broken, IDLE).await.unwrap();
    let mut options = FlowOptions::new(stack.store_url().clone(), stack.forums_url().clone());
    options.idle_timeout = Some(IDLE);
    options.steps = Some(steps.into_iter().collect());
    let report = run(&options, &mut |_| {}).await.unwrap();
    stack.stop().await.unwrap();
    report
}

/// Every step's number and verdict, for assertion messages.
fn verdicts(report: &Report) -> Vec<(u8, &Verdict)> {
    report
        .steps
        .iter()
        .map(|s| (s.number, &s.verdict))
        .collect()
}

fn verdict(report: &Report, number: u8) -> &Verdict {
    report
        .steps
        .iter()
        .find(|step| step.number == number)
        .map(|step| &step.verdict)
        .unwrap_or_else(|| panic!("step {number} did not run: {:#?}", verdicts(report)))
}

/// Step `number` failed, and its reason says `property`.
fn assert_fails(report: &Report, number: u8, property: &str) {
    match verdict(report, number) {
        Verdict::Fail(reason) => assert!(
            reason.contains(property),
            "step {number}'s reason does not name {property:?}: {reason}"
        ),
        other => panic!(
            "step {number} should FAIL naming {property:?}, got {other:?}; all: {:#?}",
            verdicts(report)
        ),
    }
    assert!(!report.passed, "a run with a FAIL is not passed");
}

fn assert_pass(report: &Report, numbers: impl IntoIterator<Item = u8>) {
    for number in numbers {
        assert_eq!(
            verdict(report, number),
            &Verdict::Pass,
            "step {number}; all: {:#?}",
            verdicts(report)
        );
    }
}

#[tokio::test]
async fn a_session_cookie_without_http_only_fails_step_7() {
    let report = run_against(Misconfiguration::NoHttpOnly, 1..=7).await;
    assert_fails(&report, 7, "is not HttpOnly");
    assert_pass(&report, 1..=6);
}

#[tokio::test]
async fn a_session_cookie_for_all_of_localhost_fails_step_7_and_leaks_to_the_forums() {
    let report = run_against(Misconfiguration::DomainLocalhost, (1..=7).chain([13])).await;
    assert_fails(&report, 7, "has Domain=localhost: not host-only");
    let forums = report.forums_url.parse::<Url>().unwrap();
    let host = forums.host_str().unwrap();
    assert_fails(
        &report,
        13,
        &format!("Store's session cookie store_session was sent to {host}"),
    );
    assert_pass(&report, 1..=6);
}

#[tokio::test]
async fn a_logout_that_keeps_the_session_fails_step_20() {
    let report = run_against(Misconfiguration::LogoutKeepsSession, 18..=20).await;
    assert_fails(&report, 20, "still works after logout");
    // From the browser the logout looks right; only the replay shows the session lives on.
    assert_pass(&report, [18, 19]);
}

#[tokio::test]
async fn an_unreachable_store_is_an_error_naming_it() {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let store = Url::parse(&format!("http://store.localhost:{closed}/")).unwrap();
    let forums = Url::parse(&format!("http://forums.localhost:{closed}/")).unwrap();
    let mut options = FlowOptions::new(store.clone(), forums);
    options.idle_timeout = Some(IDLE);
    let error = run(&options, &mut |_| {}).await.unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("cannot reach the Store at {store}")),
        "{error}"
    );
}

/// A `Domain` session cookie is still the Store's session after step 7: the later steps judge
/// the real leak, not a cookie they failed to find.
#[tokio::test]
async fn a_session_cookie_for_all_of_localhost_is_still_the_store_session_later() {
    let report = run_against(Misconfiguration::DomainLocalhost, [13, 18]).await;
    assert_fails(
        &report,
        13,
        "its Domain=localhost covers every host under it",
    );
    assert_pass(&report, [18]);
}

/// A login that keeps the session id the browser sent: the login form starts no session, so a
/// first login (step 7) and a relogin (step 12) have no id to keep, and the fixation shows at
/// the defence step, where the hacker plants a made-up id before the login post and it is
/// signed in after it.
#[tokio::test]
async fn a_login_that_keeps_the_session_id_fails_the_fixation_defence_step() {
    let report = run_against(Misconfiguration::NoRotation, [21]).await;
    assert_fails(&report, 21, "the session id was not rotated at login");
    assert_fails(
        &report,
        21,
        "the planted id is signed in after the user's login",
    );
}

/// Runs step 24 against a Store whose sessions follow `policy`, the runner told that ids rotate
/// every second and then work for half a second more.
async fn theft_step_against(policy: SessionPolicy) -> Report {
    let stack = Stack::start(StackConfig::ephemeral().with_policy(policy))
        .await
        .unwrap();
    let mut options = FlowOptions::new(stack.store_url().clone(), stack.forums_url().clone());
    options.steps = Some([24].into());
    options.rotation = Some(Rotation {
        store_url: stack.store_url().clone(),
        interval: Duration::from_secs(1),
        grace: Duration::from_millis(500),
    });
    let report = run(&options, &mut |_| {}).await.unwrap();
    stack.stop().await.unwrap();
    report
}

/// A Store that rotates ids but lets a retired one work for an hour is, within the step's
/// wait, a Store without theft detection: the copy the hacker holds keeps working.
#[tokio::test]
async fn a_retired_id_that_keeps_working_fails_step_24_as_no_theft_detection() {
    let report = theft_step_against(SessionPolicy {
        rotation_interval: Duration::from_secs(1),
        rotation_grace: Duration::from_secs(3600),
        ..SessionPolicy::default()
    })
    .await;
    assert_fails(
        &report,
        24,
        "the retired id still works after the grace period",
    );
    assert_fails(&report, 24, "no theft detection");
}

#[tokio::test]
async fn a_store_that_does_not_rotate_ids_fails_step_24_naming_the_missing_rotation() {
    let report = theft_step_against(SessionPolicy {
        rotation_interval: Duration::ZERO,
        ..SessionPolicy::default()
    })
    .await;
    assert_fails(&report, 24, "the session id was not rotated after 1.0 s");
}

#[tokio::test]
async fn without_the_rotation_known_step_24_is_skipped_with_how_to_run_it() {
    let stack = Stack::start(StackConfig::ephemeral()).await.unwrap();
    let mut options = FlowOptions::new(stack.store_url().clone(), stack.forums_url().clone());
    options.steps = Some([24].into());
    let report = run(&options, &mut |_| {}).await.unwrap();
    match verdict(&report, 24) {
        Verdict::Skip(reason) => assert!(reason.contains("--rotation-interval"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(report.passed, "a SKIP is not a failure");

    // Known, but longer than the run may wait (the interactive TUI's bound): skipped too.
    options.rotation = Some(Rotation {
        store_url: stack.store_url().clone(),
        interval: SessionPolicy::default().rotation_interval,
        grace: SessionPolicy::default().rotation_grace,
    });
    options.max_wait = Some(Duration::from_secs(10));
    let report = run(&options, &mut |_| {}).await.unwrap();
    match verdict(&report, 24) {
        Verdict::Skip(reason) => assert!(
            reason.contains("ids rotate every 900.0 s") && reason.contains("longer than this run"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    stack.stop().await.unwrap();
}
