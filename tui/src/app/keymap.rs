//! The key map: one table of (context, keys, action, description). Key handling resolves keys
//! through it, the footer shows its hints for the contexts active now, and the `?` overlay lists
//! it whole, so the three cannot drift apart.

use crate::app::state::{Overlay, Pane, State, Tab};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Always, even while typing.
    Anywhere,
    /// The help overlay is open.
    Help,
    /// The exchange detail is open.
    Detail,
    /// A text editor is open (address bar, form field, cookie value).
    Editing,
    /// The page view has the focus.
    Page,
    /// The Cookies tab has the focus.
    Cookies,
    /// The Network tab has the focus.
    Network,
    /// The Attacker tab has the focus.
    Attacker,
    /// The Forms tab has the focus.
    Forms,
    /// The Flow tab has the focus.
    Flow,
    /// Any devtools tab has the focus.
    Devtools,
    /// The page or the devtools have the focus, nothing modal is open.
    Browsing,
}

impl Context {
    /// In the order the help overlay lists them.
    pub const ALL: [Self; 12] = [
        Self::Browsing,
        Self::Page,
        Self::Editing,
        Self::Devtools,
        Self::Cookies,
        Self::Network,
        Self::Attacker,
        Self::Forms,
        Self::Flow,
        Self::Detail,
        Self::Help,
        Self::Anywhere,
    ];

    /// A heading for the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Self::Anywhere => "Anywhere",
            Self::Help => "Help",
            Self::Detail => "Exchange detail",
            Self::Editing => "Typing (address, find, field, cookie value)",
            Self::Page => "Page",
            Self::Cookies => "Cookies tab",
            Self::Network => "Network tab",
            Self::Attacker => "Attacker tab",
            Self::Forms => "Forms tab",
            Self::Flow => "Flow tab",
            Self::Devtools => "Devtools (any tab)",
            Self::Browsing => "Browsing (page or devtools)",
        }
    }
}

/// What a key does. Some actions mean different things per context (Down moves the page focus
/// or a list selection); `update` dispatches on the context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Exit.
    Quit,
    /// Open the help overlay.
    Help,
    /// Close the overlay.
    Close,
    /// Type a URL into the address bar.
    EditAddress,
    /// Load the Store's home page.
    GoStore,
    /// Load the Forums' home page.
    GoForums,
    /// History back.
    Back,
    /// History forward.
    Forward,
    /// Load the current URL again.
    Reload,
    /// Next element / pane.
    NextFocus,
    /// Previous element / pane.
    PrevFocus,
    /// Show a devtools tab and focus it.
    ShowTab(Tab),
    /// Show or hide the devtools (narrow terminals: switch between page and devtools).
    ToggleDevtools,
    /// Back out one level: devtools → page, page focus → none.
    Leave,
    /// Down one (element, row, line).
    Down,
    /// Up one.
    Up,
    /// Down a screen.
    PageDown,
    /// Up a screen.
    PageUp,
    /// To the top.
    Top,
    /// To the bottom.
    Bottom,
    /// Follow a link, press a button, edit a field, next option of a select, toggle a checkbox.
    Activate,
    /// Previous option of a select.
    OptionPrev,
    /// Next option of a select.
    OptionNext,
    /// Copy the page's URL.
    CopyUrl,
    /// Type text to find in the page.
    Find,
    /// The next match of the text found last.
    FindNext,
    /// The previous match.
    FindPrev,
    /// Previous devtools tab.
    PrevTab,
    /// Next devtools tab.
    NextTab,
    /// Show or mask the selected cookie's value.
    Reveal,
    /// Edit the selected cookie's value.
    EditCookie,
    /// Delete the selected cookie.
    DeleteCookie,
    /// Expire the selected cookie now.
    ExpireCookie,
    /// Drop every session cookie (as closing the browser would).
    ClearSession,
    /// Plant the selected cookie into the attacker's jar.
    Steal,
    /// Copy the selected cookie as `name=value`.
    CopyCookie,
    /// Save the jar file.
    SaveJar,
    /// Open the selected exchange.
    OpenDetail,
    /// Copy the exchange as a curl command.
    CopyCurl,
    /// Replay the selected stolen cookie as the attacker.
    Replay,
    /// Run the article's scenario with browsers of its own.
    RunFlow,
    /// Editing: submit / go / save.
    Commit,
    /// Editing: leave (a field keeps what was typed; address and cookie edits are dropped).
    Cancel,
    /// Editing: next field.
    NextField,
    /// Editing: previous field.
    PrevField,
    /// Editing: delete before the cursor.
    Backspace,
    /// Editing: delete under the cursor.
    Delete,
    /// Editing: cursor left.
    Left,
    /// Editing: cursor right.
    Right,
    /// Editing: cursor to start.
    Home,
    /// Editing: cursor to end.
    End,
    /// Editing: clear the text.
    ClearLine,
    /// Editing: delete the previous word.
    DeleteWord,
}

