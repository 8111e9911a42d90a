//! A [`Report`](super::Report) for people: text printed live while the run goes, and the
//! observed run as a sequence diagram (PlantUML or mermaid) laid out like the article's.
//!
//! [`Text`] prints step by step; [`plantuml`] and [`mermaid`] share one walk over the steps
//! (`diagram`) and differ only in how they write it (`dialect`).

mod diagram;
mod dialect;
mod sequence;
mod text;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod tests;

pub use diagram::{mermaid, plantuml};
pub use text::Text;
