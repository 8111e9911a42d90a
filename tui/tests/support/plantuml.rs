//! Rendering PlantUML to SVG with the real `plantuml` (CI installs it) and reading the SVG's
//! texts back: shared by the diagram unit tests (`tui/src/flow/format/tests.rs`) and the
//! end-to-end test of `tui flow --format plantuml` (`tui/tests/flow.rs`).

use std::io::Write as _;
use std::process::{Command, Stdio};

/// Renders `source` with PlantUML (`plantuml -tsvg -pipe`); CI installs it.
pub fn render_svg(source: &str) -> String {
    let mut child = Command::new("plantuml")
        .args(["-tsvg", "-pipe"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run plantuml ({error}): install it (`apt-get install plantuml`, as CI \
                 does) to check the diagram renders"
            )
        });
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin
        .write_all(source.as_bytes())
        .expect("writing to plantuml");
    drop(stdin);
    let output = child.wait_with_output().expect("plantuml's output");
    let svg = String::from_utf8(output.stdout).expect("UTF-8 SVG");
    assert!(
        output.status.success() && svg.contains("<svg") && !svg.contains("Syntax Error"),
        "plantuml failed ({}): {}\n{svg}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    svg
}

/// The text of each `<text>` element of an SVG, XML entities decoded.
pub fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|element| {
            let (_, rest) = element.split_once('>')?;
            let (text, _) = rest.split_once("</text>")?;
            Some(
                text.replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&#39;", "'")
                    .replace("&amp;", "&"),
            )
        })
        .collect()
}
