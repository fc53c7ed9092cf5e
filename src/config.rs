//! Where keyfolio keeps its files and what `config.toml` may change.

use crate::model::ExchangeId;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The directories keyfolio reads and writes.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
}

impl Paths {
    /// `KEYFOLIO_HOME` holds everything when set; otherwise the platform's directories.
    pub fn discover() -> Result<Self> {
        if let Some(home) = std::env::var_os("KEYFOLIO_HOME").filter(|v| !v.is_empty()) {
            return Ok(Self::under(Path::new(&home)));
        }
        let dirs = directories::ProjectDirs::from("", "", "keyfolio")
            .context("cannot find a home directory: set KEYFOLIO_HOME")?;
        let state = dirs.state_dir().unwrap_or(dirs.data_local_dir());
        Ok(Self {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_dir().to_path_buf(),
            log_dir: state.join("logs"),
        })
    }

    /// Every file under one directory (KEYFOLIO_HOME, demo and tests).
    pub fn under(home: &Path) -> Self {
        Self {
            config_dir: home.to_path_buf(),
            data_dir: home.to_path_buf(),
            log_dir: home.join("logs"),
        }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }
    pub fn database(&self) -> PathBuf {
        self.data_dir.join("keyfolio.db")
    }
    pub fn secrets_file(&self) -> PathBuf {
        self.data_dir.join("secrets.age")
    }

    /// Creates the directories owner-only (0700) and warns about wider existing ones.
    pub fn create(&self) -> Result<Vec<String>> {
        let mut warnings = Vec::new();
        for dir in [&self.config_dir, &self.data_dir, &self.log_dir] {
            if dir.exists() {
                warnings.extend(restrict_permissions(dir, 0o700));
                continue;
            }
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Ok(warnings)
    }
}

/// Sets owner-only permissions; returns a warning when the path was wider before.
pub fn restrict_permissions(path: &Path, mode: u32) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).ok()?;
        let old = meta.permissions().mode() & 0o777;
        if old & 0o077 != 0 {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
            return Some(format!(
                "{} was readable by others (mode {old:o}); keyfolio narrowed it to {mode:o}",
                path.display()
            ));
        }
    }
    let _ = (path, mode);
    None
}

/// Which secret store holds the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SecretStoreKind {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    #[default]
    Keyring,
    /// An age-encrypted file protected by a passphrase.
    File,
}

/// One value of `[keys]`: a key name or a list of them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum KeyNames {
    One(String),
    Many(Vec<String>),
}

impl KeyNames {
    pub fn names(&self) -> Vec<&str> {
        match self {
            Self::One(s) => vec![s.as_str()],
            Self::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// Settings read from `config.toml`; every field has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Seconds between background syncs of one connection.
    pub sync_interval_secs: u64,
    /// How many syncs may run at once.
    pub max_concurrent_syncs: usize,
    /// Timeout of one exchange HTTP request, in milliseconds.
    pub request_timeout_ms: u64,
    /// Timeout of one secret-store call, in milliseconds.
    pub secret_timeout_ms: u64,
    pub secret_store: SecretStoreKind,
    /// OAuth provider profiles: `[oauth.binance]`, `[oauth.okx]`.
    pub oauth: OAuthProfiles,
    /// `[keys]`: action name → key or keys, over the built-in key table.
    pub keys: BTreeMap<String, KeyNames>,
    /// The currency values are counted in: USDT (default), USD, USDC, EUR or BTC.
    pub quote: crate::model::Quote,
    /// Assets worth less than this, in the quote currency, fold into one line of the
    /// portfolio view ("+ 7 small balances ≈ 2.10"). Default 1 (0.00001 with a BTC
    /// quote); 0 folds nothing.
    pub dust: Option<rust_decimal::Decimal>,
    /// Keys older than this many days get a "rotate it" nudge on their card and in
    /// `keyfolio audit`. Off by default.
    pub key_max_age_days: Option<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            sync_interval_secs: 300,
            max_concurrent_syncs: 8,
            request_timeout_ms: 10_000,
            secret_timeout_ms: 5_000,
            secret_store: SecretStoreKind::Keyring,
            oauth: OAuthProfiles::default(),
            keys: BTreeMap::new(),
            quote: crate::model::Quote::default(),
            dust: None,
            key_max_age_days: None,
        }
    }
}

