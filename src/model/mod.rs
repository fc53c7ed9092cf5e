//! Domain types every layer shares: exchanges, credentials, balances, failures,
//! connections, sync runs and the status rules. ui/, cli, store, sync and exchange import
//! them from here.

pub mod profile;

use crate::exchange::catalog;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// An exchange keyfolio can connect: Binance and OKX on their own exact path, and every
/// other exchange compiled in ([`crate::exchange::catalog`]) through CCXT's unified calls.
/// Written and read as CCXT's id (`binance`, `bybit`, `cryptocom`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExchangeId {
    Binance,
    Okx,
    /// An index into [`catalog::COMPILED`].
    Ccxt(u16),
    /// An exchange this build does not have, named by stored data (a database written by
    /// a build with more exchanges, or by a version that had it): an index into the ids
    /// [`ExchangeId::from_stored`] has met. Listed under its own id, never synced and
    /// never sent anywhere.
    Absent(u16),
}

/// The ids of exchanges not in this build that stored data named, for [`ExchangeId::Absent`].
fn absent_ids() -> &'static std::sync::Mutex<Vec<&'static str>> {
    static IDS: std::sync::OnceLock<std::sync::Mutex<Vec<&'static str>>> =
        std::sync::OnceLock::new();
    IDS.get_or_init(Default::default)
}

impl ExchangeId {
    /// Binance and OKX first, then the others by display name.
    pub fn all() -> &'static [ExchangeId] {
        static ALL: std::sync::OnceLock<Vec<ExchangeId>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| {
            let mut generic: Vec<ExchangeId> = (0..catalog::COMPILED.len())
                .map(|i| Self::Ccxt(i as u16))
                .collect();
            generic.sort_by_key(|e| e.name().to_lowercase());
            [Self::Binance, Self::Okx]
                .into_iter()
                .chain(generic)
                .collect()
        })
    }

    pub fn id(self) -> &'static str {
        match self {
            Self::Binance => "binance",
            Self::Okx => "okx",
            Self::Ccxt(i) => catalog::COMPILED[usize::from(i)].0,
            Self::Absent(i) => absent_ids().lock().unwrap()[usize::from(i)],
        }
    }
    /// CCXT's display name: "Binance", "OKX", "Crypto.com".
    pub fn name(self) -> &'static str {
        match self {
            Self::Binance => "Binance",
            Self::Okx => "OKX",
            Self::Ccxt(i) => catalog::COMPILED[usize::from(i)].1,
            Self::Absent(_) => catalog::known_name(self.id()).unwrap_or(self.id()),
        }
    }
    /// The exchange a stored connection names: one of this build's, or, for any other
    /// id, [`ExchangeId::Absent`], never another exchange.
    pub fn from_stored(text: &str) -> Self {
        if let Some(known) = Self::parse(text) {
            return known;
        }
        // Ids are short words of CCXT's; anything else is kept as a sanitised stand-in.
        let id: String = text
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(32)
            .collect();
        let mut ids = absent_ids().lock().unwrap();
        let at = match ids.iter().position(|known| *known == id) {
            Some(at) => at,
            None => {
                // At most one small string per distinct id in the database, kept for the process.
                ids.push(Box::leak(id.into_boxed_str()));
                ids.len() - 1
            }
        };
        Self::Absent(u16::try_from(at).unwrap_or(u16::MAX))
    }
    /// Whether this build can talk to the exchange at all.
    pub fn in_build(self) -> bool {
        !matches!(self, Self::Absent(_))
    }
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        match text.to_ascii_lowercase().as_str() {
            "binance" => Some(Self::Binance),
            "okx" => Some(Self::Okx),
            id => catalog::COMPILED
                .iter()
                .position(|(known, _)| *known == id)
                .map(|i| Self::Ccxt(i as u16)),
        }
    }
    /// Served through CCXT's unified `fetch_balance` rather than keyfolio's own calls.
    pub fn is_generic(self) -> bool {
        matches!(self, Self::Ccxt(_))
    }
    /// The credentials this exchange's keys are made of, in the order a form asks them.
    pub fn credential_fields(self) -> &'static [CredentialField] {
        use CredentialField::*;
        match self {
            Self::Binance => &[ApiKey, Secret],
            Self::Okx => &[ApiKey, Secret, Password],
            Self::Ccxt(_) => catalog::credential_fields(self.id()),
            Self::Absent(_) => &[],
        }
    }
    /// The key comes with a passphrase (CCXT's `password`).
    pub fn needs_passphrase(self) -> bool {
        self.credential_fields()
            .contains(&CredentialField::Password)
    }
    pub fn needs_uid(self) -> bool {
        self.credential_fields().contains(&CredentialField::Uid)
    }
    /// Credentials this exchange asks for that keyfolio cannot take yet (wallet
    /// addresses, private keys of on-chain accounts): such an exchange is listed but
    /// cannot be connected.
    pub fn blockers(self) -> Vec<&'static str> {
        match self {
            Self::Ccxt(_) => catalog::blockers(self.id()),
            Self::Absent(_) => vec!["not in this build"],
            _ => Vec::new(),
        }
    }
    /// Whether a connection can be made: every credential it needs is one keyfolio takes.
    pub fn is_connectable(self) -> bool {
        self.blockers().is_empty()
    }
}

