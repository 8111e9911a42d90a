//! What the backend and the TUI agree on: route paths, form field names, cookie names, default
//! addresses, and the JSON views of the pages. No web framework, no HTTP client here.

pub mod duration;
pub mod model;
pub mod paths;
pub mod site;
