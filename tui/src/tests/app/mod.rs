//! Unit tests of `update`: messages in, state and effects out, driven the way the runtime
//! drives the app (keys, mouse, loads, jars).

mod browsing;
mod cookies;
mod flow;
mod forms;
mod keys;
mod mouse;
mod network;
mod replay;

use crate::app::Effect;
use crate::engine::{Method, Request};
use url::Url;

/// The victim load among the effects.
fn victim_load(effects: &[Effect]) -> Option<&Request> {
    effects.iter().find_map(|e| match e {
        Effect::Load {
            who: crate::app::Who::Victim,
            request,
        } => Some(request),
        _ => None,
    })
}

/// Asserts the effects are exactly one victim GET of `url`.
fn assert_get(effects: &[Effect], url: &Url) {
    assert_eq!(
        effects,
        [Effect::Load {
            who: crate::app::Who::Victim,
            request: Request::get(url.clone()),
        }]
    );
    assert_eq!(victim_load(effects).map(|r| r.method), Some(Method::Get));
}
