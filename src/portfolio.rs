//! What the portfolio is worth: prices from the connected exchanges' public tickers, and
//! each asset's, connection's and the whole portfolio's value in the quote currency.
//! Pure functions of balances and prices; all arithmetic in decimals.

use crate::model::{Balance, ExchangeId, Quote, Tickers, Wallet};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// The last good balances of one connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Holding {
    pub connection_id: i64,
    pub exchange: ExchangeId,
    pub label: String,
    pub balances: Vec<Balance>,
    /// Its last sync failed or is overdue: its amounts may be old.
    pub stale: bool,
}

/// One asset across every connection.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetValue {
    pub asset: String,
    pub amount: Decimal,
    /// One unit in the quote currency (held on several exchanges: their average, each
    /// holding valued at its own exchange's price); `None`: no pair prices it.
    pub price: Option<Decimal>,
    pub value: Option<Decimal>,
    /// Percent of the priced total.
    pub share: Option<Decimal>,
    /// Where it is held: each connection's label, with the wallets it sits in where
    /// that connection holds coins in more than one ("Main (spot, earn)").
    pub holders: Vec<String>,
    /// Each place it sits: (connection id, wallet, amount); a debt is negative.
    pub places: Vec<(i64, Wallet, Decimal)>,
    /// Some of it sits on a stale connection.
    pub stale: bool,
}

/// The portfolio valued in one quote currency.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Valuation {
    pub quote: Quote,
    /// By value, largest first; assets without a price last, by name.
    pub assets: Vec<AssetValue>,
    /// The priced assets only: an asset without a price is left out, never counted as 0.
    pub total: Decimal,
    /// Assets left out of the total for want of a price.
    pub unpriced: Vec<String>,
    /// Each connection's value (its priced assets) and how many of its assets have no price.
    pub by_connection: HashMap<i64, (Decimal, usize)>,
    /// Each connection's value per wallet (its priced assets there).
    pub by_wallet: HashMap<(i64, Wallet), Decimal>,
    /// Some price comes from a ticker request that failed since: the last known prices.
    pub prices_stale: bool,
}

/// The price of one `base` in `quote` on one exchange's tickers, either way round.
fn pair(tickers: &Tickers, base: &str, quote: &str) -> Option<Decimal> {
    if let Some(p) = tickers.pairs.get(&(base.to_string(), quote.to_string())) {
        return Some(*p);
    }
    let inverse = tickers.pairs.get(&(quote.to_string(), base.to_string()))?;
    (!inverse.is_zero()).then(|| Decimal::ONE / inverse)
}

/// A pair on the holding exchange first, else on any other connected exchange.
fn any_pair(
    prices: &BTreeMap<ExchangeId, Tickers>,
    holder: ExchangeId,
    base: &str,
    quote: &str,
) -> Option<Decimal> {
    let own = prices.get(&holder).and_then(|t| pair(t, base, quote));
    own.or_else(|| {
        prices
            .iter()
            .filter(|(e, _)| **e != holder)
            .find_map(|(_, t)| pair(t, base, quote))
    })
}

/// The assets a price may go through when no pair joins an asset and the quote: BTC and
/// ETH, USDT (ADA → USDT → BTC), then the fiat an exchange quotes in (Coinbase's ADA-USD
/// and USDT-USD price ADA in USDT; Bitvavo quotes in EUR only).
const THROUGH: [&str; 5] = ["BTC", "ETH", "USDT", "USD", "EUR"];

/// One unit of `asset` in `quote`: the quote itself is 1; else from the holding
/// exchange's own tickers (a direct pair, then through [`THROUGH`]), and only then from
/// any connected exchange's (each pair on the holding exchange first). Stablecoins are
/// priced like any asset, never assumed to be 1.
pub fn price(
    prices: &BTreeMap<ExchangeId, Tickers>,
    holder: ExchangeId,
    asset: &str,
    quote: Quote,
) -> Option<Decimal> {
    let quote = quote.code();
    if asset == quote {
        return Some(Decimal::ONE);
    }
    let own = |base: &str, quote: &str| prices.get(&holder).and_then(|t| pair(t, base, quote));
    let any = |base: &str, quote: &str| any_pair(prices, holder, base, quote);
    through(&own, asset, quote).or_else(|| through(&any, asset, quote))
}

/// A direct pair found by `find`, else one leg to an asset of [`THROUGH`] and one on.
fn through(
    find: &dyn Fn(&str, &str) -> Option<Decimal>,
    asset: &str,
    quote: &str,
) -> Option<Decimal> {
    find(asset, quote).or_else(|| {
        THROUGH.into_iter().find_map(|via| {
            if asset == via || quote == via {
                return None;
            }
            find(asset, via)?.checked_mul(find(via, quote)?)
        })
    })
}

/// An amount as the exchange wrote it, as a decimal (0 when unreadable).
fn amount(text: &str) -> Decimal {
    Decimal::from_str_exact(text)
        .or_else(|_| Decimal::from_scientific(text))
        .unwrap_or_default()
}

