//! Parser tests: the shapes our templates serve (`backend/templates`), then generic HTML the
//! parser must render just as well.

use super::*;
use crate::engine::model::{Field, FieldKind, Form, Method, Table};

const STORE: &str = "http://store.localhost:8080";

fn url(path: &str) -> Url {
    Url::parse(&format!("{STORE}{path}")).unwrap()
}

/// `base.html` around `content`, logged out or as Alice.
fn layout(title: &str, logged_in: bool, content: &str) -> String {
    let user = if logged_in {
        r#"<a href="/shopping-cart">Shopping cart</a>
  <span>Signed in as <strong>Alice Shopper</strong></span>
  <form method="post" action="/logout">
    <input type="hidden" name="csrf_token" value="tok123">
    <button type="submit">Log out</button>
  </form>"#
    } else {
        r#"<a href="/login">Log in</a>"#
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>{title} · Store</title>
<style>body {{ font-family: system-ui; }} .alert {{ padding: .6rem; }}</style>
</head>
<body>
<header>
  <a class="site" href="/">Store</a>
  {user}
</header>
<main>
{content}
</main>
</body>
</html>"#
    )
}

fn login_page() -> String {
    layout(
        "Log in",
        false,
        r#"<h1>Log in to Store</h1>
<p class="notice" role="status">You have been logged out.</p>
<p class="alert" role="alert">Invalid login or account unavailable.</p>
<form method="post" action="/login">
  <input type="hidden" name="csrf_token" value="tok123">
  <input type="hidden" name="next" value="/shopping-cart?x=1&amp;y=2">
  <label for="loginId">Email or username</label>
  <input type="text" id="loginId" name="loginId" value="" autocomplete="username" required autofocus>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password" required>
  <p><button type="submit">Log in</button></p>
</form>"#,
    )
}

fn cart_page() -> String {
    let row = |name: &str, sku: &str, qty: u32, price: &str, total: &str| {
        format!(
            r#"<tr>
    <td>{name}</td><td>{sku}</td><td class="num">{qty}</td>
    <td class="num">{price}</td><td class="num">{total}</td>
    <td>
      <form method="post" action="/shopping-cart/remove">
        <input type="hidden" name="csrf_token" value="tok123">
        <input type="hidden" name="sku" value="{sku}">
        <button type="submit">Remove {sku}</button>
      </form>
    </td>
  </tr>"#
        )
    };
    layout(
        "Shopping cart",
        true,
        &format!(
            r#"<h1>Shopping cart</h1>
<table>
  <thead><tr><th>Item</th><th>SKU</th><th class="num">Quantity</th><th class="num">Price</th><th class="num">Total</th><th></th></tr></thead>
  <tbody>
  {}
  {}
  </tbody>
  <tfoot><tr><th colspan="4">Total</th><th class="num">$43.00</th><th></th></tr></tfoot>
</table>
<h2>Add an item</h2>
<form method="post" action="/shopping-cart/add">
  <input type="hidden" name="csrf_token" value="tok123">
  <label for="sku">Product</label>
  <select id="sku" name="sku">
    <option value="TEA-001">Sencha green tea, 100 g</option>
    <option value="MUG-002">Stoneware mug</option>
  </select>
  <label for="quantity">Quantity</label>
  <input type="number" id="quantity" name="quantity" value="1" min="1" max="99">
  <p><button type="submit">Add to cart</button></p>
</form>"#,
            row("Sencha green tea, 100 g", "TEA-001", 2, "$12.50", "$25.00"),
            row("Stoneware mug", "MUG-002", 1, "$18.00", "$18.00"),
        ),
    )
}

fn heading(level: u8, text: &str) -> Block {
    Block::Heading {
        level,
        text: text.into(),
    }
}

fn paragraph(text: &str, links: &[usize]) -> Block {
    Block::Paragraph {
        text: text.into(),
        links: links.to_vec(),
    }
}

fn field<'p>(form: &'p Form, name: &str) -> &'p Field {
    form.fields
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no field {name} in {form:?}"))
}

