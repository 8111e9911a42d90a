//! The backend: the Store and Forums web apps, which log users in with a native login form
//! against FusionAuth and keep them signed in with server-side sessions, and the local
//! FusionAuth-compatible identity server they can log users in against.
//!
//! `main.rs` is a shim over [`cli`]; tests and the TUI start the same servers through this
//! library, on port 0.

pub mod cache;
pub mod cli;
pub mod clock;
pub mod data;
pub mod db;
pub mod fusionauth;
pub mod identity;
pub mod random;
pub mod redis;
pub mod server;
pub mod session;
pub mod stack;
pub mod telemetry;
pub mod web;
