//! Browsing: navigation (address, links, forms, history), moving the focus through the page
//! and between panes, scrolling, and the actions that work anywhere outside an editor.

use crate::app::editor::LineEditor;
use crate::app::flow::{FlowView, Progress};
use crate::app::history::NavKind;
use crate::app::keymap::Action;
use crate::app::page::{Target, is_typed};
use crate::app::state::{Editing, Overlay, PageLayout, Pane, Pending, State, Tab};
use crate::app::{Effect, Who};
use crate::engine::{FieldKind, Request};
use url::Url;

/// Starts a victim navigation.
pub fn navigate(state: &mut State, request: Request, kind: NavKind) -> Vec<Effect> {
    state.pending = Some(Pending {
        kind,
        url: request.url.clone(),
    });
    vec![Effect::Load {
        who: Who::Victim,
        request,
    }]
}

/// A new navigation to `url`.
pub fn go(state: &mut State, url: Url) -> Vec<Effect> {
    navigate(state, Request::get(url), NavKind::New)
}

/// Submits a form of the page with the values as edited.
pub fn submit(state: &mut State, form: usize) -> Vec<Effect> {
    state.editing = None;
    match state.page.form(form).map(|f| f.submission()) {
        Some(request) => navigate(state, request, NavKind::New),
        None => Vec::new(),
    }
}

/// Actions of the Browsing and Devtools contexts.
pub fn global(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Help => state.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::EditAddress => {
            let url = state.current_url().map(Url::to_string).unwrap_or_default();
            state.editing = Some(Editing::Address(LineEditor::new(&url)));
        }
        Action::GoStore => return go(state, state.store_url.clone()),
        Action::GoForums => return go(state, state.forums_url.clone()),
        Action::Back => match state.history.back() {
            Some(url) => return navigate(state, Request::get(url), NavKind::Traverse),
            None => state.fail("Nothing to go back to"),
        },
        Action::Forward => match state.history.forward() {
            Some(url) => return navigate(state, Request::get(url), NavKind::Traverse),
            None => state.fail("Nothing to go forward to"),
        },
        Action::Reload => {
            return match state.history.current().cloned() {
                Some(url) => navigate(state, Request::get(url), NavKind::Traverse),
                None => go(state, state.store_url.clone()),
            };
        }
        Action::NextFocus => cycle_focus(state, true),
        Action::PrevFocus => cycle_focus(state, false),
        Action::ShowTab(tab) => show_tab(state, tab),
        Action::RunFlow => return run_flow(state),
        Action::NextTab | Action::PrevTab => {
            let n = Tab::ALL.len();
            let step = if action == Action::NextTab { 1 } else { n - 1 };
            show_tab(state, Tab::ALL[(state.tab.index() + step) % n]);
        }
        Action::ToggleDevtools => {
            if state.is_wide() {
                state.devtools_open = !state.devtools_open;
                if !state.devtools_open {
                    state.focus = Pane::Page;
                }
            } else {
                state.focus = match state.focus {
                    Pane::Page => Pane::Devtools,
                    Pane::Devtools => Pane::Page,
                };
            }
        }
        Action::Leave => match state.focus {
            Pane::Devtools => state.focus = Pane::Page,
            Pane::Page => {
                state.page.focus = None;
                state.status = None;
            }
        },
        _ => {}
    }
    Vec::new()
}

/// Shows a devtools tab and gives it the keyboard.
pub fn show_tab(state: &mut State, tab: Tab) {
    state.tab = tab;
    state.focus = Pane::Devtools;
    state.devtools_open = true;
}

/// Tab / Shift-Tab: through the page's elements, then to the devtools, then back.
fn cycle_focus(state: &mut State, forward: bool) {
    let n = state.page.targets.len();
    match state.focus {
        Pane::Page => {
            let next = match (state.page.focus, forward) {
                (None, true) if n > 0 => Some(0),
                (Some(i), true) if i + 1 < n => Some(i + 1),
                (Some(i), false) if i > 0 => Some(i - 1),
                _ => None,
            };
            let devtools_reachable = !state.is_wide() || state.devtools_open;
            match next {
                Some(i) => focus_target(state, i),
                None if devtools_reachable => state.focus = Pane::Devtools,
                // The devtools are closed: wrap around the page's elements.
                None if n > 0 => focus_target(state, if forward { 0 } else { n - 1 }),
                None => {}
            }
        }
        Pane::Devtools => {
            state.focus = Pane::Page;
            if n > 0 {
                focus_target(state, if forward { 0 } else { n - 1 });
            }
        }
    }
}

