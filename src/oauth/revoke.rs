//! Revoking a grant (RFC 7009), by the `oauth2` crate or, for a loopback endpoint, by hand.

use super::provider::{Http, HttpFail, Step, bad_url, client_id, request_error};
use super::{OAuthError, Tokens};
use crate::config::OAuthProvider;
use oauth2::basic::BasicClient;
use oauth2::{AuthType, RefreshToken, RevocationUrl, StandardRevocableToken};
use secrecy::ExposeSecret;

/// Revokes the grant where the provider can (RFC 7009): the refresh token when there is
/// one (which ends the grant), else the access token. The access token also travels as a
/// bearer header, which Binance's revoke-token endpoint expects. No revocation URL: nothing
/// to do (the tokens are forgotten when their secret is deleted).
pub async fn revoke(p: &OAuthProvider, t: &Tokens) -> Result<(), OAuthError> {
    let Some(url) = p.revoke_url.clone() else {
        return Ok(());
    };
    let client = BasicClient::new(client_id(p)?)
        .set_auth_type(AuthType::RequestBody)
        .set_revocation_url(RevocationUrl::new(url.clone()).map_err(|_| bad_url("revoke", &url))?);
    let token = match &t.refresh {
        Some(r) => {
            StandardRevocableToken::RefreshToken(RefreshToken::new(r.expose_secret().to_string()))
        }
        None => StandardRevocableToken::AccessToken(oauth2::AccessToken::new(
            t.access.expose_secret().to_string(),
        )),
    };
    let http = Http::new(Some(t.access.expose_secret().to_string()));
    if is_loopback_http(&url) {
        // The `oauth2` crate insists on HTTPS for revocation; a loopback endpoint (the
        // simulator) gets the same RFC 7009 request from here.
        return revoke_loopback(&http, &url, p, &token).await;
    }
    client
        .revoke_token(token)
        .map_err(|e| OAuthError::Provider(e.to_string()))?
        .request_async(&http)
        .await
        .map_err(|e| request_error(Step::Revoke, e))
}

fn is_loopback_http(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        u.scheme() == "http"
            && matches!(
                u.host(),
                Some(url::Host::Ipv4(ip)) if ip.is_loopback()
            )
    })
}

/// RFC 7009 §2.1 by hand: `token`, `token_type_hint` and `client_id`, form-encoded.
async fn revoke_loopback(
    http: &Http,
    url: &str,
    p: &OAuthProvider,
    token: &StandardRevocableToken,
) -> Result<(), OAuthError> {
    let (value, hint) = match token {
        StandardRevocableToken::RefreshToken(r) => (r.secret().as_str(), "refresh_token"),
        StandardRevocableToken::AccessToken(a) => (a.secret().as_str(), "access_token"),
        _ => return Err(OAuthError::Provider("unknown token type".into())),
    };
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", value)
        .append_pair("token_type_hint", hint)
        .append_pair("client_id", client_id(p)?.as_str())
        .finish();
    let request = oauth2::http::Request::builder()
        .method(oauth2::http::Method::POST)
        .uri(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(body.into_bytes())
        .map_err(|_| bad_url("revoke", url))?;
    let response = oauth2::AsyncHttpClient::call(http, request)
        .await
        .map_err(|e| match e {
            HttpFail::Status(status) => {
                OAuthError::Network(format!("the server answered HTTP {status}"))
            }
            HttpFail::Transport(t) => OAuthError::Network(t),
        })?;
    if response.status().is_success() {
        return Ok(());
    }
    let detail = serde_json::from_slice::<serde_json::Value>(response.body())
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or_else(|| format!("HTTP {}", response.status().as_u16()));
    Err(OAuthError::Provider(format!(
        "revocation refused: {detail}"
    )))
}
