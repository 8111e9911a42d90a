//! The Store and Forums over real HTTP, as a browser uses them: the steps of docs/flow.md, every
//! login outcome, FusionAuth failures, CSRF, timeouts and persistence.

mod app;
mod connections;
mod fail_closed;
mod failures;
mod flow;
mod forms;
mod hashed_sessions;
mod headers;
mod limits;
mod login_csrf;
mod logs;
mod outcomes;
mod replicas;
mod revalidation;
mod rotation;
mod security;
mod sessions;
mod sign_out;
mod stub;
mod timing;
mod untrusted;