/// A key with its modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Ctrl / Alt (Shift is part of the char for letters).
    pub modifiers: KeyModifiers,
}

const fn ch(c: char) -> Key {
    code(KeyCode::Char(c))
}
const fn code(code: KeyCode) -> Key {
    Key {
        code,
        modifiers: KeyModifiers::NONE,
    }
}
const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::CONTROL,
    }
}
const fn alt(code: KeyCode) -> Key {
    Key {
        code,
        modifiers: KeyModifiers::ALT,
    }
}

impl Key {
    /// Whether a key event is this key. Shift is ignored for chars and BackTab because
    /// terminals disagree on reporting it ('H' comes with or without SHIFT).
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        let relevant = |code: KeyCode, m: KeyModifiers| match code {
            KeyCode::Char(_) | KeyCode::BackTab => m - KeyModifiers::SHIFT,
            _ => m,
        };
        let ev_code = match ev.code {
            // Some terminals send Shift+Tab as Tab with SHIFT.
            KeyCode::Tab if ev.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            c => c,
        };
        ev_code == self.code
            && relevant(ev_code, ev.modifiers) == relevant(self.code, self.modifiers)
    }

    /// How the key is written in hints and help, e.g. `C-c`, `M-←`, `PgDn`.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::BackTab => "S-Tab".to_owned(),
            KeyCode::Backspace => "Bksp".to_owned(),
            KeyCode::Delete => "Del".to_owned(),
            KeyCode::Left => "←".to_owned(),
            KeyCode::Right => "→".to_owned(),
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            format!("C-{base}")
        } else if self.modifiers.contains(KeyModifiers::ALT) {
            format!("M-{base}")
        } else {
            base
        }
    }
}

/// One row of the key map.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    /// Where it applies.
    pub context: Context,
    /// The keys (the first is the one hinted).
    pub keys: &'static [Key],
    /// What it does.
    pub action: Action,
    /// Short footer hint; `None` keeps it out of the footer (still in help).
    pub hint: Option<&'static str>,
    /// What the help overlay says.
    pub help: &'static str,
}

impl Binding {
    /// All keys, e.g. `j/↓`.
    pub fn keys_label(&self) -> String {
        self.keys
            .iter()
            .map(Key::label)
            .collect::<Vec<_>>()
            .join("/")
    }
}

macro_rules! bind {
    ($ctx:ident, [$($key:expr),+], $action:expr, $hint:expr, $help:expr) => {
        Binding {
            context: Context::$ctx,
            keys: &[$($key),+],
            action: $action,
            hint: $hint,
            help: $help,
        }
    };
}

use Action as A;

