//! OAuth 2.0 sign-in with an exchange: Authorization Code with PKCE over a loopback
//! redirect (RFC 7636, RFC 8252), the Device Authorization Grant (RFC 8628), refresh and
//! revocation, on top of the `oauth2` crate.
//!
//! Nothing here touches storage or the UI: a flow returns [`Tokens`], which the caller
//! keeps in the secret store ([`Tokens::to_secret_json`]); the bearer account calls live
//! in [`crate::exchange::oauth_api`].

use crate::config::OAuthProvider;
use crate::exchange::oauth_api;
use crate::model::{AccountSnapshot, ExchangeId, Failure, FailureKind};
use chrono::{DateTime, Utc};
use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, CsrfToken, DeviceAuthorizationUrl,
    ErrorResponseType, HttpRequest, HttpResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RefreshToken, RequestTokenError, RevocationUrl, Scope, StandardDeviceAuthorizationResponse,
    StandardErrorResponse, StandardRevocableToken, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zeroize::Zeroizing;

/// Tokens are refreshed when they expire within this margin.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(120);

/// How long one request to the provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// The path of the loopback redirect URI.
const CALLBACK_PATH: &str = "/callback";

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

/// An access token and what keeps it alive. Debug prints a mask, never the tokens.
#[derive(Clone)]
pub struct Tokens {
    pub access: SecretString,
    pub refresh: Option<SecretString>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Tokens(access ••••, refresh {}, expires {})",
            if self.refresh.is_some() {
                "••••"
            } else {
                "none"
            },
            self.expires_at
                .map_or("never".to_string(), |t| t.to_rfc3339())
        )
    }
}

impl PartialEq for Tokens {
    fn eq(&self, other: &Self) -> bool {
        let refresh = |t: &Self| t.refresh.as_ref().map(|r| r.expose_secret().to_string());
        self.access.expose_secret() == other.access.expose_secret()
            && refresh(self) == refresh(other)
            && self.expires_at == other.expires_at
    }
}

/// The stored form of tokens: JSON inside one secret-store entry, never SQLite.
#[derive(Serialize, Deserialize)]
struct StoredTokens {
    /// Always "oauth": tells token entries from API-key entries.
    kind: String,
    access: Zeroizing<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh: Option<Zeroizing<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<DateTime<Utc>>,
}

impl Tokens {
    /// JSON for the secret store; wiped from memory when dropped.
    pub fn to_secret_json(&self) -> Zeroizing<String> {
        let stored = StoredTokens {
            kind: "oauth".into(),
            access: Zeroizing::new(self.access.expose_secret().to_string()),
            refresh: self
                .refresh
                .as_ref()
                .map(|r| Zeroizing::new(r.expose_secret().to_string())),
            expires_at: self.expires_at,
        };
        Zeroizing::new(serde_json::to_string(&stored).expect("strings serialize"))
    }

    /// Reads what [`Tokens::to_secret_json`] wrote; `None` for anything else.
    pub fn from_secret_json(text: &str) -> Option<Self> {
        let stored: StoredTokens = serde_json::from_str(text).ok()?;
        (stored.kind == "oauth").then(|| Self {
            access: SecretString::from(stored.access.to_string()),
            refresh: stored.refresh.map(|r| SecretString::from(r.to_string())),
            expires_at: stored.expires_at,
        })
    }

    /// The access token expires within [`REFRESH_MARGIN`] of `now` (or already has).
    pub fn needs_refresh(&self, now: DateTime<Utc>) -> bool {
        let margin = chrono::Duration::from_std(REFRESH_MARGIN).unwrap_or_default();
        self.expires_at.is_some_and(|at| at - margin <= now)
    }

    fn from_response(
        response: &BasicTokenResponse,
        previous_refresh: Option<&SecretString>,
    ) -> Self {
        Self {
            access: SecretString::from(response.access_token().secret().clone()),
            // RFC 6749 §6: a refresh answer without a refresh token keeps the old one.
            refresh: response
                .refresh_token()
                .map(|r| SecretString::from(r.secret().clone()))
                .or_else(|| previous_refresh.cloned()),
            expires_at: response
                .expires_in()
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .map(|d| Utc::now() + d),
        }
    }
}

/// The two ways to sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowKind {
    /// Browser on this machine, loopback redirect, PKCE.
    Pkce,
    /// A code typed on another device (SSH, headless).
    Device,
}

