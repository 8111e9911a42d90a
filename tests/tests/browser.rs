//! A real browser against the Store and the Forums: headless Chromium, driven through
//! ChromeDriver with `fantoccini`, logs in to the Store, reads the cart, checks that the session
//! cookie is HttpOnly and host-only, logs out, then logs in again and signs out everywhere from
//! the sessions page.
//!
//! The browser comes from Debian's `chromium` and `chromium-driver` packages (`bash .ci/run`
//! installs them); `CHROMIUM` and `CHROMEDRIVER` point elsewhere. Missing, they fail the test:
//! it is never skipped. `BROWSER_TEST_SCREENSHOT=/tmp/cart.png` saves a screenshot of the cart.

use anyhow::{Context, anyhow, bail, ensure};
use backend::stack::{Stack, StackConfig};
use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use serde_json::json;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const SETUP_HINT: &str = "install them with `bash .ci/run` from the workspace root (Debian's \
     chromium and chromium-driver packages), or point CHROMIUM and CHROMEDRIVER at them";
/// Bound on starting ChromeDriver and on each wait for a page; a healthy run takes far less.
const TIMEOUT: Duration = Duration::from_secs(30);
/// How often the waits look again.
const POLL: Duration = Duration::from_millis(25);

const SESSION_COOKIE: &str = "store_session";
const LOGIN_ID: &str = "alice@example.com";
const PASSWORD: &str = "password";

/// `what`'s binary: the path in `var`, else `default`; fails the test when it is not a file.
fn binary(what: &str, var: &str, default: &str) -> PathBuf {
    let (path, from) = match std::env::var_os(var).filter(|p| !p.is_empty()) {
        Some(path) => (PathBuf::from(path), format!("${var}")),
        None => (
            PathBuf::from(default),
            format!("the default; ${var} is not set"),
        ),
    };
    assert!(
        path.is_file(),
        "{what} not found at {} ({from}); {SETUP_HINT}",
        path.display()
    );
    path
}

/// A ChromeDriver on a free loopback port, killed (with the browsers it started) on drop.
struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    async fn start() -> anyhow::Result<Self> {
        let binary = binary("ChromeDriver", "CHROMEDRIVER", "/usr/bin/chromedriver");
        // Port 0: ChromeDriver binds a free port itself and prints it, so no other process can
        // take the port between our choosing it and ChromeDriver binding it.
        let mut child = Command::new(&binary)
            .args(["--port=0", "--allowed-ips=127.0.0.1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group, so that drop can end Chromium with it.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot run {}; {SETUP_HINT}", binary.display()))?;
        let stdout = child.stdout.take().context("ChromeDriver's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = String::new();
        let port = tokio::time::timeout(TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                seen.push_str(&line);
                seen.push('\n');
                // "ChromeDriver was started successfully on port 40123."
                if let Some((_, rest)) = line.split_once("started successfully on port ") {
                    return rest
                        .trim_end_matches('.')
                        .trim()
                        .parse::<u16>()
                        .map_err(Into::into);
                }
            }
            Err(anyhow!("ChromeDriver exited"))
        })
        .await
        .map_err(|_| anyhow!("ChromeDriver did not start within {TIMEOUT:?}"))
        .and_then(|port| port)
        .with_context(|| format!("{} did not report its port:\n{seen}", binary.display()))?;
        // Keep reading its output, so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        driver.wait_until_ready().await?;
        Ok(driver)
    }

    /// Polls `GET /status` until ChromeDriver says it is ready.
    async fn wait_until_ready(&self) -> anyhow::Result<()> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()?;
        let status = format!("{}/status", self.url);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let last = match http.get(&status).send().await {
                Ok(response) => match response.json::<serde_json::Value>().await {
                    Ok(body) if body["value"]["ready"] == true => return Ok(()),
                    Ok(body) => format!("not ready: {body}"),
                    Err(error) => error.to_string(),
                },
                Err(error) => error.to_string(),
            };
            if Instant::now() > deadline {
                bail!("ChromeDriver at {status} did not get ready within {TIMEOUT:?}: {last}");
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // Normally the session is closed by now and Chromium gone; after a failure, end the
        // whole group (ChromeDriver and every Chromium process) rather than leave browsers.
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.start_kill();
    }
}

/// A WebDriver session with headless Chromium and a fresh profile.
async fn connect(driver: &ChromeDriver, profile: &tempfile::TempDir) -> anyhow::Result<Client> {
    let chromium = binary("Chromium", "CHROMIUM", "/usr/bin/chromium");
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Never send the loopback sites through a proxy from the environment.
        "--no-proxy-server",
        "--window-size=1024,768",
    ]
    .map(String::from)
    .into();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": args,
        },
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("a JSON object");
    };
    ClientBuilder::native()
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .with_context(|| format!("cannot start {} through ChromeDriver", chromium.display()))
}