impl Serialize for ExchangeId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for ExchangeId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        Self::parse(&id).ok_or_else(|| {
            serde::de::Error::custom(format!("{id:?} is not an exchange this build has"))
        })
    }
}

impl fmt::Display for ExchangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One credential an exchange asks for, by CCXT's `requiredCredentials` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialField {
    ApiKey,
    Secret,
    /// CCXT's `password`: the passphrase OKX, KuCoin and Bitget keys carry.
    Password,
    Uid,
}

impl CredentialField {
    /// CCXT's name, also the name `connect --stdin` and `--cred` take.
    pub fn ccxt_name(self) -> &'static str {
        match self {
            Self::ApiKey => "apiKey",
            Self::Secret => "secret",
            Self::Password => "password",
            Self::Uid => "uid",
        }
    }
    pub fn from_ccxt(name: &str) -> Option<Self> {
        [Self::ApiKey, Self::Secret, Self::Password, Self::Uid]
            .into_iter()
            .find(|f| f.ccxt_name() == name)
    }
    /// The exchange's own word for this credential.
    pub fn word(self, exchange: ExchangeId) -> &'static str {
        match (self, exchange.id()) {
            (Self::ApiKey, "coinbase") => "API key name",
            (Self::Secret, "coinbase") => "Private key",
            (Self::ApiKey, _) => "API key",
            (Self::Secret, "kraken") => "Private key",
            (Self::Secret, _) => "Secret",
            // OKX, KuCoin and Bitget say passphrase; so do most others that ask for one.
            (Self::Password, _) => "Passphrase",
            (Self::Uid, "bitstamp") => "Customer ID",
            (Self::Uid, _) => "User ID",
        }
    }
}

/// An API key as the trader gave it. Debug prints a mask, never the values.
#[derive(Clone)]
pub struct Credentials {
    pub api_key: SecretString,
    pub secret: SecretString,
    pub passphrase: Option<SecretString>,
    /// The account's user id, for exchanges whose keys need one (CCXT's `uid`).
    pub uid: Option<SecretString>,
}

impl Credentials {
    pub fn new(api_key: &str, secret: &str, passphrase: Option<&str>) -> Self {
        Self {
            api_key: SecretString::from(api_key.to_string()),
            secret: SecretString::from(secret.to_string()),
            passphrase: passphrase.map(|p| SecretString::from(p.to_string())),
            uid: None,
        }
    }

    /// The same credentials with the account's user id.
    pub fn with_uid(mut self, uid: Option<&str>) -> Self {
        self.uid = uid.map(|u| SecretString::from(u.to_string()));
        self
    }

    /// The last four characters of the API key: all keyfolio ever shows of it.
    pub fn key_hint(&self) -> String {
        key_hint(self.api_key.expose_secret())
    }

    /// Which kind of Binance secret this is.
    pub fn key_type(&self) -> KeyType {
        KeyType::of(self.secret.expose_secret())
    }
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        fn reveal(s: Option<&SecretString>) -> Option<&str> {
            s.map(ExposeSecret::expose_secret)
        }
        self.api_key.expose_secret() == other.api_key.expose_secret()
            && self.secret.expose_secret() == other.secret.expose_secret()
            && reveal(self.passphrase.as_ref()) == reveal(other.passphrase.as_ref())
            && reveal(self.uid.as_ref()) == reveal(other.uid.as_ref())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials(••••{})", self.key_hint())
    }
}

/// The last four characters of a key, never more.
pub fn key_hint(api_key: &str) -> String {
    let chars: Vec<char> = api_key.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// The two kinds of secret Binance issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    Hmac,
    Ed25519,
}

impl KeyType {
    pub fn of(secret: &str) -> Self {
        if secret.contains("-----BEGIN PRIVATE KEY-----") {
            Self::Ed25519
        } else {
            Self::Hmac
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Hmac => "HMAC-SHA256",
            Self::Ed25519 => "Ed25519",
        }
    }
}

/// Whether a secret's text names a key file: a single line ending in `.pem` (any case),
/// for an exchange whose keys come as a PEM file. Binance's Ed25519 keys and Coinbase
/// Advanced Trade's EC private keys are PEM blocks the exchange hands out to save, so the
/// file's path may stand for the key. Every other exchange's secret is one line (an HMAC
/// secret, Kraken's base64 private key): there such a text is the secret itself, as given.
pub fn names_pem_file(exchange: ExchangeId, secret: &str) -> bool {
    matches!(exchange.id(), "binance" | "coinbase")
        && !secret.contains('\n')
        && secret.to_ascii_lowercase().ends_with(".pem")
}

