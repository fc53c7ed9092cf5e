//! What the portfolio is worth: prices from the connected exchanges' tickers, values in
//! decimals, paths through BTC, missing prices left out visibly, one ticker request per
//! exchange per round.

use chrono::Utc;
use keyfolio::config::{Config, Paths};
use keyfolio::context::Context;
use keyfolio::exchange::sim::{SimAccount, Simulator};
use keyfolio::model::{Balance, Credentials, Endpoint, ExchangeId, Quote, Tickers};
use keyfolio::portfolio::{Holding, display_value, price, value};
use keyfolio::store::SecretStore;
use keyfolio::sync::Engine;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn tickers(pairs: &[(&str, &str, &str)]) -> Tickers {
    Tickers {
        at: Some(Utc::now()),
        pairs: pairs
            .iter()
            .map(|(b, q, p)| ((b.to_string(), q.to_string()), d(p)))
            .collect(),
        stale: false,
    }
}

fn balance(asset: &str, total: &str) -> Balance {
    Balance {
        wallet: keyfolio::model::Wallet::Spot,
        asset: asset.into(),
        free: total.into(),
        used: "0".into(),
        total: total.into(),
        approximate: false,
    }
}

fn prices() -> BTreeMap<ExchangeId, Tickers> {
    BTreeMap::from([
        (
            ExchangeId::Binance,
            tickers(&[
                ("BTC", "USDT", "64000.00"),
                ("USDC", "USDT", "1.0001"),
                ("XRP", "BTC", "0.00000860"),
            ]),
        ),
        (
            ExchangeId::Okx,
            tickers(&[("ETH", "USDT", "3200.5"), ("BTC", "USDT", "63000")]),
        ),
    ])
}

fn in_wallet(wallet: keyfolio::model::Wallet, asset: &str, total: &str) -> Balance {
    Balance {
        wallet,
        ..balance(asset, total)
    }
}

#[test]
fn every_wallet_counts_once_and_says_where_coins_sit() {
    use keyfolio::model::Wallet;
    let holdings = vec![
        Holding {
            connection_id: 1,
            exchange: ExchangeId::Binance,
            label: "Main".into(),
            balances: vec![
                in_wallet(Wallet::Spot, "BTC", "0.1"),
                in_wallet(Wallet::EarnFlexible, "BTC", "0.4"),
                in_wallet(Wallet::UsdmFutures, "USDT", "500"),
                // A cross-margin debt: negative, never dropped.
                in_wallet(Wallet::CrossMargin, "USDT", "-100"),
                in_wallet(Wallet::Funding, "NOPRICE", "3"),
                in_wallet(Wallet::EarnLocked, "NOPRICE", "4"),
            ],
            stale: false,
        },
        Holding {
            connection_id: 2,
            exchange: ExchangeId::Okx,
            label: "OKX".into(),
            balances: vec![balance("BTC", "0.1")],
            stale: false,
        },
    ];
    let v = value(&holdings, &prices(), Quote::Usdt);
    let btc = v.assets.iter().find(|a| a.asset == "BTC").unwrap();
    assert_eq!(btc.amount, d("0.6"));
    assert_eq!(btc.holders, vec!["Main (spot, earn)", "OKX"]);
    assert_eq!(btc.places.len(), 3);
    let usdt = v.assets.iter().find(|a| a.asset == "USDT").unwrap();
    assert_eq!(usdt.amount, d("400"), "the debt is netted, not dropped");
    assert_eq!(v.by_wallet[&(1, Wallet::EarnFlexible)], d("25600"));
    assert_eq!(v.by_wallet[&(1, Wallet::CrossMargin)], d("-100"));
    assert_eq!(v.by_connection[&1].0, d("6400") + d("25600") + d("400"));
    // One asset without a price, though it sits in two wallets.
    assert_eq!(v.by_connection[&1].1, 1);
    assert_eq!(v.unpriced, vec!["NOPRICE"]);
}

