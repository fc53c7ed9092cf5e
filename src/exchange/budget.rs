//! Per-exchange request budgets, so keyfolio stays under the exchanges' documented limits
//! by itself and never causes a 429.

use crate::model::ExchangeId;
use crate::model::profile::profile;
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// A token bucket: `capacity` units refilled evenly over `period`.
pub struct Budget {
    capacity: f64,
    per_second: f64,
    /// Units in the bucket (negative: debt) and when that was so. Held only to read or
    /// change it, never across a wait.
    state: std::sync::Mutex<(f64, Instant)>,
    /// Takers wait their turn here, first come first served.
    turns: tokio::sync::Mutex<()>,
}

impl Budget {
    pub fn new(capacity: u32, period: Duration) -> Self {
        Self {
            capacity: capacity as f64,
            per_second: capacity as f64 / period.as_secs_f64(),
            state: std::sync::Mutex::new((capacity as f64, Instant::now())),
            turns: tokio::sync::Mutex::new(()),
        }
    }

    /// Spends `cost` units now, without waiting, not even for the takers in line:
    /// requests already made (a sync's wallets, known only once its overview is read).
    /// The bucket may go into debt; the next `take` waits it off.
    pub fn spend(&self, cost: u32) {
        let mut state = self.state.lock().unwrap();
        let now = Instant::now();
        *state = (self.refilled(*state, now) - cost as f64, now);
    }

    /// The units in the bucket at `now`, from what it held at its last change.
    fn refilled(&self, (tokens, last): (f64, Instant), now: Instant) -> f64 {
        (tokens + (now - last).as_secs_f64() * self.per_second).min(self.capacity)
    }

