//! The disconnect confirmation: which connection, and whether its history goes too.

use super::Outcome;
use crate::app::action::Effect;
use crate::app::keys::Intent;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmDisconnect {
    pub id: i64,
    /// Delete the connection's balance history too.
    pub purge: bool,
}

impl ConfirmDisconnect {
    pub fn on_key(&mut self, intent: Option<Intent>) -> Outcome {
        match intent {
            Some(Intent::Confirm) => Outcome::CloseAnd(vec![Effect::Disconnect {
                id: self.id,
                purge: self.purge,
            }]),
            Some(Intent::TogglePurge) => {
                self.purge = !self.purge;
                Outcome::Stay
            }
            Some(Intent::Cancel | Intent::Close) => Outcome::Close,
            _ => Outcome::Stay,
        }
    }
}
