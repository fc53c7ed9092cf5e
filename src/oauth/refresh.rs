//! Keeping a grant alive: refreshing the tokens, and one sync of an OAuth connection that
//! refreshes them when it must.

use super::provider::{Http, Step, bad_url, client_id, request_error};
use super::{OAuthError, Tokens};
use crate::config::OAuthProvider;
use crate::exchange::oauth_api;
use crate::model::{AccountSnapshot, ExchangeId, Failure, FailureKind};
use chrono::Utc;
use oauth2::basic::BasicClient;
use oauth2::{AuthType, RefreshToken, TokenUrl};
use secrecy::ExposeSecret;

/// Trades the refresh token for new tokens. Providers that rotate refresh tokens
/// return a new one (and refuse the old one from then on); otherwise the old one is kept.
/// `Expired` means the trader must reauthorize.
pub async fn refresh(p: &OAuthProvider, t: &Tokens) -> Result<Tokens, OAuthError> {
    let Some(refresh_token) = &t.refresh else {
        return Err(OAuthError::Expired);
    };
    let client = BasicClient::new(client_id(p)?)
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(
            TokenUrl::new(p.token_url.clone()).map_err(|_| bad_url("token", &p.token_url))?,
        );
    let http = Http::new(None);
    let response = client
        .exchange_refresh_token(&RefreshToken::new(
            refresh_token.expose_secret().to_string(),
        ))
        .request_async(&http)
        .await
        .map_err(|e| request_error(Step::Refresh, e))?;
    Ok(Tokens::from_response(&response, Some(refresh_token)))
}

/// Refreshes the tokens when they expire within [`REFRESH_MARGIN`](super::REFRESH_MARGIN):
/// `Some(new)` to store in place of the old ones, `None` when they are still good.
pub async fn ensure_fresh(p: &OAuthProvider, t: &Tokens) -> Result<Option<Tokens>, OAuthError> {
    if t.needs_refresh(Utc::now()) {
        refresh(p, t).await.map(Some)
    } else {
        Ok(None)
    }
}

/// What one sync of an OAuth connection produced.
#[derive(Debug)]
pub struct OAuthFetch {
    pub result: Result<AccountSnapshot, Failure>,
    /// Refreshed tokens: store them in place of the old ones, whatever `result` says (a
    /// rotating provider has already refused the old refresh token).
    pub new_tokens: Option<Tokens>,
}

/// One sync of an OAuth connection, the OAuth twin of the API-key fetch: refreshes the
/// tokens first when they are about to expire, fetches through [`oauth_api::fetch`], and
/// if the token is refused anyway (revoked early, server clock) refreshes once and retries.
/// A refresh the trader must fix comes back as [`FailureKind::InvalidKey`] ("Reauthorize");
/// network trouble as [`FailureKind::Unreachable`].
pub async fn fetch_account(
    exchange: ExchangeId,
    p: &OAuthProvider,
    tokens: &Tokens,
    with_permissions: bool,
) -> OAuthFetch {
    let mut new_tokens = None;
    if tokens.needs_refresh(Utc::now()) {
        match refresh(p, tokens).await {
            Ok(t) => new_tokens = Some(t),
            Err(e) => {
                return OAuthFetch {
                    result: Err(refresh_failure(&e)),
                    new_tokens: None,
                };
            }
        }
    }
    let current = new_tokens.as_ref().unwrap_or(tokens);
    let mut result =
        oauth_api::fetch(exchange, &p.api_base, &current.access, with_permissions).await;
    let refused = matches!(&result, Err(f) if f.kind == FailureKind::InvalidKey);
    if refused && new_tokens.is_none() && tokens.refresh.is_some() {
        match refresh(p, tokens).await {
            Ok(t) => {
                result = oauth_api::fetch(exchange, &p.api_base, &t.access, with_permissions).await;
                new_tokens = Some(t);
            }
            Err(e) => result = Err(refresh_failure(&e)),
        }
    }
    OAuthFetch { result, new_tokens }
}

fn refresh_failure(e: &OAuthError) -> Failure {
    let kind = if e.needs_reauthorize() {
        FailureKind::InvalidKey
    } else {
        FailureKind::Unreachable
    };
    Failure::new(kind, e.to_string())
}