/// Why the key file a secret names cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum PemFileError {
    #[error("no file at {0}: give the key itself, or fix the path")]
    Missing(String),
    #[error(
        "the PEM file {path} is {bytes} bytes; a key file is at most {} characters",
        crate::text::MAX_CREDENTIAL_CHARS
    )]
    TooLarge { path: String, bytes: u64 },
    #[error("could not read the PEM file {path}: {source}")]
    Unreadable {
        path: String,
        source: std::io::Error,
    },
}

/// The one PEM-path rule, which the key form and the CLI both follow: the key a secret
/// names by its file's path ([`names_pem_file`]: Binance and Coinbase only), read, trimmed,
/// CRLF line ends made LF. `None`: the text names no key file and is the secret itself.
///
/// The file may hold at most [`crate::text::MAX_CREDENTIAL_CHARS`] bytes, the cap on a
/// secret typed, pasted or passed in the environment: the file is another way to give the
/// key, not a way around its limit (an Ed25519 PEM is about 120 characters, an EC one about
/// 230). A larger file is refused before it is read.
pub fn read_pem_file(
    exchange: ExchangeId,
    secret: &str,
) -> Option<Result<zeroize::Zeroizing<String>, PemFileError>> {
    if !names_pem_file(exchange, secret) {
        return None;
    }
    let path = std::path::Path::new(secret);
    if !path.is_file() {
        return Some(Err(PemFileError::Missing(secret.to_string())));
    }
    Some(match std::fs::metadata(path) {
        Ok(m) if m.len() > crate::text::MAX_CREDENTIAL_CHARS as u64 => {
            Err(PemFileError::TooLarge {
                path: secret.to_string(),
                bytes: m.len(),
            })
        }
        _ => std::fs::read_to_string(path)
            .map(zeroize::Zeroizing::new)
            .map(|text| zeroize::Zeroizing::new(text.trim().replace("\r\n", "\n")))
            .map_err(|source| PemFileError::Unreadable {
                path: secret.to_string(),
                source,
            }),
    })
}

/// Where the exchange lives: its public site, a regional site, or a custom base URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Endpoint {
    /// A base URL replacing the exchange's host (testnets, proxies, the simulator).
    pub base_url: Option<String>,
    /// The exchange's testnet or demo-trading environment.
    pub sandbox: bool,
}

/// What a key may do, as the exchange reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    pub read: bool,
    pub trade: bool,
    pub withdraw: bool,
    pub ip_restricted: bool,
}

impl Permissions {
    /// "read, trade, withdraw · IP-restricted"
    pub fn summary(&self) -> String {
        let mut text = self.abilities();
        text.push_str(if self.ip_restricted {
            " · IP-restricted"
        } else {
            " · any IP"
        });
        text
    }

    /// What the key may do: "read, trade, withdraw", or "none".
    pub fn abilities(&self) -> String {
        let mut parts = Vec::new();
        if self.read {
            parts.push("read");
        }
        if self.trade {
            parts.push("trade");
        }
        if self.withdraw {
            parts.push("withdraw");
        }
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// The currency values are counted in (`quote` in config.toml).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Quote {
    #[default]
    #[serde(rename = "USDT")]
    Usdt,
    #[serde(rename = "USD")]
    Usd,
    #[serde(rename = "USDC")]
    Usdc,
    #[serde(rename = "EUR")]
    Eur,
    #[serde(rename = "BTC")]
    Btc,
}

impl Quote {
    pub const ALL: [Quote; 5] = [Self::Usdt, Self::Usd, Self::Usdc, Self::Eur, Self::Btc];

    pub fn code(self) -> &'static str {
        match self {
            Self::Usdt => "USDT",
            Self::Usd => "USD",
            Self::Usdc => "USDC",
            Self::Eur => "EUR",
            Self::Btc => "BTC",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|q| q.code().eq_ignore_ascii_case(text.trim()))
    }
    /// Decimals a value in this currency is shown with.
    pub fn decimals(self) -> u32 {
        if self == Self::Btc { 8 } else { 2 }
    }
}

/// One exchange's public prices: (base, quote) → last price, and when they were read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tickers {
    pub at: Option<DateTime<Utc>>,
    pub pairs: std::collections::HashMap<(String, String), Decimal>,
    /// The last ticker request failed: these are the prices from before.
    pub stale: bool,
}

