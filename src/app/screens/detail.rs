//! The detail window of one connection: what was loaded for it, and its keys.

use super::Outcome;
use crate::app::action::Effect;
use crate::app::keys::Intent;
use crate::model::{Balance, SyncRun};
use chrono::{DateTime, Utc};

/// The detail view of one connection, loaded from storage when opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub id: i64,
    pub balances: Vec<Balance>,
    pub synced_at: Option<DateTime<Utc>>,
    pub history: Vec<SyncRun>,
    /// The connection's value over the last week, oldest first (the sparkline).
    pub values: Vec<(DateTime<Utc>, rust_decimal::Decimal)>,
}

impl Detail {
    /// The window for connection `id` before its data has loaded.
    pub fn loading(id: i64) -> Self {
        Self {
            id,
            balances: vec![],
            synced_at: None,
            history: vec![],
            values: vec![],
        }
    }

    pub fn on_key(&mut self, intent: Option<Intent>) -> Outcome {
        match intent {
            Some(Intent::ReplaceKey) => Outcome::ReplaceKey(self.id),
            Some(Intent::Resync) => Outcome::Run(vec![Effect::Sync(vec![self.id])]),
            Some(Intent::Cancel | Intent::Close) => Outcome::Close,
            _ => Outcome::Stay,
        }
    }
}
