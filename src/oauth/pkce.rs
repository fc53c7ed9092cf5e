//! The browser flow: Authorization Code with PKCE over a loopback redirect (RFC 7636,
//! RFC 8252), from the authorization URL to the tokens.

use super::loopback::{CALLBACK_PATH, respond, wait_for_redirect};
use super::provider::{Http, Step, bad_url, client_id, request_error, scopes};
use super::{OAuthError, Tokens};
use crate::config::OAuthProvider;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, TokenUrl,
};
use std::fmt;
use std::time::Duration;
use tokio::net::TcpListener;

/// A browser sign-in under way: the URL to open, and the loopback listener waiting for
/// the redirect. Debug shows the URL only.
pub struct PkceStart {
    /// The URL to open in the browser (also shown, to copy, when no browser opens).
    pub authorize_url: String,
    /// `http://127.0.0.1:<port>/callback`, registered with the provider by the request.
    pub redirect_uri: String,
    listener: TcpListener,
    verifier: PkceCodeVerifier,
    state: CsrfToken,
    provider: OAuthProvider,
}

impl fmt::Debug for PkceStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PkceStart")
            .field("authorize_url", &self.authorize_url)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// Starts the browser flow: binds a loopback listener on 127.0.0.1 on a random port
/// (RFC 8252 §7.3), and builds the authorization URL with a random `state` and an S256
/// code challenge (RFC 7636).
pub async fn start_pkce(p: &OAuthProvider) -> Result<PkceStart, OAuthError> {
    let id = client_id(p)?;
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| OAuthError::Network(format!("cannot listen on 127.0.0.1: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| OAuthError::Network(e.to_string()))?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}{CALLBACK_PATH}");
    let client = BasicClient::new(id)
        .set_auth_uri(
            AuthUrl::new(p.authorize_url.clone())
                .map_err(|_| bad_url("authorize", &p.authorize_url))?,
        )
        .set_redirect_uri(RedirectUrl::new(redirect_uri.clone()).expect("loopback URL parses"));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(scopes(p))
        .set_pkce_challenge(challenge)
        .url();
    Ok(PkceStart {
        authorize_url: url.to_string(),
        redirect_uri,
        listener,
        verifier,
        state,
        provider: p.clone(),
    })
}

impl PkceStart {
    /// Waits for the browser's redirect (at most `timeout`), checks `state`, exchanges
    /// the code with the PKCE verifier, and shows a short page in the browser.
    pub async fn finish(self, timeout: Duration) -> Result<Tokens, OAuthError> {
        let PkceStart {
            listener,
            verifier,
            state,
            provider,
            redirect_uri,
            ..
        } = self;
        let flow = async move {
            let (params, stream) = wait_for_redirect(&listener).await?;
            drop(listener);
            let returned_state = params.get("state").map_or("", String::as_str);
            if !constant_time_eq(returned_state.as_bytes(), state.secret().as_bytes()) {
                respond(
                    stream,
                    400,
                    "Sign-in not accepted",
                    "This answer does not belong to keyfolio's sign-in (state mismatch). \
                     Nothing was connected. Return to keyfolio and start again.",
                )
                .await;
                return Err(OAuthError::StateMismatch);
            }
            if let Some(error) = params.get("error") {
                let failure = if error == "access_denied" {
                    OAuthError::Denied
                } else {
                    let description = params.get("error_description").map_or("", String::as_str);
                    OAuthError::Provider(crate::text::free_text(
                        &format!("{description} ({error})"),
                        crate::text::MAX_MESSAGE_CHARS,
                    ))
                };
                respond(
                    stream,
                    200,
                    "Not connected",
                    &format!("{failure}. You can close this tab."),
                )
                .await;
                return Err(failure);
            }
            let code = params.get("code").cloned().unwrap_or_default();
            let result = exchange_code(&provider, &redirect_uri, code, verifier).await;
            match &result {
                Ok(_) => {
                    respond(
                        stream,
                        200,
                        "Connected",
                        "keyfolio is connected. You can close this tab and return to the terminal.",
                    )
                    .await;
                }
                Err(e) => {
                    respond(
                        stream,
                        200,
                        "Not connected",
                        &format!("{e}. You can close this tab."),
                    )
                    .await;
                }
            }
            result
        };
        tokio::time::timeout(timeout, flow)
            .await
            .unwrap_or(Err(OAuthError::Timeout))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn exchange_code(
    p: &OAuthProvider,
    redirect_uri: &str,
    code: String,
    verifier: PkceCodeVerifier,
) -> Result<Tokens, OAuthError> {
    let client = BasicClient::new(client_id(p)?)
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(
            TokenUrl::new(p.token_url.clone()).map_err(|_| bad_url("token", &p.token_url))?,
        )
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).expect("loopback URL parses"));
    let http = Http::new(None);
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .map_err(|e| request_error(Step::Code, e))?;
    Ok(Tokens::from_response(&response, None))
}
