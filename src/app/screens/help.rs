//! The help overlay: how far it is scrolled (its lines come from the key table).

use super::Outcome;
use crate::app::keys::Intent;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Help {
    /// Lines scrolled down (on a terminal too short for all of it).
    pub scroll: usize,
}

impl Help {
    /// `most`: how far the help can scroll in the terminal as it is now.
    pub fn on_key(&mut self, intent: Option<Intent>, most: usize) -> Outcome {
        match intent {
            Some(Intent::Up) => self.scroll = self.scroll.min(most).saturating_sub(1),
            Some(Intent::Down) => self.scroll = (self.scroll + 1).min(most),
            Some(Intent::Cancel | Intent::Close) => return Outcome::Close,
            _ => {}
        }
        Outcome::Stay
    }
}
