//! The device flow (RFC 8628): a user code typed on another device, then polling until the
//! trader approves.

use super::provider::{Http, Step, bad_url, client_id, request_error, scopes};
use super::{OAuthError, Tokens};
use crate::config::OAuthProvider;
use chrono::{DateTime, Utc};
use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{AuthType, DeviceAuthorizationUrl, StandardDeviceAuthorizationResponse, TokenUrl};
use std::fmt;
use std::time::Duration;

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