#[test]
fn the_login_page_has_its_header_links_alerts_and_form() {
    let page = parse_page(&login_page(), &url("/login?next=%2Fshopping-cart"));
    assert_eq!(page.title, "Log in · Store");
    assert_eq!(
        page.blocks,
        vec![
            Block::Link { link: 0 },
            Block::Link { link: 1 },
            heading(1, "Log in to Store"),
            Block::Alert {
                text: "You have been logged out.".into(),
                error: false,
                id: None
            },
            Block::Alert {
                text: "Invalid login or account unavailable.".into(),
                error: true,
                id: None
            },
            Block::Form { form: 0 },
        ]
    );
    assert_eq!(page.links[0].text, "Store");
    assert_eq!(page.links[0].url, Some(url("/")));
    assert_eq!(page.links[1].text, "Log in");
    assert_eq!(page.links[1].href, "/login");
    assert_eq!(page.links[1].url, Some(url("/login")));

    let form = &page.forms[0];
    assert_eq!(form.method, Method::Post);
    assert_eq!(form.action, url("/login"));
    assert_eq!(form.submit_label, "Log in");
    let names: Vec<&str> = form.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["csrf_token", "next", "loginId", "password"]);
    let csrf = field(form, "csrf_token");
    assert_eq!(
        (csrf.kind, csrf.value.as_str()),
        (FieldKind::Hidden, "tok123")
    );
    assert_eq!(field(form, "next").value, "/shopping-cart?x=1&y=2");
    let login = field(form, "loginId");
    assert_eq!(login.kind, FieldKind::Text);
    assert_eq!(login.label.as_deref(), Some("Email or username"));
    let password = field(form, "password");
    assert_eq!(password.kind, FieldKind::Password);
    assert_eq!(password.label.as_deref(), Some("Password"));

    // Filling it in gives what a browser posts, hidden fields included.
    let mut form = form.clone();
    assert!(form.set("loginId", "alice@example.com"));
    assert!(form.set("password", "password"));
    assert!(!form.set("nope", "x"));
    let request = form.submission();
    assert_eq!(request.method, Method::Post);
    assert_eq!(request.url, url("/login"));
    assert_eq!(
        request.form,
        vec![
            ("csrf_token".into(), "tok123".into()),
            ("next".into(), "/shopping-cart?x=1&y=2".into()),
            ("loginId".into(), "alice@example.com".into()),
            ("password".into(), "password".into()),
        ]
    );
}