/// Focuses the page's `i`th element and scrolls it into view.
pub fn focus_target(state: &mut State, i: usize) {
    state.page.focus = Some(i);
    keep_focus_visible(state);
}

/// The page as laid out, and the lines of it that fit.
fn geometry(state: &State) -> (PageLayout, usize) {
    let doc = state.geometry.0.page(state);
    let height = doc.height;
    (doc, height)
}

/// Scrolls so the focused element is on screen (and clamps the scroll to the page).
pub fn keep_focus_visible(state: &mut State) {
    let (doc, height) = geometry(state);
    let max = doc.lines.len().saturating_sub(height);
    if let Some(line) = state.page.focused().and_then(|t| doc.line_of(t)) {
        if line < state.page.scroll {
            // The first element: show what is above it too (the heading, the alert).
            state.page.scroll = if state.page.focus == Some(0) && line < height {
                0
            } else {
                line
            };
        } else if line >= state.page.scroll + height {
            state.page.scroll = line + 1 - height;
        }
    }
    state.page.scroll = state.page.scroll.min(max);
}

/// Scrolls by `delta` lines; a focus scrolled off screen moves to an element on screen, as in
/// lynx, so Enter never acts on something invisible.
pub fn scroll_page(state: &mut State, delta: isize) {
    let (doc, height) = geometry(state);
    let max = doc.lines.len().saturating_sub(height);
    state.page.scroll = state.page.scroll.saturating_add_signed(delta).min(max);
    let top = state.page.scroll;
    let visible = |t: &Target| {
        doc.line_of(*t)
            .is_some_and(|l| l >= top && l < top + height)
    };
    if state.page.focused().is_some_and(|t| !visible(&t)) {
        let targets = &state.page.targets;
        state.page.focus = if delta > 0 {
            targets.iter().position(visible)
        } else {
            targets.iter().rposition(visible)
        };
    }
}

/// Actions of the Page context.
pub fn page(state: &mut State, action: Action) -> Vec<Effect> {
    let height = geometry(state).1 as isize;
    match action {
        Action::Down => step_focus(state, 1),
        Action::Up => step_focus(state, -1),
        Action::PageDown => scroll_page(state, (height - 1).max(1)),
        Action::PageUp => scroll_page(state, -(height - 1).max(1)),
        Action::Top => {
            state.page.scroll = 0;
            state.page.focus = None;
        }
        Action::Bottom => scroll_page(state, isize::MAX / 2),
        Action::Activate => return activate(state),
        Action::OptionNext => cycle_option(state, 1),
        Action::OptionPrev => cycle_option(state, -1),
        Action::Find => {
            let last = state.find.clone().unwrap_or_default();
            state.editing = Some(Editing::Find(LineEditor::new(&last)));
        }
        Action::FindNext => find(state, true, false),
        Action::FindPrev => find(state, false, false),
        Action::CopyUrl => {
            if let Some(url) = state.history.current() {
                let url = url.to_string();
                state.say(format!("Copied {url}"));
                return vec![Effect::Copy(url)];
            }
        }
        _ => {}
    }
    Vec::new()
}

/// j/k: the next or previous element; past the last one the page scrolls on, so text below
/// it can still be read.
fn step_focus(state: &mut State, delta: isize) {
    let n = state.page.targets.len();
    let (doc, height) = geometry(state);
    let top = state.page.scroll;
    let next = match state.page.focus {
        Some(i) => i.checked_add_signed(delta).filter(|&j| j < n),
        None if delta > 0 => state
            .page
            .targets
            .iter()
            .position(|t| doc.line_of(*t).is_some_and(|l| l >= top)),
        None => state
            .page
            .targets
            .iter()
            .rposition(|t| doc.line_of(*t).is_some_and(|l| l < top + height)),
    };
    match next {
        Some(i) => focus_target(state, i),
        None => {
            let max = doc.lines.len().saturating_sub(height);
            state.page.scroll = state.page.scroll.saturating_add_signed(delta).min(max);
        }
    }
}