#[test]
fn the_24h_change_compares_the_same_connections_so_connecting_is_no_gain() {
    use keyfolio::portfolio::DayChange;
    let holding = |id: i64, btc: &str| Holding {
        connection_id: id,
        exchange: ExchangeId::Binance,
        label: format!("C{id}"),
        balances: vec![balance("BTC", btc)],
        stale: false,
    };
    // Connection 1 held 0.5 BTC then and now; connection 2 is new (no value a day ago);
    // connection 3 was disconnected since (a value then, none now).
    let v = value(
        &[holding(1, "0.5"), holding(2, "10")],
        &prices(),
        Quote::Usdt,
    );
    let then = std::collections::HashMap::from([(1, d("30000")), (3, d("99999"))]);
    let change = DayChange::of(&v, &then).unwrap();
    assert_eq!(change.then, d("30000"));
    assert_eq!(
        change.now,
        d("32000"),
        "the new connection's 640,000 is not a gain"
    );
    assert_eq!(change.percent(), Some(d("6.67")));
    assert_eq!(DayChange::of(&v, &std::collections::HashMap::new()), None);
    let from_zero = DayChange {
        then: Decimal::ZERO,
        now: d("5"),
    };
    assert_eq!(from_zero.percent(), None);
}

#[test]
fn dust_folds_small_priced_assets_but_never_unpriced_ones_or_debts() {
    use keyfolio::portfolio::fold_dust;
    let holdings = vec![Holding {
        connection_id: 1,
        exchange: ExchangeId::Binance,
        label: "Main".into(),
        balances: vec![
            balance("BTC", "0.5"),
            balance("USDT", "0.40"),
            balance("USDC", "0.5"),
            balance("NOPRICE", "0.0001"),
        ],
        stale: false,
    }];
    let v = value(&holdings, &prices(), Quote::Usdt);
    let (shown, folded, folded_value) = fold_dust(&v.assets, d("1"));
    let names: Vec<&str> = shown.iter().map(|a| a.asset.as_str()).collect();
    assert_eq!(names, vec!["BTC", "NOPRICE"]);
    assert_eq!(folded, 2);
    assert_eq!(folded_value, d("0.40") + d("0.50005"));
    let (shown, folded, _) = fold_dust(&v.assets, Decimal::ZERO);
    assert_eq!((shown.len(), folded), (4, 0), "dust 0 folds nothing");
}

#[test]
fn values_are_exact_for_known_prices_and_prefer_the_holding_exchange() {
    let holdings = vec![
        Holding {
            connection_id: 1,
            exchange: ExchangeId::Binance,
            label: "Main".into(),
            balances: vec![
                balance("BTC", "0.5"),
                balance("USDT", "100.25"),
                balance("USDC", "10"),
            ],
            stale: false,
        },
        Holding {
            connection_id: 2,
            exchange: ExchangeId::Okx,
            label: "OKX".into(),
            balances: vec![balance("BTC", "0.1"), balance("ETH", "2")],
            stale: true,
        },
    ];
    let v = value(&holdings, &prices(), Quote::Usdt);
    // Binance's BTC at Binance's price, OKX's at OKX's; USDC by its pair, not as 1.
    assert_eq!(
        v.by_connection[&1].0,
        d("32000") + d("100.25") + d("10.001")
    );
    assert_eq!(v.by_connection[&2].0, d("6300") + d("6401.0"));
    assert_eq!(v.total, d("32110.251") + d("12701"));
    let btc = v.assets.iter().find(|a| a.asset == "BTC").unwrap();
    assert_eq!(btc.amount, d("0.6"));
    assert_eq!(btc.holders, vec!["Main", "OKX"]);
    assert!(btc.stale, "part of it sits on a stale connection");
    assert_eq!(v.assets[0].asset, "BTC", "largest value first");
    let shares: Decimal = v.assets.iter().filter_map(|a| a.share).sum();
    assert!((shares - d("100")).abs() <= d("0.05"), "{shares}");
    assert_eq!(display_value(v.total, Quote::Usdt), "44,811.25");
}

