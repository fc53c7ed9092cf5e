//! Actions (user intents and task results) flowing into `update`, and the effects it asks for.

use super::state::{Detail, PortfolioRow};
use crate::store::db::ConnectionRecord;
use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Action {
    Key(KeyEvent),
    Paste(String),
    /// The clock moved (drives "2m ago" and the spinner).
    Tick(DateTime<Utc>),
    /// The connection list as stored now.
    Connections(Vec<ConnectionRecord>),
    DetailLoaded(Detail),
    PortfolioLoaded(Vec<PortfolioRow>),
    SyncStarted(i64),
    SyncFinished {
        id: i64,
        outcome: Result<(), String>,
    },
    Disconnected {
        id: i64,
        outcome: Result<(), String>,
    },
    /// A background task failed in a way the trader should see.
    Notice(String),
}

/// Work `update` asks the runner to do; results come back as actions.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadDetail(i64),
    LoadPortfolio,
    Sync(Vec<i64>),
    Disconnect { id: i64, purge: bool },
}