#[test]
fn the_cart_table_has_per_row_remove_forms_and_a_footer_total() {
    let page = parse_page(&cart_page(), &url("/shopping-cart"));
    assert_eq!(page.title, "Shopping cart · Store");
    // Header: two links, who is signed in, the logout form.
    assert_eq!(
        page.blocks[..4],
        [
            Block::Link { link: 0 },
            Block::Link { link: 1 },
            paragraph("Signed in as Alice Shopper", &[]),
            Block::Form { form: 0 },
        ]
    );
    let logout = &page.forms[0];
    assert_eq!(
        (logout.action.path(), logout.method),
        ("/logout", Method::Post)
    );
    assert_eq!(logout.submit_label, "Log out");
    assert_eq!(field(logout, "csrf_token").value, "tok123");

    assert_eq!(page.blocks[4], heading(1, "Shopping cart"));
    let Block::Table(table) = &page.blocks[5] else {
        panic!("expected the cart table, got {:?}", page.blocks[5]);
    };
    assert_eq!(
        table.headers,
        ["Item", "SKU", "Quantity", "Price", "Total", ""]
    );
    assert_eq!(table.rows.len(), 2);
    let texts: Vec<Vec<&str>> = table
        .rows
        .iter()
        .map(|row| row.iter().map(|c| c.text.as_str()).collect())
        .collect();
    assert_eq!(
        texts,
        [
            [
                "Sencha green tea, 100 g",
                "TEA-001",
                "2",
                "$12.50",
                "$25.00",
                "Remove TEA-001"
            ],
            [
                "Stoneware mug",
                "MUG-002",
                "1",
                "$18.00",
                "$18.00",
                "Remove MUG-002"
            ],
        ]
    );
    for (row, sku) in table.rows.iter().zip(["TEA-001", "MUG-002"]) {
        let cell = &row[5];
        assert_eq!(cell.forms.len(), 1);
        let remove = &page.forms[cell.forms[0]];
        assert_eq!(remove.action, url("/shopping-cart/remove"));
        assert_eq!(remove.submit_label, format!("Remove {sku}"));
        assert_eq!(field(remove, "sku").value, sku);
        assert_eq!(field(remove, "csrf_token").kind, FieldKind::Hidden);
        assert!(
            row[..5]
                .iter()
                .all(|c| c.forms.is_empty() && c.links.is_empty())
        );
    }
    let footer: Vec<Vec<&str>> = table
        .footer
        .iter()
        .map(|row| row.iter().map(|c| c.text.as_str()).collect())
        .collect();
    assert_eq!(footer, [["Total", "$43.00", ""]]);

    assert_eq!(page.blocks[6], heading(2, "Add an item"));
    assert_eq!(page.blocks[7], Block::Form { form: 3 });
    assert_eq!(page.blocks.len(), 8);
    let add = &page.forms[3];
    assert_eq!(add.submit_label, "Add to cart");
    let sku = field(add, "sku");
    assert_eq!(sku.kind, FieldKind::Select);
    assert_eq!(sku.value, "TEA-001");
    assert_eq!(sku.label.as_deref(), Some("Product"));
    assert_eq!(
        sku.options,
        [
            ("TEA-001".to_owned(), "Sencha green tea, 100 g".to_owned()),
            ("MUG-002".to_owned(), "Stoneware mug".to_owned()),
        ]
    );
    let quantity = field(add, "quantity");
    assert_eq!(
        (quantity.kind, quantity.value.as_str()),
        (FieldKind::Number, "1")
    );
}

#[test]
fn the_posts_list_renders_each_post_as_heading_and_text() {
    let html = layout(
        "Posts",
        true,
        r#"<h1>Forum posts</h1>
<ul>
  <li><article>
    <h2>Which kettle for green tea?</h2>
    <p>by Alice Shopper, <time datetime="2026-01-01T01:00:00Z">2026-01-01T01:00:00Z</time></p>
    <p>I keep burning my sencha.</p>
  </article></li>
  <li><article>
    <h2>Welcome to the forums</h2>
    <p>by Tara Totp, <time>2026-01-01T00:00:00Z</time></p>
    <p>Be kind.</p>
  </article></li>
</ul>
<h2>Write a post</h2>
<form method="post" action="/posts">
  <input type="hidden" name="csrf_token" value="tok">
  <label for="title">Title</label>
  <input type="text" id="title" name="title" value="" maxlength="120" required>
  <label for="body">Text</label>
  <textarea id="body" name="body" rows="4">line one
  line two</textarea>
  <p><button type="submit">Post</button></p>
</form>"#,
    );
    let page = parse_page(
        &html,
        &Url::parse("http://forums.localhost:8081/posts").unwrap(),
    );
    let content: Vec<&Block> = page.blocks.iter().skip(4).collect();
    assert_eq!(
        content,
        [
            &heading(1, "Forum posts"),
            &heading(2, "Which kettle for green tea?"),
            &paragraph("by Alice Shopper, 2026-01-01T01:00:00Z", &[]),
            &paragraph("I keep burning my sencha.", &[]),
            &heading(2, "Welcome to the forums"),
            &paragraph("by Tara Totp, 2026-01-01T00:00:00Z", &[]),
            &paragraph("Be kind.", &[]),
            &heading(2, "Write a post"),
            &Block::Form { form: 1 },
        ]
    );
    let body = field(&page.forms[1], "body");
    assert_eq!(body.kind, FieldKind::TextArea);
    assert_eq!(
        body.value, "line one\n  line two",
        "textarea text is not collapsed"
    );
    assert_eq!(body.label.as_deref(), Some("Text"));
}

