//! How PlantUML and mermaid write a sequence diagram's [`Element`]s, and how each keeps a label
//! from being read as its own syntax.

use super::sequence::{Element, Party};

/// A sequence-diagram language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dialect {
    /// PlantUML (checked against 1.2020.2, Debian's).
    PlantUml,
    /// mermaid's `sequenceDiagram`.
    Mermaid,
}

impl Dialect {
    /// The whole diagram: header, the participants in the article's order, the elements, and
    /// the footer; one statement a line.
    pub(super) fn render(self, elements: &[Element]) -> String {
        let mut lines = vec![self.header().to_owned()];
        lines.extend(Party::ALL.into_iter().map(|party| self.participant(party)));
        lines.extend(elements.iter().map(|element| self.element(element)));
        lines.extend(self.footer().map(str::to_owned));
        lines.join("\n") + "\n"
    }

    fn header(self) -> &'static str {
        match self {
            Self::PlantUml => "@startuml",
            Self::Mermaid => "sequenceDiagram",
        }
    }

    fn footer(self) -> Option<&'static str> {
        match self {
            Self::PlantUml => Some("@enduml"),
            Self::Mermaid => None,
        }
    }

    fn participant(self, party: Party) -> String {
        match self {
            Self::PlantUml if party.is_person() => format!("actor {}", party.name()),
            Self::PlantUml => format!("participant {}", party.name()),
            Self::Mermaid => format!("    participant {}", party.name()),
        }
    }

    fn element(self, element: &Element) -> String {
        match element {
            Element::Divider(title) => self.divider(title),
            Element::Message {
                from,
                to,
                reply,
                label,
            } => self.message(*from, *to, *reply, label),
            Element::Note { first, last, text } => self.note(*first, *last, text),
        }
    }

    /// A section's title across the whole diagram.
    fn divider(self, title: &str) -> String {
        let title = self.escape(title);
        match self {
            Self::PlantUml => format!("== {title} =="),
            Self::Mermaid => format!("    Note over Browser,Hacker: {title}"),
        }
    }

    fn message(self, from: Party, to: Party, reply: bool, label: &str) -> String {
        let (from, to, label) = (from.name(), to.name(), self.escape(label));
        match (self, reply) {
            (Self::PlantUml, false) => format!("{from} -> {to}: {label}"),
            (Self::PlantUml, true) => format!("{from} --> {to}: {label}"),
            (Self::Mermaid, false) => format!("    {from}->>{to}: {label}"),
            (Self::Mermaid, true) => format!("    {from}-->>{to}: {label}"),
        }
    }

    fn note(self, first: Party, last: Party, text: &str) -> String {
        let text = self.escape(text);
        let over = match (self, first == last) {
            (_, true) => first.name().to_owned(),
            (Self::PlantUml, false) => format!("{}, {}", first.name(), last.name()),
            (Self::Mermaid, false) => format!("{},{}", first.name(), last.name()),
        };
        match self {
            Self::PlantUml => format!("note over {over}: {text}"),
            Self::Mermaid => format!("    Note over {over}: {text}"),
        }
    }

    /// `text` on one line, shown as written.
    fn escape(self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let c = if c.is_control() { ' ' } else { c };
            match self {
                Self::PlantUml => plantuml_char(c, chars.peek() == Some(&c), &mut out),
                Self::Mermaid => mermaid_char(c, &mut out),
            }
        }
        out
    }
}

/// PlantUML reads creole in labels: doubled `/ * _ - " [ ]` open markup (`//italic//`,
/// `[[link]]`…) unless the first is escaped with `~`; `<` opens HTML-like tags and `<U+…>`
/// codes, `&` entities, `~` escapes and wavy underlines, `\n` a line break. Those become
/// `<U+…>` codes (which PlantUML turns back into the character) or `\\`.
fn plantuml_char(c: char, doubled: bool, out: &mut String) {
    match c {
        '<' | '&' | '~' => out.push_str(&format!("<U+{:04X}>", u32::from(c))),
        '\\' => out.push_str("\\\\"),
        '/' | '*' | '_' | '-' | '"' | '[' | ']' if doubled => {
            out.push('~');
            out.push(c);
        }
        _ => out.push(c),
    }
}

/// mermaid ends a message at `;` and reads `#…;` as an entity code, and its labels are HTML:
/// those characters become entity codes, which mermaid turns back into the character.
fn mermaid_char(c: char, out: &mut String) {
    match c {
        '#' => out.push_str("#35;"),
        ';' => out.push_str("#59;"),
        '<' => out.push_str("#lt;"),
        '>' => out.push_str("#gt;"),
        '&' => out.push_str("#amp;"),
        _ => out.push(c),
    }
}