impl Config {
    /// Reads `config.toml` if present; a missing file means defaults.
    pub fn load(paths: &Paths) -> Result<Self> {
        let file = paths.config_file();
        match std::fs::read_to_string(&file) {
            Ok(text) => {
                let invalid = || format!("{} is not valid: fix or delete it", file.display());
                let value: toml::Value = toml::from_str(&text).with_context(invalid)?;
                if let Some((key, c)) = control_in(&value, "") {
                    anyhow::bail!(
                        "{}: `{key}` contains {}; settings are plain text",
                        invalid(),
                        crate::text::describe_char(c)
                    );
                }
                value.try_into().with_context(invalid)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", file.display())),
        }
    }

    /// The `dust` threshold in the quote currency (see the field).
    pub fn dust(&self) -> rust_decimal::Decimal {
        let default = match self.quote {
            crate::model::Quote::Btc => rust_decimal::Decimal::new(1, 5),
            _ => rust_decimal::Decimal::ONE,
        };
        self.dust
            .unwrap_or(default)
            .max(rust_decimal::Decimal::ZERO)
    }

    pub fn sync_interval(&self) -> Duration {
        Duration::from_secs(self.sync_interval_secs.max(10))
    }

    /// The OAuth provider of an exchange: built-in defaults merged with config.toml.
    pub fn provider(&self, exchange: ExchangeId) -> OAuthProvider {
        self.oauth.provider(exchange)
    }
}

/// The first setting (its dotted key) whose key or text holds a control-like character:
/// config.toml is untrusted text like any other (see `crate::text`).
fn control_in(value: &toml::Value, key: &str) -> Option<(String, char)> {
    let bad = |s: &str| s.chars().find(|&c| crate::text::is_control_like(c));
    match value {
        toml::Value::String(s) => bad(s).map(|c| (key.to_string(), c)),
        toml::Value::Array(items) => items.iter().find_map(|v| control_in(v, key)),
        toml::Value::Table(table) => table.iter().find_map(|(k, v)| {
            let path = if key.is_empty() {
                k.clone()
            } else {
                format!("{key}.{k}")
            };
            bad(k)
                .map(|c| (path.clone(), c))
                .or_else(|| control_in(v, &path))
        }),
        _ => None,
    }
}

/// Where an exchange's OAuth 2.0 server lives and what keyfolio asks it for.
///
/// OAuth is only offered to applications the exchange registered: without a
/// `client_id` keyfolio says so and opens the API-key form instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthProvider {
    /// Authorization endpoint (the page the trader's browser opens).
    pub authorize_url: String,
    /// Token endpoint (code exchange, refresh, device polling).
    pub token_url: String,
    /// Device authorization endpoint (RFC 8628); `None` when the provider has no device flow.
    pub device_url: Option<String>,
    /// Revocation endpoint; `None` when the provider cannot revoke tokens.
    pub revoke_url: Option<String>,
    /// Base URL of the bearer-authenticated account API.
    pub api_base: String,
    /// Scopes requested, sent space-separated as RFC 6749 says. Binance expects a
    /// comma-separated list, so its default is one comma-joined entry.
    pub scopes: Vec<String>,
    /// The client id of a registered application; `None`: OAuth is not available.
    pub client_id: Option<String>,
}

impl OAuthProvider {
    /// The built-in profile of an exchange (no client id: keyfolio is not registered).
    pub fn builtin(exchange: ExchangeId) -> Self {
        match crate::model::profile::profile(exchange).oauth {
            Some(urls) => Self {
                authorize_url: urls.authorize.into(),
                token_url: urls.token.into(),
                device_url: urls.device.map(Into::into),
                revoke_url: urls.revoke.map(Into::into),
                api_base: urls.api_base.into(),
                scopes: urls.scopes.iter().map(ToString::to_string).collect(),
                client_id: None,
            },
            // No OAuth for the others: keyfolio knows no sign-in of theirs.
            None => Self {
                authorize_url: String::new(),
                token_url: String::new(),
                device_url: None,
                revoke_url: None,
                api_base: String::new(),
                scopes: Vec::new(),
                client_id: None,
            },
        }
    }

    /// OAuth can be offered: a client id is configured.
    pub fn is_configured(&self) -> bool {
        self.client_id.is_some()
    }

    /// The provider offers the device authorization grant.
    pub fn supports_device(&self) -> bool {
        self.device_url.is_some()
    }
}

/// One `[oauth.<exchange>]` table: every key optional, an empty string clears an
/// optional URL or the client id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthOverride {
    pub authorize_url: Option<String>,
    pub token_url: Option<String>,
    pub device_url: Option<String>,
    pub revoke_url: Option<String>,
    pub api_base: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub client_id: Option<String>,
}

