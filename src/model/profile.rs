//! What keyfolio knows of each exchange, in one table: its API's regions, its sandbox, the
//! kind of keys it issues, OAuth, its documented request budgets and the fix for a key it
//! refuses. Binance and OKX have a profile each; every exchange read through CCXT shares
//! the generic one (CCXT describes the rest of it: credential fields, rate limit).

use super::ExchangeId;
use std::time::Duration;

/// One choice of the key form's Region field: its name and base URL (`None`: the
/// exchange's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub name: &'static str,
    pub base_url: Option<&'static str>,
    pub custom: bool,
}

/// A base URL the trader types: a proxy, a regional host, the simulator.
const CUSTOM_URL: Region = Region {
    name: "Custom URL",
    base_url: None,
    custom: true,
};

/// A request budget: so much weight per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub weight: u32,
    pub per: Duration,
}

/// The addresses of an exchange's OAuth sign-in (keyfolio has no client id of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OAuthUrls {
    pub authorize: &'static str,
    pub token: &'static str,
    pub device: Option<&'static str>,
    pub revoke: Option<&'static str>,
    pub api_base: &'static str,
    /// Sent space-separated; Binance expects one comma-joined entry.
    pub scopes: &'static [&'static str],
}

/// An exchange as keyfolio knows it.
#[derive(Debug)]
pub struct Profile {
    /// The key form's Region choices, the default first.
    pub regions: &'static [Region],
    /// The key form's sandbox switch (`None`: "use X's testnet or sandbox").
    pub sandbox: Option<&'static str>,
    /// Its keys come as an HMAC secret, an Ed25519 or an RSA private key, and which one a
    /// key is gets recorded and shown.
    pub key_types: bool,
    /// OAuth sign-in, where it has one.
    pub oauth: Option<OAuthUrls>,
    /// The per-IP budget its documentation gives (`None`: twice CCXT's `rateLimit`).
    pub ip_limit: Option<Limit>,
    /// What a sync's balance call weighs against that budget (`None`: one request, more
    /// where the exchange lists accounts first).
    pub balance_weight: Option<u32>,
    /// A per-IP budget of its own for the wallet reads beyond the balance call, where the
    /// exchange counts them apart (`None`: they spend from `ip_limit`'s budget).
    pub wallet_limit: Option<Limit>,
    /// A per-account budget of syncs, where it limits each account's endpoints.
    pub account_limit: Option<Limit>,
    /// What to do when it refuses the key as unknown.
    pub invalid_key_fix: &'static str,
}

const BINANCE: Profile = Profile {
    regions: &[
        Region {
            name: "binance.com",
            base_url: None,
            custom: false,
        },
        CUSTOM_URL,
    ],
    sandbox: Some("use the Binance testnet"),
    key_types: true,
    oauth: Some(OAuthUrls {
        authorize: "https://accounts.binance.com/en/oauth/authorize",
        token: "https://accounts.binance.com/oauth/token",
        device: None,
        revoke: Some("https://www.binanceapis.com/oauth-api/v1/revoke-token"),
        api_base: "https://www.binanceapis.com/oauth-api",
        scopes: &["user:openId,asset:balance"],
    }),
    // 6,000 weight per minute per IP; keyfolio keeps to half.
    ip_limit: Some(Limit {
        weight: 3000,
        per: Duration::from_secs(60),
    }),
    // GET /api/v3/account weighs 20.
    balance_weight: Some(20),
    // The wallet reads are /sapi (12,000 weight a minute per IP, counted apart from
    // /api's 6,000; keyfolio keeps to half), and the futures and Portfolio Margin reads,
    // whose own limits (2,400 and 6,000) keyfolio's few weight per sync stay far under.
    wallet_limit: Some(Limit {
        weight: 6000,
        per: Duration::from_secs(60),
    }),
    account_limit: None,
    invalid_key_fix: "Binance refused the key (-2015). Possible causes: the API key is mistyped or deleted; \
                      this machine's IP is not on the key's whitelist; the key lacks the permission. \
                      Check the key in API Management.",
};

const OKX: Profile = Profile {
    regions: &[
        Region {
            name: "Global (www.okx.com)",
            base_url: Some("https://www.okx.com"),
            custom: false,
        },
        Region {
            name: "EEA (eea.okx.com)",
            base_url: Some("https://eea.okx.com"),
            custom: false,
        },
        Region {
            name: "US (us.okx.com)",
            base_url: Some("https://us.okx.com"),
            custom: false,
        },
        CUSTOM_URL,
    ],
    sandbox: Some("use OKX demo trading"),
    key_types: false,
    oauth: Some(OAuthUrls {
        authorize: "https://www.okx.com/account/oauth/authorize",
        token: "https://www.okx.com/v5/users/oauth/token",
        device: Some("https://www.okx.com/v5/users/oauth/device/code"),
        revoke: Some("https://www.okx.com/v5/users/oauth/revoke"),
        api_base: "https://www.okx.com",
        scopes: &["read_only"],
    }),
    // keyfolio's share of OKX's per-IP limits (README, Performance, Budgets).
    ip_limit: Some(Limit {
        weight: 400,
        per: Duration::from_secs(2),
    }),
    balance_weight: Some(1),
    wallet_limit: None,
    // Balance 10 per 2 s, funding and savings 6 per second, config 5 per 2 s, per
    // account; a sync asks each at most once, so 4 syncs per 2 s keep under all of them.
    account_limit: Some(Limit {
        weight: 4,
        per: Duration::from_secs(2),
    }),
    invalid_key_fix: "OKX does not know this API key. Copy it again from the API page.",
};

/// Every exchange read through CCXT.
const GENERIC: Profile = Profile {
    regions: &[
        Region {
            name: "The exchange's API",
            base_url: None,
            custom: false,
        },
        CUSTOM_URL,
    ],
    sandbox: None,
    key_types: false,
    oauth: None,
    ip_limit: None,
    balance_weight: None,
    wallet_limit: None,
    account_limit: None,
    invalid_key_fix: "The exchange refused the key. Check that the key and its secret (and passphrase, \
                      where the exchange has one) were copied whole, that the key is enabled and that \
                      this machine's IP is allowed.",
};

/// The exchanges with a profile of their own, in the order screens list them.
pub const FIRST_CLASS: [ExchangeId; 2] = [ExchangeId::Binance, ExchangeId::Okx];

/// What keyfolio knows of `exchange`.
pub fn profile(exchange: ExchangeId) -> &'static Profile {
    match exchange {
        ExchangeId::Binance => &BINANCE,
        ExchangeId::Okx => &OKX,
        ExchangeId::Ccxt(_) | ExchangeId::Absent(_) => &GENERIC,
    }
}

impl Profile {
    /// The key form's sandbox switch, in words.
    pub fn sandbox_label(&self, exchange: ExchangeId) -> String {
        self.sandbox.map_or_else(
            || format!("use {exchange}'s testnet or sandbox"),
            str::to_string,
        )
    }
}
