//! The windows over the Connections screen: one module each, holding its state and its keys.

pub mod cards;
pub mod confirm;
pub mod detail;
pub mod help;
pub mod oauth;
pub mod picker;
pub mod portfolio;

use super::action::Effect;
use super::keys::Context;
use super::state::MAX_FILTER_CHARS;
use crate::model::ExchangeId;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A window over the Connections screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Modal {
    Help(help::Help),
    Detail(detail::Detail),
    /// Sign in with OAuth (a new connection, or again for one that needs it).
    OAuth(oauth::OAuthView),
    ConfirmDisconnect(confirm::ConfirmDisconnect),
    Portfolio(portfolio::PortfolioView),
    /// Which exchange to connect: type to filter, Enter to choose.
    Picker(picker::Picker),
}

impl Modal {
    /// The key context the window reads its keys in.
    pub fn context(&self) -> Context {
        match self {
            Self::OAuth(_) => Context::OAuth,
            Self::ConfirmDisconnect(_) => Context::Confirm,
            Self::Help(_) => Context::Help,
            Self::Detail(_) => Context::Detail,
            Self::Portfolio(_) => Context::Portfolio,
            Self::Picker(_) => Context::Picker,
        }
    }
}

/// What a window's key asks of `update`.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The window stays open (its state may have changed).
    Stay,
    /// The window closes.
    Close,
    /// The window stays open, and these are carried out.
    Run(Vec<Effect>),
    /// The window closes, and these are carried out.
    CloseAnd(Vec<Effect>),
    /// The window closes and the exchange's connect opens: OAuth where offered, else the
    /// API-key form (the notice line is cleared).
    Connect(ExchangeId),
    /// The window closes and the API-key form opens for the exchange.
    KeyForm(ExchangeId),
    /// The window stays open under the API-key form replacing this connection's key.
    ReplaceKey(i64),
    /// The window stays open and the notice line shows this error.
    Refuse(String),
}

/// Typing into a one-line filter: Backspace deletes, a plain printable character is
/// added (up to [`MAX_FILTER_CHARS`]). False for a key that is not typing.
pub fn type_into(text: &mut String, key: &KeyEvent) -> bool {
    let plain = !key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match key.code {
        KeyCode::Backspace => {
            text.pop();
            true
        }
        KeyCode::Char(c) if plain => {
            if !crate::text::is_control_like(c) && text.chars().count() < MAX_FILTER_CHARS {
                text.push(c);
            }
            true
        }
        _ => false,
    }
}