/// The key map. Earlier rows win when a key is bound twice in the active contexts.
// One row per binding reads as the table it is; rustfmt would spread each over seven lines.
#[rustfmt::skip]
pub static KEYMAP: &[Binding] = &[
    bind!(Anywhere, [ctrl('c')], A::Quit, Some("quit"), "Quit, even while typing"),
    // Help overlay.
    bind!(Help, [code(KeyCode::Esc), ch('?'), ch('q')], A::Close, Some("close"), "Close the help"),
    bind!(Help, [ch('j'), code(KeyCode::Down)], A::Down, Some("scroll"), "Scroll down"),
    bind!(Help, [ch('k'), code(KeyCode::Up)], A::Up, None, "Scroll up"),
    bind!(Help, [code(KeyCode::PageDown), ch(' ')], A::PageDown, None, "Scroll down a screen"),
    bind!(Help, [code(KeyCode::PageUp)], A::PageUp, None, "Scroll up a screen"),
    // Exchange detail.
    bind!(Detail, [code(KeyCode::Esc), ch('q')], A::Close, Some("close"), "Close the detail"),
    bind!(Detail, [ch('j'), code(KeyCode::Down)], A::Down, Some("scroll"), "Scroll down"),
    bind!(Detail, [ch('k'), code(KeyCode::Up)], A::Up, None, "Scroll up"),
    bind!(Detail, [code(KeyCode::PageDown), ch(' ')], A::PageDown, None, "Scroll down a screen"),
    bind!(Detail, [code(KeyCode::PageUp)], A::PageUp, None, "Scroll up a screen"),
    bind!(Detail, [code(KeyCode::Home)], A::Top, None, "To the request"),
    bind!(Detail, [code(KeyCode::End)], A::Bottom, None, "To the end of the response"),
    bind!(Detail, [ch('y')], A::CopyCurl, Some("copy curl"), "Copy as a curl command (-b/-c/-L)"),
    // Typing.
    bind!(Editing, [code(KeyCode::Enter)], A::Commit, Some("go/submit/save"),
        "Address: load it. Find: search. Field: submit its form. Cookie: save the value"),
    bind!(Editing, [code(KeyCode::Esc)], A::Cancel, Some("leave"),
        "Leave the editor (a field keeps its text; address and cookie edits are dropped)"),
    bind!(Editing, [code(KeyCode::Tab)], A::NextField, Some("next field"), "Next form field"),
    bind!(Editing, [code(KeyCode::BackTab)], A::PrevField, None, "Previous form field"),
    bind!(Editing, [code(KeyCode::Backspace)], A::Backspace, None, "Delete before the cursor"),
    bind!(Editing, [code(KeyCode::Delete), ctrl('d')], A::Delete, None, "Delete under the cursor"),
    bind!(Editing, [code(KeyCode::Left)], A::Left, None, "Cursor left"),
    bind!(Editing, [code(KeyCode::Right)], A::Right, None, "Cursor right"),
    bind!(Editing, [code(KeyCode::Home), ctrl('a')], A::Home, None, "Cursor to the start"),
    bind!(Editing, [code(KeyCode::End), ctrl('e')], A::End, None, "Cursor to the end"),
    bind!(Editing, [ctrl('u')], A::ClearLine, Some("clear"), "Clear the text"),
    bind!(Editing, [ctrl('w')], A::DeleteWord, None, "Delete the previous word"),
    // Page.
    bind!(Page, [ch('j'), code(KeyCode::Down)], A::Down, Some("next"), "Next link, field or button"),
    bind!(Page, [ch('k'), code(KeyCode::Up)], A::Up, Some("prev"), "Previous link, field or button"),
    bind!(Page, [code(KeyCode::Enter)], A::Activate, Some("open/edit/submit"),
        "Follow the link, edit the field, press the button, next option, toggle the checkbox"),
    bind!(Page, [ch('h'), code(KeyCode::Left)], A::OptionPrev, None, "Previous option of a select"),
    bind!(Page, [ch('l'), code(KeyCode::Right)], A::OptionNext, None, "Next option of a select"),
    bind!(Page, [code(KeyCode::PageDown), ch(' ')], A::PageDown, None, "Scroll down a screen"),
    bind!(Page, [code(KeyCode::PageUp)], A::PageUp, None, "Scroll up a screen"),
    bind!(Page, [code(KeyCode::Home)], A::Top, None, "To the top of the page"),
    bind!(Page, [code(KeyCode::End)], A::Bottom, None, "To the bottom of the page"),
    bind!(Page, [ch('y')], A::CopyUrl, None, "Copy the page's URL"),
    bind!(Page, [ch('/')], A::Find, Some("find"), "Find text in the page"),
    bind!(Page, [ch('n')], A::FindNext, None, "Next match"),
    bind!(Page, [ch('N')], A::FindPrev, None, "Previous match"),
    // Cookies.
    bind!(Cookies, [ch('j'), code(KeyCode::Down)], A::Down, None, "Next cookie"),
    bind!(Cookies, [ch('k'), code(KeyCode::Up)], A::Up, None, "Previous cookie"),
    bind!(Cookies, [ch('v')], A::Reveal, Some("reveal"), "Show or mask the value"),
    bind!(Cookies, [ch('e')], A::EditCookie, Some("edit"), "Edit the value"),
    bind!(Cookies, [ch('d')], A::DeleteCookie, Some("delete"), "Delete the cookie"),
    bind!(Cookies, [ch('x')], A::ExpireCookie, Some("expire"), "Expire it now"),
    bind!(Cookies, [ch('C')], A::ClearSession, Some("clear session"),
        "Clear every session cookie, as closing the browser would"),
    bind!(Cookies, [ch('s')], A::Steal, Some("steal"), "Steal it: plant it in the attacker's jar"),
    bind!(Cookies, [ch('y')], A::CopyCookie, None, "Copy it as name=value"),
    bind!(Cookies, [ch('w')], A::SaveJar, None, "Save the jar file"),
    // Network.
    bind!(Network, [ch('j'), code(KeyCode::Down)], A::Down, None, "Next exchange"),
    bind!(Network, [ch('k'), code(KeyCode::Up)], A::Up, None, "Previous exchange"),
    bind!(Network, [code(KeyCode::Home)], A::Top, None, "First exchange"),
    bind!(Network, [code(KeyCode::End)], A::Bottom, None, "Last exchange"),
    bind!(Network, [code(KeyCode::Enter)], A::OpenDetail, Some("detail"),
        "Raw request and response"),
    bind!(Network, [ch('y')], A::CopyCurl, Some("copy curl"), "Copy as a curl command (-b/-c/-L)"),
    // Attacker.
    bind!(Attacker, [ch('j'), code(KeyCode::Down)], A::Down, None, "Next stolen cookie"),
    bind!(Attacker, [ch('k'), code(KeyCode::Up)], A::Up, None, "Previous stolen cookie"),
    bind!(Attacker, [ch('R')], A::Replay, Some("replay"),
        "Replay the stolen cookie: GET the cart (Store) or the posts (Forums) as the attacker"),
    bind!(Attacker, [ch('v')], A::Reveal, Some("reveal"), "Show or mask the value"),
    // Forms.
    bind!(Forms, [ch('j'), code(KeyCode::Down)], A::Down, None, "Scroll down"),
    bind!(Forms, [ch('k'), code(KeyCode::Up)], A::Up, None, "Scroll up"),
    // Flow.
    bind!(Flow, [ch('f')], A::RunFlow, Some("run"),
        "Run the scenario again (its own browsers: your jar is not touched)"),
    bind!(Flow, [ch('j'), code(KeyCode::Down)], A::Down, None, "Next step"),
    bind!(Flow, [ch('k'), code(KeyCode::Up)], A::Up, None, "Previous step"),
    bind!(Flow, [code(KeyCode::Home)], A::Top, None, "First step"),
    bind!(Flow, [code(KeyCode::End)], A::Bottom, None, "Last step"),
    // Any devtools tab.
    bind!(Devtools, [code(KeyCode::Right), ch(']')], A::NextTab, Some("tab"), "Next tab"),
    bind!(Devtools, [code(KeyCode::Left), ch('[')], A::PrevTab, None, "Previous tab"),
    bind!(Devtools, [code(KeyCode::Esc)], A::Leave, Some("page"), "Back to the page"),
    // Page or devtools.
    bind!(Browsing, [ch('q')], A::Quit, Some("quit"), "Quit"),
    bind!(Browsing, [ch('?')], A::Help, Some("help"), "This help"),
    bind!(Browsing, [ch('g'), ch(':')], A::EditAddress, Some("address"), "Type a URL or a path"),
    bind!(Browsing, [code(KeyCode::Tab)], A::NextFocus, Some("focus"),
        "Next link/field/button; after the last one, the devtools; then the page again"),
    bind!(Browsing, [code(KeyCode::BackTab)], A::PrevFocus, None, "Previous link/field/button or pane"),
    bind!(Browsing, [ch('H'), alt(KeyCode::Left)], A::Back, Some("back"), "History back"),
    bind!(Browsing, [ch('L'), alt(KeyCode::Right)], A::Forward, Some("fwd"), "History forward"),
    bind!(Browsing, [ch('r'), code(KeyCode::F(5))], A::Reload, Some("reload"), "Reload the page"),
    bind!(Browsing, [ch('S')], A::GoStore, Some("Store"), "Go to the Store's home page"),
    bind!(Browsing, [ch('F')], A::GoForums, Some("Forums"), "Go to the Forums' home page"),
    bind!(Browsing, [ch('1')], A::ShowTab(Tab::Cookies), Some("cookies"), "Devtools: Cookies"),
    bind!(Browsing, [ch('2')], A::ShowTab(Tab::Network), Some("network"), "Devtools: Network"),
    bind!(Browsing, [ch('3')], A::ShowTab(Tab::Attacker), Some("attacker"), "Devtools: Attacker"),
    bind!(Browsing, [ch('4')], A::ShowTab(Tab::Forms), Some("forms"),
        "Devtools: Forms (hidden fields too)"),
    bind!(Browsing, [ch('5')], A::ShowTab(Tab::Flow), Some("flow"),
        "Devtools: Flow (the article's scenario, PASS/FAIL/SKIP per step)"),
    bind!(Browsing, [ch('f')], A::RunFlow, Some("run flow"),
        "Run the article's scenario, as tui flow does, in the Flow tab"),
    bind!(Browsing, [ch('D'), code(KeyCode::F(12))], A::ToggleDevtools, Some("devtools"),
        "Show/hide the devtools (narrow terminal: switch page/devtools)"),
    bind!(Browsing, [code(KeyCode::Esc)], A::Leave, None, "Unfocus the element; clear the status"),
];

