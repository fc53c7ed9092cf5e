//! Actions (user intents and task results) flowing into `update`, and the effects it asks for.

use super::form::ConnectRequest;
use super::state::{Detail, HistoryRange, OAuthPhase};
use crate::model::ConnectionRecord;
use crate::model::ExchangeId;
use crate::model::{AccountSnapshot, Failure, Permissions};
use crate::model::{Credentials, Endpoint};
use crate::oauth::FlowKind;
use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Action {
    Key(KeyEvent),
    Paste(Pasted),
    /// A click or the wheel over the screen.
    Mouse(MouseEvent),
    /// The terminal's size changed (paging moves by what fits on screen).
    Resize {
        width: u16,
        height: u16,
    },
    /// The clock moved (drives "2m ago" and the spinner).
    Tick(DateTime<Utc>),
    /// The connection list as stored now.
    Connections(Vec<ConnectionRecord>),
    DetailLoaded(Detail),
    /// The portfolio valued with the prices known now, and the total a day ago.
    Valued {
        valuation: crate::portfolio::Valuation,
        day_change: Option<crate::portfolio::DayChange>,
    },
    /// The portfolio chart's points for this range, oldest first.
    HistoryLoaded {
        range: HistoryRange,
        points: Vec<(DateTime<Utc>, rust_decimal::Decimal)>,
    },
    SyncStarted(i64),
    SyncFinished {
        id: i64,
        outcome: Result<(), String>,
        /// The connection as stored after the sync, when the engine could read it back:
        /// its card is updated from it, without reading the whole list again.
        record: Option<Box<ConnectionRecord>>,
    },
    Disconnected {
        id: i64,
        outcome: Result<(), String>,
    },
    /// The result of validating (and saving) a key from the form.
    ConnectFinished(ConnectOutcome),
    /// The result of replacing a connection's key from the form in replace mode.
    RotateFinished(ConnectOutcome),
    /// An OAuth sign-in moved on (the browser URL or the device code is known).
    OAuthProgress(OAuthPhase),
    /// An OAuth sign-in ended.
    OAuthFinished(ConnectOutcome),
    /// A background task failed in a way the trader should see.
    Notice(String),
}

/// Pasted text: often a secret, so its Debug shows only its length.
#[derive(Clone)]
pub struct Pasted(pub zeroize::Zeroizing<String>);

impl Pasted {
    pub fn new(text: impl Into<String>) -> Self {
        Self(zeroize::Zeroizing::new(text.into()))
    }
}

impl std::fmt::Debug for Pasted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pasted({} chars)", self.0.chars().count())
    }
}

/// How a connect from the form ended.
#[derive(Debug, Clone)]
pub enum ConnectOutcome {
    Saved {
        label: String,
        assets: usize,
        permissions: Option<Permissions>,
    },
    Rejected(Failure),
    WithdrawRisk(AccountSnapshot),
    /// Refused before or after validation (duplicate key, secret store down), with why.
    Refused(String),
}

/// Work `update` asks the runner to do; results come back as actions.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Read the connection list again (merged with other requests while one runs).
    LoadConnections,
    LoadDetail(i64),
    /// Value the portfolio (after every change of the connection list).
    LoadValuation,
    /// The total value's history over a range, for the chart.
    LoadHistory(HistoryRange),
    Sync(Vec<i64>),
    Disconnect {
        id: i64,
        purge: bool,
    },
    /// Validate the key, then save it (`accept_withdraw_risk` after the trader confirmed).
    Connect {
        request: ConnectRequest,
        accept_withdraw_risk: bool,
    },
    /// Validate the new key of connection `id`, then swap it in (`Context::rotate`);
    /// `endpoint` is `None` to keep the connection's own.
    Rotate {
        id: i64,
        creds: Credentials,
        endpoint: Option<Endpoint>,
        accept_withdraw_risk: bool,
    },
    /// The trader pressed Esc while the key was being checked (or a sign-in ran).
    CancelConnect,
    /// Run an OAuth sign-in; with `reauthorize`, replace that connection's tokens.
    StartOAuth {
        exchange: ExchangeId,
        flow: FlowKind,
        label: String,
        reauthorize: Option<i64>,
    },
    /// Demo only: answer the simulator's consent page as the trader's browser would.
    DemoApprove {
        url: String,
    },
    /// Demo only: enter the device code on the simulator's page.
    DemoApproveDevice {
        code: String,
    },
}