#[test]
fn an_asset_is_priced_through_btc_and_a_missing_price_is_left_out_visibly() {
    let holdings = vec![Holding {
        connection_id: 1,
        exchange: ExchangeId::Binance,
        label: "Main".into(),
        balances: vec![balance("XRP", "1000"), balance("PEPE", "123456789")],
        stale: false,
    }];
    let v = value(&holdings, &prices(), Quote::Usdt);
    let xrp = v.assets.iter().find(|a| a.asset == "XRP").unwrap();
    assert_eq!(xrp.price, Some(d("0.00000860") * d("64000.00")));
    assert_eq!(xrp.value, Some(d("550.40")));
    let pepe = v.assets.iter().find(|a| a.asset == "PEPE").unwrap();
    assert_eq!((pepe.price, pepe.value), (None, None));
    assert_eq!(v.unpriced, vec!["PEPE"]);
    assert_eq!(
        v.total,
        d("550.40"),
        "PEPE is not counted as 0, it is left out"
    );
    assert_eq!(v.by_connection[&1], (d("550.40"), 1));
}

#[test]
fn other_quotes_use_inverse_pairs() {
    let p = prices();
    // USDT in BTC: the inverse of BTC/USDT on the holding exchange.
    let usdt = price(&p, ExchangeId::Binance, "USDT", Quote::Btc).unwrap();
    assert_eq!(usdt, Decimal::ONE / d("64000.00"));
    assert_eq!(
        price(&p, ExchangeId::Binance, "BTC", Quote::Btc),
        Some(Decimal::ONE)
    );
    assert_eq!(
        price(&p, ExchangeId::Binance, "BTC", Quote::Eur),
        None,
        "no EUR pair here"
    );
    assert_eq!(display_value(d("1.234567891"), Quote::Btc), "1.23456789");
}

async fn setup() -> (
    tempfile::TempDir,
    Context,
    keyfolio::exchange::sim::SimHandle,
) {
    let home = tempfile::tempdir().unwrap();
    let ctx = Context::open(
        Paths::under(home.path()),
        Config::default(),
        SecretStore::memory(),
    )
    .unwrap();
    (home, ctx, Simulator::start(0).await.unwrap())
}