#[test]
fn the_logged_out_home_has_a_paragraph_and_a_standalone_link() {
    let html = layout(
        "Home",
        false,
        r#"<h1>Store</h1>
<p>You are not logged in. This site keeps your login in a server-side session:
   the only thing your browser holds is an HttpOnly cookie.</p>
<p><a href="/login">Log in</a></p>"#,
    );
    let page = parse_page(&html, &url("/"));
    assert_eq!(
        page.blocks[2..],
        [
            heading(1, "Store"),
            paragraph(
                "You are not logged in. This site keeps your login in a server-side session: \
                 the only thing your browser holds is an HttpOnly cookie.",
                &[]
            ),
            Block::Link { link: 2 },
        ]
    );
    assert_eq!(
        page.link_by_text("Log in").unwrap().url,
        Some(url("/login"))
    );
}

#[test]
fn links_inside_text_stay_in_their_paragraph() {
    let page = parse_page(
        r#"<p>Read the <a href="/faq">FAQ</a> or <a href="https://example.com/x">ask</a>.</p>"#,
        &url("/"),
    );
    assert_eq!(page.blocks, [paragraph("Read the FAQ or ask.", &[0, 1])]);
    assert_eq!(
        page.links[1].url.as_ref().unwrap().as_str(),
        "https://example.com/x"
    );
}

#[test]
fn nested_divs_and_unknown_tags_are_walked_into() {
    let page = parse_page(
        r#"<div class="a"><div><section><my-card><div>Deep <b>bold</b> text</div>
           <x-y>custom <a href="rel/link">element</a></x-y></my-card></section></div>
           <div><div><p>Another</p>tail</div></div></div>"#,
        &url("/dir/page"),
    );
    assert_eq!(
        page.blocks,
        [
            paragraph("Deep bold text", &[]),
            paragraph("custom element", &[0]),
            paragraph("Another", &[]),
            paragraph("tail", &[]),
        ]
    );
    assert_eq!(page.links[0].url, Some(url("/dir/rel/link")));
}

#[test]
fn lists_of_text_are_list_blocks_and_menus_are_links() {
    let page = parse_page(
        r#"<ol><li>First  step</li><li>Second
           step</li><li> </li></ol>
           <ul><li>Apples</li></ul>
           <nav><ul><li><a href="/a">A</a></li><li><a href="/b">B</a></li></ul></nav>"#,
        &url("/"),
    );
    assert_eq!(
        page.blocks,
        [
            Block::List {
                ordered: true,
                items: vec!["First step".into(), "Second step".into()]
            },
            Block::List {
                ordered: false,
                items: vec!["Apples".into()]
            },
            Block::Link { link: 0 },
            Block::Link { link: 1 },
        ]
    );
}

#[test]
fn a_form_without_action_or_method_gets_the_page_url_and_get() {
    let page = parse_page(
        r#"<form><input name="q" placeholder="Search"><input type="submit"></form>"#,
        &url("/search?old=1"),
    );
    let form = &page.forms[0];
    assert_eq!(form.action, url("/search?old=1"));
    assert_eq!(form.method, Method::Get);
    assert_eq!(form.submit_label, "Submit");
    assert_eq!(field(form, "q").label.as_deref(), Some("Search"));
    let mut form = form.clone();
    form.set("q", "tea");
    let request = form.submission();
    assert_eq!(request.method, Method::Get);
    assert_eq!(request.form, [("q".to_owned(), "tea".to_owned())]);
}

