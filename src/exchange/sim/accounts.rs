//! The seeded accounts: fixed keys so docs and tests can name them.

use super::binance_sign::ed25519_pem_from_seed;
use super::{Fault, Holding, Perms, SimAccount};
use crate::model::Wallet;

fn perms(read: bool, trade: bool, withdraw: bool) -> Perms {
    Perms {
        read,
        trade,
        withdraw,
        ip_restricted: false,
        ips: Vec::new(),
    }
}

fn bal(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|(a, f, l)| (a.to_string(), f.to_string(), l.to_string()))
        .collect()
}

/// A rich portfolio: several assets, locked amounts, dust, and a value with more
/// significant digits than an f64 can hold.
fn rich_balances() -> Vec<(String, String, String)> {
    bal(&[
        ("BTC", "0.51234567", "0.10000000"),
        ("ETH", "12.00000000", "0.50000000"),
        ("USDT", "123456789012.12345678", "1500.00000000"),
        ("BNB", "0.00000012", "0.00000000"),
        ("SOL", "3.25000000", "0.00000000"),
        ("LTC", "0.00000000", "0.00000000"),
    ])
}

/// The rich Binance account's other wallets: Funding, Simple Earn (flexible and locked),
/// cross margin with a debt, and both futures wallets.
fn rich_wallets() -> Vec<(Wallet, Vec<Holding>)> {
    vec![
        (
            Wallet::Funding,
            bal(&[("USDT", "250.50000000", "0"), ("BNB", "1.5", "0.25")]),
        ),
        (
            Wallet::EarnFlexible,
            bal(&[("USDT", "1000", "0"), ("BTC", "0.05", "0")]),
        ),
        (Wallet::EarnLocked, bal(&[("ETH", "2", "0")])),
        (
            Wallet::CrossMargin,
            bal(&[("BTC", "0.2", "0"), ("USDC", "-50", "0")]),
        ),
        (Wallet::UsdmFutures, bal(&[("USDT", "5000.25", "0")])),
        (Wallet::CoinmFutures, bal(&[("BTC", "0.1", "0")])),
    ]
}

/// Coins only beyond spot (the Done criterion of #24): Funding, Simple Earn flexible and
/// locked, USDⓈ-M futures. Worth 1200.5 + 640 (funding) + 3000 + 1600 (flexible) + 3000
/// (locked) + 2500.75 + 100.01 (futures) = 12041.26 USDT at the sim's fixed prices.
fn wallets_only() -> Vec<(Wallet, Vec<Holding>)> {
    vec![
        (
            Wallet::Funding,
            bal(&[("USDT", "1200.5", "0"), ("BTC", "0.01", "0")]),
        ),
        (
            Wallet::EarnFlexible,
            bal(&[("USDT", "3000", "0"), ("ETH", "0.5", "0")]),
        ),
        (Wallet::EarnLocked, bal(&[("SOL", "20", "0")])),
        (
            Wallet::UsdmFutures,
            bal(&[("USDT", "2500.75", "0"), ("USDC", "100", "0")]),
        ),
    ]
}

/// A Portfolio Margin account's wallets: Funding, and the unified account, whose
/// `GET /papi/v1/balance` is CCXT's recording ([`super::binance_wallets`]). Its cross
/// margin, USDⓈ-M and COIN-M coins are that recording's parts (cross margin net of its
/// debts), listed under their classic wallets too so the overview names them: a client
/// that read those wallets beside the unified one would count them twice.
fn portfolio_margin_wallets() -> Vec<(Wallet, Vec<Holding>)> {
    vec![
        (Wallet::Funding, bal(&[("USDT", "25", "0")])),
        (Wallet::PortfolioMargin, Vec::new()),
        (
            Wallet::CrossMargin,
            bal(&[
                ("USDT", "30.6003261", "0"),
                ("LTC", "0.000636", "0"),
                ("ADA", "10.0325", "0"),
                ("USDC", "-0.00017186", "0"),
            ]),
        ),
        (Wallet::UsdmFutures, bal(&[("USDT", "105.43419058", "0")])),
        (Wallet::CoinmFutures, bal(&[("ETH", "0.00057786", "0")])),
    ]
}

