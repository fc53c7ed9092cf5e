//! The CCXT adapter: builds CCXT clients, points them at the right endpoint, runs the
//! calls, and turns CCXT's errors into [`Failure`]s.
//!
//! Balances and permissions come from the exchanges' own account endpoints through CCXT's
//! signed implicit API (the same signing and error handling as `fetch_balance`), so a sync
//! costs one request and needs no market list, and amounts keep the exchange's decimal
//! strings. CCXT clients are pooled per exchange and endpoint and lent out with the
//! credentials of one call, so a thousand connections never cost a thousand clients.

use super::catalog::{self, AnyCore};
use super::{parse, wallets};
use crate::model::{
    AccountSnapshot, Balance, Credentials, Endpoint, ExchangeId, Failure, FailureKind,
    UnreadableWallet,
};
use ccxt::Value;
use ccxt::exchanges::binance::BinanceCore;
use ccxt::exchanges::okx::OkxCore;
use secrecy::ExposeSecret;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// CCXT's caught panics carry "[ErrorClass] message".
pub fn is_ccxt_error(message: &str) -> bool {
    let Some(rest) = message.strip_prefix('[') else {
        return false;
    };
    rest.split_once(']').is_some_and(|(class, _)| {
        !class.is_empty() && class.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// Clients idle in the pool per endpoint; more are built when more calls run at once.
const POOL_SIZE: usize = 16;

enum Core {
    Binance(Box<BinanceCore>),
    Okx(Box<OkxCore>),
    /// Any other compiled-in exchange, through CCXT's unified calls.
    Generic(Box<dyn AnyCore>),
}

impl Core {
    /// A copy of a client that has made no call yet: the same configuration, without
    /// running CCXT's `describe` and property set-up again (most of a cold sync's CPU
    /// went on building Binance clients). `None` for the other exchanges, which are
    /// built each time.
    fn duplicate(&self) -> Option<Core> {
        match self {
            Core::Binance(c) => Some(Core::Binance(Box::new(BinanceCore {
                exchange: copy_exchange(&c.exchange),
            }))),
            Core::Okx(c) => Some(Core::Okx(Box::new(OkxCore {
                exchange: copy_exchange(&c.exchange),
            }))),
            Core::Generic(_) => None,
        }
    }

    fn exchange(&mut self) -> &mut ccxt::exchange::Exchange {
        match self {
            Core::Binance(c) => &mut c.exchange,
            Core::Okx(c) => &mut c.exchange,
            Core::Generic(c) => c.exchange(),
        }
    }
}

/// A CCXT client's copy. CCXT's `Clone` leaves out the runtime part (`internals`): its
/// extra headers (OKX's demo-trading header), its table of implicit API methods (built
/// again at the first call, a tenth of a cold sync) and its HTTP client; this keeps them.
/// Sharing the HTTP client shares its connection pool, never credentials: those travel
/// in each request.
fn copy_exchange(exchange: &ccxt::exchange::Exchange) -> ccxt::exchange::Exchange {
    let mut copy = Clone::clone(exchange);
    copy.internals.headers = exchange.internals.headers.clone();
    copy.internals.implicit_api = exchange.internals.implicit_api.clone();
    copy.internals.http_client = exchange.internals.http_client.clone();
    copy
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    exchange: ExchangeId,
    endpoint: Endpoint,
}

/// The exchange client every caller shares.
pub struct ExchangeClient {
    timeout: Duration,
    pool: Mutex<HashMap<PoolKey, Vec<Core>>>,
    /// A client as built, never lent, per endpoint: new clients are copies of it.
    templates: Mutex<HashMap<PoolKey, Core>>,
    /// Our clock minus the exchange's, in ms, once measured.
    clock_offsets: Mutex<HashMap<PoolKey, i64>>,
    /// Why a host could not be reached, by origin, and when that was found: one look
    /// per host a minute, however many connections fail against it.
    unreachable_causes: Mutex<HashMap<String, (Instant, String)>>,
}

/// The URL groups CCXT uses for each exchange, relative to a custom base URL.
fn url_overrides(exchange: ExchangeId, base: &str) -> serde_json::Value {
    let base = base.trim_end_matches('/');
    match exchange {
        ExchangeId::Binance => json!({ "api": {
            "public": format!("{base}/api/v3"),
            "private": format!("{base}/api/v3"),
            "v1": format!("{base}/api/v1"),
            "sapi": format!("{base}/sapi/v1"),
            "sapiV2": format!("{base}/sapi/v2"),
            "sapiV3": format!("{base}/sapi/v3"),
            "sapiV4": format!("{base}/sapi/v4"),
            // The futures wallets (USDⓈ-M, COIN-M) are read from the same base.
            "fapiPrivate": format!("{base}/fapi/v1"),
            "fapiPrivateV2": format!("{base}/fapi/v2"),
            "fapiPrivateV3": format!("{base}/fapi/v3"),
            "dapiPrivate": format!("{base}/dapi/v1"),
            "dapiPrivateV2": format!("{base}/dapi/v2"),
            // And a Portfolio Margin account's unified wallet.
            "papi": format!("{base}/papi/v1"),
        }}),
        ExchangeId::Okx => json!({ "api": { "rest": base } }),
        ExchangeId::Ccxt(_) | ExchangeId::Absent(_) => json!({}),
    }
}

/// Every URL in CCXT's `urls.api` of a generic exchange, moved to `base`: the scheme and
/// host are replaced, the path kept (`https://api.gateio.ws/api/v4` becomes
/// `<base>/api/v4`).
fn moved_urls(api: &Value, base: &str) -> Value {
    let base = base.trim_end_matches('/');
    match api {
        Value::Str(url) => match url.split_once("://") {
            Some((_, rest)) => {
                let path = rest.find('/').map_or("", |at| &rest[at..]);
                Value::from(format!("{base}{path}").as_str())
            }
            None => api.clone(),
        },
        Value::Dict(map) => Value::Dict(std::sync::Arc::new(
            map.iter()
                .map(|(k, v)| (k.clone(), moved_urls(v, base)))
                .collect(),
        )),
        other => other.clone(),
    }
}

fn build(key: &PoolKey, timeout: Duration) -> Core {
    let config = json!({
        "timeout": timeout.as_millis() as i64,
        // keyfolio's sync engine keeps its own per-exchange budget.
        "enableRateLimit": false,
        "options": { "timeDifference": 0, "adjustForTimeDifference": false },
    });
    let mut config = config;
    if key.exchange.is_generic() {
        for (name, value) in catalog::preset_options(key.exchange.id()) {
            config["options"][name] = value;
        }
    }
    let config = Some(Value::from_json(&config));
    let mut core = match key.exchange {
        ExchangeId::Binance => Core::Binance(Box::new(BinanceCore::new(config))),
        ExchangeId::Okx => Core::Okx(Box::new(OkxCore::new(config))),
        ExchangeId::Ccxt(_) => Core::Generic(
            catalog::build(key.exchange.id(), config).expect("every ExchangeId is compiled in"),
        ),
        ExchangeId::Absent(_) => unreachable!("refused by not_in_build before any client"),
    };
    if key.exchange.is_generic() {
        // An empty market table: the balance call loads no markets. None of the exchanges
        // replayed here needs them to name assets (Kraken's legacy ids such as XXBT are
        // in CCXT's own table of common currencies).
        core.exchange().markets = Value::from_json(&json!({}));
    }
    {
        // CCXT checks each required credential before signing, and each check copies
        // the whole client into a map: keep only the credentials this exchange requires.
        let ex = core.exchange();
        if let Some(map) = ex.requiredCredentials.as_map() {
            let required = map
                .iter()
                .filter(|(_, v)| v.as_bool() == Some(true))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            ex.requiredCredentials = Value::Dict(std::sync::Arc::new(required));
        }
    }
    if key.endpoint.sandbox {
        let ex = core.exchange();
        let test = ccxt::get_value(&ex.urls, &Value::from("test"));
        if !matches!(test, Value::Null) {
            ccxt::value::set_value(&mut ex.urls, &Value::from("api"), test);
        }
        if key.exchange == ExchangeId::Okx {
            // OKX's demo trading: same host, `x-simulated-trading: 1` on every request.
            ex.internals
                .headers
                .insert("x-simulated-trading".into(), "1".into());
        }
        ccxt::value::set_value(
            &mut ex.options,
            &Value::from("sandboxMode"),
            Value::Bool(true),
        );
    }
    if let Some(base) = &key.endpoint.base_url {
        let ex = core.exchange();
        let api = if key.exchange.is_generic() {
            moved_urls(&ccxt::get_value(&ex.urls, &Value::from("api")), base)
        } else {
            Value::from_json(&url_overrides(key.exchange, base)["api"])
        };
        ccxt::value::set_value(&mut ex.urls, &Value::from("api"), api);
        if key.exchange.is_generic()
            && let Some(host) = host_of(base)
        {
            // Some exchanges sign the host they are reached at (HTX: `self.hostname`, or
            // `urls.hostnames` per API): it must be the endpoint's, or every request is refused.
            ex.hostname = Value::from(host.as_str());
            let hostnames = ccxt::get_value(&ex.urls, &Value::from("hostnames"));
            if !matches!(hostnames, Value::Null) {
                let moved = with_strings_as(&hostnames, &host);
                ccxt::value::set_value(&mut ex.urls, &Value::from("hostnames"), moved);
            }
        }
    }
    core
}

/// The `host[:port]` of a base URL, as an HTTP `Host` header names it.
fn host_of(base: &str) -> Option<String> {
    let url = url::Url::parse(base).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// `value` with every string in it replaced by `text` (CCXT's nested `urls.hostnames`).
fn with_strings_as(value: &Value, text: &str) -> Value {
    match value {
        Value::Str(_) => Value::from(text),
        Value::Dict(map) => Value::Dict(std::sync::Arc::new(
            map.iter()
                .map(|(k, v)| (k.clone(), with_strings_as(v, text)))
                .collect(),
        )),
        other => other.clone(),
    }
}

/// Whether keyfolio reads this exchange's key permissions: Binance and OKX, and the
/// generic exchanges with a key-information request ([`super::key_info`]).
pub fn reads_permissions(exchange: ExchangeId) -> bool {
    match exchange {
        ExchangeId::Binance | ExchangeId::Okx => true,
        ExchangeId::Ccxt(_) => super::key_info::call_for(exchange.id()).is_some(),
        ExchangeId::Absent(_) => false,
    }
}

/// An exchange this build lacks gets no client and no request: its key would otherwise
/// go to whatever the client was built for.
fn not_in_build(exchange: ExchangeId) -> Result<(), Failure> {
    if exchange.in_build() {
        return Ok(());
    }
    Err(Failure::new(
        FailureKind::NotInBuild,
        format!("{} is not in this build of keyfolio", exchange.id()),
    ))
}

/// A raw CCXT error, classified.
pub fn classify(
    exchange: ExchangeId,
    err: &ccxt::ExchangeError,
    retry_after: Option<Duration>,
) -> Failure {
    let message = err.message.as_str();
    let code = exchange_code(message);
    use FailureKind::*;
    let by_code = match (exchange, code.as_deref()) {
        (ExchangeId::Binance, Some("-2014" | "-2015" | "-2008")) => Some(InvalidKey),
        (ExchangeId::Binance, Some("-1022")) => Some(BadSignature),
        (ExchangeId::Binance, Some("-1021")) => Some(ClockSkew),
        (ExchangeId::Binance, Some("-1003")) if message.contains("banned") => Some(Banned),
        (ExchangeId::Binance, Some("-1003")) => Some(RateLimited),
        (ExchangeId::Okx, Some("50111" | "50100" | "50114")) => Some(InvalidKey),
        (ExchangeId::Okx, Some("50113")) => Some(BadSignature),
        (ExchangeId::Okx, Some("50105")) => Some(WrongPassphrase),
        (ExchangeId::Okx, Some("50110")) => Some(IpNotWhitelisted),
        (ExchangeId::Okx, Some("50102" | "50112")) => Some(ClockSkew),
        (ExchangeId::Okx, Some("50101")) => Some(WrongEnvironment),
        (ExchangeId::Okx, Some("50119")) => Some(WrongRegion),
        // 50030: no permission for this endpoint; 50051: not offered in the trader's
        // region (Simple Earn where Earn is not offered): a wallet the key cannot read.
        (ExchangeId::Okx, Some("50120" | "50121" | "50030" | "50051")) => Some(PermissionDenied),
        // "This feature is unavailable in demo trading": Earn with a demo-trading key.
        (ExchangeId::Okx, Some("50038")) => Some(WrongEnvironment),
        (ExchangeId::Okx, Some("50011" | "50061")) => Some(RateLimited),
        (ExchangeId::Okx, Some("50001" | "50004" | "50013" | "50026")) => Some(ExchangeDown),
        (ExchangeId::Ccxt(_), _) => super::refusals::kind_of(exchange.id(), message),
        _ => None,
    };
    let kind = by_code.unwrap_or_else(|| {
        if message.contains("HTTP 418") || message.starts_with("418") || message.contains(" 418 ") {
            Banned
        } else if is_html_page(message) && names_5xx(message) {
            // A gateway's error page, whatever class the exchange's error handler gave it.
            ExchangeDown
        } else if err.is("PermissionDenied") {
            PermissionDenied
        } else if err.is("AuthenticationError") {
            InvalidKey
        } else if err.is("InvalidNonce") {
            ClockSkew
        } else if err.is("RateLimitExceeded") || err.is("DDoSProtection") {
            RateLimited
        } else if err.is("ExchangeNotAvailable") {
            ExchangeDown
        } else if err.is("NetworkError") {
            Unreachable
        } else {
            UnexpectedResponse
        }
    });
    let mut failure = Failure::new(kind, short_detail(message, code.as_deref()));
    failure.retry_after = retry_after;
    failure
}

/// What stops a request to `url`, found by resolving its host and connecting to it.
async fn probe(url: &str) -> Option<String> {
    const WAIT: Duration = Duration::from_secs(3);
    let url = url::Url::parse(url).ok()?;
    let host = url.host_str()?.trim_matches(['[', ']']).to_string();
    let port = url.port_or_known_default()?;
    let addresses =
        match tokio::time::timeout(WAIT, tokio::net::lookup_host((host.as_str(), port))).await {
            Err(_) => return Some(format!("the name {host} did not resolve in time (DNS)")),
            Ok(Err(_)) => return Some(format!("the name {host} does not resolve (DNS)")),
            Ok(Ok(found)) => found.collect::<Vec<_>>(),
        };
    let address = addresses.first()?;
    Some(
        match tokio::time::timeout(WAIT, tokio::net::TcpStream::connect(address)).await {
            Err(_) => format!(
                "{host}:{port} does not answer connections (network down, firewall or proxy)"
            ),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                format!("{host}:{port} refused the connection (nothing listens there)")
            }
            Ok(Err(e)) => format!("cannot connect to {host}:{port}: {e}"),
            Ok(Ok(_)) if url.scheme() == "https" => format!(
                "{host}:{port} takes connections, but the TLS handshake or the request failed (a proxy, or a certificate that is not trusted)"
            ),
            Ok(Ok(_)) => format!("{host}:{port} takes connections but dropped the request"),
        },
    )
}

/// A CCXT error message that quotes a web page.
fn is_html_page(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("<html") || lower.contains("<!doctype")
}

/// A web page whose title names a server error status (502 Bad Gateway, 503 …).
fn names_5xx(page: &str) -> bool {
    let lower = page.to_ascii_lowercase();
    let title = lower
        .split_once("<title>")
        .and_then(|(_, rest)| rest.split_once("</title>"))
        .map_or("", |(title, _)| title);
    title
        .split(|c: char| !c.is_ascii_digit())
        .any(|n| n.len() == 3 && n.starts_with('5'))
}

/// The exchange's error code in a CCXT message: `"code":-2015` or `"code":"50105"`.
fn exchange_code(message: &str) -> Option<String> {
    let at = message.find("\"code\"")? + 6;
    let rest = message[at..].trim_start_matches([' ', ':', '"']);
    let code: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    (!code.is_empty() && code != "0").then_some(code)
}

/// The exchange's own message (`msg`), or the first line of CCXT's, kept short.
fn short_detail(message: &str, code: Option<&str>) -> String {
    let msg = serde_json::from_str::<serde_json::Value>(
        message.get(message.find('{').unwrap_or(0)..).unwrap_or(""),
    )
    .ok()
    .and_then(|v| v.get("msg").and_then(|m| m.as_str()).map(str::to_string));
    let text = match (msg, code) {
        (Some(m), Some(c)) if !m.is_empty() => format!("{m} ({c})"),
        _ => {
            let first = without_query(message.lines().next().unwrap_or(message));
            if is_html_page(&first) {
                "the exchange answered with an HTML error page".to_string()
            } else {
                first.clone()
            }
        }
    };
    text.chars().take(160).collect()
}

/// Drops query strings (timestamps, signatures) from URLs quoted in an error message.
fn without_query(text: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for c in text.chars() {
        match c {
            '?' => skipping = true,
            ')' | ' ' if skipping => {
                skipping = false;
                out.push(c);
            }
            _ if skipping => {}
            _ => out.push(c),
        }
    }
    out
}

/// Seconds from a Retry-After header in CCXT's last response headers.
fn retry_after(core: &mut Core) -> Option<Duration> {
    let headers = core.exchange().last_response_headers.clone();
    let value = ccxt::get_value(&headers, &Value::from("retry-after"));
    match value {
        Value::Str(s) => s.trim().parse::<u64>().ok().map(Duration::from_secs),
        Value::Int(n) if n >= 0 => Some(Duration::from_secs(n as u64)),
        _ => None,
    }
}

/// One of CCXT's unified calls, refused when the answer was a web page: CCXT hands a
/// body that is not JSON on as a string, and some exchanges' parsers turn that into an
/// empty balance or account list.
async fn unified_call(
    core: &mut Box<dyn AnyCore>,
    method: &str,
) -> Result<Value, ccxt::ExchangeError> {
    let value = ccxt::runtime::call_typed(core.call(method, vec![Value::Null])).await?;
    let headers = &core.exchange().last_response_headers;
    let kind = ccxt::get_value(headers, &Value::from("content-type"));
    if kind
        .as_str()
        .is_some_and(|t| t.to_ascii_lowercase().contains("html"))
    {
        return Err(ccxt::ExchangeError::new(
            "BadResponse",
            "the exchange answered a web page, not JSON",
        ));
    }
    Ok(value)
}

/// Which account call to make.
#[derive(Clone, Copy)]
enum Call {
    Balance,
    /// A wallet overview or a wallet beyond the balance call's ([`wallets`]).
    Named(&'static wallets::Request),
    Permissions,
    Time,
    /// Every spot pair's last price (public).
    Tickers,
}

async fn raw_call(core: &mut Core, call: Call) -> Result<Value, ccxt::ExchangeError> {
    let args = [Value::Null];
    match (core, call) {
        (core, Call::Named(request)) => {
            let params = Value::from_json(&(request.params)());
            let core: &mut dyn AnyCore = match core {
                Core::Binance(c) => &mut **c,
                Core::Okx(c) => &mut **c,
                Core::Generic(c) => &mut **c,
            };
            ccxt::runtime::call_typed(core.call(request.method, vec![params])).await
        }
        (Core::Binance(c), Call::Balance) => {
            ccxt::runtime::call_typed(c.private_get_account(&args)).await
        }
        (Core::Binance(c), Call::Permissions) => {
            ccxt::runtime::call_typed(c.sapi_get_account_api_restrictions(&args)).await
        }
        (Core::Binance(c), Call::Time) => ccxt::runtime::call_typed(c.public_get_time(&args)).await,
        (Core::Okx(c), Call::Balance) => {
            ccxt::runtime::call_typed(c.private_get_account_balance(&args)).await
        }
        (Core::Okx(c), Call::Permissions) => {
            ccxt::runtime::call_typed(c.private_get_account_config(&args)).await
        }
        (Core::Okx(c), Call::Time) => {
            ccxt::runtime::call_typed(c.public_get_public_time(&args)).await
        }
        (core, Call::Tickers) => {
            let core: &mut dyn AnyCore = match core {
                Core::Binance(c) => &mut **c,
                Core::Okx(c) => &mut **c,
                Core::Generic(c) => &mut **c,
            };
            let id = core.exchange().id.as_str().unwrap_or_default().to_string();
            let Some(request) = super::tickers::REQUESTS.iter().find(|r| r.exchange == id) else {
                return Err(ccxt::ExchangeError::new(
                    "NotSupported",
                    "keyfolio knows no all-tickers request of this exchange",
                ));
            };
            let params = Value::from_json(&(request.params)());
            ccxt::runtime::call_typed(core.call(request.method, vec![params])).await
        }
        (Core::Generic(c), Call::Balance) => {
            let id = c.exchange().id.as_str().unwrap_or_default().to_string();
            if catalog::lists_accounts_first(&id) {
                // CCXT's Rust port does not reach HTX's own fetchAccounts from the balance
                // call ("fetchAccounts() is not supported yet"): list them here, once per
                // call, since they belong to the key in use.
                let accounts = unified_call(c, "fetch_accounts").await?;
                c.exchange().accounts = accounts;
            }
            unified_call(c, "fetch_balance").await
        }
        (Core::Generic(c), Call::Permissions) => {
            let id = c.exchange().id.as_str().unwrap_or_default().to_string();
            let Some(info) = super::key_info::call_for(&id) else {
                return Err(ccxt::ExchangeError::new(
                    "NotSupported",
                    "keyfolio does not read this exchange's key permissions",
                ));
            };
            let params = Value::from_json(&(info.params)());
            let first = ccxt::runtime::call_typed(c.call(info.method, vec![params])).await?;
            let Some(then) = &info.then else {
                return Ok(first);
            };
            let first = first.to_json();
            let api_key = c.exchange().apiKey.as_str().unwrap_or_default().to_string();
            let second = match (then.params)(&first, &api_key) {
                None => serde_json::Value::Null,
                Some(params) => {
                    let params = Value::from_json(&params);
                    match ccxt::runtime::call_typed(c.call(then.method, vec![params])).await {
                        Ok(answer) => answer.to_json(),
                        // The network or the key failing fails the check; a refusal of
                        // this one request (a sub-account's key may not ask) leaves what
                        // it would tell "not known".
                        Err(e)
                            if e.is("NetworkError")
                                || (e.is("AuthenticationError") && !e.is("PermissionDenied")) =>
                        {
                            return Err(e);
                        }
                        Err(_) => serde_json::Value::Null,
                    }
                }
            };
            Ok(Value::from_json(&json!({ "first": first, "then": second })))
        }
        (Core::Generic(c), Call::Time) => {
            let ms = ccxt::runtime::call_typed(c.call("fetch_time", vec![Value::Null])).await?;
            Ok(Value::from_json(&json!({ "time": ms.as_f64() })))
        }
    }
}

/// A 200 answer must be JSON (an object, or Bitfinex's lists); CCXT hands non-JSON bodies
/// back as a string.
fn json_body(value: Value) -> Result<serde_json::Value, Failure> {
    match value {
        // Bitfinex answers with lists of rows; each parser checks its own shape.
        Value::Dict(_) | Value::Arr(_) => Ok(value.to_json()),
        Value::Str(text) => Err(Failure::new(
            FailureKind::UnexpectedResponse,
            format!(
                "the exchange answered {} bytes that are not JSON",
                text.len()
            ),
        )),
        other => Err(Failure::new(
            FailureKind::UnexpectedResponse,
            format!(
                "the exchange answered {:.60}",
                format!("{:?}", other.to_json())
            ),
        )),
    }
}

impl ExchangeClient {
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            pool: Mutex::default(),
            templates: Mutex::default(),
            clock_offsets: Mutex::default(),
            unreachable_causes: Mutex::default(),
        }
    }

    /// Fetches balances, and permissions when asked (validation, daily refresh).
    /// One request for the balance, one more for permissions; on a timestamp error the
    /// clock offset is measured against the exchange, corrected, and the call retried once.
    pub async fn fetch(
        &self,
        exchange: ExchangeId,
        endpoint: &Endpoint,
        creds: &Credentials,
        with_permissions: bool,
    ) -> Result<AccountSnapshot, Failure> {
        self.fetch_skipping(exchange, endpoint, creds, with_permissions, &[])
            .await
    }

    /// [`Self::fetch`], leaving out the wallets the key could not read last time
    /// (`known_unreadable`) unless permissions are read again: they stay unreadable in
    /// the snapshot, and cost no request.
    pub async fn fetch_skipping(
        &self,
        exchange: ExchangeId,
        endpoint: &Endpoint,
        creds: &Credentials,
        with_permissions: bool,
        known_unreadable: &[UnreadableWallet],
    ) -> Result<AccountSnapshot, Failure> {
        not_in_build(exchange)?;
        let key = PoolKey {
            exchange,
            endpoint: endpoint.clone(),
        };
        let mut core = self.lend(&key, Some(creds));
        let skip = if with_permissions {
            &[]
        } else {
            known_unreadable
        };
        let result = self
            .fetch_with(&key, &mut core, with_permissions, skip)
            .await;
        self.give_back(key, core);
        result
    }

    /// Every spot pair's last price, from the exchange's public all-tickers endpoint: one
    /// request, no key.
    pub async fn fetch_tickers(
        &self,
        exchange: ExchangeId,
        endpoint: &Endpoint,
    ) -> Result<HashMap<(String, String), rust_decimal::Decimal>, Failure> {
        not_in_build(exchange)?;
        let key = PoolKey {
            exchange,
            endpoint: endpoint.clone(),
        };
        let mut core = self.lend(&key, None);
        let answer = match raw_call(&mut core, Call::Tickers).await {
            Ok(value) => Ok(value.to_json()),
            Err(err) => Err(classify(exchange, &err, retry_after(&mut core))),
        };
        self.give_back(key, core);
        super::tickers::read(exchange, &answer?)
    }

    async fn fetch_with(
        &self,
        key: &PoolKey,
        core: &mut Core,
        with_permissions: bool,
        skip: &[UnreadableWallet],
    ) -> Result<AccountSnapshot, Failure> {
        let balance = self.call_correcting_clock(key, core, Call::Balance).await?;
        // A generic exchange's key is asked about only where it has a request for it.
        let permissions = if with_permissions && reads_permissions(key.exchange) {
            Some(
                self.call_correcting_clock(key, core, Call::Permissions)
                    .await?,
            )
        } else {
            None
        };
        let mut snapshot = parse::snapshot(key.exchange, &balance, permissions.as_ref())?;
        let table = if key.exchange == ExchangeId::Binance && key.endpoint.sandbox {
            // Binance's spot testnet has the spot account only (no /sapi, no futures).
            &wallets::SPOT_ONLY
        } else {
            wallets::of(key.exchange)
        };
        for b in &mut snapshot.balances {
            b.wallet = table.primary;
        }
        snapshot.weight = super::balance_cost(key.exchange, with_permissions);
        self.read_wallets(key, core, table, skip, &mut snapshot)
            .await?;
        Ok(snapshot)
    }

    /// The wallets beyond the balance call's: those the overview shows coins in (all,
    /// where the exchange has no overview), each one request. A wallet this key cannot
    /// read is listed as unreadable and the rest still count; any other failure fails
    /// the sync, so a partial total is never saved as the account's.
    async fn read_wallets(
        &self,
        key: &PoolKey,
        core: &mut Core,
        table: &'static wallets::Wallets,
        skip: &[UnreadableWallet],
        snapshot: &mut AccountSnapshot,
    ) -> Result<(), Failure> {
        let holding: Option<Vec<String>> = match &table.overview {
            Some(overview) => {
                snapshot.weight += overview.request.weight;
                match self
                    .call_correcting_clock(key, core, Call::Named(&overview.request))
                    .await
                {
                    Ok(body) => match (overview.parse)(&body) {
                        Ok(names) => Some(names),
                        Err(why) => {
                            tracing::info!(
                                exchange = key.exchange.id(),
                                "wallet overview unreadable ({why}): reading every wallet"
                            );
                            None
                        }
                    },
                    // A key the overview refuses (Binance once documented it as needing
                    // "Permits Universal Transfer"), or an overview this host does not
                    // serve as documented (a proxy, a regional API): every wallet is
                    // read, each one readable or not on its own, rather than the sync
                    // failing. It costs more requests, never a coin.
                    Err(f)
                        if wallets::is_unreadable(f.kind)
                            || f.kind == FailureKind::UnexpectedResponse =>
                    {
                        tracing::info!(
                            exchange = key.exchange.id(),
                            "wallet overview refused ({}): reading every wallet",
                            f.kind.code()
                        );
                        None
                    }
                    Err(f) => return Err(f),
                }
            }
            None => None,
        };
        let unified = table.overview.as_ref().and_then(|o| o.unified.as_ref());
        let is_unified = match unified {
            Some(u) => self.is_unified(key, core, u, snapshot).await?,
            None => false,
        };
        for read in table.reads {
            let wanted = match (unified, read.overview_name) {
                // The unified account's read: only when the account is one.
                (Some(u), Some(name)) if name == u.name => is_unified,
                // A wallet inside it: its coins are in the unified account's answer.
                (Some(u), Some(name)) if is_unified && u.holds.contains(&name) => false,
                (_, Some(name)) => holding
                    .as_ref()
                    .is_none_or(|names| names.iter().any(|n| n == name)),
                (_, None) => true,
            };
            if !wanted {
                continue;
            }
            if let Some(known) = skip.iter().find(|u| u.wallet == read.wallet) {
                snapshot.unreadable.push(known.clone());
                continue;
            }
            snapshot.weight += read.request.weight;
            match self
                .call_correcting_clock(key, core, Call::Named(&read.request))
                .await
            {
                Ok(body) => {
                    let rows = (read.parse)(&body)
                        .map_err(|e| Failure::new(FailureKind::UnexpectedResponse, e))?;
                    snapshot.balances.extend(rows.into_iter().map(|b| Balance {
                        wallet: read.wallet,
                        ..b
                    }));
                }
                Err(f) if wallets::is_unreadable(f.kind) => {
                    snapshot.unreadable.push(UnreadableWallet {
                        wallet: read.wallet,
                        kind: f.kind,
                        detail: crate::text::free_text(&f.detail, 120),
                    });
                }
                Err(f) => return Err(f),
            }
        }
        (table.settle)(&mut snapshot.balances);
        snapshot
            .balances
            .sort_by(|a, b| (&a.asset, a.wallet).cmp(&(&b.asset, b.wallet)));
        Ok(())
    }

    /// Whether the account is one unified account. An answer this key may not get, or
    /// one not as documented, reads it as a classic account (every wallet it holds is
    /// then asked on its own, as before); any other failure fails the sync.
    async fn is_unified(
        &self,
        key: &PoolKey,
        core: &mut Core,
        unified: &'static wallets::Unified,
        snapshot: &mut AccountSnapshot,
    ) -> Result<bool, Failure> {
        snapshot.weight += unified.request.weight;
        let why = match self
            .call_correcting_clock(key, core, Call::Named(&unified.request))
            .await
        {
            Ok(body) => match (unified.parse)(&body) {
                Ok(is) => return Ok(is),
                Err(why) => why,
            },
            Err(f)
                if wallets::is_unreadable(f.kind) || f.kind == FailureKind::UnexpectedResponse =>
            {
                f.kind.code().to_string()
            }
            Err(f) => return Err(f),
        };
        tracing::info!(
            exchange = key.exchange.id(),
            "unified account not known ({why}): read as a classic account"
        );
        Ok(false)
    }

    async fn call_correcting_clock(
        &self,
        key: &PoolKey,
        core: &mut Core,
        call: Call,
    ) -> Result<serde_json::Value, Failure> {
        match self.call(key.exchange, core, call).await {
            Err(f) if f.kind == FailureKind::ClockSkew => {
                // Without the exchange's time the refusal stands as it is: clock skew,
                // not whatever the time request ran into.
                let offset = match self.measure_offset(key, core).await {
                    Ok(offset) => offset,
                    Err(why) => {
                        tracing::warn!(
                            exchange = key.exchange.id(),
                            "clock offset not measured: {}",
                            why.detail
                        );
                        return Err(f);
                    }
                };
                let delta = offset - self.offset(key);
                self.clock_offsets
                    .lock()
                    .unwrap()
                    .insert(key.clone(), offset);
                set_time_difference(core, offset);
                tracing::info!(
                    exchange = key.exchange.id(),
                    offset_ms = offset,
                    "clock offset corrected"
                );
                self.call(key.exchange, core, call).await.map_err(|mut f| {
                    if f.kind == FailureKind::ClockSkew {
                        f.clock_offset_ms = Some(if delta == 0 { offset } else { delta });
                    }
                    f
                })
            }
            other => other,
        }
    }

    async fn call(
        &self,
        exchange: ExchangeId,
        core: &mut Core,
        call: Call,
    ) -> Result<serde_json::Value, Failure> {
        let started = Instant::now();
        match raw_call(core, call).await {
            Ok(value) => json_body(value),
            Err(err) => {
                let wait = retry_after(core);
                let failure = classify(exchange, &err, wait);
                if failure.kind == FailureKind::Unreachable {
                    return Err(self.name_the_cause(failure, started.elapsed()).await);
                }
                Err(failure)
            }
        }
    }

    /// An "unreachable" failure says why in words, not as reqwest's "error sending
    /// request for url (…)": this request ran out of time, or a look at the host finds
    /// the name does not resolve, the connection is refused or not answered, or the host
    /// takes connections but dropped (or, over TLS, refused) the request. The URL stays
    /// after it.
    async fn name_the_cause(&self, mut failure: Failure, took: Duration) -> Failure {
        let url = failure
            .detail
            .split_once("(http")
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(rest, _)| format!("http{rest}"));
        let cause = if took + Duration::from_millis(100) >= self.timeout {
            Some(format!(
                "the exchange did not answer within {} s",
                self.timeout.as_secs_f32()
            ))
        } else {
            match &url {
                Some(url) => self.probe_once_a_minute(url).await,
                None => None,
            }
        };
        if let Some(cause) = cause {
            let detail = match url {
                Some(url) => format!("{cause} ({url})"),
                None => cause,
            };
            failure.detail = crate::text::free_text(&detail, crate::text::MAX_MESSAGE_CHARS);
        }
        failure
    }

    /// [`probe`], remembered per origin for a minute.
    async fn probe_once_a_minute(&self, url: &str) -> Option<String> {
        const FRESH: Duration = Duration::from_secs(60);
        let origin = url::Url::parse(url).ok()?.origin().ascii_serialization();
        let known = self
            .unreachable_causes
            .lock()
            .unwrap()
            .get(&origin)
            .cloned();
        if let Some((_, cause)) = known.filter(|(at, _)| at.elapsed() < FRESH) {
            return Some(cause);
        }
        let cause = probe(url).await?;
        self.unreachable_causes
            .lock()
            .unwrap()
            .insert(origin, (Instant::now(), cause.clone()));
        Some(cause)
    }

    /// Our clock minus the exchange's, measured at the middle of a time request.
    async fn measure_offset(&self, key: &PoolKey, core: &mut Core) -> Result<i64, Failure> {
        let sent = chrono::Utc::now().timestamp_millis();
        let started = Instant::now();
        let body = self.call(key.exchange, core, Call::Time).await?;
        let local = sent + started.elapsed().as_millis() as i64 / 2;
        let server = match key.exchange {
            ExchangeId::Binance => body.get("serverTime").and_then(serde_json::Value::as_i64),
            ExchangeId::Okx => body["data"][0]["ts"].as_str().and_then(|s| s.parse().ok()),
            ExchangeId::Ccxt(_) | ExchangeId::Absent(_) => {
                body["time"].as_f64().map(|ms| ms as i64)
            }
        }
        .ok_or_else(|| {
            Failure::new(
                FailureKind::UnexpectedResponse,
                "the exchange's time answer has no time",
            )
        })?;
        Ok(local - server)
    }

    fn offset(&self, key: &PoolKey) -> i64 {
        self.clock_offsets
            .lock()
            .unwrap()
            .get(key)
            .copied()
            .unwrap_or(0)
    }

    /// A pooled (or new) client carrying this call's credentials (none for a public
    /// call) and the known clock offset.
    fn lend(&self, key: &PoolKey, creds: Option<&Credentials>) -> Core {
        let pooled = self.pool.lock().unwrap().get_mut(key).and_then(Vec::pop);
        let mut core = pooled.unwrap_or_else(|| self.new_client(key));
        set_time_difference(&mut core, self.offset(key));
        let Some(creds) = creds else {
            return core;
        };
        let ex = core.exchange();
        ex.apiKey = Value::from(creds.api_key.expose_secret());
        ex.secret = Value::from(creds.secret.expose_secret());
        ex.password = creds
            .passphrase
            .as_ref()
            .map_or(Value::Null, |p| Value::from(p.expose_secret()));
        ex.uid = creds
            .uid
            .as_ref()
            .map_or(Value::Null, |u| Value::from(u.expose_secret()));
        core
    }

    /// A new client: a copy of the endpoint's template, built first if needed.
    fn new_client(&self, key: &PoolKey) -> Core {
        let mut templates = self.templates.lock().unwrap();
        if let Some(copy) = templates.get(key).and_then(Core::duplicate) {
            return copy;
        }
        let core = build(key, self.timeout);
        if let Some(template) = core.duplicate() {
            templates.insert(key.clone(), template);
        }
        core
    }

    /// Wipes the credentials and returns the client to the pool.
    fn give_back(&self, key: PoolKey, mut core: Core) {
        let ex = core.exchange();
        ex.apiKey = Value::from("");
        ex.secret = Value::from("");
        ex.password = Value::from("");
        ex.uid = Value::from("");
        ex.accounts = Value::Null;
        ex.last_request_headers = Value::Null;
        ex.last_request_url = Value::Null;
        ex.last_request_body = Value::Null;
        if let Some(template) = self.templates.lock().unwrap().get_mut(&key) {
            // The first HTTP client made for this endpoint serves the copies made after.
            let made = &core.exchange().internals.http_client;
            let kept = &mut template.exchange().internals.http_client;
            if kept.is_none() {
                kept.clone_from(made);
            }
        }
        let mut pool = self.pool.lock().unwrap();
        let idle = pool.entry(key).or_default();
        if idle.len() < POOL_SIZE {
            idle.push(core);
        }
    }
}

fn set_time_difference(core: &mut Core, offset_ms: i64) {
    let ex = core.exchange();
    ccxt::value::set_value(
        &mut ex.options,
        &Value::from("timeDifference"),
        Value::Int(offset_ms),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exchange_codes_in_ccxt_messages() {
        assert_eq!(
            exchange_code(r#"binance {"code":-2015,"msg":"Invalid API-key"}"#).as_deref(),
            Some("-2015")
        );
        assert_eq!(
            exchange_code(r#"okx {"msg":"x","code":"50105","data":[]}"#).as_deref(),
            Some("50105")
        );
        assert_eq!(exchange_code("HTTP 503: <html>"), None);
    }

    #[test]
    fn recognises_ccxt_panic_payloads() {
        assert!(is_ccxt_error(
            "[AuthenticationError] binance {\"code\":-2015}"
        ));
        assert!(!is_ccxt_error("index out of bounds"));
        assert!(!is_ccxt_error("[] nothing"));
    }

    #[test]
    fn classifies_by_exchange_code_first() {
        let e = ccxt::ExchangeError::new(
            "AuthenticationError",
            r#"okx {"msg":"OK-ACCESS-PASSPHRASE incorrect","code":"50105"}"#,
        );
        let f = classify(ExchangeId::Okx, &e, None);
        assert_eq!(
            without_query("url (http://h/a?signature=abc) x"),
            "url (http://h/a) x"
        );
        assert_eq!(f.kind, FailureKind::WrongPassphrase);
        assert_eq!(f.detail, "OK-ACCESS-PASSPHRASE incorrect (50105)");
        let e =
            ccxt::ExchangeError::new("NetworkError", "error sending request: connection refused");
        assert_eq!(
            classify(ExchangeId::Binance, &e, None).kind,
            FailureKind::Unreachable
        );
    }
}