#[test]
fn checkboxes_radios_disabled_fields_and_named_buttons_submit_like_a_browser() {
    let page = parse_page(
        r#"<form method="POST" action="prefs">
             <label><input type="checkbox" name="remember" checked> Remember me</label>
             <input type="checkbox" name="news" value="yes" id="news"><label for="news">News</label>
             <fieldset><legend>Size</legend>
               <label><input type="radio" name="size" value="s"> Small</label>
               <label><input type="radio" name="size" value="l" checked> Large</label>
             </fieldset>
             <input name="gone" value="x" disabled>
             <fieldset disabled><input name="also-gone" value="y"></fieldset>
             <input type="file" name="upload">
             <input name="nameless-value" value="kept">
             <input value="unnamed">
             <button type="button">Not a submit</button>
             <button name="action" value="save">Save</button>
           </form>"#,
        &url("/settings/"),
    );
    let form = &page.forms[0];
    assert_eq!(
        (form.method, form.action.clone()),
        (Method::Post, url("/settings/prefs"))
    );
    assert_eq!(form.submit_label, "Save");
    let remember = field(form, "remember");
    assert_eq!(
        (remember.kind, remember.value.as_str()),
        (FieldKind::Checkbox, "on")
    );
    assert_eq!(remember.label.as_deref(), Some("Remember me"));
    let news = field(form, "news");
    assert_eq!(news.value, "");
    assert_eq!(news.options, [("yes".to_owned(), "yes".to_owned())]);
    assert_eq!(news.label.as_deref(), Some("News"));
    let size = field(form, "size");
    assert_eq!(size.kind, FieldKind::Select);
    assert_eq!(size.value, "l");
    assert_eq!(size.label.as_deref(), Some("Size"));
    assert_eq!(
        size.options,
        [
            ("s".to_owned(), "Small".to_owned()),
            ("l".to_owned(), "Large".to_owned())
        ]
    );
    assert_eq!(
        form.submission().form,
        [
            ("remember".to_owned(), "on".to_owned()),
            ("size".to_owned(), "l".to_owned()),
            ("nameless-value".to_owned(), "kept".to_owned()),
            ("action".to_owned(), "save".to_owned()),
        ]
    );
}

#[test]
fn controls_outside_a_form_join_it_with_the_form_attribute() {
    let page = parse_page(
        r#"<form id="f" action="/go"><input name="inside" value="1"></form>
           <p>Between</p>
           <input form="f" name="outside" value="2">
           <button form="f">Go</button>"#,
        &url("/"),
    );
    let names: Vec<&str> = page.forms[0]
        .fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["inside", "outside"]);
    assert_eq!(page.forms[0].submit_label, "Go");
    assert_eq!(
        page.blocks,
        [Block::Form { form: 0 }, paragraph("Between", &[])]
    );
}

#[test]
fn a_form_keeps_its_own_text_and_links_around_its_block() {
    let page = parse_page(
        r#"<form action="/login" method="post">
             <h2>Sign in</h2>
             <label for="u">User</label><input id="u" name="u">
             <p><button>Go</button></p>
             <p><a href="/forgot">Forgot your password?</a></p>
           </form>"#,
        &url("/"),
    );
    assert_eq!(
        page.blocks,
        [
            heading(2, "Sign in"),
            Block::Form { form: 0 },
            Block::Link { link: 0 }
        ]
    );
}

#[test]
fn alerts_are_found_by_role_or_class_keep_their_id_and_empty_ones_are_skipped() {
    let page = parse_page(
        r#"<div class="alert alert-danger">Bad <a href="/help">help</a></div>
           <span role="status">Saved.</span>
           <div class="notice">FYI</div>
           <div class="alert" role="status" id="why">Role wins</div>
           <div role="alert"></div>"#,
        &url("/"),
    );
    assert_eq!(
        page.blocks,
        [
            Block::Alert {
                text: "Bad help".into(),
                error: true,
                id: None
            },
            Block::Link { link: 0 },
            Block::Alert {
                text: "Saved.".into(),
                error: false,
                id: None
            },
            Block::Alert {
                text: "FYI".into(),
                error: false,
                id: None
            },
            Block::Alert {
                text: "Role wins".into(),
                error: false,
                id: Some("why".into())
            },
        ]
    );
}

#[test]
fn scripts_styles_hidden_and_media_are_not_text() {
    let page = parse_page(
        r#"<head><title> Spaced
           title </title><script>var x = "<p>no</p>";</script></head>
           <body><style>p { color: red }</style><p hidden>secret</p>
           <noscript><p>Enable JS</p></noscript><template><p>tpl</p></template>
           <p>Visible<img src="x.png" alt="picture">&nbsp;text</p>
           <a href="/home"><img src="logo.png" alt="Home page"></a>
           <a href="/icon" aria-label="Settings"><svg><title>gear</title></svg></a>
           <a href="/bare"></a></body>"#,
        &url("/"),
    );
    assert_eq!(page.title, "Spaced title");
    assert_eq!(
        page.blocks,
        [
            paragraph("Visible text", &[]),
            Block::Link { link: 0 },
            Block::Link { link: 1 },
            Block::Link { link: 2 },
        ]
    );
    let texts: Vec<&str> = page.links.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["Home page", "Settings", "/bare"]);
}

