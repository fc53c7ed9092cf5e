//! A local stand-in for the Binance and OKX private REST APIs.
//!
//! One HTTP listener serves Binance under `{base_url}/binance` and OKX under
//! `{base_url}/okx`. Both front-ends check credentials, signatures, clocks and
//! rate limits the way the exchanges document, answer with their real error
//! codes, and can be told to misbehave per account through [`Fault`].
//!
//! CCXT config that talks to it (see `tests/exchanges/sim_ccxt.rs`):
//! - Binance: `urls.api.public` = `urls.api.private` = `{base_url}/binance/api/v3`,
//!   `urls.api.sapi` = `{base_url}/binance/sapi/v1`, and
//!   `options.fetchMarkets = {"types": ["spot"]}` so load_markets skips fapi/dapi.
//!   (`fapiPublic`/`dapiPublic` = `{base_url}/binance/fapi/v1` / `dapi/v1` also answer,
//!   with no symbols.)
//! - OKX: `urls.api.rest` = `{base_url}/okx`, `options.fetchMarkets = {"types": ["spot"]}`.
//!
//! Request paths are counted as the exchange sees them: `/api/v3/account`,
//! `/sapi/v1/account/apiRestrictions`, `/api/v5/account/balance`, ...
//!
//! Each mount also runs an OAuth 2.0 provider (`/oauth/...`) and the bearer-authenticated
//! account API (`/oauth-api/...`): see [`oauth`] and [`SimHandle::oauth_provider`].

mod accounts;
pub use accounts::generated as generated_accounts;
mod auth;
mod binance;
mod binance_sign;
mod binance_wallets;
mod oauth;
mod okx;
mod prices;
pub mod replay;
mod util;

pub use binance_sign::{binance_hmac_signature, okx_signature};

use crate::config::OAuthProvider;
use crate::model::ExchangeId;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What an API key may do, and from where.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Perms {
    pub read: bool,
    pub trade: bool,
    pub withdraw: bool,
    /// The key only works from `ips`.
    pub ip_restricted: bool,
    pub ips: Vec<String>,
}

/// A per-account misbehaviour, set with [`SimHandle::set_fault`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The key belongs to another region (OKX 50119, Binance -2015).
    WrongRegion,
    /// The caller's IP is not on the key's whitelist (Binance -2015, OKX 50110).
    IpNotWhitelisted,
    /// Timestamps of this account are checked against server time + this skew.
    ClockSkewMs(i64),
    /// Answer normally, but only after this delay.
    SlowMs(u64),
    /// Answer 429 with Retry-After (Binance -1003, OKX 50011).
    RateLimitBurst,
    /// Binance: 418 IP ban with Retry-After (429 on SAPI). OKX has no 418: same as RateLimitBurst.
    Ban418,
    /// 502 (Binance) / 503 (OKX) with an HTML body, like a failing gateway.
    Html5xx,
    /// 200 whose JSON body is cut in half.
    Truncated200,
    /// 200 whose body is an HTML page, not JSON.
    NonJson200,
    /// Never answer; the client must time out.
    Hang,
    /// Answer 200, but send the body one byte every this many milliseconds.
    TrickleMs(u64),
    /// Close the connection without answering.
    ResetConnection,
    /// The balance answer carries an extra asset whose name is [`HOSTILE_TEXT`].
    HostileAsset,
    /// Every signed request is refused as a bad key, with [`HOSTILE_TEXT`] in the message.
    HostileMessage,
    /// The key may not read this wallet (no permission for earn, futures not enabled):
    /// its request is refused the way the exchange refuses it; every other one answers.
    WalletRefused(crate::model::Wallet),
}

/// Text an attacker on the path would send: a window title, an OSC 52 clipboard write,
/// a screen clear, an 8-bit CSI, a bidi override and DEL.
pub const HOSTILE_TEXT: &str =
    "\u{1b}]0;pwned\u{7}\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31m\u{202e}EVIL\u{7f}";

