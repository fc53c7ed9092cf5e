//! Everything the screen shows, and nothing else: rendering is a pure function of [`State`].

use crate::model::{Balance, ConnectionRecord, ExchangeId, Status, SyncRun};
use crate::oauth::FlowKind;
use chrono::{DateTime, FixedOffset, Utc};
use std::collections::HashSet;
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
}

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
    Connect(ExchangeId),
}

/// A window over the Connections screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Modal {
    Help,
    Detail(Detail),
    /// Sign in with OAuth (a new connection, or again for one that needs it).
    OAuth(OAuthView),
    ConfirmDisconnect {
        id: i64,
        purge: bool,
    },
    Portfolio(Vec<PortfolioRow>),
}

/// The OAuth sign-in window.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthView {
    pub exchange: ExchangeId,
    pub flows: Vec<FlowKind>,
    pub flow: FlowKind,
    pub phase: OAuthPhase,
    /// Signing in again for this connection, rather than creating one.
    pub reauthorize: Option<i64>,
}

/// Where a sign-in stands.
#[derive(Debug, Clone, PartialEq)]
pub enum OAuthPhase {
    Choose,
    Starting,
    /// Waiting for the browser; the URL is shown for copying when no browser opened.
    Browser {
        url: String,
        opened: bool,
    },
    /// Waiting for the trader to enter the code on another device.
    Device {
        uri: String,
        code: String,
    },
    Failed(String),
    Saved {
        label: String,
        assets: usize,
    },
}

/// OAuth as offered for one exchange (only where a client id is configured).
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthOffer {
    pub exchange: ExchangeId,
    pub flows: Vec<FlowKind>,
    pub preferred: FlowKind,
}

/// The detail view of one connection, loaded from storage when opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub id: i64,
    pub balances: Vec<Balance>,
    pub synced_at: Option<DateTime<Utc>>,
    pub history: Vec<SyncRun>,
}

/// One asset totalled across connections.
#[derive(Debug, Clone, PartialEq)]
pub struct PortfolioRow {
    pub asset: String,
    pub total: String,
    pub connections: usize,
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
            syncing: HashSet::new(),
            selected: 0,
            modal: None,
            form: None,
            pending_connect: None,
            oauth: Vec::new(),
            notice: None,
            spinner: 0,
            quit: false,
        }
    }

    /// An OAuth sign-in is running (its spinner turns).
    pub fn oauth_waiting(&self) -> bool {
        matches!(
            &self.modal,
            Some(Modal::OAuth(OAuthView {
                phase: OAuthPhase::Starting
                    | OAuthPhase::Browser { .. }
                    | OAuthPhase::Device { .. },
                ..
            }))
        )
    }

    pub fn oauth_offer(&self, exchange: ExchangeId) -> Option<&OAuthOffer> {
        self.oauth.iter().find(|o| o.exchange == exchange)
    }

    /// Labels in use, for the form's default label.
    pub fn labels(&self) -> Vec<String> {
        self.connections.iter().map(|c| c.label.clone()).collect()
    }

    /// Connection cards first, then one Connect card per exchange.
    pub fn card_count(&self) -> usize {
        self.connections.len() + ExchangeId::ALL.len()
    }

    pub fn card(&self, index: usize) -> CardRef {
        if index < self.connections.len() {
            CardRef::Connection(index)
        } else {
            CardRef::Connect(ExchangeId::ALL[index - self.connections.len()])
        }
    }

    pub fn selected_card(&self) -> CardRef {
        self.card(self.selected.min(self.card_count() - 1))
    }

    pub fn selected_connection(&self) -> Option<&ConnectionRecord> {
        match self.selected_card() {
            CardRef::Connection(i) => self.connections.get(i),
            CardRef::Connect(_) => None,
        }
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
    pub fn set_connections(&mut self, connections: Vec<ConnectionRecord>) {
        let selected_id = self.selected_connection().map(|c| c.id);
        self.connections = connections;
        self.syncing
            .retain(|id| self.connections.iter().any(|c| c.id == *id));
        if let Some(id) = selected_id
            && let Some(i) = self.connections.iter().position(|c| c.id == id)
        {
            self.selected = i;
        }
        self.selected = self.selected.min(self.card_count() - 1);
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