impl FlowKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Pkce => "Sign in with the browser",
            Self::Device => "Sign in on another device",
        }
    }
}

/// The flows a provider offers, the preferred one first.
pub fn available_flows(p: &OAuthProvider) -> Vec<FlowKind> {
    let mut flows = vec![preferred_flow(p)];
    for f in [FlowKind::Pkce, FlowKind::Device] {
        if !flows.contains(&f) && (f == FlowKind::Pkce || p.supports_device()) {
            flows.push(f);
        }
    }
    flows
}

/// The device flow where there is no display (no DISPLAY/WAYLAND_DISPLAY, or an SSH
/// session) and the provider has one; the browser flow otherwise.
pub fn preferred_flow(p: &OAuthProvider) -> FlowKind {
    preferred_flow_in(p, |name| {
        std::env::var_os(name).is_some_and(|v| !v.is_empty())
    })
}

/// [`preferred_flow`] with the environment given as "is this variable set".
pub fn preferred_flow_in(p: &OAuthProvider, is_set: impl Fn(&str) -> bool) -> FlowKind {
    if p.supports_device() && is_headless(is_set) {
        FlowKind::Device
    } else {
        FlowKind::Pkce
    }
}

fn is_headless(is_set: impl Fn(&str) -> bool) -> bool {
    let ssh = is_set("SSH_CONNECTION") || is_set("SSH_TTY");
    // macOS and Windows have a display without DISPLAY.
    let x11_like = cfg!(all(unix, not(target_os = "macos")));
    ssh || (x11_like && !is_set("DISPLAY") && !is_set("WAYLAND_DISPLAY"))
}

/// Opens `url` in the trader's browser, best effort: returns whether a browser was
/// launched, never waits for it. The caller shows (and lets the trader copy) the URL anyway.
pub fn open_browser(url: &str) -> bool {
    if url.is_empty() || !(url.starts_with("http://") || url.starts_with("https://")) {
        return false;
    }
    let is_set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if cfg!(all(unix, not(target_os = "macos"))) && is_headless(is_set) {
        return false;
    }
    let (program, args): (&str, Vec<&str>) = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("rundll32", vec!["url.dll,FileProtocolHandler", url])
    } else {
        ("xdg-open", vec![url])
    };
    // The browser and its helpers inherit keyfolio's environment: not the secrets
    // file's passphrase.
    let child = std::process::Command::new(program)
        .env_remove("KEYFOLIO_SECRETS_PASSPHRASE")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match child {
        Ok(mut child) => {
            // Reap it in the background; keyfolio never waits for the browser.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
            true
        }
        Err(_) => false,
    }
}

/// Why one HTTP exchange with the provider failed. 5xx answers count as failures of the
/// transport, so they read as "try again later", not as a refusal.
#[derive(Debug, thiserror::Error)]
enum HttpFail {
    #[error("{0}")]
    Transport(String),
    #[error("HTTP {0}")]
    Status(u16),
}

/// The HTTP client handed to the `oauth2` crate: reqwest without redirects, optionally
/// adding a bearer header. A named type (not a closure) so the flows' futures are `Send`
/// and can be spawned.
struct Http {
    client: reqwest::Client,
    bearer: Option<String>,
}

impl Http {
    fn new(bearer: Option<String>) -> Self {
        let client = reqwest::Client::builder()
            // No redirects: a token endpoint that redirects is misconfigured (and an SSRF risk).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .expect("a plain reqwest client builds");
        Self { client, bearer }
    }
}

type HttpFuture<'c> =
    std::pin::Pin<Box<dyn Future<Output = Result<HttpResponse, HttpFail>> + Send + 'c>>;

impl<'c> oauth2::AsyncHttpClient<'c> for Http {
    type Error = HttpFail;
    type Future = HttpFuture<'c>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(&self.client, self.bearer.as_deref(), request))
    }
}

/// The `oauth2` crate's HTTP function: reqwest, optionally with a bearer header.
async fn send(
    client: &reqwest::Client,
    bearer: Option<&str>,
    request: HttpRequest,
) -> Result<HttpResponse, HttpFail> {
    let (parts, body) = request.into_parts();
    let mut builder = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body);
    if let Some(token) = bearer {
        builder = builder.bearer_auth(token);
    }
    let response = builder
        .send()
        .await
        .map_err(|e| HttpFail::Transport(describe(e)))?;
    let status = response.status();
    if status.is_server_error() {
        return Err(HttpFail::Status(status.as_u16()));
    }
    let mut out = oauth2::http::Response::builder().status(status);
    for (name, value) in response.headers() {
        out = out.header(name, value);
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| HttpFail::Transport(describe(e)))?;
    out.body(bytes.to_vec())
        .map_err(|e| HttpFail::Transport(e.to_string()))
}