/// Enter on the focused element.
pub fn activate(state: &mut State) -> Vec<Effect> {
    let Some(target) = state.page.focused() else {
        return Vec::new();
    };
    match target {
        Target::Link(l) => {
            let link = state.page().and_then(|p| p.links.get(l)).cloned();
            match link {
                Some(link) => match link.url {
                    Some(url) => go(state, url),
                    None => {
                        state.fail(format!(
                            "The link {:?} does not resolve to a URL",
                            link.href
                        ));
                        Vec::new()
                    }
                },
                None => Vec::new(),
            }
        }
        Target::Field { form, field } => {
            let kind = state
                .page
                .form(form)
                .and_then(|f| f.fields.get(field))
                .map(|f| f.kind);
            match kind {
                Some(FieldKind::Select) => cycle_option(state, 1),
                Some(FieldKind::Checkbox) => {
                    if let Some(f) = state
                        .page
                        .form_mut(form)
                        .and_then(|f| f.fields.get_mut(field))
                    {
                        // Checked sends its one value (`options[0]`), else "on".
                        f.value = if f.value.is_empty() {
                            f.options
                                .first()
                                .map_or_else(|| "on".to_owned(), |(v, _)| v.clone())
                        } else {
                            String::new()
                        };
                    }
                }
                Some(k) if is_typed(k) => start_field(state, form, field),
                _ => {}
            }
            Vec::new()
        }
        Target::Submit { form } => submit(state, form),
    }
}

/// Moves a focused select to its next or previous option (wrapping).
fn cycle_option(state: &mut State, delta: isize) {
    let Some(Target::Field { form, field }) = state.page.focused() else {
        return;
    };
    let Some(f) = state
        .page
        .form_mut(form)
        .and_then(|f| f.fields.get_mut(field))
    else {
        return;
    };
    if f.kind != FieldKind::Select || f.options.is_empty() {
        return;
    }
    let n = f.options.len() as isize;
    // A value that is no option (yet) starts before the first or after the last.
    let at = f
        .options
        .iter()
        .position(|(v, _)| *v == f.value)
        .map_or(if delta > 0 { -1 } else { n }, |i| i as isize);
    let next = (at + delta).rem_euclid(n) as usize;
    f.value = f.options[next].0.clone();
}

/// Scrolls to the next (or previous) line holding the text last searched for, wrapping around
/// the page; the match becomes the top line. A new search may match the top line itself; `n`
/// and `N` move past it.
pub fn find(state: &mut State, forward: bool, new_search: bool) {
    let Some(needle) = state.find.clone().filter(|n| !n.is_empty()) else {
        state.fail("Nothing to find: press / and type some text");
        return;
    };
    let (doc, _) = geometry(state);
    let needle = needle.to_lowercase();
    let n = doc.lines.len();
    let from = state.page.scroll;
    let first = usize::from(!new_search);
    let hit = (first..first + n)
        .map(|k| {
            if forward {
                (from + k) % n
            } else {
                (from + n * 2 - k) % n
            }
        })
        .find(|&i| doc.lines[i].to_lowercase().contains(&needle));
    match hit {
        Some(line) => {
            let delta = line as isize - from as isize;
            scroll_page(state, delta);
            // Clamped near the end, the match is still on screen, just not on top.
            state.say(format!("Found {needle:?} on line {} of {n}", line + 1));
        }
        None => state.fail(format!("Not found: {needle:?}")),
    }
}

/// Opens the editor on a page field (it already has the focus).
pub fn start_field(state: &mut State, form: usize, field: usize) {
    let value = state
        .page
        .form(form)
        .and_then(|f| f.fields.get(field))
        .map(|f| f.value.clone())
        .unwrap_or_default();
    state.editing = Some(Editing::Field {
        form,
        field,
        editor: LineEditor::new(&value),
    });
}

/// Starts a run and shows the Flow tab, unless one is running already.
pub fn run_flow(state: &mut State) -> Vec<Effect> {
    if state.flow.is_running() {
        let done = state.flow.steps.len();
        state.say(format!(
            "The scenario is already running ({done} of {} steps done): one run at a time",
            crate::flow::STEPS.len()
        ));
        return Vec::new();
    }
    state.flow = FlowView {
        progress: Progress::Running,
        ..FlowView::default()
    };
    show_tab(state, Tab::Flow);
    state.say("Running the article's scenario with its own browsers (your jar is not touched)");
    vec![Effect::RunFlow]
}