/// One asset in a sim wallet: (asset, free, locked) as decimal strings.
pub type Holding = (String, String, String);

/// One API key on one exchange.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SimAccount {
    /// "binance" or "okx".
    pub exchange: String,
    pub api_key: String,
    /// HMAC secret, or the Ed25519 private key PEM for Binance Ed25519 keys.
    pub secret: String,
    /// OKX passphrase.
    pub passphrase: Option<String>,
    /// Unique per exchange, e.g. "read-only".
    pub purpose: String,
    #[serde(skip)]
    pub perms: Perms,
    /// The account's spot wallet (OKX: its trading account).
    #[serde(skip)]
    pub balances: Vec<Holding>,
    /// The other wallets' holdings; a wallet not listed is empty.
    #[serde(skip)]
    pub wallets: Vec<(crate::model::Wallet, Vec<Holding>)>,
    #[serde(skip)]
    pub fault: Option<Fault>,
    /// OKX demo-trading key (only valid with `x-simulated-trading: 1`).
    #[serde(skip)]
    pub demo: bool,
    /// Another key of the same exchange account (its API key); `None`: an account of its own.
    #[serde(skip)]
    pub same_account_as: Option<String>,
}

impl SimAccount {
    /// The exchange's account number (`uid`), shared by every key of one account.
    pub fn uid(&self) -> u64 {
        util::uid_for(self.same_account_as.as_deref().unwrap_or(&self.api_key))
    }
}

#[derive(Default)]
struct Counts {
    by_path: HashMap<String, u64>,
    by_key_path: HashMap<(String, String), u64>,
    by_key: HashMap<String, u64>,
    by_status: HashMap<u16, u64>,
}

/// State shared by the listener and every handle.
struct Shared {
    accounts: Mutex<Vec<SimAccount>>,
    clock_offset_ms: AtomicI64,
    counts: Mutex<Counts>,
    binance_limits: Mutex<binance::Limiter>,
    okx_limits: Mutex<okx::Limiter>,
    oauth: Mutex<oauth::OAuthState>,
    /// Prices move with the clock (the demo) instead of standing still (tests).
    moving_prices: std::sync::atomic::AtomicBool,
    /// The public ticker endpoints answer 503.
    tickers_down: std::sync::atomic::AtomicBool,
    /// Days until trading ends on a Binance key without an IP restriction, by API key
    /// (60 where not set; negative: already ended).
    trading_ends_in_days: Mutex<HashMap<String, i64>>,
    /// The `replay.key_variants` entry a replayed exchange answers its key-information
    /// request with, by API key (the recorded answer where not set).
    key_variants: Mutex<HashMap<String, &'static str>>,
    /// Every answer waits this long before it is sent: a distant exchange's round trip.
    latency_ms: std::sync::atomic::AtomicU64,
}

impl Shared {
    /// Whether prices move, and whether the ticker endpoints are down.
    fn ticker_state(&self) -> (bool, bool) {
        (
            self.moving_prices.load(Ordering::Relaxed),
            self.tickers_down.load(Ordering::Relaxed),
        )
    }

    /// [`SimHandle::set_trading_ends_in`]'s days for this key, 60 where not set.
    fn trading_ends_in_days(&self, api_key: &str) -> i64 {
        let ends = self.trading_ends_in_days.lock().unwrap();
        ends.get(api_key).copied().unwrap_or(60)
    }

    /// [`SimHandle::set_key_variant`]'s variant for this key, if set.
    fn key_variant(&self, api_key: &str) -> Option<&'static str> {
        self.key_variants.lock().unwrap().get(api_key).copied()
    }

    /// The simulator's server clock (wall clock + global offset).
    fn server_ms(&self) -> i64 {
        util::now_ms() + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    fn account(&self, exchange: &str, api_key: &str) -> Option<SimAccount> {
        let accounts = self.accounts.lock().unwrap();
        accounts
            .iter()
            .find(|a| a.exchange == exchange && a.api_key == api_key)
            .cloned()
    }

    fn with_account(&self, api_key: &str, f: impl FnOnce(&mut SimAccount)) {
        let mut accounts = self.accounts.lock().unwrap();
        if let Some(a) = accounts.iter_mut().find(|a| a.api_key == api_key) {
            f(a);
        }
    }
}