/// A reqwest error without URLs (they may carry codes or tokens in the query).
fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection refused or unreachable".into()
    } else {
        e.without_url().to_string()
    }
}

/// Which step failed: `invalid_grant` means different things at each.
#[derive(Clone, Copy)]
enum Step {
    Code,
    Device,
    Refresh,
    Revoke,
}

fn provider_error<T: ErrorResponseType>(
    step: Step,
    response: &StandardErrorResponse<T>,
) -> OAuthError {
    let code = serde_json::to_value(response.error())
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let description = response
        .error_description()
        .map(|d| crate::text::free_text(d, crate::text::MAX_MESSAGE_CHARS))
        .unwrap_or_default();
    let code = crate::text::free_text(&code, 64);
    let detail = if description.is_empty() {
        code.clone()
    } else {
        format!("{description} ({code})")
    };
    match (code.as_str(), step) {
        ("access_denied", _) => OAuthError::Denied,
        ("expired_token", _) => OAuthError::Expired,
        // A refresh token that is refused: expired, revoked, rotated away.
        ("invalid_grant", Step::Refresh) => OAuthError::Expired,
        ("invalid_grant", Step::Code | Step::Device) if description.contains("expired") => {
            OAuthError::Expired
        }
        ("invalid_client" | "unauthorized_client", _) => OAuthError::Provider(format!(
            "the client id is not accepted: {detail}. Check `client_id` under [oauth.<exchange>] in config.toml"
        )),
        _ => OAuthError::Provider(detail),
    }
}

fn request_error<T: ErrorResponseType + fmt::Display + 'static>(
    step: Step,
    e: RequestTokenError<HttpFail, StandardErrorResponse<T>>,
) -> OAuthError {
    match e {
        RequestTokenError::ServerResponse(r) => provider_error(step, &r),
        RequestTokenError::Request(HttpFail::Status(status)) => {
            OAuthError::Network(format!("the server answered HTTP {status}"))
        }
        RequestTokenError::Request(HttpFail::Transport(t)) => OAuthError::Network(t),
        RequestTokenError::Parse(_, _) => OAuthError::Provider(
            "the sign-in server answered something keyfolio cannot read".into(),
        ),
        RequestTokenError::Other(text) => OAuthError::Provider(text),
    }
}

fn client_id(p: &OAuthProvider) -> Result<ClientId, OAuthError> {
    p.client_id
        .as_ref()
        .filter(|id| !id.trim().is_empty())
        .map(|id| ClientId::new(id.trim().to_string()))
        .ok_or(OAuthError::NotConfigured)
}

fn bad_url(what: &str, url: &str) -> OAuthError {
    OAuthError::Provider(format!(
        "the {what} URL `{url}` is not a valid URL: fix it in config.toml"
    ))
}

fn scopes(p: &OAuthProvider) -> impl Iterator<Item = Scope> + '_ {
    p.scopes
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Scope::new(s.trim().to_string()))
}

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

const PAGE_STYLE: &str =
    "body{font-family:sans-serif;max-width:32em;margin:4em auto;line-height:1.5}";

/// Text for an HTML page: the provider's error descriptions arrive in the redirect's
/// query, so nothing in them may become markup.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(title: &str, text: &str) -> String {
    let (title, text) = (escape_html(title), escape_html(text));
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>keyfolio: {title}</title>\
         <style>{PAGE_STYLE}</style></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    )
}

