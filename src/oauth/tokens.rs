//! OAuth tokens: what keeps an access token alive, its stored form in the secret store, and
//! when it needs a refresh.

use chrono::{DateTime, Utc};
use oauth2::TokenResponse;
use oauth2::basic::BasicTokenResponse;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;
use zeroize::Zeroizing;

/// Tokens are refreshed when they expire within this margin.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(120);

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

    pub(super) fn from_response(
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
