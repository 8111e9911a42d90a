//! The house rules of docs/architecture.md, checked on the workspace's own source so that they
//! keep holding: no import circles between sibling modules, each layer calls only the layers
//! below it, no source file grows past 600 lines, every module says what it is for, and nothing
//! in the repository points at documents outside it.
//!
//! The source is read with `syn` (module by module, from each crate's root, leaving out
//! `#[cfg(test)]` code); every `use` and every path in the code counts as a dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// The workspace's root directory.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the e2e crate sits in the workspace")
        .to_path_buf()
}

/// A module path inside one crate, e.g. `["web", "guard"]`; the crate root is `[]`.
type ModPath = Vec<String>;

/// One module of a crate: where it is written, and every path it names, made absolute within
/// the crate (`crate::…`, `super::…` and `self::…` resolved). Any other path (another crate's,
/// a local variable, a name brought in by `use`) is kept as written behind an empty first
/// segment, so `reqwest::Client` is `["", "reqwest", "Client"]` and never taken for a module of
/// this crate; rules name them as `::reqwest`.
#[derive(Debug)]
struct Module {
    path: ModPath,
    file: PathBuf,
    uses: Vec<ModPath>,
}

/// Every non-test module of the crate whose root file is `root` (`src/lib.rs` or `src/main.rs`).
fn read_crate(root: &Path) -> Vec<Module> {
    let mut modules = Vec::new();
    let file = parse(root);
    let dir = root.parent().unwrap().to_path_buf();
    collect(&file.items, Vec::new(), root, &dir, &mut modules);
    modules
}

fn parse(file: &Path) -> syn::File {
    let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// True for `#[cfg(test)]` (and any `cfg` that names `test`): code that only tests compile.
fn test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && matches!(&attr.meta, syn::Meta::List(list)
                if list.tokens.to_string().split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|word| word == "test"))
    })
}

/// Adds the module at `path` (its `items`, written in `file`) and its child modules; `dir` is
/// where the files of its `mod child;` declarations live.
fn collect(items: &[syn::Item], path: ModPath, file: &Path, dir: &Path, modules: &mut Vec<Module>) {
    let mut names = Names {
        here: &path,
        uses: Vec::new(),
    };
    for item in items {
        match item {
            syn::Item::Mod(_) => {}
            item if test_only(item_attrs(item)) => {}
            item => names.visit_item(item),
        }
    }
    modules.push(Module {
        path: path.clone(),
        file: file.to_path_buf(),
        uses: names.uses,
    });
    for item in items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if test_only(&module.attrs) {
            continue;
        }
        let name = module.ident.to_string();
        let mut child = path.clone();
        child.push(name.clone());
        match &module.content {
            Some((_, inner)) => collect(inner, child, file, &dir.join(&name), modules),
            None => {
                let flat = dir.join(format!("{name}.rs"));
                let (child_file, child_dir) = if flat.exists() {
                    (flat, dir.join(&name))
                } else {
                    let nested = dir.join(&name).join("mod.rs");
                    assert!(nested.exists(), "no file for `mod {name};` in {dir:?}");
                    (nested, dir.join(&name))
                };
                let parsed = parse(&child_file);
                collect(&parsed.items, child, &child_file, &child_dir, modules);
            }
        }
    }
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// Gathers the paths one module names.
struct Names<'a> {
    here: &'a ModPath,
    uses: Vec<ModPath>,
}