async fn respond(mut stream: TcpStream, status: u16, title: &str, text: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let body = page(title, text);
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The query of one request to the loopback listener, or `None` after answering a
/// request that is not the redirect (favicon, a preconnect that sends nothing, ...).
async fn read_callback(mut stream: TcpStream) -> Option<(HashMap<String, String>, TcpStream)> {
    let mut buf = Vec::with_capacity(1024);
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        true
    })
    .await;
    if !matches!(read, Ok(true)) {
        return None;
    }
    let head = String::from_utf8_lossy(&buf);
    let mut request_line = head.lines().next().unwrap_or("").split(' ');
    let (method, target) = (request_line.next()?, request_line.next().unwrap_or(""));
    let url = url::Url::parse(&format!("http://127.0.0.1{target}")).ok();
    match url {
        Some(url) if method == "GET" && url.path() == CALLBACK_PATH => {
            let params: HashMap<String, String> = url.query_pairs().into_owned().collect();
            if params.contains_key("code") || params.contains_key("error") {
                return Some((params, stream));
            }
            respond(
                stream,
                400,
                "Not a sign-in answer",
                "This address waits for the exchange's answer.",
            )
            .await;
            None
        }
        _ => {
            respond(stream, 404, "Not found", "Nothing here.").await;
            None
        }
    }
}

/// Accepts connections until one brings the redirect's query.
async fn wait_for_redirect(
    listener: &TcpListener,
) -> Result<(HashMap<String, String>, TcpStream), OAuthError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let mut readers = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = accepted
                    .map_err(|e| OAuthError::Network(format!("the loopback listener failed: {e}")))?;
                let tx = tx.clone();
                readers.spawn(async move {
                    if let Some(found) = read_callback(stream).await {
                        let _ = tx.send(found).await;
                    }
                });
            }
            Some(found) = rx.recv() => return Ok(found),
        }
    }
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

/// A device sign-in under way: show `verification_uri` and `user_code` to the trader.
pub struct DeviceStart {
    pub verification_uri: String,
    /// The URI with the code filled in, when the provider gives one.
    pub verification_uri_complete: Option<String>,
    pub user_code: String,
    /// How often keyfolio asks whether the trader approved (the server's `interval`).
    pub interval: Duration,
    pub expires_at: DateTime<Utc>,
    details: StandardDeviceAuthorizationResponse,
    provider: OAuthProvider,
}

impl fmt::Debug for DeviceStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceStart")
            .field("verification_uri", &self.verification_uri)
            .field("user_code", &self.user_code)
            .field("interval", &self.interval)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Starts the device flow (RFC 8628 §3.1): asks the provider for a user code.
pub async fn start_device(p: &OAuthProvider) -> Result<DeviceStart, OAuthError> {
    let id = client_id(p)?;
    let device_url = p.device_url.clone().ok_or_else(|| {
        OAuthError::Provider(
            "this exchange offers no device sign-in: use the browser sign-in".into(),
        )
    })?;
    let client = BasicClient::new(id)
        .set_auth_type(AuthType::RequestBody)
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(device_url.clone())
                .map_err(|_| bad_url("device", &device_url))?,
        );
    let http = Http::new(None);
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scopes(scopes(p))
        .request_async(&http)
        .await
        .map_err(|e| request_error(Step::Device, e))?;
    let expires_in = chrono::Duration::from_std(details.expires_in())
        .unwrap_or_else(|_| chrono::Duration::minutes(10));
    Ok(DeviceStart {
        verification_uri: details.verification_uri().to_string(),
        verification_uri_complete: details
            .verification_uri_complete()
            .map(|u| u.secret().clone()),
        user_code: details.user_code().secret().clone(),
        interval: details.interval(),
        expires_at: Utc::now() + expires_in,
        details,
        provider: p.clone(),
    })
}

impl DeviceStart {
    /// Polls the token endpoint at the server's interval until the trader approves
    /// (RFC 8628 §3.4–3.5): `authorization_pending` keeps polling, `slow_down` adds five
    /// seconds to the interval for good, `access_denied` and `expired_token` end it.
    pub async fn finish(self) -> Result<Tokens, OAuthError> {
        let p = &self.provider;
        let client = BasicClient::new(client_id(p)?)
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(
                TokenUrl::new(p.token_url.clone()).map_err(|_| bad_url("token", &p.token_url))?,
            );
        let http = Http::new(None);
        // The trader needs time to type the code: the first poll waits one interval too.
        tokio::time::sleep(self.interval).await;
        let remaining = (self.expires_at - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO);
        let response: BasicTokenResponse = client
            .exchange_device_access_token(&self.details)
            .request_async(&http, tokio::time::sleep, Some(remaining))
            .await
            .map_err(|e| request_error(Step::Device, e))?;
        Ok(Tokens::from_response(&response, None))
    }
}

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

/// Refreshes the tokens when they expire within [`REFRESH_MARGIN`]: `Some(new)` to store
/// in place of the old ones, `None` when they are still good.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ExchangeId;

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