/// Where in an exchange account coins sit. Each exchange names its own; these are the
/// kinds keyfolio reads, written as their `code` in SQLite and `--json`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Wallet {
    /// The spot (exchange, trade) account: what most exchanges' balance call returns.
    #[default]
    Spot,
    /// Where deposits land and P2P / payments draw from (Binance Funding, OKX funding,
    /// Bybit funding, KuCoin main).
    Funding,
    /// A unified trading account (OKX trading, Bybit UTA): spot, margin and derivatives in one.
    Trading,
    /// Flexible savings / Simple Earn flexible, redeemable at any time.
    EarnFlexible,
    /// Locked savings, staking with a term.
    EarnLocked,
    /// Staked assets (Kraken `.S`, Coinbase staking).
    Staking,
    /// Cross margin, net of what is borrowed and its interest.
    CrossMargin,
    /// Isolated margin pairs, net of what is borrowed and its interest.
    IsolatedMargin,
    /// USDⓈ-margined (linear) futures and swaps: wallet balance.
    UsdmFutures,
    /// Coin-margined (inverse) futures and swaps: wallet balance.
    CoinmFutures,
    /// Binance Portfolio Margin: one account for margin and both futures.
    PortfolioMargin,
}

impl Wallet {
    pub const ALL: [Wallet; 11] = [
        Self::Spot,
        Self::Funding,
        Self::Trading,
        Self::EarnFlexible,
        Self::EarnLocked,
        Self::Staking,
        Self::CrossMargin,
        Self::IsolatedMargin,
        Self::UsdmFutures,
        Self::CoinmFutures,
        Self::PortfolioMargin,
    ];

    /// The stable name stored in SQLite and printed by `--json`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Spot => "spot",
            Self::Funding => "funding",
            Self::Trading => "trading",
            Self::EarnFlexible => "earn_flexible",
            Self::EarnLocked => "earn_locked",
            Self::Staking => "staking",
            Self::CrossMargin => "cross_margin",
            Self::IsolatedMargin => "isolated_margin",
            Self::UsdmFutures => "usdm_futures",
            Self::CoinmFutures => "coinm_futures",
            Self::PortfolioMargin => "portfolio_margin",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.code() == code)
    }

    /// Its name where room is short (the portfolio's "Held on" column).
    pub fn short(self) -> &'static str {
        match self {
            Self::Spot => "spot",
            Self::Funding => "funding",
            Self::Trading => "trading",
            Self::EarnFlexible => "earn",
            Self::EarnLocked => "earn locked",
            Self::Staking => "staked",
            Self::CrossMargin => "margin",
            Self::IsolatedMargin => "isolated",
            Self::UsdmFutures => "USDⓈ-M",
            Self::CoinmFutures => "COIN-M",
            Self::PortfolioMargin => "PM",
        }
    }

    /// How a screen names it: "Simple Earn (flexible)" style, short.
    pub fn label(self) -> &'static str {
        match self {
            Self::Spot => "Spot",
            Self::Funding => "Funding",
            Self::Trading => "Trading",
            Self::EarnFlexible => "Earn flexible",
            Self::EarnLocked => "Earn locked",
            Self::Staking => "Staking",
            Self::CrossMargin => "Cross margin",
            Self::IsolatedMargin => "Isolated margin",
            Self::UsdmFutures => "USDⓈ-M futures",
            Self::CoinmFutures => "COIN-M futures",
            Self::PortfolioMargin => "Portfolio margin",
        }
    }
}

/// A wallet keyfolio tried and the key could not read (futures not enabled, no
/// permission for earn): the rest of the account still syncs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadableWallet {
    pub wallet: Wallet,
    pub kind: FailureKind,
    /// The exchange's words, checked and cut short.
    pub detail: String,
}

/// One asset's balance in one wallet as decimal strings, exactly as the exchange wrote
/// them (a margin wallet's total is net of debt, so it may be negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    pub wallet: Wallet,
    pub asset: String,
    pub free: String,
    pub used: String,
    pub total: String,
    /// The exchange sent more digits than CCXT's f64 amounts keep: the strings above are
    /// the nearest f64, shown with "≈".
    pub approximate: bool,
}

/// When a key, or its right to trade, stops working, as the exchange tells it
/// (Binance's `tradingAuthorityExpirationTime`, Bybit's `expiredAt`, Kraken's
/// `validUntil`, BloFin's `expireTime`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyExpiry {
    /// The key stops working altogether.
    pub key_expires_at: Option<DateTime<Utc>>,
    /// The key keeps reading but may no longer trade (Binance: a key without an IP
    /// restriction loses trading after 90 days).
    pub trading_ends_at: Option<DateTime<Utc>>,
}

/// Days before an expiry when cards warn.
pub const EXPIRY_NOTICE_DAYS: i64 = 14;