impl Names<'_> {
    /// Makes `segments` absolute within the crate where it starts with `crate`, `super` or
    /// `self`; anything else is kept as written, behind an empty first segment.
    fn add(&mut self, segments: Vec<String>) {
        let mut base: ModPath = self.here.clone();
        let mut rest = segments.as_slice();
        match rest.first().map(String::as_str) {
            Some("crate") => {
                base.clear();
                rest = &rest[1..];
            }
            Some("self") => rest = &rest[1..],
            Some("super") => {
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop();
                    rest = &rest[1..];
                }
            }
            _ => {
                let mut outside = vec![String::new()];
                outside.extend(segments);
                self.uses.push(outside);
                return;
            }
        }
        base.extend(rest.iter().cloned());
        self.uses.push(base);
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut path = prefix.clone();
                if n.ident != "self" {
                    path.push(n.ident.to_string());
                }
                self.add(path);
            }
            syn::UseTree::Rename(r) => {
                let mut path = prefix.clone();
                path.push(r.ident.to_string());
                self.add(path);
            }
            syn::UseTree::Glob(_) => self.add(prefix.clone()),
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Names<'_> {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.add(segments);
        syn::visit::visit_path(self, path);
    }

    // Test-only code inside a module (a `#[cfg(test)]` impl block or function) is not the
    // module's dependency either.
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if !test_only(item_attrs(item)) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if !test_only(&item.attrs) {
            syn::visit::visit_impl_item_fn(self, item);
        }
    }
}

/// Where `from` depends on a sibling (a module beside it or beside one of its ancestors): the
/// two siblings, e.g. `web::guard` naming `web::logout::x` is `(web::guard, web::logout)`.
fn sibling_edge(from: &ModPath, to: &ModPath) -> Option<(String, String)> {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    (common < from.len() && common < to.len())
        .then(|| (from[..=common].join("::"), to[..=common].join("::")))
}

/// Every set of sibling modules that import each other in a circle, with the lines that close it.
fn circles(modules: &[Module]) -> Vec<String> {
    let known: BTreeSet<ModPath> = modules.iter().map(|m| m.path.clone()).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut why: BTreeMap<(String, String), String> = BTreeMap::new();
    for module in modules {
        for used in &module.uses {
            // Only paths into this crate's own modules count (not `std::…`, not a local name).
            if !known.iter().any(|m| !m.is_empty() && used.starts_with(m)) {
                continue;
            }
            if let Some((a, b)) = sibling_edge(&module.path, used) {
                why.entry((a.clone(), b.clone())).or_insert_with(|| {
                    format!("{} names {}", module.file.display(), used.join("::"))
                });
                edges.entry(a).or_default().insert(b);
            }
        }
    }
    strongly_connected(&edges)
        .into_iter()
        .map(|set| {
            let lines: Vec<&String> = why
                .iter()
                .filter(|((a, b), _)| set.contains(a) && set.contains(b))
                .map(|(_, line)| line)
                .collect();
            format!("{set:?}: {lines:#?}")
        })
        .collect()
}