/// Waits for an element, naming what was expected and where the browser is on a timeout.
async fn wait_for(client: &Client, what: &str, locator: Locator<'_>) -> anyhow::Result<Element> {
    match client
        .wait()
        .at_most(TIMEOUT)
        .every(POLL)
        .for_element(locator)
        .await
    {
        Ok(element) => Ok(element),
        Err(error) => {
            let url = client.current_url().await.map(String::from);
            let source = client.source().await.unwrap_or_default();
            Err(anyhow!(
                "waiting for {what} ({locator:?}): {error}\nat {url:?}\n--- page ---\n{source}"
            ))
        }
    }
}

/// Clicks the element at `xpath` (a button or link that must be there already).
async fn click(client: &Client, xpath: &str) -> anyhow::Result<()> {
    client.find(Locator::XPath(xpath)).await?.click().await?;
    Ok(())
}

/// The `<main>` "Log in" link that only a logged-out home page shows.
const HOME_LOGIN_LINK: Locator<'static> =
    Locator::XPath("//main//a[@href='/login' and normalize-space()='Log in']");
const CART_HEADING: Locator<'static> = Locator::XPath("//h1[normalize-space()='Shopping cart']");
const LOGIN_FORM: Locator<'static> = Locator::Css("form[action='/login'] input[name='loginId']");

fn text_of_rows(rows: &[Vec<String>]) -> String {
    rows.iter()
        .map(|row| row.join(" | "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The cart table's body rows, as the cells' rendered text.
async fn cart_rows(client: &Client) -> anyhow::Result<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    for row in client.find_all(Locator::Css("table tbody tr")).await? {
        let mut cells = Vec::new();
        for cell in row.find_all(Locator::Css("td")).await? {
            cells.push(cell.text().await?.trim().to_owned());
        }
        rows.push(cells);
    }
    Ok(rows)
}

/// The whole scenario; returns errors rather than panicking, so that the browser is always
/// closed properly.
/// Types the demo user's credentials into the login form (its `loginId` field found) and
/// submits it.
async fn submit_login_form(client: &Client, login_id: &Element) -> anyhow::Result<()> {
    login_id.send_keys(LOGIN_ID).await?;
    client
        .find(Locator::Css("form[action='/login'] input[name='password']"))
        .await?
        .send_keys(PASSWORD)
        .await?;
    click(
        client,
        "//form[@action='/login']//button[@type='submit' and normalize-space()='Log in']",
    )
    .await?;
    Ok(())
}

/// Logs in again from the cart's login redirect, opens the sessions page from the header, and
/// signs out everywhere with its button: the page lists this browser, and Chromium's own
/// `Origin`/`Sec-Fetch-Site` on the form post are accepted.
async fn sign_out_everywhere(client: &Client, stack: &Stack) -> anyhow::Result<()> {
    let cart = stack.store_url().join("/shopping-cart")?;
    client.goto(cart.as_str()).await?;
    let login_id = wait_for(client, "the login form", LOGIN_FORM).await?;
    submit_login_form(client, &login_id).await?;
    wait_for(client, "the shopping cart", CART_HEADING).await?;
    click(client, "//header//a[normalize-space()='Sessions']").await?;
    let heading = Locator::XPath("//h1[normalize-space()='Your sessions']");
    wait_for(client, "the sessions page", heading).await?;
    let rows = client.find_all(Locator::Css("tbody tr")).await?;
    ensure!(
        rows.len() == 1,
        "the sessions page lists {} rows",
        rows.len()
    );
    let row = rows[0].text().await?;
    ensure!(
        row.contains("Chrome") && row.contains("(this browser)") && row.contains("127.0.0.1"),
        "the sessions page's row: {row:?}"
    );
    click(
        client,
        "//form[@action='/sessions/end']//button[normalize-space()='Sign out everywhere']",
    )
    .await?;
    wait_for(client, "the home page after signing out", HOME_LOGIN_LINK).await?;
    client.goto(cart.as_str()).await?;
    wait_for(client, "the login form after signing out", LOGIN_FORM).await?;
    Ok(())
}

/// Serves `html` to every request on a loopback port of its own (another origin than the
/// sites'), for as long as the test runs; returns its URL.
async fn serve_one_page(html: &str) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/", listener.local_addr()?);
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{html}",
        html.len()
    );
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut head = [0; 4096];
                let _ = tcp.read(&mut head).await;
                let _ = tcp.write_all(response.as_bytes()).await;
                let _ = tcp.shutdown().await;
            });
        }
    });
    Ok(url)
}

