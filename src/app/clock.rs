//! When the screen changes by itself: the next instant a time-dependent text in view
//! ("2m ago", "in 59m", a badge turning Stale, a key's days left) reads differently, so
//! the loop sleeps until then instead of redrawing every second.

use super::state::{CardRef, Modal, State};
use crate::model::ConnectionRecord;
use chrono::{DateTime, TimeDelta, Utc};

/// The first instant after `state.now` at which a text on screen that depends on the
/// time may read differently; `None`: none will. Only the cards in view (and an open
/// detail window) count, so the cost does not grow with the number of connections. It
/// may name an instant at which nothing changes (a wake for nothing), never one too late.
pub fn next_change(state: &State) -> Option<DateTime<Utc>> {
    let now = state.now;
    let mut next: Option<DateTime<Utc>> = None;
    let mut at = |t: Option<DateTime<Utc>>| {
        if let Some(t) = t.filter(|t| *t > now) {
            next = Some(next.map_or(t, |n| n.min(t)));
        }
    };
    for card in state.visible_cards() {
        if let CardRef::Connection(i) = card {
            connection(state, &state.connections[i], &mut at);
        }
    }
    if let Some(Modal::Detail(d)) = &state.modal {
        if let Some(c) = state.connection(d.id) {
            connection(state, c, &mut at);
        }
        at(d.synced_at.map(|then| ago_changes(now, then)));
        for run in &d.history {
            at(Some(ago_changes(now, run.finished_at)));
        }
    }
    next
}

/// Whether a tick at `now` changes what the screen shows: a spinner in view turns, or
/// a time-dependent text reads differently than at `state.now`.
pub fn tick_changes_screen(state: &State, now: DateTime<Utc>) -> bool {
    state.spinning() || next_change(state).is_some_and(|at| now >= at)
}

/// The instants at which the texts of one connection's card (or detail) change.
fn connection(state: &State, c: &ConnectionRecord, at: &mut impl FnMut(Option<DateTime<Utc>>)) {
    let now = state.now;
    at(c.last_synced_at.map(|then| ago_changes(now, then)));
    at(c.last_attempt_at.map(|then| ago_changes(now, then)));
    at(c.next_sync_at.and_then(|then| until_changes(now, then)));
    // Synced turns Stale once two intervals have passed.
    if c.last_error.is_none()
        && let Some(synced) = c.last_synced_at
    {
        let stale = TimeDelta::from_std(state.interval_of(c) * 2).unwrap_or_default();
        at(Some(synced + stale + TimeDelta::nanoseconds(1)));
    }
    at(expiry_changes(now, c));
    if let Some(max) = state.key_max_age_days {
        at(Some(key_age_changes(now, c.created_at, max)));
    }
}

/// When [`super::state::ago`]`(now, then)` next reads differently.
pub fn ago_changes(now: DateTime<Utc>, then: DateTime<Utc>) -> DateTime<Utc> {
    let secs = (now - then).num_seconds();
    let step = match secs {
        i64::MIN..=4 => return then + TimeDelta::seconds(5),
        5..=59 => 1,
        60..=3599 => 60,
        3600..=86_399 => 3600,
        _ => 86_400,
    };
    then + TimeDelta::seconds((secs / step + 1) * step)
}

/// When [`super::state::until`]`(now, then)` next reads differently; `None` once it
/// says "now" (it stays so).
pub fn until_changes(now: DateTime<Utc>, then: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let secs = (then - now).num_seconds();
    let step = match secs {
        i64::MIN..=0 => return None,
        1..=59 => 1,
        60..=3599 => 60,
        _ => 3600,
    };
    // The text holds while at least `secs` rounded down to its unit remain.
    Some(then - TimeDelta::seconds(secs / step * step) + TimeDelta::nanoseconds(1))
}

/// When the card's note on its key's expiry ("key expires in 12 days", "in 5 hours",
/// its warning two weeks before, "expired") next reads differently, found by bisection
/// between now and the last end date rather than by repeating its wording here: the
/// note counts down, each wording holding for one stretch of time.
fn expiry_changes(now: DateTime<Utc>, c: &ConnectionRecord) -> Option<DateTime<Utc>> {
    let ends = [c.expiry.key_expires_at, c.expiry.trading_ends_at];
    let mut later = ends.into_iter().flatten().max().filter(|end| *end > now)?;
    let shown = c.expiry_notice(now);
    if c.expiry_notice(later) == shown {
        return None;
    }
    let mut same = now;
    while later - same > TimeDelta::nanoseconds(1) {
        let mid = same + (later - same) / 2;
        if c.expiry_notice(mid) == shown {
            same = mid;
        } else {
            later = mid;
        }
    }
    Some(later)
}

/// When a key's "key 200 days old: rotate it" next changes: it appears once the key is
/// more than `max` whole days old, then counts up a day at a time.
fn key_age_changes(now: DateTime<Utc>, created: DateTime<Utc>, max: u32) -> DateTime<Utc> {
    let age = (now - created).num_days().max(i64::from(max));
    created + TimeDelta::days(age + 1)
}
