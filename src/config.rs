//! Where keyfolio keeps its files and what `config.toml` may change.

use anyhow::{Context, Result};
use serde::Deserialize;
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
}

impl Default for Config {
    fn default() -> Self {
        Self {
            sync_interval_secs: 300,
            max_concurrent_syncs: 8,
            request_timeout_ms: 10_000,
            secret_timeout_ms: 5_000,
            secret_store: SecretStoreKind::Keyring,
        }
    }
}

impl Config {
    /// Reads `config.toml` if present; a missing file means defaults.
    pub fn load(paths: &Paths) -> Result<Self> {
        let file = paths.config_file();
        match std::fs::read_to_string(&file) {
            Ok(text) => toml::from_str(&text)
                .with_context(|| format!("{} is not valid: fix or delete it", file.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", file.display())),
        }
    }

    pub fn sync_interval(&self) -> Duration {
        Duration::from_secs(self.sync_interval_secs.max(10))
    }
}
