//! Entering and leaving the full-screen terminal: raw mode, the alternate screen, mouse capture
//! and bracketed paste on the way in; all of it undone on the way out — on a normal exit, an
//! error, or a panic.

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use ratatui::DefaultTerminal;

/// The terminal in full-screen mode; restored when dropped.
pub struct Screen {
    /// The ratatui terminal.
    pub terminal: DefaultTerminal,
}

impl Screen {
    /// Enters full-screen mode and installs a panic hook that restores the terminal before the
    /// panic message is printed.
    pub fn enter() -> std::io::Result<Self> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        let terminal = ratatui::try_init()?;
        execute!(std::io::stdout(), EnableMouseCapture, EnableBracketedPaste)?;
        Ok(Self { terminal })
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves full-screen mode; safe to call twice.
fn restore() {
    let _ = execute!(
        std::io::stdout(),
        DisableMouseCapture,
        DisableBracketedPaste
    );
    ratatui::restore();
}