fn small_balances() -> Vec<(String, String, String)> {
    bal(&[
        ("BTC", "0.01000000", "0.00000000"),
        ("USDT", "250.50000000", "10.00000000"),
    ])
}

fn binance(
    api_key: &str,
    secret: &str,
    purpose: &str,
    perms: Perms,
    fault: Option<Fault>,
) -> SimAccount {
    SimAccount {
        exchange: "binance".into(),
        api_key: api_key.into(),
        secret: secret.into(),
        passphrase: None,
        purpose: purpose.into(),
        perms,
        balances: small_balances(),
        fault,
        demo: false,
        same_account_as: None,
        wallets: Vec::new(),
    }
}

fn okx(api_key: &str, secret: &str, passphrase: &str, purpose: &str, perms: Perms) -> SimAccount {
    SimAccount {
        exchange: "okx".into(),
        api_key: api_key.into(),
        secret: secret.into(),
        passphrase: Some(passphrase.into()),
        purpose: purpose.into(),
        perms,
        balances: small_balances(),
        fault: None,
        demo: false,
        same_account_as: None,
        wallets: Vec::new(),
    }
}

/// OKX's funding account and Simple Earn savings of an account that keeps nothing in
/// trading. Savings holdings are (asset, waiting to be lent, lent out).
fn okx_funding_and_savings() -> Vec<(Wallet, Vec<Holding>)> {
    vec![
        (
            Wallet::Funding,
            bal(&[("USDT", "1500.25", "0"), ("BTC", "0.05", "0.01")]),
        ),
        (
            Wallet::EarnFlexible,
            bal(&[
                ("USDT", "0.0000106745475002", "2500.5"),
                ("ETH", "0.25", "1.25"),
            ]),
        ),
    ]
}

/// The Ed25519 key of the Binance "ed25519" account, derived from a fixed seed.
fn ed25519_pem() -> String {
    let mut seed = [0u8; 32];
    for (i, b) in seed.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    ed25519_pem_from_seed(seed)
}

