//! The formats, on the fixture report: the text a terminal shows, and both diagrams — the
//! PlantUML one rendered by PlantUML itself.

use super::fixture::{self, FAIL_REASON, SKIP_REASON};
use super::{Text, mermaid, plantuml};
use crate::flow::report::{Report, Verdict};

#[path = "../../../tests/support/plantuml.rs"]
mod render;
use render::{render_svg, svg_texts};

const PARTICIPANTS: [&str; 5] = ["Browser", "Store", "Forums", "FusionAuth", "Hacker"];

/// Each step's text, as the runner prints them one after the other.
fn texts(report: &Report, color: bool) -> Vec<String> {
    let mut text = Text::new(color);
    (report.steps.iter())
        .map(|step| text.section_and_step(step))
        .collect()
}

fn numbers(report: &Report) -> Vec<u8> {
    report.steps.iter().map(|step| step.number).collect()
}

/// The `N` of every label that starts with `N. `, in order.
fn labelled_steps<'a>(labels: impl Iterator<Item = &'a str>) -> Vec<u8> {
    labels
        .filter_map(|label| {
            let (number, _) = label.split_once(". ")?;
            number.parse().ok()
        })
        .collect()
}

/// The labels of a diagram's source: what follows the first `: ` of each line.
fn source_labels(diagram: &str) -> impl Iterator<Item = &str> {
    diagram
        .lines()
        .filter_map(|line| line.split_once(": ").map(|(_, label)| label))
}

fn position(haystack: &str, needle: &str) -> usize {
    haystack
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} missing from:\n{haystack}"))
}

fn assert_in_order(haystack: &str, needles: &[&str]) {
    let positions: Vec<usize> = needles.iter().map(|n| position(haystack, n)).collect();
    assert!(
        positions.is_sorted(),
        "{needles:?} out of order ({positions:?}) in:\n{haystack}"
    );
}

#[test]
fn text_heads_each_section_once_and_prints_a_shared_exchange_under_its_first_step() {
    let texts = texts(&fixture::report(), false);
    assert!(
        texts[0]
            .starts_with("── Login ──\n 1 PASS  GET / on Store: 200, a link to the login page\n"),
        "{}",
        texts[0]
    );
    assert!(!texts[1].contains("──"), "{}", texts[1]);
    assert_in_order(
        &texts[2],
        &[
            " 3 PASS  POST /login, form-encoded, to Store\n",
            "\n         → POST http://store.localhost:8080/login\n",
            "\n           Cookie: store_csrf=#0a1b2c3d\n",
            "\n           Form: loginId=alice@example.com, password=••••••••\n",
            "\n           ↳ FusionAuth: POST /api/login 200 (12.4 ms)\n",
            "\n         ← 303 Location: /shopping-cart (16.0 ms)\n",
            "\n           Set-Cookie: store_session=#3fa2c1d0; HttpOnly; SameSite=Lax;",
            "\n         · form-encoded\n",
        ],
    );
    assert_eq!(
        texts[3],
        " 4 PASS  Store calls FusionAuth POST /api/login\n         \
         ↑ POST /login: shown under step 3\n"
    );
    assert!(
        texts[7].starts_with("\n── Session load ──\n 8 PASS  "),
        "{}",
        texts[7]
    );
}

#[test]
fn text_gives_the_reason_of_a_fail_and_of_a_skip() {
    let texts = texts(&fixture::report(), false);
    assert!(texts[5].starts_with(" 6 SKIP  "), "{}", texts[5]);
    assert!(texts[5].ends_with(&format!("\n         skipped: {SKIP_REASON}\n")));
    assert!(texts[8].starts_with(" 9 FAIL  "), "{}", texts[8]);
    assert!(texts[8].ends_with(&format!("\n         reason: {FAIL_REASON}\n")));
}

#[test]
fn text_fits_a_100_column_terminal() {
    let mut report = fixture::report();
    let url = format!("{}/{}", fixture::STORE, "x".repeat(150));
    report.steps[9].exchanges[0].url = url.clone();
    let all = texts(&report, false).concat();
    for line in all.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line:?}");
    }
    // A long Set-Cookie goes on, indented under itself.
    assert!(
        all.contains(
            "; Max-Age=1800;\n             \
             Expires=Thu, 01 Jan 2026 00:30:00 GMT; Comment=a-deliberately-long-one\n"
        ),
        "{all}"
    );
    // A word longer than a line is cut where the line ends (89 columns here, 11 to 100).
    let (first, second, third) = (&url[..83], &url[83..172], &url[172..]);
    let pad = " ".repeat(11);
    let continued = format!("\n         → GET {first}\n{pad}{second}\n{pad}{third}\n");
    assert!(all.contains(&continued), "{all}");
}