/// The contexts whose bindings apply now, most specific first.
pub fn active_contexts(state: &State) -> Vec<Context> {
    match (state.overlay, &state.editing) {
        (Some(Overlay::Help { .. }), _) => vec![Context::Help, Context::Anywhere],
        (Some(Overlay::Detail { .. }), _) => vec![Context::Detail, Context::Anywhere],
        (None, Some(_)) => vec![Context::Editing, Context::Anywhere],
        (None, None) => match state.focus {
            Pane::Page => vec![Context::Page, Context::Browsing, Context::Anywhere],
            Pane::Devtools => vec![
                match state.tab {
                    Tab::Cookies => Context::Cookies,
                    Tab::Network => Context::Network,
                    Tab::Attacker => Context::Attacker,
                    Tab::Forms => Context::Forms,
                    Tab::Flow => Context::Flow,
                },
                Context::Devtools,
                Context::Browsing,
                Context::Anywhere,
            ],
        },
    }
}

/// The binding a key event triggers in these contexts.
pub fn resolve(contexts: &[Context], ev: &KeyEvent) -> Option<&'static Binding> {
    contexts.iter().find_map(|ctx| {
        KEYMAP
            .iter()
            .filter(|b| b.context == *ctx)
            .find(|b| b.keys.iter().any(|k| k.matches(ev)))
    })
}

