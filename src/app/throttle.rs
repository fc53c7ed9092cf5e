//! How often the loop asks storage again: the whole connection list now and then, a
//! valuation at most every [`VALUATION_GAP`].

use chrono::{DateTime, TimeDelta, Utc};

/// How often, at most, syncs that end read the whole connection list again.
pub const LIST_REFRESH: TimeDelta = TimeDelta::seconds(30);

/// The least time between two valuations: under a steady stream of syncs the values
/// follow every few seconds instead of after every sync.
pub const VALUATION_GAP: TimeDelta = TimeDelta::seconds(2);

/// When the connection list and a valuation were last asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttle {
    list_asked_at: DateTime<Utc>,
    valuation_asked_at: Option<DateTime<Utc>>,
    valuation_wanted: bool,
}

impl Throttle {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            list_asked_at: now,
            valuation_asked_at: None,
            valuation_wanted: false,
        }
    }

    /// Whether to read the connection list again at `now` (`needed`: whatever the time);
    /// a yes counts as asked.
    pub fn list_due(&mut self, now: DateTime<Utc>, needed: bool) -> bool {
        let due = needed || now - self.list_asked_at >= LIST_REFRESH;
        if due {
            self.list_asked_at = now;
        }
        due
    }

    /// Whether to value the portfolio at `now`; a no leaves it wanted for a later tick.
    pub fn valuation_due(&mut self, now: DateTime<Utc>) -> bool {
        let due = self
            .valuation_asked_at
            .is_none_or(|at| now - at >= VALUATION_GAP);
        self.valuation_wanted = !due;
        if due {
            self.valuation_asked_at = Some(now);
        }
        due
    }

    /// A valuation waits for its gap to pass.
    pub fn valuation_wanted(&self) -> bool {
        self.valuation_wanted
    }
}