impl KeyExpiry {
    /// What a card says, and whether it is a warning (under [`EXPIRY_NOTICE_DAYS`] or
    /// past): "key expires in 12 days", "trading on this key ends Jan 04 (no IP
    /// restriction)", "key expired Jan 04". `None`: nothing known.
    pub fn notice(&self, now: DateTime<Utc>) -> Option<(String, bool)> {
        let soon = |at: DateTime<Utc>| at - now < chrono::Duration::days(EXPIRY_NOTICE_DAYS);
        let day = |at: DateTime<Utc>| at.format("%b %d").to_string();
        // Days to the nearest (87 days 23 hours: "in 88 days", as the exchange's own key
        // page counts), hours in the last day.
        let days = |at: DateTime<Utc>| {
            let minutes = (at - now).num_minutes();
            match (minutes + 12 * 60) / (24 * 60) {
                _ if minutes < 60 => "within the hour".to_string(),
                _ if minutes < 24 * 60 => match minutes / 60 {
                    1 => "in 1 hour".to_string(),
                    h => format!("in {h} hours"),
                },
                1 => "in 1 day".to_string(),
                n => format!("in {n} days"),
            }
        };
        if let Some(at) = self.key_expires_at {
            return Some(if at <= now {
                (format!("key expired {}", day(at)), true)
            } else {
                (format!("key expires {}", days(at)), soon(at))
            });
        }
        let at = self.trading_ends_at?;
        Some(if at <= now {
            (
                format!("trading on this key ended {} (no IP restriction)", day(at)),
                true,
            )
        } else {
            (
                format!("trading on this key ends {} (no IP restriction)", day(at)),
                soon(at),
            )
        })
    }
}

/// "key 200 days old: rotate it" when `max_age_days` (config `key_max_age_days`) is set
/// and the key is older; `None` otherwise.
pub fn key_too_old(
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
    max_age_days: Option<u32>,
) -> Option<String> {
    let age = (now - created_at).num_days();
    (age > i64::from(max_age_days?)).then(|| format!("key {age} days old: rotate it"))
}

/// What one successful call to an account returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountSnapshot {
    pub balances: Vec<Balance>,
    /// Read only when asked (validation, daily refresh).
    pub permissions: Option<Permissions>,
    /// The exchange's account number (`uid`), when the answers carry it: Binance's
    /// account answer does, OKX's only with the permissions (account config).
    pub account_id: Option<String>,
    /// Wallets tried that this key cannot read; not tried again until the next
    /// permission refresh (daily, Resync).
    pub unreadable: Vec<UnreadableWallet>,
    /// Read with the permissions (validation, daily refresh).
    pub expiry: KeyExpiry,
    /// The request weight this sync spent at the exchange (Binance's weights; one per
    /// request elsewhere), so the budget can charge what the wallets cost.
    pub weight: u32,
}

/// Why an exchange call failed, in the trader's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    InvalidKey,
    BadSignature,
    WrongPassphrase,
    IpNotWhitelisted,
    PermissionDenied,
    WrongRegion,
    WrongEnvironment,
    ClockSkew,
    RateLimited,
    Banned,
    Unreachable,
    ExchangeDown,
    UnexpectedResponse,
    /// The connection's secret could not be read: the keyring is locked, unreachable or
    /// not answering. A local problem, retried with backoff.
    KeyringUnavailable,
    /// The keyring no longer holds the connection's secret (deleted outside keyfolio).
    SecretMissing,
    /// The connection's exchange is not compiled into this build: nothing is sent.
    NotInBuild,
}

impl FailureKind {
    pub const ALL: [FailureKind; 16] = [
        Self::InvalidKey,
        Self::BadSignature,
        Self::WrongPassphrase,
        Self::IpNotWhitelisted,
        Self::PermissionDenied,
        Self::WrongRegion,
        Self::WrongEnvironment,
        Self::ClockSkew,
        Self::RateLimited,
        Self::Banned,
        Self::Unreachable,
        Self::ExchangeDown,
        Self::UnexpectedResponse,
        Self::KeyringUnavailable,
        Self::SecretMissing,
        Self::NotInBuild,
    ];

