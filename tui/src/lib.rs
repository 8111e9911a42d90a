//! A terminal browser for the cookie-session login flow, with its devtools open: a page view,
//! the cookie jar, the network log, an attacker who replays a stolen cookie, and the article's
//! scenario run step by step with its verdicts.
//!
//! `engine` is the browser with no UI; `app` holds the state and the only code that changes it;
//! `ui` draws that state and knows no HTTP, and answers the app's questions about the drawn
//! screen through [`app::Geometry`], which the runtime hands to the state.

pub mod app;
pub mod cli;
mod defaults;
pub mod engine;
pub mod flow;
pub mod runtime;
pub mod terminal;
pub mod ui;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;

use backend::stack::{SessionPolicy, Stack, StackConfig};

/// Runs `tui` as the command line asks: against running apps, or with the whole stack started
/// in-process on free loopback ports.
pub async fn run(cli: cli::Cli) -> anyhow::Result<()> {
    // The screen answers at once; the stack and the browsers start behind it.
    let mut screen = terminal::Screen::enter()?;
    screen.terminal.draw(|frame| {
        ui::splash(
            frame,
            "starting the identity server, the Store and the Forums…",
        )
    })?;
    // The two browsers are built while the stack starts: both cost start-up time.
    let timeout = cli.timeout;
    let browsers = tokio::task::spawn_blocking(move || runtime::browsers(timeout));
    // The embedded stack's idle timeout is known; running apps' is read from their cookie.
    let (stack, store_url, forums_url, idle_timeout) = match (cli.store_url, cli.forums_url) {
        (Some(store), Some(forums)) => (None, store, forums, None),
        _ => {
            let config = StackConfig::ephemeral().with_policy(SessionPolicy {
                idle_timeout: cli.idle_timeout,
                rotation_interval: cli.rotation_interval,
                rotation_grace: cli.rotation_grace,
                ..SessionPolicy::default()
            });
            let stack = Stack::start(config).await?;
            let urls = (stack.store_url().clone(), stack.forums_url().clone());
            (Some(stack), urls.0, urls.1, Some(cli.idle_timeout))
        }
    };
    let fusionauth_url = stack.as_ref().map(|stack| stack.fusionauth_url.clone());
    let runtime = runtime::Runtime::with_browsers(
        runtime::Options {
            store_url,
            forums_url,
            cookie_jar: cli.cookie_jar,
            timeout: cli.timeout,
            idle_timeout,
            fusionauth_url,
        },
        browsers.await??,
    )?;
    let result = runtime.run(&mut screen).await;
    drop(screen);
    if let Some(stack) = stack {
        stack.stop().await?;
    }
    result
}
