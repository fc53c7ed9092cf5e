//! The portfolio window: the chart's range and points, and whether dust is listed.

use super::Outcome;
use crate::app::action::Effect;
use crate::app::keys::Intent;
use chrono::{DateTime, Utc};

/// The portfolio window: the valuation comes from `State::valuation`; this holds the
/// chart's range and its points.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PortfolioView {
    pub range: HistoryRange,
    /// The total value over the range, oldest first.
    pub history: Vec<(DateTime<Utc>, rust_decimal::Decimal)>,
    /// Assets worth less than `State::dust` listed one by one, not folded into one line.
    pub show_small: bool,
}

impl PortfolioView {
    /// The chart's points for `range`, kept only if the chart still shows that range.
    pub fn history_loaded(
        &mut self,
        range: HistoryRange,
        points: Vec<(DateTime<Utc>, rust_decimal::Decimal)>,
    ) {
        if self.range == range {
            self.history = points;
        }
    }

    pub fn on_key(&mut self, intent: Option<Intent>) -> Outcome {
        match intent {
            Some(Intent::SmallBalances) => self.show_small = !self.show_small,
            Some(intent @ (Intent::CyclePrev | Intent::CycleNext)) => {
                let range = self.range.step(intent == Intent::CycleNext);
                if range != self.range {
                    self.range = range;
                    self.history.clear();
                    return Outcome::Run(vec![Effect::LoadHistory(range)]);
                }
            }
            Some(Intent::Cancel | Intent::Close) => return Outcome::Close,
            _ => {}
        }
        Outcome::Stay
    }
}

/// How far back the portfolio chart reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HistoryRange {
    #[default]
    Day,
    Week,
    Month,
    All,
}

impl HistoryRange {
    const ORDER: [HistoryRange; 4] = [Self::Day, Self::Week, Self::Month, Self::All];

    pub fn label(self) -> &'static str {
        match self {
            Self::Day => "24 h",
            Self::Week => "7 d",
            Self::Month => "30 d",
            Self::All => "all",
        }
    }
    /// The oldest point shown, counted back from `now`; `None`: all of it.
    pub fn since(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let days = match self {
            Self::Day => 1,
            Self::Week => 7,
            Self::Month => 30,
            Self::All => return None,
        };
        Some(now - chrono::Duration::days(days))
    }
    /// The next longer range (`longer`) or shorter one, stopping at the ends.
    pub fn step(self, longer: bool) -> Self {
        let at = Self::ORDER.iter().position(|r| *r == self).unwrap_or(0);
        let next = if longer {
            (at + 1).min(Self::ORDER.len() - 1)
        } else {
            at.saturating_sub(1)
        };
        Self::ORDER[next]
    }
}