/// One incoming request, with the mount prefix (`/binance`, `/okx`) removed from `path`.
struct Req {
    method: Method,
    path: String,
    /// Raw query string without `?`, exactly as sent.
    query: String,
    headers: HeaderMap,
    body: String,
    ip: IpAddr,
}

impl Req {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An answer before it becomes an HTTP response.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    content_type: &'static str,
    body: String,
}

impl Answer {
    fn json(status: u16, body: serde_json::Value) -> Self {
        Answer {
            status,
            headers: Vec::new(),
            content_type: "application/json",
            body: body.to_string(),
        }
    }

    fn html(status: u16, body: String) -> Self {
        Answer {
            status,
            headers: Vec::new(),
            content_type: "text/html",
            body,
        }
    }

    fn with_header(mut self, name: &'static str, value: impl ToString) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }
}

/// The simulator: seeded accounts plus counters, not yet listening.
#[derive(Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
}

impl Default for Simulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Simulator {
    /// Seeded accounts (see `accounts.rs`), not yet listening.
    pub fn new() -> Self {
        Simulator {
            shared: Arc::new(Shared {
                accounts: Mutex::new(accounts::seeded()),
                clock_offset_ms: AtomicI64::new(0),
                counts: Mutex::new(Counts::default()),
                binance_limits: Mutex::new(binance::Limiter::default()),
                okx_limits: Mutex::new(okx::Limiter::default()),
                oauth: Mutex::new(oauth::OAuthState::default()),
                moving_prices: Default::default(),
                tickers_down: Default::default(),
                trading_ends_in_days: Default::default(),
                key_variants: Default::default(),
                latency_ms: Default::default(),
            }),
        }
    }

    /// Binds 127.0.0.1:port (0 = random) with a fresh seeded simulator and serves it
    /// in a tokio task; returns once listening.
    pub async fn start(port: u16) -> anyhow::Result<SimHandle> {
        Simulator::new().serve(port).await
    }

    /// Like [`Simulator::start`], for a simulator prepared beforehand.
    pub async fn serve(self, port: u16) -> anyhow::Result<SimHandle> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(self.shared.clone());
        let server = tokio::spawn(async move {
            let service = app.into_make_service_with_connect_info::<SocketAddr>();
            let _ = axum::serve(listener, service).await;
        });
        Ok(SimHandle {
            base_url: format!("http://{addr}"),
            shared: self.shared,
            server: Arc::new(server.abort_handle()),
        })
    }
}

/// A running simulator. Clones share it; dropping them does not stop it: call [`SimHandle::shutdown`].
#[derive(Clone)]
pub struct SimHandle {
    /// e.g. `http://127.0.0.1:41234`; Binance lives under `/binance`, OKX under `/okx`.
    pub base_url: String,
    shared: Arc<Shared>,
    server: Arc<tokio::task::AbortHandle>,
}

impl SimHandle {
    pub fn accounts(&self) -> Vec<SimAccount> {
        self.shared.accounts.lock().unwrap().clone()
    }

    /// Looks an account up by purpose. Purposes are unique per exchange only, so
    /// "okx:read-only" / "binance:read-only" pick the exchange; a bare purpose
    /// returns the first match (Binance accounts come first).
    pub fn account(&self, purpose: &str) -> Option<SimAccount> {
        match purpose.split_once(':') {
            Some((exchange, p)) => self.account_on(exchange, p),
            None => self.accounts().into_iter().find(|a| a.purpose == purpose),
        }
    }

