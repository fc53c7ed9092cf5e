//! Everything the screen shows, and nothing else: rendering is a pure function of [`State`].

use crate::app::keys::KeyMap;
pub use crate::app::screens::Modal;
pub use crate::app::screens::confirm::ConfirmDisconnect;
pub use crate::app::screens::detail::Detail;
pub use crate::app::screens::help::Help;
pub use crate::app::screens::oauth::{OAuthPhase, OAuthView};
pub use crate::app::screens::picker::Picker;
pub use crate::app::screens::portfolio::{HistoryRange, PortfolioView};
use crate::model::{ConnectionRecord, ExchangeId, Status};
use crate::oauth::FlowKind;
use chrono::{DateTime, FixedOffset, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// The whole app state.
pub struct State {
    /// The injected clock: set by ticks, fixed in tests.
    pub now: DateTime<Utc>,
    /// The local time zone offset used to show absolute times.
    pub utc_offset: FixedOffset,
    pub demo: bool,
    /// The in-process simulator of `--demo`, whose keys the connect form offers.
    pub demo_sim: Option<crate::exchange::sim::SimHandle>,
    pub sync_interval: Duration,
    pub connections: Vec<ConnectionRecord>,
    /// When the connection list and a valuation were last asked for.
    pub throttle: crate::app::throttle::Throttle,
    /// Connections with a sync in flight.
    pub syncing: HashSet<i64>,
    /// Index into [`State::cards`].
    pub selected: usize,
    pub modal: Option<Modal>,
    /// The API-key form, drawn over everything while open.
    pub form: Option<crate::app::form::KeyForm>,
    /// The request being validated or waiting for the withdraw confirmation.
    pub pending_connect: Option<crate::app::form::ConnectRequest>,
    /// Exchanges where OAuth sign-in is offered (a client id is configured).
    pub oauth: Vec<OAuthOffer>,
    /// One line under the cards: the last outcome or warning.
    pub notice: Option<Notice>,
    /// Spinner frame, advanced while something runs.
    pub spinner: usize,
    pub quit: bool,
    /// The `/` filter of connection cards, while one is typed or kept.
    pub filter: Option<CardFilter>,
    /// Indexes of the connections the filter lets through (all when there is no filter).
    shown: Vec<usize>,
    /// The terminal's size (columns, rows), for paging and mouse clicks.
    pub screen: (u16, u16),
    /// The key table in use (defaults plus config.toml's `[keys]`).
    pub keys: Arc<KeyMap>,
    /// What the portfolio is worth, with the prices known at the last load.
    pub valuation: Option<crate::portfolio::Valuation>,
    /// The total value a day ago, for the header's change (from the value history).
    pub day_change: Option<crate::portfolio::DayChange>,
    /// Assets worth less than this (in the quote currency) fold into one line
    /// (`dust` in config.toml).
    pub dust: rust_decimal::Decimal,
    /// `key_max_age_days` in config.toml: older keys' cards say "rotate it".
    pub key_max_age_days: Option<u32>,
}

/// The `/` filter: connection cards whose label or exchange holds the text (any case).
/// Connect cards always show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFilter {
    pub text: String,
    /// Still typing (keys go to the filter); false once kept with Enter.
    pub editing: bool,
}

/// The longest filter text.
pub const MAX_FILTER_CHARS: usize = 64;

/// Rows of a Connect card (its border included).
pub const CONNECT_CARD_ROWS: usize = 3;

/// Rows of one connection card (its border included).
pub const CONNECTION_CARD_ROWS: usize = 4;

/// A message in the notice line.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

/// What a card on the Connections screen stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardRef {
    Connection(usize),
    /// "Connect an exchange": opens the exchange picker.
    Connect,
}

/// OAuth as offered for one exchange (only where a client id is configured).
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthOffer {
    pub exchange: ExchangeId,
    pub flows: Vec<FlowKind>,
    pub preferred: FlowKind,
}