#[test]
fn tables_without_thead_take_a_first_row_of_th_as_headers() {
    let page = parse_page(
        r#"<table><caption>Prices</caption>
             <tr><th>Name</th><th>Price</th></tr>
             <tr><td><a href="/tea">Tea</a></td><td>$1</td></tr>
             <tr><th>Coffee</th><td>$2</td></tr>
           </table>
           <table><tr><td>only</td></tr></table>
           <table></table>"#,
        &url("/"),
    );
    let tables: Vec<&Table> = page
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(page.blocks[0], paragraph("Prices", &[]));
    assert_eq!(tables.len(), 2, "an empty table is no block");
    assert_eq!(tables[0].headers, ["Name", "Price"]);
    assert_eq!(tables[0].rows.len(), 2);
    assert_eq!(tables[0].rows[0][0].links, [0]);
    assert_eq!(tables[0].rows[1][0].text, "Coffee");
    assert!(tables[1].headers.is_empty());
    assert_eq!(tables[1].rows[0][0].text, "only");
}

#[test]
fn headings_keep_their_links_usable() {
    let page = parse_page(
        r#"<h2><a href="/post/1">First post</a></h2><h7>Not a heading</h7>"#,
        &url("/"),
    );
    assert_eq!(
        page.blocks,
        [
            heading(2, "First post"),
            Block::Link { link: 0 },
            paragraph("Not a heading", &[])
        ]
    );
}

#[test]
fn base_href_changes_where_links_resolve_but_not_the_default_action() {
    let page = parse_page(
        r#"<head><base href="https://cdn.example/root/"></head>
           <a href="page">x</a><form><input name="a"></form>"#,
        &url("/here"),
    );
    assert_eq!(
        page.links[0].url.as_ref().unwrap().as_str(),
        "https://cdn.example/root/page"
    );
    assert_eq!(page.forms[0].action, url("/here"));
}

#[test]
fn malformed_html_is_repaired_not_rejected() {
    let page = parse_page(
        r#"<p>unclosed <b>bold <i>both</b> italic</p></i><div><p>a<p>b</div>
           <table><tr><td>cell<td>next</table><ul><li>one<li>two</ul></form></div></span>
           <a href="http://[bad">broken</a> &amp; &notanentity; <<>>"#,
        &url("/"),
    );
    assert_eq!(page.blocks[0], paragraph("unclosed bold both italic", &[]));
    assert!(page.blocks.contains(&paragraph("a", &[])));
    assert!(page.blocks.contains(&Block::List {
        ordered: false,
        items: vec!["one".into(), "two".into()]
    }));
    assert_eq!(page.links[0].url, None, "an unparsable href has no URL");
    assert_eq!(page.links[0].href, "http://[bad");
}

#[test]
fn any_input_gives_a_page_without_panicking() {
    for input in [
        "",
        "plain text, no tags",
        "\u{0}\u{FFFD}<<<>>>&&&;;",
        "<html><html><body><body>",
        "<form><form><input name=x></form></form>",
        "<table><form><input name=x></form></table>",
        "<select><option>a</select><textarea>",
        "<a href>empty href</a><a href=''>empty</a>",
    ] {
        let page = parse_page(input, &url("/"));
        let _ = page.blocks.len();
    }
    assert_eq!(
        parse_page("plain text, no tags", &url("/")).blocks,
        [paragraph("plain text, no tags", &[])]
    );
}

#[test]
fn very_deep_nesting_does_not_overflow_the_stack() {
    // Ten times the walk's depth limit; html5ever's own cost grows with the square of it.
    let depth = 2_000;
    let html = format!(
        "{}<p>bottom <a href=\"/deep\">link</a></p>{}",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    let page = parse_page(&html, &url("/"));
    let text: String = page
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(text.contains("bottom link"), "{:?}", page.blocks);
}