    /// The stable name stored in SQLite and printed by `--json`.
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidKey => "invalid_key",
            Self::BadSignature => "bad_signature",
            Self::WrongPassphrase => "wrong_passphrase",
            Self::IpNotWhitelisted => "ip_not_whitelisted",
            Self::PermissionDenied => "permission_denied",
            Self::WrongRegion => "wrong_region",
            Self::WrongEnvironment => "wrong_environment",
            Self::ClockSkew => "clock_skew",
            Self::RateLimited => "rate_limited",
            Self::Banned => "banned",
            Self::Unreachable => "unreachable",
            Self::ExchangeDown => "exchange_down",
            Self::UnexpectedResponse => "unexpected_response",
            Self::KeyringUnavailable => "keyring_unavailable",
            Self::SecretMissing => "secret_missing",
            Self::NotInBuild => "not_in_build",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// A short badge text: "Error: invalid key".
    pub fn label(self) -> &'static str {
        match self {
            Self::InvalidKey => "invalid key",
            Self::BadSignature => "bad signature",
            Self::WrongPassphrase => "wrong passphrase",
            Self::IpNotWhitelisted => "IP not whitelisted",
            Self::PermissionDenied => "permission denied",
            Self::WrongRegion => "wrong region",
            Self::WrongEnvironment => "wrong environment",
            Self::ClockSkew => "clock skew",
            Self::RateLimited => "rate limited",
            Self::Banned => "IP banned",
            Self::Unreachable => "unreachable",
            Self::ExchangeDown => "exchange down",
            Self::UnexpectedResponse => "unexpected response",
            Self::KeyringUnavailable => "keyring unavailable",
            Self::SecretMissing => "secret missing",
            Self::NotInBuild => "not in this build",
        }
    }

    /// What the trader should do next.
    pub fn fix(self, exchange: ExchangeId) -> &'static str {
        match (self, exchange) {
            (Self::InvalidKey, exchange) => profile::profile(exchange).invalid_key_fix,
            (Self::BadSignature, _) => {
                "The secret does not match the API key. Paste the secret that came with this key."
            }
            (Self::WrongPassphrase, _) => {
                "The passphrase is wrong. Use the passphrase you chose when creating the key."
            }
            (Self::IpNotWhitelisted, _) => {
                "This machine's IP is not on the key's whitelist. Add it, or use a key without an IP restriction."
            }
            (Self::PermissionDenied, _) => {
                "The key may not read this account. Enable reading (read-only is enough) for the key."
            }
            (Self::WrongRegion, _) => {
                "The key belongs to another OKX site (global, EEA or US). Pick the matching region under Advanced."
            }
            (Self::WrongEnvironment, _) => {
                "A demo-trading key was used on live trading or the other way round. Toggle the testnet/demo switch."
            }
            (Self::ClockSkew, _) => {
                "This computer's clock is off. keyfolio corrected for it once; sync the system clock (NTP)."
            }
            (Self::RateLimited, _) => {
                "The exchange asked to slow down. keyfolio waits and retries."
            }
            (Self::Banned, _) => {
                "The exchange banned this IP for too many requests. keyfolio waits until the ban ends."
            }
            (Self::Unreachable, _) => {
                "The exchange could not be reached. Check the network, proxy or endpoint."
            }
            (Self::ExchangeDown, _) => {
                "The exchange is down or in maintenance. keyfolio retries later."
            }
            (Self::UnexpectedResponse, _) => {
                "The exchange answered something keyfolio cannot read. Nothing was changed; try again later."
            }
            (Self::KeyringUnavailable, _) => {
                "The keyring is locked or not answering, so the key could not be read. Unlock it; keyfolio retries by itself."
            }
            (Self::NotInBuild, _) => {
                "This keyfolio was built without this exchange, so nothing is sent to it. Install a \
                 build with it (`keyfolio doctor` names the cargo feature), or disconnect it."
            }
            (Self::SecretMissing, _) => {
                "The keyring no longer holds this key (it was deleted outside keyfolio). Disconnect, then connect the key again."
            }
        }
    }

    /// Failures only the trader can fix: syncing again will not help.
    pub fn needs_trader(self) -> bool {
        matches!(
            self,
            Self::InvalidKey
                | Self::BadSignature
                | Self::WrongPassphrase
                | Self::IpNotWhitelisted
                | Self::PermissionDenied
                | Self::WrongRegion
                | Self::WrongEnvironment
                | Self::SecretMissing
                | Self::NotInBuild
        )
    }
}

/// A failed exchange call: kind, the exchange's own words, and when to try again.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub kind: FailureKind,
    /// The exchange's message, secrets never included.
    pub detail: String,
    /// From Retry-After or a ban's end.
    pub retry_after: Option<Duration>,
    /// Measured difference between the exchange's clock and ours, in ms.
    pub clock_offset_ms: Option<i64>,
}

impl Failure {
    /// `detail` is untrusted (it quotes the exchange): control characters are marked
    /// and it is cut to [`crate::text::MAX_MESSAGE_CHARS`].
    pub fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: crate::text::free_text(&detail.into(), crate::text::MAX_MESSAGE_CHARS),
            retry_after: None,
            clock_offset_ms: None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.label(), self.detail)?;
        if let Some(wait) = self.retry_after {
            write!(f, " (retry in {}s)", wait.as_secs())?;
        }
        if let Some(offset) = self.clock_offset_ms {
            write!(f, " (clock offset {offset} ms)")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// Authentication method of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    ApiKey,
    OAuth,
}

impl AuthKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::ApiKey => "api_key",
            Self::OAuth => "oauth",
        }
    }
}

/// A connection as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionRecord {
    pub id: i64,
    pub exchange: ExchangeId,
    pub label: String,
    pub auth_kind: AuthKind,
    pub endpoint: Endpoint,
    pub key_hint: String,
    pub key_type: Option<KeyType>,
    pub secret_ref: String,
    pub permissions: Option<Permissions>,
    pub permissions_checked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<StoredError>,
    pub failure_streak: u32,
    pub paused: bool,
    pub next_sync_at: Option<DateTime<Utc>>,
    pub sync_interval_secs: Option<u64>,
    /// Wallets the key could not read at the last sync (see [`AccountSnapshot::unreadable`]).
    pub unreadable_wallets: Vec<UnreadableWallet>,
    /// As of the last permission check.
    pub expiry: KeyExpiry,
}

/// The last failure of a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredError {
    pub kind: FailureKind,
    pub message: String,
    pub since: DateTime<Utc>,
}

