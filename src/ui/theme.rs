//! Every style the UI uses, in one place. With NO_COLOR set, only bold and reverse remain.

use crate::model::Status;
use ratatui::style::{Color, Modifier, Style};

/// The styles of one run: colored, or plain for NO_COLOR.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colors unless NO_COLOR is set (to anything non-empty).
    pub fn from_env() -> Self {
        Self {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    pub fn border(self, selected: bool) -> Style {
        if selected {
            self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            self.dim()
        }
    }
    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn warning(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }
    pub fn key(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn demo(self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Magenta)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    pub fn badge(self, status: Status) -> Style {
        let style = match status {
            Status::Synced => self.fg(Color::Green),
            Status::Syncing => self.fg(Color::Cyan),
            Status::Stale => self.fg(Color::Yellow),
            Status::Error(_) | Status::Paused(_) | Status::Reauthorize => self.fg(Color::Red),
            Status::NotConnected => self.dim(),
        };
        style.add_modifier(Modifier::BOLD)
    }
}

/// A badge's leading symbol, readable without color.
pub fn badge_symbol(status: Status) -> &'static str {
    match status {
        Status::Synced => "●",
        Status::Syncing => "◌",
        Status::Stale => "◐",
        Status::Error(_) => "✗",
        Status::Paused(_) => "‖",
        Status::Reauthorize => "↻",
        Status::NotConnected => "○",
    }
}

pub const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];
