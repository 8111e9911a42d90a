//! FusionAuth's HTTP API as this project uses it.
//!
//! `model` holds the wire types of the contract (`docs/identity-server.md`): the local
//! identity server serializes them, the apps' client deserializes them from a local or a real
//! FusionAuth. Serialization omits absent fields, as FusionAuth does; deserialization ignores
//! fields it does not know, so a newer FusionAuth still parses.
//!
//! `client` is the ONE client of that API: the web apps reach FusionAuth only through it, and
//! only over HTTP, so a real FusionAuth drops in.

pub mod client;
pub mod model;
pub mod timing;

pub use client::{ClientError, FusionAuthClient, FusionAuthConfig, LoginOutcome};