/// `n` read-only accounts beyond the seeded ones, Binance and OKX alternating, each with
/// a small spot balance: a load test's keys (`keyfolio sim --accounts N`). Keys, secrets
/// and passphrases follow from the index, so a second simulator started with the same
/// `n` knows the same keys.
pub fn generated(n: usize) -> Vec<SimAccount> {
    (0..n)
        .map(|i| {
            let word = |salt: u64, len: usize| pseudo_hex(i as u64 * 2 + salt, len);
            let read_only = perms(true, false, false);
            if i % 2 == 0 {
                binance(
                    &word(0, 64),
                    &word(1, 64),
                    &format!("load {i}"),
                    read_only,
                    None,
                )
            } else {
                let h = word(0, 32);
                let key = format!("{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..28]);
                let secret = word(1, 32).to_uppercase();
                okx(
                    &key,
                    &secret,
                    &format!("Load#{i}"),
                    &format!("load {i}"),
                    read_only,
                )
            }
        })
        .collect()
}

/// `len` hex digits from a seed (splitmix64): stable across runs and processes.
fn pseudo_hex(seed: u64, len: usize) -> String {
    let mut x = seed;
    let mut out = String::with_capacity(len + 16);
    while out.len() < len {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.push_str(&format!("{:016x}", z ^ (z >> 31)));
    }
    out.truncate(len);
    out
}

/// The accounts every `Simulator::new()` starts with.
pub fn seeded() -> Vec<SimAccount> {
    let mut accounts = binance_and_okx();
    accounts.extend(super::replay::accounts());
    accounts
}

fn binance_and_okx() -> Vec<SimAccount> {
    let localhost = || vec!["127.0.0.1".to_string(), "::1".to_string()];
    let only_localhost = Perms {
        ip_restricted: true,
        ips: localhost(),
        ..perms(true, true, false)
    };
    let okx_localhost = Perms {
        ip_restricted: true,
        ips: localhost(),
        ..perms(true, false, false)
    };
    vec![
        SimAccount {
            balances: rich_balances(),
            wallets: rich_wallets(),
            ..binance(
                "hDAEYqL62pBum9BIy2ewA5s02KGvdiP4TLqi58G5tLSJe44PPxqcALK3nDdL1Eqt",
                "nfrioO2Mvz8dAOsjOsgquBXbenoyMAERIm7uf3B7ZoIQpYrQWYNy1AF0Y1yljevS",
                "read-only",
                perms(true, false, false),
                None,
            )
        },
        SimAccount {
            balances: bal(&[
                ("ETH", "1.23456789", "0.00000000"),
                ("BTC", "0.00000012", "0.00000000"),
            ]),
            ..binance(
                "7J1yAq9UvWnlyHqlRoyLJj1NYDNuFfxzJZ47md2zrvCtDOh80aVcrFicffGD0JPf",
                &ed25519_pem(),
                "ed25519",
                perms(true, false, false),
                None,
            )
        },
        binance(
            "0jClwZ9gcSJogk3RhlyJsL9OH5t4ox8Dku5bXkpKNYJBl65znqNQ7tzNReJsXxXC",
            "wGA5tLRKnFCPr1DPXuLu7XNejtOmkT5QLoI5fvQmS3BoUb2CUQ8M4z6oWEHTlybV",
            "trade",
            perms(true, true, false),
            None,
        ),
        binance(
            "dVEq8tR2tm6MVTtfZ6F4uG70O2L2ld3sYXCuJX8gkbipMdvEJrUbhXLDJiYE1UIM",
            "ZAFhuJ59cLcFOPSP6kO7JsbAUolpBGyuGp2IHZLRVCwtvEYDq4sMrU7lbB1KVZcu",
            "withdraw enabled",
            perms(true, true, true),
            None,
        ),
        binance(
            "3y3GItBYyL2EOXkrQm0Qt9VHjHEenRpIvtl87ZC5WRxzoMxhH99Ra6a6V7J8zhhr",
            "FuNN9cd7zqf81n3Zu8qXLl622y4swwKgSGsXlHZAYgBpyL0jn2spppFdM5RFIXiH",
            "ip restricted",
            only_localhost,
            None,
        ),
        binance(
            "e0iCJj6igu3u2OErKTwApMud8Cp3ms6crgGuWFoB1NnklR5ryOWMJy7fz5zxGO6z",
            "O4tY6MlruEDO8gU2doXbgumw3uOehvoAuefyuYf4tvKd3VuOoSyCGbL8UhDtmCmr",
            "ip not whitelisted",
            Perms {
                ip_restricted: true,
                ips: vec!["203.0.113.7".into()],
                ..perms(true, false, false)
            },
            Some(Fault::IpNotWhitelisted),
        ),
        binance(
            "gk65Ry91vXEGY2iy4H7XlnhjxHvSXAN0lxAhENedxfnJ9fpww4cURsQiFCz3INdZ",
            "ZVXuH7bmrR9QABSKPZ0D65wtMdAEqhaOiEW3EfR9tRKIssoxT5jsbLIyiPupbyzM",
            "clock skew",
            perms(true, false, false),
            Some(Fault::ClockSkewMs(15_000)),
        ),
        SimAccount {
            balances: Vec::new(),
            wallets: wallets_only(),
            ..binance(
                "Cl5C8DQdwD5giJP0krULmlL54oFp1dtOQ4g2rFh1XgpJQk8H4okffnPKX4nh6Pgn",
                "4BPutk9Hr1aT2vG2h4YYuIVVrBVMeGMbszoZSfSfsmU94lY9e1KOkCKY7TINh507",
                "wallets only",
                perms(true, false, false),
                None,
            )
        },
        SimAccount {
            balances: bal(&[("BTC", "0.02", "0"), ("USDT", "100", "0")]),
            wallets: portfolio_margin_wallets(),
            ..binance(
                "pqEBZextU1eQqUJjrPagbJaN3vhqkKxpbRY8pbhuqE7YyJielQrGNt4Z0xjYz7sJ",
                "iu2LNKcp1qUP4YckjiYmgIaLhVW4TSjAQJmaXnSQrIA8S3bW6QPcp54tyAyvQyiA",
                "portfolio margin",
                perms(true, false, false),
                None,
            )
        },
        SimAccount {
            // "Enable Futures" off: both futures APIs refuse the key.
            wallets: vec![
                (Wallet::Funding, bal(&[("USDT", "50", "0")])),
                (Wallet::EarnFlexible, bal(&[("BTC", "0.002", "0")])),
                (Wallet::UsdmFutures, bal(&[("USDT", "700", "0")])),
            ],
            ..binance(
                "OG6KXLfWgsEc5eJD0SYvfqRpf1FYCQbzEe9TGs8i1Angt3O6PYxNwpZJbpIzr0gi",
                "TXDoqebtsmq6KykwOQa7g9DkJE1xuTATF9ikWWDAZOErvWNSmEniAQP7Vb6pvYPU",
                "no futures",
                perms(true, false, false),
                Some(Fault::WalletRefused(Wallet::UsdmFutures)),
            )
        },
        SimAccount {
            balances: bal(&[
                ("BTC", "1.20000000", "0.05000000"),
                ("ETH", "3.50000000", "0"),
                ("USDT", "123456789012.12345678", "2500.5"),
                ("OKB", "42", "0"),
                ("PEPE", "0.00000012", "0"),
            ]),
            wallets: vec![(
                Wallet::Funding,
                bal(&[("USDT", "1000.00000000", "0"), ("SOL", "12.5", "0.5")]),
            )],
            ..okx(
                "be633c25-880b-4b80-9d98-f96f4c0c186d",
                "71F3B422B90EB226D30EB9B7408A5FD2",
                "Keyfolio#Read1",
                "read-only",
                perms(true, false, false),
            )
        },
        // Nothing in the trading account: every coin in funding and Simple Earn savings
        // (issue #24's Done criterion: the full value shows all the same).
        SimAccount {
            balances: Vec::new(),
            wallets: okx_funding_and_savings(),
            ..okx(
                "cfa220ba-acea-4f78-8de0-8ad2d52fca35",
                "6AF3C4D131EFCEC6F725900CB2F1896D",
                "Keyfolio#Earn1",
                "funding and savings",
                perms(true, false, false),
            )
        },
        okx(
            "87721646-72da-494b-a664-29044f1a03a2",
            "13605A41082CCCF424311CCC92BD5A7B",
            "Keyfolio#Trade1",
            "trade",
            perms(true, true, false),
        ),
        okx(
            "2f47f320-ec64-4a36-b1a5-c827f484fd6c",
            "812C3F64DA5AE1B4B9CB501FB7BA1FE4",
            "Keyfolio#Withdraw1",
            "withdraw enabled",
            perms(true, true, true),
        ),
        okx(
            "294a9143-e037-4ff8-8c5b-489a4da7d543",
            "D4DB35CC5BAC2DCC8ED6DEB3C2A5BF14",
            "Keyfolio#Ip1",
            "ip restricted",
            okx_localhost,
        ),
        SimAccount {
            fault: Some(Fault::WrongRegion),
            ..okx(
                "f65b7d12-59a1-4b4f-8640-5cba9de818bd",
                "3128202C5CEB47BA941D8A390A4544A7",
                "Keyfolio#Region1",
                "wrong region",
                perms(true, false, false),
            )
        },
        SimAccount {
            demo: true,
            balances: bal(&[("BTC", "1", "0"), ("USDT", "5000", "0"), ("ETH", "1", "0")]),
            ..okx(
                "e1020f8f-21ca-435b-a4ba-9ab6a1ebb10b",
                "C1AC24858C094B0F45475C9EA40862BC",
                "Keyfolio#Demo1",
                "demo",
                perms(true, true, false),
            )
        },
    ]
}
