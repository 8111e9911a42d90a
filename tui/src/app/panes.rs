//! Actions of the devtools tabs: the cookie jar's edits, the network log's detail and curl,
//! the attacker's replays, the Forms tab's scrolling, the Flow tab's runs and selection.

use crate::app::attacker::{Replay, replay_url};
use crate::app::cookies::CookieKey;
use crate::app::editor::LineEditor;
use crate::app::keymap::Action;
use crate::app::state::{Editing, Overlay, State};
use crate::app::{Effect, Who, browse};
use crate::engine::{Expiry, Request};

/// Actions of the Cookies tab.
pub fn cookies(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Down => state.jar.step(1),
        Action::Up => state.jar.step(-1),
        Action::ClearSession => {
            let n = state
                .jar
                .cookies
                .iter()
                .filter(|c| c.expires == Expiry::Session)
                .count();
            state.say(format!(
                "Clearing {n} session cookie(s), as closing the browser would"
            ));
            return vec![Effect::ClearSessionCookies];
        }
        Action::SaveJar => return vec![Effect::SaveJar],
        _ => return selected_cookie(state, action),
    }
    Vec::new()
}

/// Cookie actions that need a selected cookie.
fn selected_cookie(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(c) = state.jar.selected().cloned() else {
        state.fail("No cookie selected: the jar is empty");
        return Vec::new();
    };
    let key = CookieKey::of(&c);
    let where_ = format!("{} ({}{})", c.name, c.domain, c.path);
    let effect = match action {
        Action::Reveal => {
            state.revealed.toggle(&c);
            return Vec::new();
        }
        Action::EditCookie => {
            state.editing = Some(Editing::Cookie {
                key,
                editor: LineEditor::new(&c.value),
            });
            return Vec::new();
        }
        Action::DeleteCookie => {
            state.say(format!("Deleted {where_}"));
            Effect::DeleteCookie {
                domain: key.domain,
                path: key.path,
                name: key.name,
            }
        }
        Action::ExpireCookie => {
            state.say(format!("Expired {where_}"));
            Effect::ExpireCookie {
                domain: key.domain,
                path: key.path,
                name: key.name,
            }
        }
        Action::Steal => {
            state.say(format!(
                "Stole {where_} into the attacker's jar: 3 for the Attacker tab, R to replay"
            ));
            Effect::StealCookie(c)
        }
        Action::CopyCookie => {
            state.say(format!("Copied {}=… to the clipboard", c.name));
            Effect::Copy(format!("{}={}", c.name, c.value))
        }
        _ => return Vec::new(),
    };
    vec![effect]
}

/// Actions of the Network tab.
pub fn network(state: &mut State, action: Action) -> Vec<Effect> {
    let selected = state.network.selected().map(|l| l.exchange.id);
    match (action, selected) {
        (Action::Down, _) => state.network.step(1),
        (Action::Up, _) => state.network.step(-1),
        (Action::Top, _) => state.network.selected = 0,
        (Action::Bottom, _) => state.network.step(isize::MAX),
        (Action::OpenDetail, Some(id)) => state.overlay = Some(Overlay::Detail { id, scroll: 0 }),
        (Action::CopyCurl, Some(id)) => return vec![Effect::CurlFor(id)],
        (Action::OpenDetail | Action::CopyCurl, None) => state.fail("No exchange selected"),
        _ => {}
    }
    Vec::new()
}

/// Actions of the Attacker tab.
pub fn attacker(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Down => state.attacker.jar.step(1),
        Action::Up => state.attacker.jar.step(-1),
        Action::Reveal => {
            if let Some(c) = state.attacker.jar.selected().cloned() {
                state.revealed.toggle(&c);
            }
        }
        Action::Replay => return replay(state),
        _ => {}
    }
    Vec::new()
}

/// Sends the attacker's client to the private page of the stolen cookie's site.
fn replay(state: &mut State) -> Vec<Effect> {
    let Some(c) = state.attacker.jar.selected().cloned() else {
        state.fail("Nothing stolen yet: in Cookies (1) select a cookie and press s");
        return Vec::new();
    };
    let Some(url) = replay_url(&c, &state.store_url, &state.forums_url) else {
        state.fail(format!("No URL to replay {} against", c.name));
        return Vec::new();
    };
    let number = state.attacker.replays.len() + 1;
    state.attacker.replays.push(Replay {
        number,
        at: state.now,
        cookie: c.name.clone(),
        url: url.clone(),
        outcome: None,
    });
    state.say(format!(
        "Replay #{number}: GET {url} as the attacker, with {}",
        c.name
    ));
    vec![Effect::Load {
        who: Who::Attacker,
        request: Request::get(url),
    }]
}

/// Actions of the Forms tab.
pub fn forms(state: &mut State, action: Action) -> Vec<Effect> {
    let extent = state.geometry.0.forms(state);
    let max = extent.lines.saturating_sub(extent.height);
    match action {
        Action::Down => state.forms_scroll = (state.forms_scroll + 1).min(max),
        Action::Up => state.forms_scroll = state.forms_scroll.saturating_sub(1),
        _ => {}
    }
    Vec::new()
}

/// Actions of the Flow tab.
pub fn flow(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Down => state.flow.step(1),
        Action::Up => state.flow.step(-1),
        Action::Top => state.flow.selected = 0,
        Action::Bottom => state.flow.step(isize::MAX),
        Action::RunFlow => return browse::run_flow(state),
        _ => {}
    }
    Vec::new()
}
