//! Unit tests of the app and the UI together: messages in, state, effects and the drawn screen
//! out, driven the way the runtime drives them. They sit above both, as the runtime does.

mod app;
mod ui;