    /// The account with this purpose on this exchange ("binance" / "okx").
    pub fn account_on(&self, exchange: &str, purpose: &str) -> Option<SimAccount> {
        self.accounts()
            .into_iter()
            .find(|a| a.exchange == exchange && a.purpose == purpose)
    }

    pub fn set_fault(&self, api_key: &str, fault: Option<Fault>) {
        self.shared.with_account(api_key, |a| a.fault = fault);
    }

    /// Puts coins in an account's wallets beyond its balance call's (replacing any).
    pub fn set_wallets(&self, api_key: &str, wallets: Vec<(crate::model::Wallet, Vec<Holding>)>) {
        self.shared.with_account(api_key, |a| a.wallets = wallets);
    }

    /// The prices the ticker endpoints give at `at` (moving or not, as set).
    pub fn tickers_at(&self, at: chrono::DateTime<chrono::Utc>) -> crate::model::Tickers {
        let moving = self.shared.ticker_state().0;
        crate::model::Tickers {
            at: Some(at),
            pairs: prices::pairs(at.timestamp_millis(), moving)
                .into_iter()
                .map(|(base, quote, price)| ((base.to_string(), quote.to_string()), price))
                .collect(),
            stale: false,
        }
    }

    /// Prices move over time (the demo) instead of standing at the listed values.
    pub fn set_moving_prices(&self, moving: bool) {
        self.shared.moving_prices.store(moving, Ordering::Relaxed);
    }

    /// When Binance ends trading on this key (if it has no IP restriction): `days` from
    /// now, negative for a date past.
    pub fn set_trading_ends_in(&self, api_key: &str, days: i64) {
        let mut ends = self.shared.trading_ends_in_days.lock().unwrap();
        ends.insert(api_key.to_string(), days);
    }

    /// Which key a replayed exchange says this key is: a `replay.key_variants` entry of
    /// its fixture ("withdraw", "ip_bound", "expired"), served in place of the recorded
    /// key-information answer; `None`: the recorded read-only key.
    pub fn set_key_variant(&self, api_key: &str, variant: Option<&'static str>) {
        let mut variants = self.shared.key_variants.lock().unwrap();
        match variant {
            Some(name) => variants.insert(api_key.to_string(), name),
            None => variants.remove(api_key),
        };
    }

    /// The public ticker endpoints answer 503 (true) or their prices (false).
    pub fn set_tickers_down(&self, down: bool) {
        self.shared.tickers_down.store(down, Ordering::Relaxed);
    }

    /// Shifts the server clock (time endpoints and timestamp checks) for everyone.
    pub fn set_clock_offset_ms(&self, ms: i64) {
        self.shared.clock_offset_ms.store(ms, Ordering::Relaxed);
    }

