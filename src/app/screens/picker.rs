//! The exchange picker: type to filter, arrows to move, Enter to choose.

use super::{Outcome, type_into};
use crate::app::keys::Intent;
use crate::model::ExchangeId;
use crossterm::event::KeyEvent;

/// The exchange picker: every compiled-in exchange, Binance and OKX first, then by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Picker {
    /// The typed filter: exchanges whose name or id holds it (any case).
    pub text: String,
    /// Index into [`Picker::matches`].
    pub selected: usize,
}

impl Picker {
    /// The exchanges the filter lets through, in the picker's order.
    pub fn matches(&self) -> Vec<ExchangeId> {
        let needle = self.text.to_lowercase();
        ExchangeId::all()
            .iter()
            .copied()
            .filter(|e| {
                needle.is_empty()
                    || e.name().to_lowercase().contains(&needle)
                    || e.id().contains(&needle)
            })
            .collect()
    }

    /// The exchange Enter would choose.
    pub fn chosen(&self) -> Option<ExchangeId> {
        self.matches().get(self.selected).copied()
    }

    /// Arrows move, Enter chooses, Esc closes, typing filters.
    pub fn on_key(&mut self, intent: Option<Intent>, key: &KeyEvent) -> Outcome {
        let last = self.matches().len().saturating_sub(1);
        match intent {
            Some(Intent::Close) => return Outcome::Close,
            Some(Intent::Open) => {
                return match self.chosen() {
                    None => Outcome::Stay,
                    Some(exchange) => match cannot_connect(exchange) {
                        Some(why) => Outcome::Refuse(why),
                        None => Outcome::Connect(exchange),
                    },
                };
            }
            Some(Intent::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Intent::Down) => self.selected = (self.selected + 1).min(last),
            Some(Intent::First) => self.selected = 0,
            Some(Intent::Last) => self.selected = last,
            _ => {
                if type_into(&mut self.text, key) {
                    self.selected = 0;
                }
            }
        }
        Outcome::Stay
    }
}

/// Why an exchange cannot be connected in this version, if it cannot.
fn cannot_connect(exchange: ExchangeId) -> Option<String> {
    let blockers = exchange.blockers();
    (!blockers.is_empty()).then(|| {
        format!(
            "{exchange} cannot be connected yet: it needs {}",
            blockers.join(", ")
        )
    })
}
