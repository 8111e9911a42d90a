//! The engine's data: what went over the wire (exchanges), what a page says (the page model),
//! and what the cookie jar holds. Plain data, no I/O: the UI renders it, `flow` asserts on it.

use std::time::{Duration, SystemTime};
use url::Url;

/// An HTTP method the engine sends (a browser's two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST (form-encoded).
    Post,
}

impl Method {
    /// `GET` or `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// A navigation: what the user asked for (typing a URL, following a link, submitting a form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Method of the first hop.
    pub method: Method,
    /// Where to.
    pub url: Url,
    /// Form fields, sent `application/x-www-form-urlencoded` (POST) or as the query (GET).
    pub form: Vec<(String, String)>,
    /// Extra headers (e.g. `Accept: application/json`).
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// A plain `GET`.
    pub fn get(url: Url) -> Self {
        Self {
            method: Method::Get,
            url,
            form: Vec::new(),
            headers: Vec::new(),
        }
    }
}

/// One `Server-Timing` entry, e.g. `fusionauth;dur=12.3;desc="POST /api/login 200"`.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerTiming {
    /// Metric name (`fusionauth`).
    pub name: String,
    /// `dur`, milliseconds.
    pub duration_ms: Option<f64>,
    /// `desc`.
    pub description: Option<String>,
}

/// One request and its response, as sent and received (a redirect hop is one exchange).
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    /// Unique, increasing.
    pub id: u64,
    /// The page load it belongs to (all hops of one navigation share it).
    pub load_id: u64,
    /// 0 for the request the user made, 1.. for redirects followed.
    pub hop: usize,
    /// `GET` / `POST`.
    pub method: Method,
    /// The URL requested.
    pub url: Url,
    /// Request headers as sent (including `Cookie` and `User-Agent`).
    pub request_headers: Vec<(String, String)>,
    /// The form-encoded body, if any.
    pub request_body: Option<String>,
    /// The cookies sent: (name, value).
    pub cookies_sent: Vec<(String, String)>,
    /// The status, or `None` when no response came (see `error`).
    pub status: Option<u16>,
    /// Response headers as received.
    pub response_headers: Vec<(String, String)>,
    /// The response body as text (lossy UTF-8), cut at 256 KiB.
    pub response_body: String,
    /// The `Location` header.
    pub location: Option<String>,
    /// Every raw `Set-Cookie` header value received.
    pub set_cookies: Vec<String>,
    /// The parsed `Server-Timing` entries (the backend→FusionAuth hop).
    pub server_timing: Vec<ServerTiming>,
    /// When the request was sent.
    pub started: SystemTime,
    /// Until the whole response was read.
    pub duration: Duration,
    /// Why there was no response (refused, timeout, …).
    pub error: Option<String>,
}

/// A navigation followed to its end.
#[derive(Clone, Debug, PartialEq)]
pub struct PageLoad {
    /// Shared with its exchanges.
    pub load_id: u64,
    /// Every hop, in order.
    pub exchanges: Vec<Exchange>,
    /// Where it ended.
    pub final_url: Url,
    /// The final page, when it was HTML.
    pub page: Option<Page>,
    /// Why it did not end on a page (refused connection, timeout, redirect loop, …), or a
    /// warning about the page it ended on (a body that is not UTF-8, shown with U+FFFD).
    pub error: Option<String>,
}

/// A page, parsed from HTML into what a terminal can show and act on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// `<title>`.
    pub title: String,
    /// The content in document order.
    pub blocks: Vec<Block>,
    /// Every link (`<a href>`), in document order; blocks refer to them by index.
    pub links: Vec<Link>,
    /// Every form, in document order; blocks refer to them by index.
    pub forms: Vec<Form>,
}

/// A piece of page content.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// `<h1>`…`<h6>`.
    Heading {
        /// 1–6.
        level: u8,
        /// Text.
        text: String,
    },
    /// A paragraph (or other text): its text, with the links inside it.
    Paragraph {
        /// Text, link texts included.
        text: String,
        /// Indices into [`Page::links`].
        links: Vec<usize>,
    },
    /// A link on its own (e.g. in a header or nav).
    Link {
        /// Index into [`Page::links`].
        link: usize,
    },
    /// A form.
    Form {
        /// Index into [`Page::forms`].
        form: usize,
    },
    /// A table.
    Table(Table),
    /// `<ul>` / `<ol>`.
    List {
        /// `<ol>`.
        ordered: bool,
        /// Item texts.
        items: Vec<String>,
    },
    /// `role="alert"` / `role="status"` or an `.alert` / `.notice` element.
    Alert {
        /// Text.
        text: String,
        /// `role="alert"` or `.alert` (an error) rather than a notice.
        error: bool,
        /// The element's `id`: how a client recognises a notice it looks for (e.g.
        /// [`shared::paths::element::THEFT_NOTICE`]) without reading its prose.
        id: Option<String>,
    },
}

/// A link.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// Its text.
    pub text: String,
    /// `href` as written.
    pub href: String,
    /// `href` resolved against the page URL (`None` if it does not resolve).
    pub url: Option<Url>,
}

/// A table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// `<thead>` cells (or the first row of `<th>`).
    pub headers: Vec<String>,
    /// Body rows.
    pub rows: Vec<Vec<Cell>>,
    /// `<tfoot>` rows.
    pub footer: Vec<Vec<Cell>>,
}