/// Runs `script` until it returns something other than `null`, and returns that.
async fn poll_script(
    client: &Client,
    what: &str,
    script: &str,
) -> anyhow::Result<serde_json::Value> {
    let started = Instant::now();
    loop {
        let value = client.execute(script, vec![]).await?;
        if !value.is_null() {
            return Ok(value);
        }
        if started.elapsed() > TIMEOUT {
            let url = client.current_url().await.map(String::from);
            bail!("waiting for {what}: still nothing after {TIMEOUT:?}, at {url:?}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The security headers at work: the pages are styled from their stylesheet under the policy,
/// another origin cannot frame the login form, and a form injected into the login page cannot
/// post off-site.
async fn defences(client: &Client, stack: &Stack) -> anyhow::Result<()> {
    let login = stack.store_url().join("/login")?;

    // The stylesheet is a file the policy allows: the page is styled.
    client.goto(login.as_str()).await?;
    wait_for(client, "the login form", LOGIN_FORM).await?;
    let font = client
        .execute("return getComputedStyle(document.body).fontFamily;", vec![])
        .await?;
    ensure!(
        font.as_str().is_some_and(|f| f.contains("system-ui")),
        "the login page is not styled from /site.css: font {font}"
    );

    // A form injected into the page (as markup injection would) posting to another origin:
    // the policy's form-action refuses it and the browser stays on the Store.
    let off_site = stack.forums_url().join("/login")?;
    client
        .execute(
            "document.addEventListener('securitypolicyviolation', \
               e => { window.__violated = e.violatedDirective; });\
             const form = document.createElement('form');\
             form.method = 'post'; form.action = arguments[0];\
             const field = document.createElement('input');\
             field.name = 'password'; field.value = 'stolen'; form.appendChild(field);\
             document.body.appendChild(form); form.submit();",
            vec![json!(off_site.as_str())],
        )
        .await?;
    let violated = poll_script(
        client,
        "the policy to refuse the injected form",
        "return window.__violated || null;",
    )
    .await?;
    ensure!(
        violated
            .as_str()
            .is_some_and(|d| d.starts_with("form-action")),
        "the injected form was refused by {violated}, not form-action"
    );
    let url = client.current_url().await?;
    ensure!(
        url.origin() == login.origin(),
        "the injected form took the browser off the Store, to {url}"
    );

    // A page of another origin (on loopback, as a page of a local attacker would be) frames the
    // login form: the browser refuses to show it in the frame.
    let framing = serve_one_page(&format!(
        "<!doctype html><iframe src=\"{login}\" onload=\"this.dataset.loaded='yes'\"></iframe>"
    ))
    .await?;
    client.goto(&framing).await?;
    poll_script(
        client,
        "the framed login page to load or be refused",
        "return document.querySelector('iframe').dataset.loaded || null;",
    )
    .await?;
    client.enter_frame(0).await?;
    let framed_form = client.find(LOGIN_FORM).await;
    let framed_url = client
        .execute("return document.location.href;", vec![])
        .await?;
    client.enter_parent_frame().await?;
    ensure!(
        framed_form.is_err(),
        "another origin framed the login form (frame at {framed_url})"
    );
    Ok(())
}

async fn scenario(client: &Client, stack: &Stack) -> anyhow::Result<()> {
    let store = stack.store_url();
    let forums = stack.forums_url();

    // Home page, logged out.
    client.goto(store.as_str()).await?;
    let link = wait_for(client, "the Store home's Log in link", HOME_LOGIN_LINK).await?;

    // The login form.
    link.click().await?;
    let login_id = wait_for(client, "the login form", LOGIN_FORM).await?;
    let url = client.current_url().await?;
    ensure!(url.path() == "/login", "the Log in link led to {url}");
    submit_login_form(client, &login_id).await?;

    // The cart.
    wait_for(client, "the shopping cart", CART_HEADING).await?;
    let url = client.current_url().await?;
    ensure!(
        url.path() == "/shopping-cart",
        "logging in landed on {url}, not /shopping-cart"
    );
    ensure!(
        url.host_str() == store.host_str() && url.port() == store.port(),
        "logging in left the Store: {url}"
    );
    let header = client.find(Locator::Css("header")).await?.text().await?;
    ensure!(
        header.contains("Signed in as Alice Shopper"),
        "the header does not name Alice: {header:?}"
    );
    let rows = cart_rows(client).await?;
    let row = |name: &str| {
        rows.iter()
            .find(|cells| cells.first().map(String::as_str) == Some(name))
    };
    let tea = row("Sencha green tea, 100 g")
        .with_context(|| format!("no green tea in the cart:\n{}", text_of_rows(&rows)))?;
    let mug = row("Stoneware mug")
        .with_context(|| format!("no mug in the cart:\n{}", text_of_rows(&rows)))?;
    // Columns: item, SKU, quantity, unit price, line total, remove button.
    ensure!(
        tea.get(2).map(String::as_str) == Some("2"),
        "green tea quantity: {tea:?}"
    );
    ensure!(
        mug.get(2).map(String::as_str) == Some("1"),
        "mug quantity: {mug:?}"
    );
    ensure!(
        rows.len() == 2,
        "unexpected cart rows:\n{}",
        text_of_rows(&rows)
    );
    let total = client
        .find(Locator::Css("table tfoot"))
        .await?
        .text()
        .await?;
    ensure!(total.contains("$43.00"), "cart total: {total:?}");
    if let Ok(path) = std::env::var("BROWSER_TEST_SCREENSHOT") {
        std::fs::write(&path, client.screenshot().await?)
            .with_context(|| format!("writing {path}"))?;
    }

    // The session cookie: invisible to scripts, HttpOnly and host-only.
    let script_cookies = client.execute("return document.cookie;", vec![]).await?;
    ensure!(
        script_cookies == json!(""),
        "scripts can read cookies: {script_cookies}"
    );
    let cookies = client.get_all_cookies().await?;
    let session = cookies
        .iter()
        .find(|cookie| cookie.name() == SESSION_COOKIE)
        .with_context(|| {
            let names: Vec<&str> = cookies.iter().map(|c| c.name()).collect();
            format!("no {SESSION_COOKIE} cookie after logging in; cookies: {names:?}")
        })?;
    ensure!(
        session.http_only() == Some(true),
        "{SESSION_COOKIE} is not HttpOnly: {session:?}"
    );
    ensure!(
        !session.value().is_empty(),
        "{SESSION_COOKIE} is empty: {session:?}"
    );
    let session_value = session.value().to_owned();

    // Another site on another host of the same browser: not logged in, no Store cookie.
    client.goto(forums.as_str()).await?;
    wait_for(client, "the Forums home's Log in link", HOME_LOGIN_LINK).await?;
    let url = client.current_url().await?;
    ensure!(
        url.host_str() == forums.host_str(),
        "the Forums home is at {url}"
    );
    let forums_cookies = client.get_all_cookies().await?;
    ensure!(
        !forums_cookies
            .iter()
            .any(|c| c.name() == SESSION_COOKIE || c.value() == session_value),
        "the Store's session cookie reaches the Forums host: {forums_cookies:?}"
    );
    let header = client.find(Locator::Css("header")).await?.text().await?;
    ensure!(
        !header.contains("Signed in"),
        "the Forums show a logged-in header: {header:?}"
    );

    // Back to the Store, still logged in; log out.
    let cart = store.join("/shopping-cart")?;
    client.goto(cart.as_str()).await?;
    wait_for(client, "the shopping cart again", CART_HEADING).await?;
    click(
        client,
        "//header//form[@action='/logout']//button[normalize-space()='Log out']",
    )
    .await?;
    wait_for(client, "the home page after logging out", HOME_LOGIN_LINK).await?;
    let url = client.current_url().await?;
    ensure!(url.path() == "/", "logging out landed on {url}, not /");

    // The cart is closed again: it sends the browser to log in, and back after.
    client.goto(cart.as_str()).await?;
    wait_for(client, "the login form after logging out", LOGIN_FORM).await?;
    let url = client.current_url().await?;
    let next: Vec<String> = url
        .query_pairs()
        .filter(|(key, _)| key == "next")
        .map(|(_, value)| value.into_owned())
        .collect();
    ensure!(
        url.path() == "/login" && next == ["/shopping-cart"],
        "the cart after logging out went to {url}, not /login?next=/shopping-cart"
    );
    let next_field = client
        .find(Locator::Css("form[action='/login'] input[name='next']"))
        .await?
        .attr("value")
        .await?;
    ensure!(
        next_field.as_deref() == Some("/shopping-cart"),
        "the login form's next field: {next_field:?}"
    );
    sign_out_everywhere(client, stack).await
}

#[tokio::test]
async fn a_real_browser_logs_in_to_the_store_and_out_again() -> anyhow::Result<()> {
    let started = Instant::now();
    let stack = Stack::start(StackConfig::ephemeral()).await?;
    let driver = ChromeDriver::start().await?;
    let profile = tempfile::tempdir()?;
    let client = connect(&driver, &profile).await?;

    let outcome = async {
        scenario(&client, &stack).await?;
        defences(&client, &stack).await
    }
    .await;

    // Close the browser and stop everything whatever happened, then report.
    let closed = client.close().await;
    drop(driver);
    stack.stop().await?;
    outcome?;
    closed.context("closing the browser")?;
    println!("browser test took {:?}", started.elapsed());
    Ok(())
}
