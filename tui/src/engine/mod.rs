//! The browser with no UI: one HTTP client and cookie jar (shared across sites, as a browser's
//! is), redirects followed hop by hop and recorded, pages parsed into a model, forms submitted
//! as a browser would, jar files, and curl export.

pub mod model;

pub use model::*;
