//! The `tui` binary: a shim over the `tui` library.

fn main() {}
