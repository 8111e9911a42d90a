//! FusionAuth's official Python client (`fusionauth-client`) against the local identity server:
//! runs `tests/python/test_fusionauth_client.py` with the Python of `FUSIONAUTH_PYTHON`, else
//! `<workspace>/.venv/bin/python`. A missing interpreter or client fails the test (`bash .ci/run`
//! sets it up); it is never skipped.

use backend::identity::{IdentityConfig, IdentityServer};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;
use tokio::process::Command;

const API_KEY: &str = "demo-api-key-for-the-local-stack-only-0123456789";
const STORE_APPLICATION_ID: &str = "e9fdb985-9173-4e01-9d73-ac2d60d1dc8e";
/// Generous: the script makes a dozen requests, each hashing a password at most once.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

const SETUP_HINT: &str = "set up the Python client with `bash .ci/run` from the workspace root \
     (or `python3 -m venv .venv && .venv/bin/pip install fusionauth-client`), or point \
     FUSIONAUTH_PYTHON at a Python that has it";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The interpreter: `FUSIONAUTH_PYTHON`, else the workspace's `.venv`.
fn python() -> PathBuf {
    match std::env::var_os("FUSIONAUTH_PYTHON").filter(|p| !p.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => manifest_dir()
            .parent()
            .expect("the e2e crate lives inside the workspace")
            .join(".venv/bin/python"),
    }
}

/// `NO_PROXY` with the loopback added, so that a CI proxy (which `requests` honours) never
/// sees requests to the local server.
fn no_proxy() -> String {
    let existing = std::env::var("NO_PROXY")
        .or_else(|_| std::env::var("no_proxy"))
        .unwrap_or_default();
    let mut hosts: Vec<&str> = existing.split(',').filter(|h| !h.is_empty()).collect();
    hosts.extend(["127.0.0.1", "localhost"]);
    hosts.join(",")
}

fn show(output: &Output) -> String {
    format!(
        "exit status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `python` with `args` and `envs`, killing it after [`SCRIPT_TIMEOUT`]. Async, so the
/// identity server on this runtime keeps serving while Python waits for it.
async fn run(python: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let child = Command::new(python)
        .args(args)
        .envs(envs.iter().copied())
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("NO_PROXY", no_proxy())
        .env("no_proxy", no_proxy())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}; {SETUP_HINT}", python.display()));
    tokio::time::timeout(SCRIPT_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{} {args:?} did not finish within {SCRIPT_TIMEOUT:?}",
                python.display()
            )
        })
        .unwrap_or_else(|error| panic!("waiting for {} failed: {error}", python.display()))
}

#[tokio::test]
async fn official_python_client_talks_to_the_identity_server() {
    let python = python();
    assert!(
        python.exists(),
        "no Python interpreter at {}; {SETUP_HINT}",
        python.display()
    );
    let import = run(&python, &["-c", "import fusionauth.fusionauth_client"], &[]).await;
    assert!(
        import.status.success(),
        "{} cannot import the FusionAuth client (fusionauth.fusionauth_client); {SETUP_HINT}\n{}",
        python.display(),
        show(&import)
    );

    let server = IdentityServer::start(IdentityConfig::ephemeral())
        .await
        .expect("the identity server starts");
    let url = server.url();
    let script = manifest_dir().join("python/test_fusionauth_client.py");
    let script = script.to_str().expect("the script path is UTF-8");
    let output = run(
        &python,
        &[script],
        &[
            ("IDENTITY_URL", url.as_str()),
            ("FUSIONAUTH_API_KEY", API_KEY),
            ("STORE_APPLICATION_ID", STORE_APPLICATION_ID),
        ],
    )
    .await;
    server.stop().await.expect("the identity server stops");

    assert!(
        output.status.success(),
        "the Python client script failed\n{}",
        show(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout
            .lines()
            .last()
            .is_some_and(|l| l.ends_with("passed, 0 failed")),
        "the script did not report its summary\n{}",
        show(&output)
    );
    println!("{stdout}");
}