impl State {
    pub fn new(now: DateTime<Utc>, utc_offset: FixedOffset, sync_interval: Duration) -> Self {
        Self {
            now,
            utc_offset,
            demo: false,
            demo_sim: None,
            sync_interval,
            connections: Vec::new(),
            throttle: crate::app::throttle::Throttle::new(now),
            syncing: HashSet::new(),
            selected: 0,
            modal: None,
            form: None,
            pending_connect: None,
            oauth: Vec::new(),
            notice: None,
            spinner: 0,
            quit: false,
            filter: None,
            shown: Vec::new(),
            screen: (80, 24),
            keys: Arc::new(KeyMap::default()),
            valuation: None,
            day_change: None,
            dust: rust_decimal::Decimal::ONE,
            key_max_age_days: None,
        }
    }

    /// How many cards PgUp/PgDn move: the connection cards that fit between the header
    /// and the notice and status lines, at least one.
    pub fn page_cards(&self) -> usize {
        (usize::from(self.screen.1.saturating_sub(3)) / CONNECTION_CARD_ROWS).max(1)
    }

    /// Something on screen spins: the form checks a key, a sign-in waits, or a card in
    /// view syncs. (A sync of a card out of view changes only the header's count.)
    pub fn spinning(&self) -> bool {
        self.form
            .as_ref()
            .is_some_and(|f| *f.phase() == crate::app::form::FormPhase::Validating)
            || self.oauth_waiting()
            || self.syncing.iter().any(|id| self.shows(*id))
    }

    /// Whether a connection is in view: its card on screen, or its detail window open.
    pub fn shows(&self, id: i64) -> bool {
        if matches!(&self.modal, Some(Modal::Detail(d)) if d.id == id) {
            return true;
        }
        self.visible_cards()
            .any(|card| matches!(card, CardRef::Connection(i) if self.connections[i].id == id))
    }

