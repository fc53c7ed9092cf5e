//! OAuth 2.0 sign-in with an exchange: Authorization Code with PKCE over a loopback
//! redirect (RFC 7636, RFC 8252), the Device Authorization Grant (RFC 8628), refresh and
//! revocation, on top of the `oauth2` crate.
//!
//! Nothing here touches storage or the UI: a flow returns [`Tokens`], which the caller
//! keeps in the secret store ([`Tokens::to_secret_json`]); the bearer account calls live
//! in [`crate::exchange::oauth_api`].
//!
//! - `tokens`: the tokens, their stored form and when they need a refresh
//! - `flows`: which sign-in flow suits this machine, and opening the browser
//! - `provider`: the HTTP client handed to `oauth2`, the client id, scopes, and errors
//! - `pkce`: the browser flow (Authorization Code with PKCE)
//! - `loopback`: the loopback listener that takes the browser's redirect
//! - `device`: the device flow
//! - `refresh`: refreshing tokens, and one sync of an OAuth connection
//! - `revoke`: revoking the grant

mod device;
mod flows;
mod loopback;
mod pkce;
mod provider;
mod refresh;
mod revoke;
mod tokens;

pub use device::{DeviceStart, start_device};
pub use flows::{FlowKind, available_flows, open_browser, preferred_flow, preferred_flow_in};
pub use pkce::{PkceStart, start_pkce};
pub use refresh::{OAuthFetch, ensure_fresh, fetch_account, refresh};
pub use revoke::revoke;
pub use tokens::{REFRESH_MARGIN, Tokens};

/// What went wrong in an OAuth step; every message says what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    #[error(
        "access was denied at the exchange, so nothing was connected: connect again and approve, or use an API key"
    )]
    Denied,
    #[error("the authorization expired before it was used: reauthorize (connect again)")]
    Expired,
    #[error(
        "the browser brought back an answer that does not belong to this sign-in (state mismatch), so nothing was connected: start again"
    )]
    StateMismatch,
    #[error(
        "no answer from the browser in time: start again, and open the URL shown by hand if no browser opened"
    )]
    Timeout,
    #[error("the exchange's sign-in server refused: {0}")]
    Provider(String),
    #[error(
        "the exchange's sign-in server could not be reached ({0}): check the network and try again"
    )]
    Network(String),
    #[error(
        "OAuth is available to applications the exchange has registered, and keyfolio has no client id for it: set `client_id` under [oauth.<exchange>] in config.toml, or connect with an API key"
    )]
    NotConfigured,
}

impl OAuthError {
    /// Only the trader can fix this (reauthorize); retrying later will not help.
    /// Network trouble and timeouts are worth retrying.
    pub fn needs_reauthorize(&self) -> bool {
        !matches!(self, Self::Network(_) | Self::Timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::loopback::page;
    use super::*;
    use crate::config::OAuthProvider;
    use crate::model::ExchangeId;
    use chrono::Utc;
    use secrecy::SecretString;

    fn tokens() -> Tokens {
        Tokens {
            access: SecretString::from("access-secret-1234".to_string()),
            refresh: Some(SecretString::from("refresh-secret-5678".to_string())),
            expires_at: Some(Utc::now() + chrono::Duration::minutes(1)),
        }
    }

    #[test]
    fn tokens_round_trip_and_debug_masks() {
        let t = tokens();
        let json = t.to_secret_json();
        assert_eq!(Tokens::from_secret_json(&json), Some(t.clone()));
        let debug = format!("{t:?}");
        assert!(!debug.contains("access-secret") && !debug.contains("refresh-secret"));
        assert!(Tokens::from_secret_json(r#"{"api_key":"k","secret":"s"}"#).is_none());
        // One minute left is inside the refresh margin.
        assert!(t.needs_refresh(Utc::now()));
    }

    #[test]
    fn device_flow_only_without_display_and_with_support() {
        let mut okx = OAuthProvider::builtin(ExchangeId::Okx);
        okx.client_id = Some("id".into());
        let ssh = |n: &str| n == "SSH_CONNECTION" || n == "DISPLAY";
        let desktop = |n: &str| n == "DISPLAY";
        assert_eq!(preferred_flow_in(&okx, ssh), FlowKind::Device);
        if cfg!(all(unix, not(target_os = "macos"))) {
            assert_eq!(preferred_flow_in(&okx, |_| false), FlowKind::Device);
        }
        assert_eq!(preferred_flow_in(&okx, desktop), FlowKind::Pkce);
        let binance = OAuthProvider::builtin(ExchangeId::Binance);
        assert_eq!(preferred_flow_in(&binance, ssh), FlowKind::Pkce);
    }

    #[test]
    fn refuses_unsafe_urls_and_escapes_pages() {
        assert!(!open_browser("javascript:alert(1)"));
        assert!(!page("x", "<script>").contains("<script>"));
    }

    #[tokio::test]
    async fn without_client_id_nothing_starts() {
        let p = OAuthProvider::builtin(ExchangeId::Binance);
        assert_eq!(start_pkce(&p).await.unwrap_err(), OAuthError::NotConfigured);
        assert!(OAuthError::NotConfigured.to_string().contains("API key"));
    }
}
