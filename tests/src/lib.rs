//! What the end-to-end tests and measurements share: [`tmux`], the real `tui` binary driven in
//! a real terminal.

pub mod tmux;
