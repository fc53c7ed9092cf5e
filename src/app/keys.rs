//! Key bindings: the one table every key press is looked up in.
//!
//! The help overlay and the status bar are both built from [`BINDINGS`].

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key press means on the Connections screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Up,
    Down,
    Open,
    Connect,
    Resync,
    ResyncAll,
    Disconnect,
    Reauthorize,
    Portfolio,
    Help,
    Back,
    Quit,
}

/// One row of the table.
pub struct Binding {
    pub intent: Intent,
    pub keys: &'static [KeyCode],
    /// Keys as shown to the trader, e.g. "↑/k".
    pub shown: &'static str,
    /// Short word for the status bar.
    pub short: &'static str,
    /// Sentence for the help overlay.
    pub help: &'static str,
    /// Shown in the status bar (the rest only in help).
    pub in_status_bar: bool,
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        intent: Intent::Up,
        keys: &[KeyCode::Up, KeyCode::Char('k')],
        shown: "↑/k",
        short: "up",
        help: "Select the previous card",
        in_status_bar: false,
    },
    Binding {
        intent: Intent::Down,
        keys: &[KeyCode::Down, KeyCode::Char('j')],
        shown: "↓/j",
        short: "down",
        help: "Select the next card",
        in_status_bar: false,
    },
    Binding {
        intent: Intent::Open,
        keys: &[KeyCode::Enter],
        shown: "Enter",
        short: "open",
        help: "Open the connection's details, or connect from a Connect card",
        in_status_bar: true,
    },
    Binding {
        intent: Intent::Connect,
        keys: &[KeyCode::Char('c')],
        shown: "c",
        short: "connect",
        help: "Connect an exchange with an API key",
        in_status_bar: true,
    },
    Binding {
        intent: Intent::Resync,
        keys: &[KeyCode::Char('r')],
        shown: "r",
        short: "resync",
        help: "Sync the selected connection now (clears a pause)",
        in_status_bar: true,
    },
    Binding {
        intent: Intent::ResyncAll,
        keys: &[KeyCode::Char('R')],
        shown: "R",
        short: "resync all",
        help: "Sync every connection now",
        in_status_bar: false,
    },
    Binding {
        intent: Intent::Disconnect,
        keys: &[KeyCode::Char('d')],
        shown: "d",
        short: "disconnect",
        help: "Disconnect the selected connection (asks first)",
        in_status_bar: true,
    },
    Binding {
        intent: Intent::Reauthorize,
        keys: &[KeyCode::Char('a')],
        shown: "a",
        short: "sign in",
        help: "Sign in again (an OAuth connection showing Reauthorize)",
        in_status_bar: false,
    },
    Binding {
        intent: Intent::Portfolio,
        keys: &[KeyCode::Char('p')],
        shown: "p",
        short: "portfolio",
        help: "Show balances totalled per asset",
        in_status_bar: true,
    },
    Binding {
        intent: Intent::Help,
        keys: &[KeyCode::Char('?')],
        shown: "?",
        short: "help",
        help: "Show or hide this help",
        in_status_bar: true,
    },
    Binding {
        intent: Intent::Back,
        keys: &[KeyCode::Esc],
        shown: "Esc",
        short: "back",
        help: "Close the open window",
        in_status_bar: false,
    },
    Binding {
        intent: Intent::Quit,
        keys: &[KeyCode::Char('q')],
        shown: "q",
        short: "quit",
        help: "Quit (Ctrl-C always quits)",
        in_status_bar: true,
    },
];

/// Ctrl-C quits from anywhere, whatever is open.
pub fn is_force_quit(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c')
}

/// Looks a key press up in the table.
pub fn intent(key: &KeyEvent) -> Option<Intent> {
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    BINDINGS
        .iter()
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.intent)
}

/// "Enter open  c connect  r resync ..." for the status bar; only the keys when narrow.
pub fn status_bar_text(width: u16) -> String {
    let shown = BINDINGS.iter().filter(|b| b.in_status_bar);
    let full = shown
        .clone()
        .map(|b| format!("{} {}", b.shown, b.short))
        .collect::<Vec<_>>()
        .join("  ");
    if full.chars().count() <= width as usize {
        return full;
    }
    let keys: Vec<&str> = shown.map(|b| b.shown).collect();
    format!("{}  (? help)", keys.join(" "))
}
