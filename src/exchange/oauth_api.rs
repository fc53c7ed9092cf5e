//! Account calls of an OAuth connection: balances and permissions read with a bearer
//! access token, answered in the exchanges' own shapes and parsed by [`super::parse`].
//!
//! Paths are the exchange's account paths under the provider's `api_base`:
//! Binance `/api/v3/account` and `/sapi/v1/account/apiRestrictions`, OKX
//! `/api/v5/account/balance` and `/api/v5/account/config`. A 401 means the token is no
//! longer good: [`FailureKind::InvalidKey`], which an OAuth connection shows as
//! "Reauthorize".

use super::parse;
use crate::model::{AccountSnapshot, ExchangeId, Failure, FailureKind};
use secrecy::{ExposeSecret, SecretString};
use std::sync::OnceLock;
use std::time::Duration;

/// One bearer request may take this long.
const TIMEOUT: Duration = Duration::from_secs(10);

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .build()
            .expect("a plain reqwest client builds")
    })
}

/// (balance path, permissions path) under `api_base`; OAuth is Binance's and OKX's only.
pub fn paths(exchange: ExchangeId) -> Option<(&'static str, &'static str)> {
    match exchange {
        ExchangeId::Binance => Some(("/api/v3/account", "/sapi/v1/account/apiRestrictions")),
        ExchangeId::Okx => Some(("/api/v5/account/balance", "/api/v5/account/config")),
        ExchangeId::Ccxt(_) | ExchangeId::Absent(_) => None,
    }
}

/// Balances, and permissions when asked, of the account the token belongs to.
/// Amounts stay the exchange's decimal strings.
pub async fn fetch(
    exchange: ExchangeId,
    api_base: &str,
    access: &SecretString,
    with_permissions: bool,
) -> Result<AccountSnapshot, Failure> {
    let (balance_path, permissions_path) = paths(exchange).ok_or_else(|| {
        Failure::new(
            FailureKind::UnexpectedResponse,
            format!("{exchange} has no OAuth sign-in"),
        )
    })?;
    let balance = get(exchange, api_base, balance_path, access).await?;
    let permissions = if with_permissions {
        Some(get(exchange, api_base, permissions_path, access).await?)
    } else {
        None
    };
    parse::snapshot(exchange, &balance, permissions.as_ref())
}

async fn get(
    exchange: ExchangeId,
    api_base: &str,
    path: &str,
    access: &SecretString,
) -> Result<serde_json::Value, Failure> {
    let url = format!("{}{path}", api_base.trim_end_matches('/'));
    let response = client()
        .get(&url)
        .bearer_auth(access.expose_secret())
        .send()
        .await
        .map_err(|e| {
            let what = if e.is_timeout() {
                "timed out"
            } else {
                "could not connect"
            };
            Failure::new(
                FailureKind::Unreachable,
                format!("{} {what} ({path})", exchange.name()),
            )
        })?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = response.text().await.map_err(|_| {
        Failure::new(
            FailureKind::Unreachable,
            format!("{} closed the connection mid-answer", exchange.name()),
        )
    })?;
    let json = serde_json::from_str::<serde_json::Value>(&text).ok();
    let message = json.as_ref().and_then(exchange_message).unwrap_or_default();
    let named = |default: String| {
        if message.is_empty() {
            default
        } else {
            message.clone()
        }
    };
    let failure = |kind, detail: String| {
        let mut f = Failure::new(kind, detail.chars().take(160).collect::<String>());
        f.retry_after = retry_after;
        Err(f)
    };
    match status {
        200 => json.ok_or_else(|| {
            Failure::new(
                FailureKind::UnexpectedResponse,
                format!(
                    "{} answered {} bytes that are not JSON",
                    exchange.name(),
                    text.len()
                ),
            )
        }),
        401 => failure(
            FailureKind::InvalidKey,
            named("the access token was refused: reauthorize".into()),
        ),
        403 => failure(
            FailureKind::PermissionDenied,
            named("the authorization does not cover this account data".into()),
        ),
        418 => failure(FailureKind::Banned, named("IP banned".into())),
        429 => failure(FailureKind::RateLimited, named("too many requests".into())),
        500..=599 => failure(
            FailureKind::ExchangeDown,
            if json.is_some() {
                named(format!("{} answered HTTP {status}", exchange.name()))
            } else {
                format!("{} answered HTTP {status}", exchange.name())
            },
        ),
        _ => failure(
            FailureKind::UnexpectedResponse,
            named(format!("{} answered HTTP {status}", exchange.name())),
        ),
    }
}

/// The exchange's own words: Binance `msg`, OKX `msg`, or an OAuth `error_description`.
fn exchange_message(v: &serde_json::Value) -> Option<String> {
    let text = |k: &str| v.get(k).and_then(|m| m.as_str()).filter(|m| !m.is_empty());
    let message = text("msg").or_else(|| text("error_description"))?;
    let code = match v.get("code") {
        Some(serde_json::Value::String(c)) if !c.is_empty() => Some(c.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => text("error").map(str::to_string),
    };
    Some(match code {
        Some(c) => format!("{message} ({c})"),
        None => message.to_string(),
    })
}
