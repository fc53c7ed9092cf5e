//! Talking to the sign-in server through the `oauth2` crate: the HTTP client it is handed,
//! the client id and scopes a request carries, and the server's answers as [`OAuthError`].

use super::OAuthError;
use crate::config::OAuthProvider;
use oauth2::{
    ClientId, ErrorResponseType, HttpRequest, HttpResponse, RequestTokenError, Scope,
    StandardErrorResponse,
};
use std::fmt;
use std::time::Duration;

/// How long one request to the provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Why one HTTP exchange with the provider failed. 5xx answers count as failures of the
/// transport, so they read as "try again later", not as a refusal.
#[derive(Debug, thiserror::Error)]
pub(super) enum HttpFail {
    #[error("{0}")]
    Transport(String),
    #[error("HTTP {0}")]
    Status(u16),
}

/// The HTTP client handed to the `oauth2` crate: reqwest without redirects, optionally
/// adding a bearer header. A named type (not a closure) so the flows' futures are `Send`
/// and can be spawned.
pub(super) struct Http {
    client: reqwest::Client,
    bearer: Option<String>,
}

impl Http {
    pub(super) fn new(bearer: Option<String>) -> Self {
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
pub(super) enum Step {
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

pub(super) fn request_error<T: ErrorResponseType + fmt::Display + 'static>(
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

pub(super) fn client_id(p: &OAuthProvider) -> Result<ClientId, OAuthError> {
    p.client_id
        .as_ref()
        .filter(|id| !id.trim().is_empty())
        .map(|id| ClientId::new(id.trim().to_string()))
        .ok_or(OAuthError::NotConfigured)
}

pub(super) fn bad_url(what: &str, url: &str) -> OAuthError {
    OAuthError::Provider(format!(
        "the {what} URL `{url}` is not a valid URL: fix it in config.toml"
    ))
}

pub(super) fn scopes(p: &OAuthProvider) -> impl Iterator<Item = Scope> + '_ {
    p.scopes
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Scope::new(s.trim().to_string()))
}