    /// Requests seen on an endpoint path as the exchange names it, e.g. "/api/v3/account".
    pub fn request_count(&self, path: &str) -> u64 {
        self.shared
            .counts
            .lock()
            .unwrap()
            .by_path
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn request_count_for(&self, api_key: &str, path: &str) -> u64 {
        let counts = self.shared.counts.lock().unwrap();
        counts
            .by_key_path
            .get(&(api_key.to_string(), path.to_string()))
            .copied()
            .unwrap_or(0)
    }

    pub fn total_requests_for(&self, api_key: &str) -> u64 {
        self.shared
            .counts
            .lock()
            .unwrap()
            .by_key
            .get(api_key)
            .copied()
            .unwrap_or(0)
    }

    /// How many answers had this HTTP status.
    pub fn status_count(&self, status: u16) -> u64 {
        self.shared
            .counts
            .lock()
            .unwrap()
            .by_status
            .get(&status)
            .copied()
            .unwrap_or(0)
    }

    /// Clears request counters and rate-limit state.
    pub fn reset_counts(&self) {
        *self.shared.counts.lock().unwrap() = Counts::default();
        *self.shared.binance_limits.lock().unwrap() = binance::Limiter::default();
        *self.shared.okx_limits.lock().unwrap() = okx::Limiter::default();
    }

    /// Sets (or adds) one balance; `free` and `locked` are decimal strings.
    pub fn set_balance(&self, api_key: &str, asset: &str, free: &str, locked: &str) {
        self.shared.with_account(api_key, |a| {
            let entry = (asset.to_string(), free.to_string(), locked.to_string());
            match a.balances.iter_mut().find(|b| b.0 == asset) {
                Some(b) => *b = entry,
                None => a.balances.push(entry),
            }
        });
    }

    /// Every answer waits `ms` before it is sent (a sleep, not a busy wait): the round
    /// trip of an exchange far away. 0: answer at once.
    pub fn set_latency_ms(&self, ms: u64) {
        self.shared.latency_ms.store(ms, Ordering::Relaxed);
    }

    pub fn add_account(&self, acct: SimAccount) {
        self.shared.accounts.lock().unwrap().push(acct);
    }

    /// The client id the simulator's OAuth provider registered for keyfolio.
    pub fn oauth_client_id(&self, exchange: ExchangeId) -> String {
        oauth::client_id(exchange.id())
    }

    /// A provider profile pointing at this simulator, with its client id. Like the real
    /// profiles, Binance has no device flow (the simulator serves one anyway: set
    /// `device_url` to `{base_url}/binance/oauth/device` to use it).
    pub fn oauth_provider(&self, exchange: ExchangeId) -> OAuthProvider {
        let base = format!("{}/{}", self.base_url, exchange.id());
        OAuthProvider {
            authorize_url: format!("{base}/oauth/authorize"),
            token_url: format!("{base}/oauth/token"),
            device_url: (exchange == ExchangeId::Okx).then(|| format!("{base}/oauth/device")),
            revoke_url: Some(format!("{base}/oauth/revoke")),
            api_base: format!("{base}/oauth-api"),
            scopes: OAuthProvider::builtin(exchange).scopes,
            client_id: Some(self.oauth_client_id(exchange)),
        }
    }

    /// How consent pages and device authorizations are answered from now on: approved or
    /// denied at once. Until called, the authorize endpoint shows an HTML consent page.
    /// Every OAuth error description the provider sends is [`HOSTILE_TEXT`].
    pub fn set_hostile_oauth(&self, hostile: bool) {
        self.shared.oauth.lock().unwrap().set_hostile(hostile);
    }

    pub fn set_consent(&self, approve: bool) {
        self.shared.oauth.lock().unwrap().set_consent(Some(approve));
    }

    /// Back to asking: the authorize endpoint shows its HTML consent page (the demo).
    pub fn clear_consent(&self) {
        self.shared.oauth.lock().unwrap().set_consent(None);
    }

    /// Answers the device authorization showing `user_code` as [`SimHandle::set_consent`]
    /// says (approves when it was never called). False when no such code is pending.
    pub fn approve_device(&self, user_code: &str) -> bool {
        self.shared
            .oauth
            .lock()
            .unwrap()
            .answer_device(user_code, None)
    }

    /// Every outstanding authorization code and device code expires now.
    pub fn expire_codes(&self) {
        self.shared.oauth.lock().unwrap().expire_codes();
    }

    /// Every access token issued so far expires now; refresh tokens stay good.
    pub fn expire_access_tokens(&self) {
        self.shared.oauth.lock().unwrap().expire_access_tokens();
    }

    /// Lifetime (`expires_in`) of access tokens issued from now on.
    pub fn set_access_ttl(&self, ttl: Duration) {
        self.shared
            .oauth
            .lock()
            .unwrap()
            .set_access_ttl(ttl.as_secs() as i64);
    }

    /// The next `polls` device-token polls answer `slow_down`.
    pub fn force_slow_down(&self, polls: u32) {
        self.shared.oauth.lock().unwrap().force_slow_down(polls);
    }

    /// Which account new OAuth grants on an exchange read (default: its "read-only" one).
    pub fn set_oauth_account(&self, exchange: ExchangeId, api_key: &str) {
        self.shared
            .oauth
            .lock()
            .unwrap()
            .set_account(exchange.id(), api_key);
    }

    /// OAuth provider counters: "authorize", "token", "refresh", "device", "device_poll",
    /// "slow_down", "revoke", "api" (bearer account calls).
    pub fn oauth_count(&self, name: &str) -> u64 {
        self.shared.oauth.lock().unwrap().count_of(name)
    }

    /// Stops accepting connections (requests already in flight may still finish).
    pub fn shutdown(&self) {
        self.server.abort();
    }
}

/// JSON printed by `keyfolio sim`: `{"base_url": "...", "accounts": [...]}`. Each account
/// carries its `base_url` (the `--endpoint` to connect it with) and its `credentials`
/// under the names `connect --stdin` takes.
pub fn listing_json(h: &SimHandle) -> serde_json::Value {
    let accounts: Vec<serde_json::Value> = h
        .accounts()
        .into_iter()
        .map(|a| {
            let mut credentials = serde_json::json!({ "apiKey": a.api_key, "secret": a.secret });
            if let Some(p) = &a.passphrase {
                credentials["password"] = p.clone().into();
            }
            let mut listed = serde_json::to_value(&a).expect("accounts serialize");
            listed["base_url"] = format!("{}/{}", h.base_url, a.exchange).into();
            listed["credentials"] = credentials;
            listed
        })
        .collect();
    serde_json::json!({ "base_url": h.base_url, "accounts": accounts })
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let full = uri.path();
    let mount = full[1.min(full.len())..].split('/').next().unwrap_or("");
    let exchange = match mount {
        "binance" | "okx" => mount,
        id => match replay::exchanges().into_iter().find(|known| *known == id) {
            Some(known) => known,
            None => {
                return finish(
                    &shared,
                    Answer::json(404, serde_json::json!({"error": "unknown exchange mount"})),
                );
            }
        },
    };
    let path = &full[1 + exchange.len()..];
    let req = Req {
        method,
        path: path.to_string(),
        query: uri.query().unwrap_or("").to_string(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        ip: peer.ip(),
    };
    let replayed = !matches!(exchange, "binance" | "okx");
    let api_key = match exchange {
        "binance" => req.header("x-mbx-apikey").unwrap_or("").to_string(),
        "okx" => req.header("ok-access-key").unwrap_or("").to_string(),
        _ => {
            let accounts = shared.accounts.lock().unwrap();
            replay::account_in(&accounts, exchange, &req)
                .map(|a| a.api_key.clone())
                .unwrap_or_default()
        }
    };
    // Replayed exchanges count under their mount: "/bybit/v5/account/wallet-balance".
    let counted = if replayed {
        format!("/{exchange}{}", req.path)
    } else {
        req.path.clone()
    };
    count_request(&shared, &counted, &api_key);
    let latency = shared.latency_ms.load(Ordering::Relaxed);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if req.path.starts_with("/oauth") && !replayed {
        return finish(&shared, oauth::answer(&shared, exchange, &req));
    }
    let account = shared.account(exchange, &api_key);
    let fault = account.as_ref().and_then(|a| a.fault);

    match fault {
        Some(Fault::SlowMs(ms)) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Some(Fault::Hang) => std::future::pending::<()>().await,
        // Unwinding the connection task drops the socket without writing a byte.
        // resume_unwind skips the panic hook, so nothing is printed.
        Some(Fault::ResetConnection) => {
            std::panic::resume_unwind(Box::new("sim: reset connection"))
        }
        Some(Fault::Html5xx) => {
            let status = if exchange == "binance" { 502 } else { 503 };
            return finish(&shared, Answer::html(status, gateway_error_page(status)));
        }
        Some(Fault::HostileMessage) => {
            return finish(&shared, hostile_refusal(exchange));
        }
        _ => {}
    }
    let ticker = if replayed {
        replay::is_tickers(exchange, &req)
    } else {
        matches!(
            req.path.as_str(),
            "/api/v3/ticker/price" | "/api/v5/market/tickers"
        )
    };
    if ticker && shared.ticker_state().1 {
        return finish(&shared, Answer::html(503, gateway_error_page(503)));
    }

    let mut answer = match exchange {
        "binance" => binance::answer(&shared, &req, account.as_ref()),
        "okx" => okx::answer(&shared, &req, account.as_ref()),
        _ => replay::answer(
            exchange,
            &req,
            account.as_ref(),
            matches!(fault, Some(Fault::RateLimitBurst | Fault::Ban418)),
            shared.key_variant(&api_key),
            shared.server_ms(),
        ),
    };
    if answer.status == 200 {
        match fault {
            Some(Fault::Truncated200) => {
                let cut = answer.body.len() / 2;
                answer.body.truncate(cut);
            }
            Some(Fault::HostileAsset) => answer.body = with_hostile_asset(&answer.body),
            Some(Fault::NonJson200) => {
                answer.content_type = "text/html";
                answer.body = "<!DOCTYPE html><html><head><title>Maintenance</title></head>\
                    <body><h1>System maintenance</h1><p>We'll be back soon.</p></body></html>"
                    .to_string();
            }
            _ => {}
        }
    }
    if let Some(Fault::TrickleMs(ms)) = fault {
        let bytes = answer.body.clone().into_bytes();
        let mut response = finish(&shared, answer);
        let stream = futures::stream::iter(bytes).then(move |b| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok::<_, std::convert::Infallible>(Bytes::from(vec![b]))
        });
        *response.body_mut() = axum::body::Body::from_stream(stream);
        return response;
    }
    finish(&shared, answer)
}

/// The exchange's refusal of a bad key, its message carrying [`HOSTILE_TEXT`].
fn hostile_refusal(exchange: &str) -> Answer {
    let msg = format!("Invalid API-key {HOSTILE_TEXT}");
    let body = if exchange == "binance" {
        serde_json::json!({ "code": -2015, "msg": msg })
    } else {
        serde_json::json!({ "code": "50111", "msg": msg, "data": [] })
    };
    Answer::json(401, body)
}

/// A balance answer (Binance `balances`, OKX `data[0].details`) with one more asset,
/// named [`HOSTILE_TEXT`]; other answers unchanged.
fn with_hostile_asset(body: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(body) else {
        return body.to_string();
    };
    let entry = serde_json::json!({
        "asset": HOSTILE_TEXT, "free": "1", "locked": "0",
        "ccy": HOSTILE_TEXT, "availBal": "1", "frozenBal": "0", "cashBal": "1", "eq": "1",
    });
    let pointer = if v.get("balances").is_some() {
        "/balances"
    } else {
        "/data/0/details"
    };
    if let Some(serde_json::Value::Array(list)) = v.pointer_mut(pointer) {
        list.push(entry);
    }
    v.to_string()
}

fn gateway_error_page(status: u16) -> String {
    let reason = if status == 502 {
        "Bad Gateway"
    } else {
        "Service Temporarily Unavailable"
    };
    format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n\
         <center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
}

fn count_request(shared: &Shared, path: &str, api_key: &str) {
    let mut counts = shared.counts.lock().unwrap();
    *counts.by_path.entry(path.to_string()).or_default() += 1;
    if !api_key.is_empty() {
        *counts
            .by_key_path
            .entry((api_key.to_string(), path.to_string()))
            .or_default() += 1;
        *counts.by_key.entry(api_key.to_string()).or_default() += 1;
    }
}

fn finish(shared: &Shared, answer: Answer) -> Response {
    *shared
        .counts
        .lock()
        .unwrap()
        .by_status
        .entry(answer.status)
        .or_default() += 1;
    let status = axum::http::StatusCode::from_u16(answer.status)
        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static(answer.content_type),
    );
    for (name, value) in answer.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    response
}
