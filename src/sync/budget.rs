//! Per-exchange request budgets, so keyfolio stays under the exchanges' documented limits
//! by itself and never causes a 429.

use crate::exchange::ExchangeId;
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

    /// Waits until `cost` units are available, then spends them.
    pub async fn take(&self, cost: u32) {
        let cost = (cost as f64).min(self.capacity);
        let mut state = self.state.lock().await;
        loop {
            let now = Instant::now();
            let (tokens, last) = *state;
            let tokens = (tokens + (now - last).as_secs_f64() * self.per_second).min(self.capacity);
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

/// Binance: request weight, 6,000 per minute per IP; keyfolio uses at most half.
/// OKX: limits are per account (balance 10 per 2 s); one sync in flight per connection keeps
/// each account far below, and 40 requests per 2 s overall keeps the IP unremarkable.
pub fn for_exchanges() -> HashMap<ExchangeId, Budget> {
    HashMap::from([
        (
            ExchangeId::Binance,
            Budget::new(3000, Duration::from_secs(60)),
        ),
        (ExchangeId::Okx, Budget::new(40, Duration::from_secs(2))),
    ])
}

/// What one sync spends: Binance GET /api/v3/account weighs 20, apiRestrictions 1;
/// OKX counts requests.
pub fn cost(exchange: ExchangeId, with_permissions: bool) -> u32 {
    match exchange {
        ExchangeId::Binance => 20 + u32::from(with_permissions),
        ExchangeId::Okx => 1 + u32::from(with_permissions),
    }
}
