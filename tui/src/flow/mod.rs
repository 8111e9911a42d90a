//! `tui flow`: the article's scenario (docs/flow.md: steps 1–18, the logout that ends a stolen
//! session, and the defences beyond the article), run headless with the same browser engine the
//! interactive TUI uses, each step checked against what the article says and reported as PASS,
//! FAIL or SKIP.
//!
//! [`steps`] is the scenario's table, [`report`] the data a run produces, [`format`] its text,
//! JSON and sequence-diagram forms.

pub mod command;
pub mod format;
mod observe;
pub mod report;
mod runner;
pub mod steps;

pub use report::*;
pub use runner::{DEMO_PASSWORD, DEMO_USER, Event, FlowOptions, Rotation, run};
pub use steps::{STEPS, SiteFilter, Step, parse_steps, step_numbered};