/// What is needed to save a validated connection.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub exchange: ExchangeId,
    pub label: String,
    pub auth_kind: AuthKind,
    pub endpoint: Endpoint,
    pub key_hint: String,
    /// Keyed hash of the API key; `None` for OAuth connections.
    pub key_hash: Option<String>,
    /// Keyed hash of the exchange's account number, when the exchange told it.
    pub account_hash: Option<String>,
    pub key_type: Option<KeyType>,
    pub secret_ref: String,
}

/// One finished sync attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRun {
    pub finished_at: DateTime<Utc>,
    pub ok: bool,
    pub error_kind: Option<FailureKind>,
    pub message: Option<String>,
}

impl ConnectionRecord {
    /// The card's note on when its key stops working ([`KeyExpiry::notice`]). A key the
    /// exchange dated to end but that synced after that date evidently did not end
    /// then: that date is left out rather than shown as "expired" on a working key.
    pub fn expiry_notice(&self, now: DateTime<Utc>) -> Option<(String, bool)> {
        let mut expiry = self.expiry;
        if expiry
            .key_expires_at
            .zip(self.last_synced_at)
            .is_some_and(|(end, synced)| synced >= end)
        {
            expiry.key_expires_at = None;
        }
        expiry.notice(now)
    }

    /// What the key may do, in words; never "read-only" when keyfolio cannot tell.
    pub fn permissions_text(&self) -> String {
        match self.permissions {
            Some(p) => p.summary(),
            None if self.exchange.is_generic() => "not known (not read for this exchange)".into(),
            None => "not read yet".into(),
        }
    }

    /// The connection's own sync interval, or the global one.
    pub fn interval(&self, global: Duration) -> Duration {
        self.sync_interval_secs.map_or(global, Duration::from_secs)
    }

    /// The badge this connection shows at `now`; `syncing` while a sync of it runs.
    pub fn status(&self, now: DateTime<Utc>, global_interval: Duration, syncing: bool) -> Status {
        if !self.exchange.in_build() {
            return Status::Error(FailureKind::NotInBuild);
        }
        if syncing {
            return Status::Syncing;
        }
        if let Some(err) = &self.last_error {
            if self.paused
                && self.auth_kind == AuthKind::OAuth
                && err.kind == FailureKind::InvalidKey
            {
                return Status::Reauthorize;
            }
            return if self.paused {
                Status::Paused(err.kind)
            } else {
                Status::Error(err.kind)
            };
        }
        match self.last_synced_at {
            None => Status::NotConnected,
            Some(at) => {
                let stale_after = chrono::Duration::from_std(self.interval(global_interval) * 2)
                    .unwrap_or_default();
                if now - at > stale_after {
                    Status::Stale
                } else {
                    Status::Synced
                }
            }
        }
    }
}

/// The badge of a connection card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    NotConnected,
    Syncing,
    Synced,
    Stale,
    Error(FailureKind),
    Paused(FailureKind),
    /// An OAuth sign-in that can no longer be refreshed.
    Reauthorize,
}

impl Status {
    pub fn label(self) -> String {
        match self {
            Self::NotConnected => "Not connected".into(),
            Self::Syncing => "Syncing".into(),
            Self::Synced => "Synced".into(),
            Self::Stale => "Stale".into(),
            Self::Error(kind) => format!("Error: {}", kind.label()),
            Self::Paused(kind) => format!("Paused: {}", kind.label()),
            Self::Reauthorize => "Reauthorize".into(),
        }
    }
}

/// How every view shows an amount (the detail view, the portfolio view, the CLI's text
/// output): the decimal string as the exchange sent it, with the zeros after the point
/// that carry no value trimmed, never rounded: "0.00100000" → "0.001", "5.000" → "5",
/// "120" → "120", "-0.000" → "0". Text that is not a plain decimal is shown as it came.
pub fn display_amount(amount: &str) -> String {
    let text = amount.trim();
    let (sign, digits) = text.strip_prefix('-').map_or(("", text), |d| ("-", d));
    let plain = digits.chars().any(|c| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1;
    if !plain {
        return amount.to_string();
    }
    let trimmed = if digits.contains('.') {
        digits.trim_end_matches('0').trim_end_matches('.')
    } else {
        digits
    };
    if trimmed.chars().all(|c| c == '0' || c == '.') {
        "0".into()
    } else {
        format!("{sign}{trimmed}")
    }
}

/// Sums decimal strings exactly; `None` if one is not a decimal.
pub fn add_decimals<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut sum = Decimal::ZERO;
    for v in values {
        sum = sum.checked_add(Decimal::from_str(v).ok()?)?;
    }
    Some(sum.normalize().to_string())
}