/// Values every holding with these prices.
pub fn value(
    holdings: &[Holding],
    prices: &BTreeMap<ExchangeId, Tickers>,
    quote: Quote,
) -> Valuation {
    let mut assets: BTreeMap<String, AssetValue> = BTreeMap::new();
    let mut by_connection = HashMap::new();
    let mut by_wallet = HashMap::new();
    let mut labels: HashMap<i64, (&str, bool)> = HashMap::new();
    for h in holdings {
        let mut connection_value = Decimal::ZERO;
        let mut unpriced = std::collections::BTreeSet::new();
        let several_wallets = h.balances.iter().any(|b| b.wallet != h.balances[0].wallet);
        for b in &h.balances {
            let amount = amount(&b.total);
            let value =
                price(prices, h.exchange, &b.asset, quote).and_then(|p| p.checked_mul(amount));
            match value {
                Some(v) => {
                    connection_value += v;
                    *by_wallet.entry((h.connection_id, b.wallet)).or_default() += v;
                }
                None => {
                    unpriced.insert(b.asset.as_str());
                }
            }
            let entry = assets.entry(b.asset.clone()).or_insert_with(|| AssetValue {
                asset: b.asset.clone(),
                amount: Decimal::ZERO,
                price: None,
                value: None,
                share: None,
                holders: Vec::new(),
                places: Vec::new(),
                stale: false,
            });
            entry.amount += amount;
            if let Some(v) = value {
                entry.value = Some(entry.value.unwrap_or_default() + v);
            }
            entry.stale |= h.stale;
            entry.places.push((h.connection_id, b.wallet, amount));
        }
        by_connection.insert(h.connection_id, (connection_value, unpriced.len()));
        labels.insert(h.connection_id, (h.label.as_str(), several_wallets));
    }
    for entry in assets.values_mut() {
        // Places were pushed holding by holding: one run per connection.
        for run in entry.places.chunk_by(|a, b| a.0 == b.0) {
            let (label, several_wallets) = labels[&run[0].0];
            let holder = if several_wallets {
                let wallets: Vec<&str> = run.iter().map(|(_, w, _)| w.short()).collect();
                format!("{label} ({})", wallets.join(", "))
            } else {
                label.to_string()
            };
            if !entry.holders.contains(&holder) {
                entry.holders.push(holder);
            }
        }
    }
    let mut assets: Vec<AssetValue> = assets
        .into_values()
        .map(|mut a| {
            a.price = a
                .value
                .filter(|_| !a.amount.is_zero())
                .and_then(|v| v.checked_div(a.amount));
            a
        })
        .collect();
    let total: Decimal = assets.iter().filter_map(|a| a.value).sum();
    for a in &mut assets {
        a.share = a
            .value
            .filter(|_| !total.is_zero())
            .map(|v| (v * Decimal::ONE_HUNDRED / total).round_dp(2));
    }
    assets.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.asset.cmp(&b.asset)));
    let unpriced = assets
        .iter()
        .filter(|a| a.value.is_none())
        .map(|a| a.asset.clone())
        .collect();
    Valuation {
        quote,
        assets,
        total,
        unpriced,
        by_connection,
        by_wallet,
        prices_stale: prices.values().any(|t| t.stale),
    }
}

/// The 24 h change of the same connections: their value a day ago and now. A
/// connection made or removed since is in neither, so connecting an account is not a gain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayChange {
    pub then: Decimal,
    pub now: Decimal,
}

impl DayChange {
    /// The change of the connections valued both a day ago (`then`, by connection id)
    /// and now; `None` when none was.
    pub fn of(valuation: &Valuation, then: &HashMap<i64, Decimal>) -> Option<Self> {
        let both: Vec<i64> = then
            .keys()
            .filter(|id| valuation.by_connection.contains_key(id))
            .copied()
            .collect();
        (!both.is_empty()).then(|| Self {
            then: both.iter().map(|id| then[id]).sum(),
            now: both.iter().map(|id| valuation.by_connection[id].0).sum(),
        })
    }

    /// The change in percent, to two places; `None` from a zero value.
    pub fn percent(self) -> Option<Decimal> {
        (!self.then.is_zero())
            .then(|| ((self.now - self.then) * Decimal::ONE_HUNDRED / self.then).round_dp(2))
    }
}

/// The assets worth at least `dust` each (or with no price: never hidden), and what is
/// folded away: how many assets and their value together. A debt is never dust.
pub fn fold_dust(assets: &[AssetValue], dust: Decimal) -> (Vec<&AssetValue>, usize, Decimal) {
    let small = |a: &AssetValue| a.value.is_some_and(|v| v >= Decimal::ZERO && v < dust);
    let shown = assets.iter().filter(|a| !small(a)).collect();
    let folded: Vec<&AssetValue> = assets.iter().filter(|a| small(a)).collect();
    let value = folded.iter().filter_map(|a| a.value).sum();
    (shown, folded.len(), value)
}

/// A value for the screen: grouped thousands, rounded to the quote's decimals only here.
pub fn display_value(value: Decimal, quote: Quote) -> String {
    let rounded = value.round_dp(quote.decimals());
    let text = format!("{rounded:.prec$}", prec = quote.decimals() as usize);
    let (sign, digits) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |d| ("-", d));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction}")
    }
}

/// A price for the screen: at least four significant digits, trailing zeros trimmed.
pub fn display_price(price: Decimal) -> String {
    let places = if price >= Decimal::ONE_HUNDRED {
        2
    } else if price >= Decimal::ONE {
        4
    } else {
        8
    };
    price.round_dp(places).normalize().to_string()
}