/// The footer's hints now: (key, hint) for the active contexts, most specific first. A key
/// already taken by a more specific context is not hinted again.
pub fn hints(state: &State) -> Vec<(String, &'static str)> {
    let contexts = active_contexts(state);
    let mut seen: Vec<Key> = Vec::new();
    let mut out = Vec::new();
    for ctx in &contexts {
        for b in KEYMAP.iter().filter(|b| b.context == *ctx) {
            let first = b.keys[0];
            if seen.contains(&first) {
                continue;
            }
            seen.extend(b.keys.iter().copied());
            if let Some(hint) = b.hint {
                out.push((first.label(), hint));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEvent;

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for ctx in Context::ALL {
            let keys: Vec<Key> = KEYMAP
                .iter()
                .filter(|b| b.context == ctx)
                .flat_map(|b| b.keys.iter().copied())
                .collect();
            for (i, k) in keys.iter().enumerate() {
                assert!(!keys[i + 1..].contains(k), "{k:?} twice in {ctx:?}");
            }
        }
    }

    #[test]
    fn uppercase_letters_match_with_or_without_shift_reported() {
        let bare = KeyEvent::new(KeyCode::Char('H'), KeyModifiers::NONE);
        let shifted = KeyEvent::new(KeyCode::Char('H'), KeyModifiers::SHIFT);
        let key = ch('H');
        assert!(key.matches(&bare) && key.matches(&shifted));
        assert!(!ch('h').matches(&bare));
        let tab_shift = KeyEvent::new(KeyCode::Tab, KeyModifiers::SHIFT);
        assert!(code(KeyCode::BackTab).matches(&tab_shift));
        assert!(!code(KeyCode::Tab).matches(&tab_shift));
    }

    #[test]
    fn labels_read_like_the_help_says_them() {
        assert_eq!(ctrl('c').label(), "C-c");
        assert_eq!(alt(KeyCode::Left).label(), "M-←");
        assert_eq!(ch(' ').label(), "Space");
        assert_eq!(KEYMAP[0].keys_label(), "C-c");
    }
}