    /// Waits its turn and until `cost` units are available, then spends them.
    pub async fn take(&self, cost: u32) {
        let cost = (cost as f64).min(self.capacity);
        let _turn = self.turns.lock().await;
        loop {
            let wait = {
                let mut state = self.state.lock().unwrap();
                let now = Instant::now();
                let tokens = self.refilled(*state, now);
                if tokens >= cost {
                    *state = (tokens - cost, now);
                    return;
                }
                *state = (tokens, now);
                Duration::from_secs_f64((cost - tokens) / self.per_second)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// The budgets one engine spends from: per IP (per exchange) and, where the exchange
/// limits per account, per connection.
#[derive(Default)]
pub struct Budgets {
    per_ip: std::sync::Mutex<HashMap<ExchangeId, std::sync::Arc<Budget>>>,
    /// The wallet reads' own per-IP budget, where the exchange counts them apart.
    wallets: std::sync::Mutex<HashMap<ExchangeId, std::sync::Arc<Budget>>>,
    per_account: std::sync::Mutex<HashMap<i64, std::sync::Arc<Budget>>>,
}

/// The per-IP budget of an exchange (its profile's, [`crate::model::profile`]).
///
/// Binance limits request weight per IP: 6,000 per minute on /api, 12,000 on /sapi
/// (the wallet reads' own budget, [`Budgets::wallet_budget`]); keyfolio uses at most half.
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

    /// The budget the exchange's wallet reads spend from: their own where its profile
    /// has a wallet limit (Binance's /sapi), else the per-IP one. Made on first use.
    fn wallet_budget(&self, exchange: ExchangeId) -> std::sync::Arc<Budget> {
        match profile(exchange).wallet_limit {
            Some(limit) => self
                .wallets
                .lock()
                .unwrap()
                .entry(exchange)
                .or_insert_with(|| std::sync::Arc::new(Budget::new(limit.weight, limit.per)))
                .clone(),
            None => self.per_ip(exchange),
        }
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

    /// Spends one all-tickers request from the exchange's per-IP budget without waiting:
    /// its documented cost ([`crate::exchange::tickers`]: Binance's weighs 4, KuCoin's 15
    /// of CCXT's units), as debt the syncs after it wait out. It does not queue behind the
    /// syncs waiting for the budget: the request is made after a sync, in the sync's
    /// concurrency slot, and a queue of syncs worth minutes of budget would hold the slot
    /// (and so every sync) that long. One such request per exchange per round.
    pub fn charge_tickers(&self, exchange: ExchangeId) {
        let cost = crate::exchange::tickers::cost(exchange);
        self.per_ip(exchange).spend(cost);
    }

    /// Charges what a sync `spent` beyond what [`Self::take`] took for it
    /// ([`crate::exchange::sync_cost`]): the wallets the overview showed coins in, read
    /// from the wallet budget where the exchange has one. Without waiting.
    pub fn charge(&self, exchange: ExchangeId, spent: u32, with_permissions: bool) {
        let extra = spent.saturating_sub(crate::exchange::sync_cost(exchange, with_permissions));
        if extra > 0 {
            self.wallet_budget(exchange).spend(extra);
        }
    }

    /// Waits until one sync of this connection fits every budget, then spends it.
    pub async fn take(&self, exchange: ExchangeId, connection: i64, with_permissions: bool) {
        if profile(exchange).wallet_limit.is_some() {
            let balance = crate::exchange::balance_cost(exchange, with_permissions);
            self.per_ip(exchange).take(balance).await;
            let wallets = crate::exchange::wallets::always_weight(exchange);
            self.wallet_budget(exchange).take(wallets).await;
        } else {
            let cost = crate::exchange::sync_cost(exchange, with_permissions);
            self.per_ip(exchange).take(cost).await;
        }
        // Where the exchange limits each account's endpoints (OKX), one sync a time of
        // its account budget.
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A sync's charge (and a ticker request's) is spent at once even while syncs wait in
    /// line for the budget; the debt then delays the line. (Spending used to queue behind
    /// the waiting takers, holding the sync's concurrency slot for as long as the whole
    /// line took: minutes with 100 Binance connections.)
    #[tokio::test(start_paused = true)]
    async fn a_charge_does_not_wait_behind_the_takers_in_line() {
        let budget = Arc::new(Budget::new(10, Duration::from_secs(1)));
        budget.take(10).await;
        let started = Instant::now();
        let waiting: Vec<_> = (0..3)
            .map(|_| {
                let budget = budget.clone();
                tokio::spawn(async move {
                    budget.take(10).await;
                    started.elapsed()
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        budget.spend(5);
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(100),
            "spent at once"
        );
        let mut done = Vec::new();
        for w in waiting {
            done.push(w.await.unwrap());
        }
        done.sort();
        // Three more takes of a full bucket each, plus the 5 units of debt.
        assert_eq!(done.last().copied(), Some(Duration::from_millis(3500)));
    }

    /// Binance's wallet reads spend from their own /sapi budget (6,000 a minute) and
    /// its account call from /api's (3,000): 98 syncs of 20 + 61 start at once, the
    /// 99th waits for /sapi weight, and none is taken twice from one budget.
    #[tokio::test(start_paused = true)]
    async fn binance_wallet_reads_spend_from_their_own_budget() {
        let budgets = Budgets::documented();
        let started = Instant::now();
        for id in 0..98 {
            budgets.take(ExchangeId::Binance, id, false).await;
        }
        assert_eq!(started.elapsed(), Duration::ZERO);
        budgets.take(ExchangeId::Binance, 98, false).await;
        // 61 - (6,000 - 98 x 61 = 22) = 39 weight at 100 a second.
        assert_eq!(started.elapsed(), Duration::from_millis(390));
        // A sync whose overview showed coins in Simple Earn (150) spends it from /sapi.
        budgets.charge(ExchangeId::Binance, 20 + 61 + 150, false);
        let before = Instant::now();
        budgets.take(ExchangeId::Binance, 99, false).await;
        assert_eq!(before.elapsed(), Duration::from_millis(2110));
    }
}
