//! Per-exchange request budgets, so keyfolio stays under the exchanges' documented limits
//! by itself and never causes a 429.

use crate::model::ExchangeId;
use crate::model::profile::profile;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// A token bucket: `capacity` units refilled evenly over `period`.
pub struct Budget {
    capacity: f64,
    per_second: f64,
    state: Mutex<(f64, Instant)>,
}

impl Budget {
    pub fn new(capacity: u32, period: Duration) -> Self {
        Self {
            capacity: capacity as f64,
            per_second: capacity as f64 / period.as_secs_f64(),
            state: Mutex::new((capacity as f64, Instant::now())),
        }
    }

    /// Spends `cost` units now, without waiting: requests already made (a sync's
    /// wallets, known only once its overview is read). The bucket may go into debt; the
    /// next `take` waits it off.
    pub async fn spend(&self, cost: u32) {
        let mut state = self.state.lock().await;
        let now = Instant::now();
        *state = (self.refilled(*state, now) - cost as f64, now);
    }

    /// The units in the bucket at `now`, from what it held at its last change.
    fn refilled(&self, (tokens, last): (f64, Instant), now: Instant) -> f64 {
        (tokens + (now - last).as_secs_f64() * self.per_second).min(self.capacity)
    }

    /// Waits until `cost` units are available, then spends them.
    pub async fn take(&self, cost: u32) {
        let cost = (cost as f64).min(self.capacity);
        let mut state = self.state.lock().await;
        loop {
            let now = Instant::now();
            let tokens = self.refilled(*state, now);
            if tokens >= cost {
                *state = (tokens - cost, now);
                return;
            }
            *state = (tokens, now);
            let wait = Duration::from_secs_f64((cost - tokens) / self.per_second);
            tokio::time::sleep(wait).await;
        }
    }
}

/// The budgets one engine spends from: per IP (per exchange) and, where the exchange
/// limits per account, per connection.
#[derive(Default)]
pub struct Budgets {
    per_ip: std::sync::Mutex<HashMap<ExchangeId, std::sync::Arc<Budget>>>,
    per_account: std::sync::Mutex<HashMap<i64, std::sync::Arc<Budget>>>,
}

/// The per-IP budget of an exchange (its profile's, [`crate::model::profile`]).
///
/// Binance limits request weight per IP: 6,000 per minute; keyfolio uses at most half.
/// OKX limits private endpoints per account (user ID), each endpoint on its own: balance
/// 10 and config 5 per 2 s, funding balances and savings balance 6 per second each.
/// keyfolio uses at most 4 requests per 2 s per account (a sync is 3: balance, funding,
/// savings; 4 with the config), and 400 per 2 s across all of them (100 connections'
/// syncs with their config).
/// Every other exchange gets CCXT's `rateLimit` (the least gap CCXT keeps between two
/// requests) doubled: one request per two gaps.
fn per_ip_budget(exchange: ExchangeId) -> Budget {
    match profile(exchange).ip_limit {
        Some(limit) => Budget::new(limit.weight, limit.per),
        None => {
            let gap_ms = crate::exchange::catalog::facts(exchange.id()).rate_limit_ms;
            Budget::new(1, Duration::from_secs_f64(2.0 * gap_ms.max(1.0) / 1000.0))
        }
    }
}

impl Budgets {
    pub fn documented() -> Self {
        Self::default()
    }

    /// The exchange's per-IP budget, made on first use.
    fn per_ip(&self, exchange: ExchangeId) -> std::sync::Arc<Budget> {
        self.per_ip
            .lock()
            .unwrap()
            .entry(exchange)
            .or_insert_with(|| std::sync::Arc::new(per_ip_budget(exchange)))
            .clone()
    }

    /// Waits until one all-tickers request fits the exchange's per-IP budget, then spends
    /// it: its documented cost ([`crate::exchange::tickers`]: Binance's weighs 4, KuCoin's
    /// 15 of CCXT's units). A generic exchange's budget holds one request, so a request
    /// that costs more waits its cost in turns.
    pub async fn take_tickers(&self, exchange: ExchangeId) {
        let cost = crate::exchange::tickers::cost(exchange);
        let ip = self.per_ip(exchange);
        if exchange.is_generic() {
            for _ in 0..cost {
                ip.take(1).await;
            }
        } else {
            ip.take(cost).await;
        }
    }

    /// Charges what a sync spent beyond [`cost`]'s estimate (its wallets), without waiting.
    pub async fn charge(&self, exchange: ExchangeId, extra: u32) {
        if extra > 0 {
            self.per_ip(exchange).spend(extra).await;
        }
    }

    /// Waits until one sync of this connection fits every budget, then spends it.
    pub async fn take(&self, exchange: ExchangeId, connection: i64, with_permissions: bool) {
        let cost = crate::exchange::sync_cost(exchange, with_permissions);
        let ip = self.per_ip(exchange);
        ip.take(cost).await;
        // Where the exchange limits each account's endpoints (OKX), one sync a time of
        // its account budget; the per-IP budget is charged after the sync whatever it
        // spent beyond `cost` (the wallets the overview showed coins in).
        if let Some(limit) = profile(exchange).account_limit {
            let account = self
                .per_account
                .lock()
                .unwrap()
                .entry(connection)
                .or_insert_with(|| std::sync::Arc::new(Budget::new(limit.weight, limit.per)))
                .clone();
            account.take(1).await;
        }
    }
}