/// The label a new connection gets: "Binance", then "Binance 2", "Binance 3" …
pub fn default_label(exchange: ExchangeId, labels_in_use: &[String]) -> String {
    let taken = |l: &str| {
        labels_in_use
            .iter()
            .any(|u| u.trim().eq_ignore_ascii_case(l))
    };
    let name = exchange.name();
    if !taken(name) {
        return name.to_string();
    }
    (2..)
        .map(|n| format!("{name} {n}"))
        .find(|l| !taken(l))
        .expect("some number is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pem_path_is_read_for_binance_and_coinbase_only_and_capped() {
        let binance = ExchangeId::Binance;
        assert!(names_pem_file(binance, "/keys/Binance.PEM"));
        assert!(!names_pem_file(
            binance,
            "-----BEGIN PRIVATE KEY-----\nx.pem"
        ));
        assert!(!names_pem_file(ExchangeId::Okx, "/keys/okx.pem"));
        assert!(read_pem_file(ExchangeId::Okx, "/keys/okx.pem").is_none());
        assert!(read_pem_file(binance, "not-a-path").is_none());
        // Coinbase is compiled in with its exchange feature.
        if let Some(coinbase) = ExchangeId::parse("coinbase") {
            assert!(names_pem_file(coinbase, "/keys/cdp.pem"));
        }

        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone.pem");
        let missing = missing.to_str().unwrap();
        assert!(matches!(
            read_pem_file(binance, missing),
            Some(Err(PemFileError::Missing(_)))
        ));

        let key = dir.path().join("key.pem");
        let pem = "-----BEGIN PRIVATE KEY-----\r\nMC4CAQAw\r\n-----END PRIVATE KEY-----\r\n";
        std::fs::write(&key, pem).unwrap();
        let read = read_pem_file(binance, key.to_str().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(
            read.as_str(),
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAw\n-----END PRIVATE KEY-----"
        );

        let cap = crate::text::MAX_CREDENTIAL_CHARS;
        let big = dir.path().join("big.pem");
        std::fs::write(&big, "A".repeat(cap)).unwrap();
        assert!(
            read_pem_file(binance, big.to_str().unwrap())
                .unwrap()
                .is_ok()
        );
        std::fs::write(&big, "A".repeat(cap + 1)).unwrap();
        assert!(matches!(
            read_pem_file(binance, big.to_str().unwrap()),
            Some(Err(PemFileError::TooLarge { .. }))
        ));
    }

    #[test]
    fn expiry_notices_warn_under_fourteen_days_and_after() {
        let now = DateTime::parse_from_rfc3339("2026-12-03T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let days = |n: i64| Some(now + chrono::Duration::days(n) + chrono::Duration::hours(1));
        let key = |at| KeyExpiry {
            key_expires_at: at,
            trading_ends_at: None,
        };
        assert_eq!(key(None).notice(now), None);
        assert_eq!(
            key(days(88)).notice(now),
            Some(("key expires in 88 days".into(), false))
        );
        assert_eq!(
            key(days(12)).notice(now),
            Some(("key expires in 12 days".into(), true))
        );
        assert_eq!(
            key(days(-2)).notice(now),
            Some(("key expired Dec 01".into(), true))
        );
        // Days to the nearest, hours in the last day.
        let left = |d: i64, h: i64, m: i64| {
            let at = now + chrono::Duration::days(d) + chrono::Duration::hours(h);
            key(Some(at + chrono::Duration::minutes(m)))
                .notice(now)
                .unwrap()
                .0
        };
        assert_eq!(left(87, 23, 0), "key expires in 88 days");
        assert_eq!(left(4, 11, 59), "key expires in 4 days");
        assert_eq!(left(1, 0, 0), "key expires in 1 day");
        assert_eq!(left(0, 5, 30), "key expires in 5 hours");
        assert_eq!(left(0, 1, 0), "key expires in 1 hour");
        assert_eq!(left(0, 0, 59), "key expires within the hour");
        let trading = KeyExpiry {
            key_expires_at: None,
            trading_ends_at: days(31),
        };
        assert_eq!(
            trading.notice(now),
            Some((
                "trading on this key ends Jan 03 (no IP restriction)".into(),
                false
            ))
        );
        assert_eq!(
            key_too_old(now - chrono::Duration::days(200), now, None),
            None
        );
        assert_eq!(
            key_too_old(now - chrono::Duration::days(200), now, Some(180)),
            Some("key 200 days old: rotate it".into())
        );
        assert_eq!(
            key_too_old(now - chrono::Duration::days(20), now, Some(180)),
            None
        );
    }

    #[test]
    fn amounts_trim_zeros_without_rounding() {
        for (raw, shown) in [
            ("0.00100000", "0.001"),
            ("5.000", "5"),
            ("120", "120"),
            ("100.10", "100.1"),
            ("-2.50", "-2.5"),
            ("-0.000", "0"),
            ("0", "0"),
            ("123456789012.12345678", "123456789012.12345678"),
            ("0.000000000000000001", "0.000000000000000001"),
            ("1e-8", "1e-8"),
            ("", ""),
        ] {
            assert_eq!(display_amount(raw), shown, "{raw:?}");
        }
    }
}