async fn connect(
    ctx: &Context,
    sim: &keyfolio::exchange::sim::SimHandle,
    a: &SimAccount,
    label: &str,
) -> i64 {
    let exchange = ExchangeId::parse(&a.exchange).unwrap();
    let creds = Credentials::new(&a.api_key, &a.secret, a.passphrase.as_deref());
    let endpoint = Endpoint {
        base_url: Some(format!("{}/{}", sim.base_url, a.exchange)),
        sandbox: false,
    };
    ctx.connect(exchange, label, &endpoint, &creds, true)
        .await
        .unwrap()
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_ticker_request_per_exchange_per_round_at_200_connections() {
    let (_home, ctx, sim) = setup().await;
    let mut ids = Vec::new();
    // Spot-only copies: each Binance connect and sync still reads the wallet overview
    // (60 SAPI weight), so 90 connects and 90 syncs in one minute stay under Binance's
    // 12,000 SAPI weight per IP (100 of each would not: 12,100 with the key checks).
    for (exchange, template, copies) in [("binance", "read-only", 90), ("okx", "read-only", 110)] {
        let template = sim.account_on(exchange, template).unwrap();
        for i in 0..copies {
            let a = SimAccount {
                api_key: format!("{}{i:04}", &template.api_key[..template.api_key.len() - 4]),
                purpose: format!("generated {i}"),
                wallets: Vec::new(),
                ..template.clone()
            };
            sim.add_account(a.clone());
            ids.push(connect(&ctx, &sim, &a, &format!("{exchange} {i}")).await);
        }
    }
    sim.reset_counts();
    let engine = Engine::new(ctx.clone(), None);
    let runs = ids.iter().map(|id| engine.sync(*id));
    for outcome in futures::future::join_all(runs).await {
        outcome.unwrap();
    }
    assert_eq!(sim.request_count("/api/v3/ticker/price"), 1);
    assert_eq!(sim.request_count("/api/v5/market/tickers"), 1);
    let v = ctx.valuation(Quote::Usdt).await.unwrap();
    assert!(v.total > Decimal::ZERO && !v.prices_stale, "{v:?}");
    assert_eq!(v.by_connection.len(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_ticker_request_keeps_the_last_prices_and_marks_them_stale() {
    let (_home, ctx, sim) = setup().await;
    let a = sim.account_on("binance", "read-only").unwrap();
    connect(&ctx, &sim, &a, "Main").await;
    ctx.refresh_prices(Utc::now()).await.unwrap();
    let before = ctx.valuation(Quote::Usdt).await.unwrap();
    assert!(before.total > Decimal::ZERO && !before.prices_stale);
    sim.set_tickers_down(true);
    ctx.refresh_prices(Utc::now() + chrono::Duration::hours(1))
        .await
        .unwrap();
    let after = ctx.valuation(Quote::Usdt).await.unwrap();
    assert!(after.prices_stale);
    assert_eq!(after.total, before.total, "the last prices stay");
}

#[test]
fn a_btc_quote_prices_an_altcoin_through_usdt() {
    let mut p = prices();
    p.get_mut(&ExchangeId::Binance)
        .unwrap()
        .pairs
        .insert(("ADA".into(), "USDT".into()), d("0.45"));
    let ada = price(&p, ExchangeId::Binance, "ADA", Quote::Btc).unwrap();
    assert_eq!(ada, d("0.45") * (Decimal::ONE / d("64000.00")));
}

/// Connects the replay mount's read-only account of `exchange`, syncs it once through the
/// engine (which reads prices after a good sync), and returns the connection's id.
async fn connect_and_sync(
    ctx: &Context,
    sim: &keyfolio::exchange::sim::SimHandle,
    exchange: &str,
) -> (i64, Engine) {
    let a = sim.account_on(exchange, "read-only").unwrap();
    let id = connect(ctx, sim, &a, exchange).await;
    sim.reset_counts();
    let engine = Engine::new(ctx.clone(), None);
    engine.sync(id).await.unwrap();
    (id, engine)
}

fn asset<'a>(
    v: &'a keyfolio::portfolio::Valuation,
    code: &str,
) -> &'a keyfolio::portfolio::AssetValue {
    v.assets
        .iter()
        .find(|a| a.asset == code)
        .unwrap_or_else(|| panic!("{code} in {v:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bybit_only_portfolio_is_valued_from_bybits_own_tickers() {
    let (_home, ctx, sim) = setup().await;
    let (id, engine) = connect_and_sync(&ctx, &sim, "bybit").await;
    assert_eq!(sim.request_count("/bybit/v5/market/tickers"), 1);
    assert_eq!(sim.request_count("/api/v3/ticker/price"), 0, "no Binance");
    let v = ctx.valuation(Quote::Usdt).await.unwrap();
    assert_eq!(asset(&v, "BTC").price, Some(d("64000.00")));
    assert_eq!(asset(&v, "USDC").price, Some(d("1.0001")));
    assert!(v.total > Decimal::ZERO && !v.prices_stale, "{v:?}");
    assert!(v.by_connection[&id].0 > Decimal::ZERO);
    // Another sync in the same round asks for no prices again.
    engine.sync(id).await.unwrap();
    assert_eq!(sim.request_count("/bybit/v5/market/tickers"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kraken_only_portfolio_is_valued_in_usd_and_eur_from_krakens_fiat_pairs() {
    let (_home, ctx, sim) = setup().await;
    connect_and_sync(&ctx, &sim, "kraken").await;
    assert_eq!(sim.request_count("/kraken/0/public/Ticker"), 1);
    let usd = ctx.valuation(Quote::Usd).await.unwrap();
    assert_eq!(asset(&usd, "BTC").price, Some(d("73410.00000")), "XXBTZUSD");
    assert_eq!(asset(&usd, "USD").price, Some(Decimal::ONE));
    assert_eq!(asset(&usd, "USDT").price, Some(d("1.00020")), "USDTZUSD");
    let eur = ctx.valuation(Quote::Eur).await.unwrap();
    assert_eq!(asset(&eur, "BTC").price, Some(d("67800.00000")), "XXBTZEUR");
    // No USD/EUR pair on Kraken's mount: through BTC.
    assert_eq!(
        asset(&eur, "USD").price,
        Some((Decimal::ONE / d("73410.00000")) * d("67800.00000"))
    );
    assert!(usd.total > Decimal::ZERO && eur.total > Decimal::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coinbase_only_portfolio_is_valued_from_coinbases_public_products() {
    let (_home, ctx, sim) = setup().await;
    connect_and_sync(&ctx, &sim, "coinbase").await;
    assert_eq!(
        sim.request_count("/coinbase/api/v3/brokerage/market/products"),
        1
    );
    let usd = ctx.valuation(Quote::Usd).await.unwrap();
    assert_eq!(asset(&usd, "ADA").price, Some(d("0.4502")), "ADA-USD");
    // Coinbase has no ADA-USDT: ADA-USD, then USD in USDT (the inverse of USDT-USD).
    let usdt = ctx.valuation(Quote::Usdt).await.unwrap();
    assert_eq!(
        asset(&usdt, "ADA").price,
        Some(d("0.4502") * (Decimal::ONE / d("1.0002")))
    );
    assert!(usdt.total > Decimal::ZERO, "{usdt:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_exchanges_failed_tickers_keep_its_last_prices_marked_stale() {
    let (_home, ctx, sim) = setup().await;
    connect_and_sync(&ctx, &sim, "bybit").await;
    let before = ctx.valuation(Quote::Usdt).await.unwrap();
    sim.set_tickers_down(true);
    ctx.refresh_prices(Utc::now() + chrono::Duration::hours(1))
        .await
        .unwrap();
    let after = ctx.valuation(Quote::Usdt).await.unwrap();
    assert!(after.prices_stale && !before.prices_stale);
    assert_eq!(after.total, before.total, "the last prices stay");
}

#[test]
fn an_asset_is_priced_on_its_own_exchange_first() {
    let mut p = prices();
    p.insert(
        ExchangeId::parse("kraken").unwrap(),
        tickers(&[("ADA", "USD", "0.50"), ("USDT", "USD", "1.0")]),
    );
    p.get_mut(&ExchangeId::Binance)
        .unwrap()
        .pairs
        .insert(("ADA".into(), "USDT".into()), d("0.45"));
    // On Kraken: its own ADA-USD through USD beats Binance's direct ADA-USDT.
    let kraken = ExchangeId::parse("kraken").unwrap();
    assert_eq!(price(&p, kraken, "ADA", Quote::Usdt), Some(d("0.50")));
    // On Binance: its own pair.
    assert_eq!(
        price(&p, ExchangeId::Binance, "ADA", Quote::Usdt),
        Some(d("0.45"))
    );
}

/// Issue #24's Done criterion on OKX: an account with nothing in its trading account and
/// every coin in funding and Simple Earn savings is worth all of it, wallet by wallet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_okx_account_in_funding_and_savings_only_is_worth_all_of_it() {
    use keyfolio::model::Wallet;
    let (_home, ctx, sim) = setup().await;
    let a = sim.account_on("okx", "funding and savings").unwrap();
    let id = connect(&ctx, &sim, &a, "OKX earn").await;
    ctx.refresh_prices(Utc::now()).await.unwrap();
    let v = ctx.valuation(Quote::Usdt).await.unwrap();
    let prices = sim.tickers_at(Utc::now());
    let usdt = |base: &str| prices.pairs[&(base.to_string(), "USDT".to_string())];
    let funding = d("1500.25") + d("0.06") * usdt("BTC");
    let savings = d("2500.5000106745475002") + d("1.5") * usdt("ETH");
    assert_eq!(v.by_wallet[&(id, Wallet::Funding)], funding);
    assert_eq!(v.by_wallet[&(id, Wallet::EarnFlexible)], savings);
    assert!(!v.by_wallet.contains_key(&(id, Wallet::Trading)), "{v:?}");
    assert_eq!(v.by_connection[&id], (funding + savings, 0));
    assert_eq!(v.total, funding + savings);
}