/// Tarjan's algorithm: the sets of two or more nodes that reach each other.
fn strongly_connected(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<BTreeSet<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let at = self.index.len();
            self.index.insert(node, at);
            self.low.insert(node, at);
            self.stack.push(node);
            for next in self.edges.get(node).into_iter().flatten() {
                if !self.index.contains_key(next.as_str()) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next.as_str()]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&next.as_str()) {
                    let low = self.low[node].min(self.index[next.as_str()]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut set = BTreeSet::new();
                while let Some(top) = self.stack.pop() {
                    set.insert(top.to_owned());
                    if top == node {
                        break;
                    }
                }
                if set.len() > 1 {
                    self.found.push(set);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}

/// The crates whose modules are checked, by their root file.
const CRATE_ROOTS: [&str; 5] = [
    "backend/src/lib.rs",
    "tui/src/lib.rs",
    "shared/src/lib.rs",
    "tests/src/lib.rs",
    "tui/src/main.rs",
];

#[test]
fn no_module_imports_a_sibling_that_imports_it_back() {
    let mut found = Vec::new();
    for root in CRATE_ROOTS {
        for circle in circles(&read_crate(&workspace().join(root))) {
            found.push(format!("{root}: {circle}"));
        }
    }
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

/// Every place where a module under `from` names a module under one of `forbidden` (both
/// written as `a::b` prefixes; another crate as `::name`).
fn violations(modules: &[Module], from: &[&str], forbidden: &[&str]) -> Vec<String> {
    let under = |path: &ModPath, prefix: &str| {
        let prefix: Vec<&str> = prefix.split("::").collect();
        path.len() >= prefix.len() && path.iter().zip(&prefix).all(|(a, b)| a == b)
    };
    let mut found = Vec::new();
    for module in modules
        .iter()
        .filter(|m| from.iter().any(|f| under(&m.path, f)))
    {
        for used in &module.uses {
            if let Some(bad) = forbidden.iter().find(|f| under(used, f)) {
                found.push(format!(
                    "{} ({}) names {} (under {bad})",
                    module.file.display(),
                    module.path.join("::"),
                    used.join("::")
                ));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// A layer rule: modules under these prefixes, the prefixes they must not name, and why.
type Rule<'a> = (&'a [&'a str], &'a [&'a str], &'a str);

/// Fails with every place that breaks one of `rules`, each with the rule's reason.
fn assert_rules(modules: &[Module], rules: &[Rule]) {
    let found: Vec<String> = rules
        .iter()
        .flat_map(|(from, forbidden, why)| {
            violations(modules, from, forbidden)
                .into_iter()
                .map(move |line| format!("{line}: {why}"))
        })
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_backend_layers_call_only_downwards() {
    let backend = read_crate(&workspace().join("backend/src/lib.rs"));
    let parts = ["web", "identity", "session", "data", "fusionauth"];
    let blocks = [
        "clock",
        "random",
        "db",
        "cache",
        "redis",
        "server",
        "telemetry",
    ];
    let below_the_stack: Vec<&str> = parts.iter().chain(&blocks).copied().collect();
    let rules: [Rule; 5] = [
        (
            &["web"],
            &["identity"],
            "the apps reach FusionAuth only through the fusionauth client, over HTTP, so a real \
             FusionAuth drops in",
        ),
        (
            &["identity"],
            &["web", "session", "data"],
            "the identity server is FusionAuth's stand-in: it knows nothing of the apps",
        ),
        (
            &["fusionauth", "session", "data"],
            &["web", "identity"],
            "the client, sessions and data serve the web apps and never call up into them",
        ),
        (
            &blocks,
            &parts,
            "the building blocks know none of the parts built on them",
        ),
        (
            &below_the_stack,
            &["stack", "cli"],
            "only the command line starts the stack, and nothing reads the command line",
        ),
    ];
    assert_rules(&backend, &rules);
}

#[test]
fn the_tui_engine_knows_no_ui_the_ui_no_http_and_the_backend_only_as_the_embedded_stack() {
    let tui = read_crate(&workspace().join("tui/src/lib.rs"));
    let rules: [Rule; 4] = [
        (
            &["engine"],
            &["app", "ui", "flow", "runtime", "::ratatui", "::crossterm"],
            "the browser engine knows no UI, so `tui flow` and the TUI share it",
        ),
        (
            &["ui"],
            &["runtime", "::reqwest", "engine::browser", "engine::Browser"],
            "drawing knows no HTTP",
        ),
        (
            &["app"],
            &[
                "ui",
                "runtime",
                "::reqwest",
                "engine::browser",
                "engine::Browser",
            ],
            "the app changes state and asks for effects; the runtime performs them",
        ),
        (
            &["app", "ui", "engine", "flow", "runtime"],
            &[
                "::backend::cli",
                "::backend::web",
                "::backend::identity",
                "::backend::session",
                "::backend::fusionauth",
                "::backend::data",
            ],
            "the TUI starts the embedded stack through backend::stack and then talks HTTP to it",
        ),
    ];
    assert_rules(&tui, &rules);
}

#[test]
fn shared_depends_on_neither_side() {
    let manifest = fs::read_to_string(workspace().join("shared/Cargo.toml")).unwrap();
    for side in ["backend", "tui", "axum", "ratatui", "reqwest", "tokio"] {
        assert!(
            !manifest
                .lines()
                .any(|line| line.trim_start().starts_with(&format!("{side} "))
                    || line.trim_start().starts_with(&format!("{side}."))),
            "shared/Cargo.toml depends on {side}"
        );
    }
}

/// The workspace's source files outside tests, benches and examples: what a reader of the
/// product opens.
fn product_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for krate in ["backend", "tui", "shared", "tests"] {
        walk(&workspace().join(krate).join("src"), &mut files);
    }
    files.retain(|file| {
        let name = file.to_string_lossy();
        !name.contains("/tests/") && !name.ends_with("tests.rs") && name.ends_with(".rs")
    });
    files
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files);
        } else {
            files.push(path);
        }
    }
}

#[test]
fn no_source_file_is_longer_than_600_lines_before_its_tests() {
    let mut long = Vec::new();
    for file in product_sources() {
        let text = fs::read_to_string(&file).unwrap();
        let lines = text
            .lines()
            .take_while(|line| !line.starts_with("#[cfg(test)]"))
            .count();
        if lines > 600 {
            long.push(format!("{} ({lines} lines)", file.display()));
        }
    }
    assert!(long.is_empty(), "split by what they hold: {long:#?}");
}

#[test]
fn every_module_begins_by_saying_what_it_is_for() {
    let mut bare = Vec::new();
    for file in product_sources() {
        let text = fs::read_to_string(&file).unwrap();
        let first = text.lines().next().unwrap_or_default();
        let words = first.trim_start_matches("//!").split_whitespace().count();
        if !first.starts_with("//!") || words < 2 {
            bare.push(format!("{}: {first:?}", file.display()));
        }
    }
    assert!(bare.is_empty(), "no `//!` module doc: {bare:#?}");
}

#[test]
fn nothing_in_the_repository_points_at_documents_outside_it() {
    // Built at run time so that this file does not name what it looks for.
    let beside = format!("..{}shared{}", '/', '/');
    let outside_docs: Vec<String> = ["FLOW", "SECURITY", "FUSIONAUTH", "SCENARIOS", "STYLE"]
        .iter()
        .map(|name| format!("{name}.{}", "md"))
        .collect();
    let mut files = Vec::new();
    for top in ["backend", "tui", "shared", "tests", "docs", "bench"] {
        walk(&workspace().join(top), &mut files);
    }
    for top in ["README.md", "BENCHMARKS.md", "Cargo.toml"] {
        files.push(workspace().join(top));
    }
    let mut found = Vec::new();
    for file in files {
        // Text files only; anything unreadable as UTF-8 (none today) is not prose.
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        for (number, line) in text.lines().enumerate() {
            if line.contains(&beside) || outside_docs.iter().any(|doc| line.contains(doc)) {
                found.push(format!("{}:{}: {line}", file.display(), number + 1));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_checker_sees_a_circle_and_a_layer_break_when_there_is_one() {
    // The rules above pass on the workspace; this shows they would fail on a bad one.
    let module = |path: &[&str], uses: &[&[&str]]| Module {
        path: path.iter().map(|s| s.to_string()).collect(),
        file: PathBuf::from(path.join("/")),
        uses: uses
            .iter()
            .map(|u| u.iter().map(|s| s.to_string()).collect())
            .collect(),
    };
    let modules = [
        module(&[], &[]),
        module(&["web"], &[]),
        module(&["web", "guard"], &[&["web", "revalidate", "revalidate"]]),
        module(&["web", "revalidate"], &[&["web", "logout", "revoke"]]),
        module(&["web", "logout"], &[&["web", "guard", "check_form"]]),
        module(&["identity"], &[&["web", "Site"]]),
        // A local variable that happens to share a module's name is not that module.
        module(&["session"], &[&["", "web"]]),
    ];
    let found = circles(&modules);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("web::guard") && found[0].contains("web::logout"));
    assert_eq!(violations(&modules, &["identity"], &["web"]).len(), 1);
    assert!(violations(&modules, &["web"], &["identity"]).is_empty());
    assert!(violations(&modules, &["session"], &["web"]).is_empty());
}