#[test]
fn text_colours_the_verdicts_only_when_asked() {
    let colored = texts(&fixture::report(), true).concat();
    for painted in [
        "\x1b[32mPASS\x1b[0m",
        "\x1b[31mFAIL\x1b[0m",
        "\x1b[33mSKIP\x1b[0m",
    ] {
        assert!(colored.contains(painted), "{painted:?} missing");
    }
    assert!(colored.contains("\n 9 \x1b[31mFAIL\x1b[0m  the User from the session"));
    assert!(!texts(&fixture::report(), false).concat().contains('\x1b'));
}

#[test]
fn summary_counts_the_verdicts_and_splits_the_time() {
    assert_eq!(
        Text::new(true).summary(&fixture::report()),
        "\n8 passed, 1 failed, 1 skipped in 2.35 s \
         (waited 2.00 s, FusionAuth 12.4 ms, active 332.6 ms)\n"
    );
}

#[test]
fn plantuml_draws_the_run_as_the_article_does() {
    let expected = r#"@startuml
actor Browser
participant Store
participant Forums
participant FusionAuth
actor Hacker
== Login ==
Browser -> Store: 1. GET /
Store --> Browser: 200
Browser -> Store: 2. GET /login
Store --> Browser: 200, sets store_csrf (HttpOnly)
Browser -> Store: 3. POST /login [store_csrf]
Store -> FusionAuth: 4. POST /api/login
FusionAuth --> Store: 5. 200 (12.4 ms)
note over Store: 6. Store creates a server-side session holding the User [SKIP: not observable from outside: the session store is Store's]
Store --> Browser: 7. 303 → /shopping-cart, sets store_session (HttpOnly)
== Session load ==
Browser -> Store: 8. GET /shopping-cart [store_session]
Store --> Browser: 9. 200 [FAIL: no cart table; expected #cart <U+003C>table> with 2 rows]
== Stolen session id ==
Hacker -> Store: 18. GET /shopping-cart [store_session]
Store --> Hacker: 200
@enduml
"#;
    assert_eq!(plantuml(&fixture::report()), expected);
}

#[test]
fn mermaid_draws_the_same_with_its_own_escapes() {
    let expected = "sequenceDiagram
    participant Browser
    participant Store
    participant Forums
    participant FusionAuth
    participant Hacker
    Note over Browser,Hacker: Login
    Browser->>Store: 1. GET /
    Store-->>Browser: 200
    Browser->>Store: 2. GET /login
    Store-->>Browser: 200, sets store_csrf (HttpOnly)
    Browser->>Store: 3. POST /login [store_csrf]
    Store->>FusionAuth: 4. POST /api/login
    FusionAuth-->>Store: 5. 200 (12.4 ms)
    Note over Store: 6. Store creates a server-side session holding the User [SKIP: not observable from outside: the session store is Store's]
    Store-->>Browser: 7. 303 → /shopping-cart, sets store_session (HttpOnly)
    Note over Browser,Hacker: Session load
    Browser->>Store: 8. GET /shopping-cart [store_session]
    Store-->>Browser: 9. 200 [FAIL: no cart table#59; expected #35;cart #lt;table#gt; with 2 rows]
    Note over Browser,Hacker: Stolen session id
    Hacker->>Store: 18. GET /shopping-cart [store_session]
    Store-->>Hacker: 200
";
    assert_eq!(mermaid(&fixture::report()), expected);
}

#[test]
fn both_diagrams_declare_the_participants_in_order_and_label_each_step_once_in_order() {
    let report = fixture::report();
    for (diagram, first, last) in [
        (plantuml(&report), "@startuml\n", "\n@enduml\n"),
        (mermaid(&report), "sequenceDiagram\n", "\n"),
    ] {
        assert!(diagram.starts_with(first) && diagram.ends_with(last));
        let declared: Vec<&str> = (diagram.lines())
            .filter_map(|line| {
                let line = line.trim_start();
                let name =
                    (line.strip_prefix("participant ")).or_else(|| line.strip_prefix("actor "))?;
                Some(name)
            })
            .collect();
        assert_eq!(declared, PARTICIPANTS);
        assert_eq!(labelled_steps(source_labels(&diagram)), numbers(&report));
    }
}

#[test]
fn a_fusionauth_step_without_server_timing_is_a_note_that_says_so() {
    let mut report = fixture::report();
    for step in &mut report.steps {
        for exchange in &mut step.exchanges {
            exchange.fusionauth.clear();
        }
    }
    let diagram = plantuml(&report);
    assert_in_order(
        &diagram,
        &[
            "\nBrowser -> Store: 3. POST /login [store_csrf]\n",
            "\nnote over Store, FusionAuth: 4. not observable (no Server-Timing)\n",
            "\nnote over Store, FusionAuth: 5. not observable (no Server-Timing)\n",
            "\nnote over Store: 6. ",
            "\nStore --> Browser: 7. 303",
        ],
    );
    assert_eq!(labelled_steps(source_labels(&diagram)), numbers(&report));
}

#[test]
fn parts_no_step_draws_follow_the_last_step_that_names_their_exchange() {
    let mut report = fixture::report();
    report
        .steps
        .retain(|step| ![4, 5, 6, 7].contains(&step.number));
    assert_in_order(
        &plantuml(&report),
        &[
            "\nBrowser -> Store: 3. POST /login [store_csrf]\n",
            "\nStore -> FusionAuth: POST /api/login\n",
            "\nFusionAuth --> Store: 200 (12.4 ms)\n",
            "\nStore --> Browser: 303 → /shopping-cart, sets store_session (HttpOnly)\n",
            "\n== Session load ==\n",
        ],
    );
}

#[test]
fn parts_a_step_skips_over_are_drawn_first_unlabelled() {
    // As step 14 does on the Forums: one Request step for `GET /login` and `POST /login`.
    let mut report = fixture::report();
    let form = report.steps.remove(1).exchanges;
    report.steps[1].exchanges.splice(0..0, form);
    assert_in_order(
        &plantuml(&report),
        &[
            "\nBrowser -> Store: 3. GET /login\n",
            "\nStore --> Browser: 200, sets store_csrf (HttpOnly)\n",
            "\nBrowser -> Store: POST /login [store_csrf]\n",
            "\nStore -> FusionAuth: 4. POST /api/login\n",
        ],
    );
}

#[test]
fn a_step_with_nothing_left_to_draw_is_a_note_over_its_site() {
    let mut report = fixture::report();
    let cart = report.steps[7].exchanges.clone();
    report.steps[9].exchanges = cart;
    let diagram = mermaid(&report);
    assert!(
        diagram.ends_with(
            "\n    Note over Store: 18. a hacker replays Store's stolen session id: \
             Store returns the cart\n"
        ),
        "{diagram}"
    );
    assert_eq!(labelled_steps(source_labels(&diagram)), numbers(&report));
}

/// What PlantUML and mermaid read as markup, in a label that must show as written.
const MARKUP: &str = r#"a//b **c** __d__ --e-- ""f"" [[g]] ~h~ <b>i</b> &#65; \n"#;

#[test]
fn mermaid_labels_hold_no_raw_separator_or_entity() {
    let mut report = fixture::report();
    report.steps[8].verdict = Verdict::Fail(format!("x;y {MARKUP}"));
    let diagram = mermaid(&report);
    for label in source_labels(&diagram) {
        let mut rest = label;
        // Every `#` opens an entity code that a `;` closes, and no other `;` is left.
        while let Some(start) = rest.find(['#', ';', '<', '>']) {
            assert_eq!(&rest[start..start + 1], "#", "raw syntax in {label:?}");
            let end = rest[start..].find(';').expect("an entity code's ;") + start;
            let code = &rest[start + 1..end];
            assert!(!code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric()));
            rest = &rest[end + 1..];
        }
    }
}

#[test]
fn plantuml_renders_the_participants_and_every_step_in_order() {
    let mut report = fixture::report();
    report.steps[8].verdict = Verdict::Fail(MARKUP.to_owned());
    let texts = svg_texts(&render_svg(&plantuml(&report)));

    let firsts: Vec<usize> = (PARTICIPANTS.iter())
        .map(|name| texts.iter().position(|t| t == name).expect(name))
        .collect();
    assert!(firsts.is_sorted(), "participants out of order: {texts:?}");
    assert_eq!(
        labelled_steps(texts.iter().map(String::as_str)),
        numbers(&report),
        "{texts:?}"
    );
    // Markup shows as written, on one line.
    assert!(
        texts.contains(&format!("9. 200 [FAIL: {MARKUP}]")),
        "{texts:#?}"
    );
    assert!(texts.contains(&"7. 303 → /shopping-cart, sets store_session (HttpOnly)".to_owned()));
}