/// A table cell: its text, and the forms and links inside it (e.g. a "Remove" button).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cell {
    /// Text (a form's submit label included).
    pub text: String,
    /// Indices into [`Page::forms`].
    pub forms: Vec<usize>,
    /// Indices into [`Page::links`].
    pub links: Vec<usize>,
}

/// A form, with every input (hidden ones included), submitted as a browser would.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    /// `action` resolved against the page URL (the page URL when absent).
    pub action: Url,
    /// `method` (GET when absent).
    pub method: Method,
    /// Inputs, selects and textareas in document order.
    pub fields: Vec<Field>,
    /// The submit button's label (`Submit` when there is none).
    pub submit_label: String,
}

/// A form field.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// `name` (fields without one are kept but not submitted).
    pub name: String,
    /// What kind of input.
    pub kind: FieldKind,
    /// Current value (`value=`, the selected option, or the textarea's text).
    pub value: String,
    /// The `<label for=…>` text, if any.
    pub label: Option<String>,
    /// For selects (and radio groups, which the parser turns into selects): (value, label) of
    /// each option. For a checkbox: the one value it sends when checked.
    pub options: Vec<(String, String)>,
}

/// Kinds of form fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// `type=text`, `email`, `search`, `url`, `tel` or no type.
    Text,
    /// `type=password`: shown masked.
    Password,
    /// `type=hidden`: shown only in devtools.
    Hidden,
    /// `type=number`.
    Number,
    /// `<select>`, or a group of `type=radio` inputs sharing a name.
    Select,
    /// `<textarea>`.
    TextArea,
    /// `type=checkbox` (submitted when `value` is non-empty: the UI sets it to "on"/"").
    Checkbox,
}

impl Page {
    /// The first link whose text is `text` (whitespace-collapsed, as shown).
    pub fn link_by_text(&self, text: &str) -> Option<&Link> {
        self.links.iter().find(|link| link.text == text)
    }

    /// The first form with a field named `name`.
    pub fn form_with_field(&self, name: &str) -> Option<&Form> {
        self.forms
            .iter()
            .find(|form| form.fields.iter().any(|field| field.name == name))
    }

    /// The text of the alert or notice whose element `id` is `id`.
    pub fn alert_with_id(&self, id: &str) -> Option<&str> {
        self.blocks.iter().find_map(|block| match block {
            Block::Alert {
                text, id: Some(i), ..
            } if i == id => Some(text.as_str()),
            _ => None,
        })
    }
}

impl Form {
    /// Sets the value of the first field named `name`; false when there is none.
    pub fn set(&mut self, name: &str, value: impl Into<String>) -> bool {
        match self.fields.iter_mut().find(|field| field.name == name) {
            Some(field) => {
                field.value = value.into();
                true
            }
            None => false,
        }
    }

    /// The value of the first field named `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|field| field.name == name)
            .map(|field| field.value.as_str())
    }

    /// The request a browser sends for this form: every named field, hidden ones included.
    pub fn submission(&self) -> Request {
        let form: Vec<(String, String)> = self
            .fields
            .iter()
            .filter(|f| !f.name.is_empty())
            .filter(|f| f.kind != FieldKind::Checkbox || !f.value.is_empty())
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect();
        Request {
            method: self.method,
            url: self.action.clone(),
            form,
            headers: Vec::new(),
        }
    }
}

/// When a cookie expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// No `Max-Age`/`Expires`: gone when the browser closes.
    Session,
    /// At this instant.
    At(SystemTime),
}

/// A cookie as the jar holds it, every attribute shown.
#[derive(Clone, Debug, PartialEq)]
pub struct CookieView {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// The host (host-only) or the `Domain` attribute's domain.
    pub domain: String,
    /// True when set without `Domain`: sent to exactly this host.
    pub host_only: bool,
    /// `Path`.
    pub path: String,
    /// Expiry.
    pub expires: Expiry,
    /// `Secure`.
    pub secure: bool,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `SameSite` (`Strict`, `Lax`, `None`), if set.
    pub same_site: Option<String>,
    /// The exchange whose response set it, when this engine saw it.
    pub set_by: Option<SetBy>,
}

/// Which response set a cookie.
#[derive(Clone, Debug, PartialEq)]
pub struct SetBy {
    /// The exchange.
    pub exchange_id: u64,
    /// Its method and URL, e.g. `POST http://store.localhost:8080/login`.
    pub request: String,
    /// Its status.
    pub status: u16,
}

/// Why a cookie in the jar is not sent to a URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotSent {
    /// The host does not match (host-only cookie for another host, or outside `Domain`).
    Host,
    /// The path does not match.
    Path,
    /// `Secure`, and the URL is not https.
    Secure,
    /// Expired.
    Expired,
}

impl NotSent {
    /// A short human reason, e.g. "host-only for store.localhost".
    pub fn describe(self, cookie: &CookieView) -> String {
        match self {
            Self::Host if cookie.host_only => format!("host-only for {}", cookie.domain),
            Self::Host => format!("domain {} does not match", cookie.domain),
            Self::Path => format!("path {} does not match", cookie.path),
            Self::Secure => "Secure, and this URL is not https".to_owned(),
            Self::Expired => "expired".to_owned(),
        }
    }
}

/// For one URL: a cookie of the jar, and whether it is sent there.
#[derive(Clone, Debug, PartialEq)]
pub struct CookieDecision {
    /// The cookie.
    pub cookie: CookieView,
    /// `None` when it is sent; otherwise why not.
    pub not_sent: Option<NotSent>,
}