    /// The cards on screen, top to bottom: those that fit whole in the card list's rows.
    pub fn visible_cards(&self) -> impl Iterator<Item = CardRef> + '_ {
        let rows = usize::from(self.card_area_rows().1);
        let mut used = 0;
        (self.first_visible(rows)..self.card_count())
            .map(|index| self.card(index))
            .take_while(move |card| {
                used += self.card_rows(*card);
                used <= rows
            })
    }

    /// An OAuth sign-in is running (its spinner turns).
    pub fn oauth_waiting(&self) -> bool {
        matches!(&self.modal, Some(Modal::OAuth(view)) if view.waiting())
    }

    pub fn oauth_offer(&self, exchange: ExchangeId) -> Option<&OAuthOffer> {
        self.oauth.iter().find(|o| o.exchange == exchange)
    }

    /// Labels in use, for the form's default label.
    pub fn labels(&self) -> Vec<String> {
        self.connections.iter().map(|c| c.label.clone()).collect()
    }

    /// Connection cards first (those the filter lets through), then the Connect card.
    pub fn card_count(&self) -> usize {
        self.shown.len() + 1
    }

    /// How many connection cards show (all, or those the filter lets through).
    pub fn shown_connections(&self) -> usize {
        self.shown.len()
    }

    pub fn card(&self, index: usize) -> CardRef {
        match self.shown.get(index) {
            Some(i) => CardRef::Connection(*i),
            None => CardRef::Connect,
        }
    }

    pub fn selected_card(&self) -> CardRef {
        self.card(self.selected.min(self.card_count() - 1))
    }

    pub fn selected_connection(&self) -> Option<&ConnectionRecord> {
        match self.selected_card() {
            CardRef::Connection(i) => self.connections.get(i),
            CardRef::Connect => None,
        }
    }

    /// Sets (or with `None` clears) the filter, keeping the selected connection selected
    /// when it still shows, else selecting the first card.
    pub fn set_filter(&mut self, filter: Option<CardFilter>) {
        let selected_id = self.selected_connection().map(|c| c.id);
        self.filter = filter;
        self.refilter(selected_id);
    }

    /// Recomputes the shown cards and keeps the selection on the connection `keep`.
    fn refilter(&mut self, keep: Option<i64>) {
        let needle = self
            .filter
            .as_ref()
            .map(|f| f.text.to_lowercase())
            .unwrap_or_default();
        self.shown = self
            .connections
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                needle.is_empty()
                    || c.label.to_lowercase().contains(&needle)
                    || c.exchange.name().to_lowercase().contains(&needle)
            })
            .map(|(i, _)| i)
            .collect();
        self.selected = keep
            .and_then(|id| {
                self.shown
                    .iter()
                    .position(|i| self.connections[*i].id == id)
            })
            .unwrap_or(if self.filter.is_some() {
                0
            } else {
                self.selected
            })
            .min(self.card_count() - 1);
    }

    /// Rows a card takes on screen.
    pub fn card_rows(&self, card: CardRef) -> usize {
        match card {
            CardRef::Connection(_) => CONNECTION_CARD_ROWS,
            CardRef::Connect => CONNECT_CARD_ROWS,
        }
    }

    /// The first card drawn in `rows` rows so that the selected one is on screen. Looks
    /// only at the cards between it and the selection, so its cost does not grow with the
    /// number of connections.
    pub fn first_visible(&self, rows: usize) -> usize {
        let selected = self.selected.min(self.card_count() - 1);
        let mut used = 0usize;
        let mut first = selected;
        for index in (0..=selected).rev() {
            used = used.saturating_add(self.card_rows(self.card(index)));
            if used > rows {
                break;
            }
            first = index;
        }
        first
    }

    /// The rows of the card list: below the header, above the notice and status lines.
    pub fn card_area_rows(&self) -> (u16, u16) {
        (1, self.screen.1.saturating_sub(3))
    }

    /// The card drawn at screen row `row`, if any (for a mouse click).
    pub fn card_at(&self, row: u16) -> Option<usize> {
        let (top, rows) = self.card_area_rows();
        if row < top || row >= top + rows {
            return None;
        }
        let mut y = usize::from(top);
        let bottom = usize::from(top + rows);
        for index in self.first_visible(usize::from(rows))..self.card_count() {
            let h = self.card_rows(self.card(index));
            if y + h > bottom {
                return None;
            }
            if usize::from(row) < y + h {
                return Some(index);
            }
            y += h;
        }
        None
    }

    pub fn connection(&self, id: i64) -> Option<&ConnectionRecord> {
        self.connections.iter().find(|c| c.id == id)
    }

    /// The interval that applies to one connection.
    pub fn interval_of(&self, c: &ConnectionRecord) -> Duration {
        c.interval(self.sync_interval)
    }

    /// The badge a connection shows now.
    pub fn status(&self, c: &ConnectionRecord) -> Status {
        c.status(self.now, self.sync_interval, self.syncing.contains(&c.id))
    }

    /// Replaces the connection list, keeping the selection on the same card if it remains.
    /// A list read before a sync ended does not undo what that sync's event showed: of
    /// two versions of a connection, the one with the later attempt stays.
    pub fn set_connections(&mut self, mut connections: Vec<ConnectionRecord>) {
        let selected_id = self.selected_connection().map(|c| c.id);
        let known: HashMap<i64, &ConnectionRecord> =
            self.connections.iter().map(|c| (c.id, c)).collect();
        for c in &mut connections {
            if let Some(old) = known.get(&c.id)
                && old.last_attempt_at > c.last_attempt_at
            {
                *c = (*old).clone();
            }
        }
        self.connections = connections;
        self.syncing
            .retain(|id| self.connections.iter().any(|c| c.id == *id));
        self.refilter(selected_id);
    }

    /// Puts a connection as a sync left it in place of the one shown; false when it is not
    /// in the list (the list must be read again).
    pub fn replace_connection(&mut self, record: ConnectionRecord) -> bool {
        let Some(i) = self.connections.iter().position(|c| c.id == record.id) else {
            return false;
        };
        let relabelled = self.connections[i].label != record.label;
        self.connections[i] = record;
        if relabelled && self.filter.is_some() {
            let selected_id = self.selected_connection().map(|c| c.id);
            self.refilter(selected_id);
        }
        true
    }
}

/// "just now", "42s ago", "5m ago", "3h ago", "2d ago".
pub fn ago(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds();
    match secs {
        i64::MIN..=4 => "just now".into(),
        5..=59 => format!("{secs}s ago"),
        60..=3599 => format!("{}m ago", secs / 60),
        3600..=86_399 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86_400),
    }
}

/// "in 4m", "in 12s", "now".
pub fn until(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let secs = (then - now).num_seconds();
    match secs {
        i64::MIN..=0 => "now".into(),
        1..=59 => format!("in {secs}s"),
        60..=3599 => format!("in {}m", secs / 60),
        _ => format!("in {}h", secs / 3600),
    }
}
