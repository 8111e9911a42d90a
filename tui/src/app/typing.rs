//! The open editor: typing, cursor keys, and what Enter, Esc and Tab mean for the address bar,
//! a form field and a cookie value.

use crate::app::editor::LineEditor;
use crate::app::keymap::Action;
use crate::app::page::{Target, is_typed};
use crate::app::state::{Editing, State};
use crate::app::{Effect, browse};
use crate::engine::FieldKind;
use url::Url;

/// Actions of the Editing context.
pub fn act(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Commit => return commit(state),
        Action::Cancel => cancel(state),
        Action::NextField => next_field(state, 1),
        Action::PrevField => next_field(state, -1),
        Action::Backspace => edit(state, LineEditor::backspace),
        Action::Delete => edit(state, LineEditor::delete),
        Action::Left => edit(state, LineEditor::left),
        Action::Right => edit(state, LineEditor::right),
        Action::Home => edit(state, LineEditor::home),
        Action::End => edit(state, LineEditor::end),
        Action::ClearLine => edit(state, LineEditor::clear),
        Action::DeleteWord => edit(state, LineEditor::delete_word),
        _ => {}
    }
    Vec::new()
}

/// Types text at the cursor.
pub fn insert(state: &mut State, text: &str) {
    edit(state, |e| e.insert(text));
}

/// Pasted text: typed into the open editor, on one line unless the field is a textarea.
pub fn paste(state: &mut State, text: &str) {
    let multiline = matches!(
        &state.editing,
        Some(Editing::Field { form, field, .. })
            if state.page.form(*form).and_then(|f| f.fields.get(*field))
                .is_some_and(|f| f.kind == FieldKind::TextArea)
    );
    let text = if multiline {
        text.replace("\r\n", "\n")
    } else {
        text.replace(['\r', '\n'], " ").trim_end().to_owned()
    };
    insert(state, &text);
}

fn edit(state: &mut State, f: impl FnOnce(&mut LineEditor)) {
    let Some(editing) = &mut state.editing else {
        return;
    };
    f(editing.editor_mut());
    // A field's edits go straight into the page's form, so what is drawn and what is
    // submitted are the same value.
    if let Some(Editing::Field {
        form,
        field,
        editor,
    }) = &state.editing
    {
        let (form, field, text) = (*form, *field, editor.text().to_owned());
        if let Some(f) = state
            .page
            .form_mut(form)
            .and_then(|f| f.fields.get_mut(field))
        {
            f.value = text;
        }
    }
}

/// Esc (and a click elsewhere): a field keeps what was typed; the address and a cookie value
/// are left as they were.
pub fn cancel(state: &mut State) {
    state.editing = None;
}

fn commit(state: &mut State) -> Vec<Effect> {
    match state.editing.take() {
        Some(Editing::Address(e)) => match parse_address(state.history.current(), e.text()) {
            Ok(url) => browse::go(state, url),
            Err(why) => {
                state.fail(why);
                state.editing = Some(Editing::Address(e));
                Vec::new()
            }
        },
        Some(Editing::Find(e)) => {
            state.find = Some(e.text().to_owned());
            browse::find(state, true, true);
            Vec::new()
        }
        Some(Editing::Field { form, field, .. }) => {
            let kind = state
                .page
                .form(form)
                .and_then(|f| f.fields.get(field))
                .map(|f| f.kind);
            // Enter in a textarea ends the edit; in any other field it submits, as in a browser.
            if kind == Some(FieldKind::TextArea) {
                Vec::new()
            } else {
                browse::submit(state, form)
            }
        }
        Some(Editing::Cookie { key, editor }) => {
            state.say(format!("Set {} for {}{}", key.name, key.domain, key.path));
            vec![Effect::SetCookieValue {
                domain: key.domain,
                path: key.path,
                name: key.name,
                value: editor.text().to_owned(),
            }]
        }
        None => Vec::new(),
    }
}

/// Tab in a field: on to the next element, typing straight into it when it is a text field.
fn next_field(state: &mut State, delta: isize) {
    if !matches!(state.editing, Some(Editing::Field { .. })) {
        return;
    }
    state.editing = None;
    let n = state.page.targets.len();
    let Some(next) = state
        .page
        .focus
        .and_then(|i| i.checked_add_signed(delta))
        .filter(|&i| i < n)
    else {
        return;
    };
    browse::focus_target(state, next);
    if let Some(Target::Field { form, field }) = state.page.focused()
        && state
            .page
            .form(form)
            .and_then(|f| f.fields.get(field))
            .is_some_and(|f| is_typed(f.kind))
    {
        browse::start_field(state, form, field);
    }
}

/// What the address bar's text means: a URL, a path on the current site (`/posts`), or a
/// host without a scheme (`store.localhost:8080`, taken as http).
pub fn parse_address(current: Option<&Url>, text: &str) -> Result<Url, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Type a URL, a path like /shopping-cart, or a host".to_owned());
    }
    if text.starts_with('/') {
        let base = current.ok_or("No page yet to resolve a path against")?;
        return base.join(text).map_err(|e| format!("{text}: {e}"));
    }
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        // `store.localhost:8080` parses with the scheme `store.localhost`: it meant a host.
        _ => Url::parse(&format!("http://{text}")).map_err(|e| format!("{text}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn addresses_may_be_urls_paths_or_bare_hosts() {
        let here = url("http://store.localhost:8080/shopping-cart");
        let parse = |s| parse_address(Some(&here), s);
        assert_eq!(
            parse("/posts"),
            Ok(url("http://store.localhost:8080/posts"))
        );
        assert_eq!(
            parse("forums.localhost:8081/posts"),
            Ok(url("http://forums.localhost:8081/posts"))
        );
        assert_eq!(
            parse("https://example.com/"),
            Ok(url("https://example.com/"))
        );
        assert!(parse("  ").is_err());
        assert!(parse_address(None, "/x").is_err());
    }
}