impl From<OAuthProvider> for OAuthOverride {
    /// Every key set: e.g. the demo points `[oauth.binance]` at the simulator.
    fn from(p: OAuthProvider) -> Self {
        Self {
            authorize_url: Some(p.authorize_url),
            token_url: Some(p.token_url),
            device_url: Some(p.device_url.unwrap_or_default()),
            revoke_url: Some(p.revoke_url.unwrap_or_default()),
            api_base: Some(p.api_base),
            scopes: Some(p.scopes),
            client_id: Some(p.client_id.unwrap_or_default()),
        }
    }
}

/// The `[oauth]` section of config.toml.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthProfiles {
    pub binance: OAuthOverride,
    pub okx: OAuthOverride,
}

impl OAuthProfiles {
    /// Built-in defaults merged with the exchange's `[oauth.<exchange>]` table.
    pub fn provider(&self, exchange: ExchangeId) -> OAuthProvider {
        let o = match exchange {
            ExchangeId::Binance => &self.binance,
            ExchangeId::Okx => &self.okx,
            ExchangeId::Ccxt(_) | ExchangeId::Absent(_) => return OAuthProvider::builtin(exchange),
        };
        let mut p = OAuthProvider::builtin(exchange);
        let optional = |v: &Option<String>, default: Option<String>| match v {
            Some(s) if s.trim().is_empty() => None,
            Some(s) => Some(s.trim().to_string()),
            None => default,
        };
        if let Some(v) = o.authorize_url.as_ref().filter(|s| !s.trim().is_empty()) {
            p.authorize_url = v.trim().to_string();
        }
        if let Some(v) = o.token_url.as_ref().filter(|s| !s.trim().is_empty()) {
            p.token_url = v.trim().to_string();
        }
        if let Some(v) = o.api_base.as_ref().filter(|s| !s.trim().is_empty()) {
            p.api_base = v.trim().to_string();
        }
        if let Some(v) = &o.scopes {
            p.scopes = v.clone();
        }
        p.device_url = optional(&o.device_url, p.device_url);
        p.revoke_url = optional(&o.revoke_url, p.revoke_url);
        p.client_id = optional(&o.client_id, p.client_id);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_with_control_characters_are_refused_by_name() {
        let home = tempfile::tempdir().unwrap();
        let paths = Paths::under(home.path());
        paths.create().unwrap();
        let write = |text: &str| std::fs::write(paths.config_file(), text).unwrap();
        write("[oauth.okx]\nclient_id = \"id\\u001b]0;pwned\\u0007\"\n");
        let err = format!("{:#}", Config::load(&paths).unwrap_err());
        assert!(
            err.contains("`oauth.okx.client_id` contains an escape character"),
            "{err}"
        );
        write("sync_interval_secs = 60\n# a comment\twith a tab\n");
        assert_eq!(Config::load(&paths).unwrap().sync_interval_secs, 60);
    }

    #[test]
    fn oauth_profiles_merge_config_over_builtins() {
        let config: Config = toml::from_str(
            r#"
            [oauth.okx]
            client_id = "abc"
            device_url = ""
            token_url = "https://example.test/token"
            "#,
        )
        .unwrap();
        let okx = config.provider(ExchangeId::Okx);
        assert_eq!(okx.client_id.as_deref(), Some("abc"));
        assert_eq!(okx.device_url, None);
        assert_eq!(okx.token_url, "https://example.test/token");
        assert_eq!(
            okx.authorize_url,
            OAuthProvider::builtin(ExchangeId::Okx).authorize_url
        );
        let binance = config.provider(ExchangeId::Binance);
        assert_eq!(binance, OAuthProvider::builtin(ExchangeId::Binance));
        assert!(!binance.is_configured());
        assert_eq!(
            binance.authorize_url,
            "https://accounts.binance.com/en/oauth/authorize"
        );
        assert_eq!(Config::default().oauth, OAuthProfiles::default());
        // A whole profile (the demo's simulator) round-trips through an override.
        let mut config = Config::default();
        let mut sim = OAuthProvider::builtin(ExchangeId::Okx);
        sim.token_url = "http://127.0.0.1:1/okx/oauth/token".into();
        sim.client_id = Some("keyfolio-sim-okx".into());
        config.oauth.okx = sim.clone().into();
        assert_eq!(config.provider(ExchangeId::Okx), sim);
    }

    #[test]
    fn shipped_config_lists_the_builtin_oauth_profiles() {
        let text = include_str!("../assets/config.toml");
        let config: Config = toml::from_str(text).unwrap();
        for &exchange in ExchangeId::all() {
            assert_eq!(
                config.provider(exchange),
                OAuthProvider::builtin(exchange),
                "{exchange}"
            );
        }
    }

    #[test]
    fn shipped_config_parses_with_its_keys_table() {
        let text = include_str!("../assets/config.toml");
        let config: Config = toml::from_str(text).unwrap();
        assert!(config.keys.is_empty());
    }
}
