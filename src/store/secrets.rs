//! The secret store: one entry per connection under the service name `keyfolio`.
//!
//! The OS keyring is the default. Where none answers, an age-encrypted file protected by
//! a passphrase is the only alternative: keyfolio never falls back to plaintext. The demo
//! and tests use an in-memory store. Every call runs on its own thread under a timeout,
//! so a hung Secret Service cannot freeze the app.

use crate::exchange::Credentials;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zeroize::Zeroizing;

/// The keyring service name of every entry.
pub const SERVICE: &str = "keyfolio";

/// Secret-store failures, each with what to do next.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum SecretError {
    #[error(
        "the OS keyring did not answer within {0} s. Unlock it, or set `secret_store = \"file\"` in config.toml"
    )]
    Timeout(u64),
    #[error(
        "no OS keyring is reachable ({0}). Start a Secret Service (e.g. gnome-keyring), or set `secret_store = \"file\"` in config.toml to use an encrypted file"
    )]
    Unavailable(String),
    #[error("the keyring holds no secret for this connection: reconnect it")]
    Missing,
    #[error("the encrypted secrets file could not be opened: {0}")]
    File(String),
}

/// Where secrets go.
#[derive(Clone)]
pub enum SecretStore {
    /// The OS keyring through the `keyring` crate.
    Keyring { timeout: Duration },
    /// An age file encrypted with a passphrase.
    File {
        path: PathBuf,
        passphrase: SecretString,
        lock: Arc<Mutex<()>>,
    },
    /// Process memory only (demo, tests).
    Memory(Arc<Mutex<HashMap<String, Zeroizing<String>>>>),
}

/// Entries of the encrypted file; values are wiped from memory on drop.
type SecretMap = HashMap<String, Zeroizing<String>>;

/// The stored form of credentials: JSON inside the secret entry only.
#[derive(Serialize)]
struct StoredCredentials<'a> {
    api_key: &'a str,
    secret: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    passphrase: Option<&'a str>,
}

/// The entry text of API-key credentials.
pub fn encode(creds: &Credentials) -> Zeroizing<String> {
    let stored = StoredCredentials {
        api_key: creds.api_key.expose_secret(),
        secret: creds.secret.expose_secret(),
        passphrase: creds.passphrase.as_ref().map(|p| p.expose_secret()),
    };
    Zeroizing::new(serde_json::to_string(&stored).expect("strings serialize"))
}

/// Owned strings: a PEM's escaped newlines cannot be borrowed from the JSON text.
#[derive(Deserialize)]
struct LoadedCredentials {
    api_key: Zeroizing<String>,
    secret: Zeroizing<String>,
    passphrase: Option<Zeroizing<String>>,
}

fn decode(text: &str) -> Option<Credentials> {
    let loaded: LoadedCredentials = serde_json::from_str(text).ok()?;
    Some(Credentials::new(
        &loaded.api_key,
        &loaded.secret,
        loaded.passphrase.as_ref().map(|p| p.as_str()),
    ))
}

impl SecretStore {
    pub fn keyring(timeout: Duration) -> Self {
        Self::Keyring { timeout }
    }

    pub fn memory() -> Self {
        Self::Memory(Arc::default())
    }

    pub fn file(path: PathBuf, passphrase: SecretString) -> Self {
        Self::File {
            path,
            passphrase,
            lock: Arc::default(),
        }
    }

    /// A name for `doctor` and the status bar.
    pub fn describe(&self) -> String {
        match self {
            Self::Keyring { .. } => format!("OS keyring ({})", platform_keyring()),
            Self::File { path, .. } => format!("encrypted file {}", path.display()),
            Self::Memory(_) => "in-memory (demo; nothing persists)".to_string(),
        }
    }

    pub async fn put(&self, secret_ref: &str, creds: &Credentials) -> Result<(), SecretError> {
        self.put_raw(secret_ref, encode(creds)).await
    }

    pub async fn get(&self, secret_ref: &str) -> Result<Credentials, SecretError> {
        let text = self.get_raw(secret_ref).await?;
        decode(&text).ok_or(SecretError::Missing)
    }

    /// Stores an entry's text as is (OAuth tokens serialize themselves).
    pub async fn put_raw(
        &self,
        secret_ref: &str,
        payload: Zeroizing<String>,
    ) -> Result<(), SecretError> {
        let reference = secret_ref.to_string();
        self.run(move |store| store.put_now(&reference, &payload))
            .await
    }

    /// An entry's text as stored.
    pub async fn get_raw(&self, secret_ref: &str) -> Result<Zeroizing<String>, SecretError> {
        let reference = secret_ref.to_string();
        self.run(move |store| store.get_now(&reference)).await
    }

    /// Deletes an entry; a missing entry counts as deleted.
    pub async fn delete(&self, secret_ref: &str) -> Result<(), SecretError> {
        let reference = secret_ref.to_string();
        self.run(move |store| store.delete_now(&reference)).await
    }

    /// Checks the store answers, by reading an entry that does not exist.
    pub async fn probe(&self) -> Result<(), SecretError> {
        match self.run(|store| store.get_now("keyfolio-probe")).await {
            Ok(_) | Err(SecretError::Missing) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Runs a blocking store call on its own thread, bounded by the timeout.
    async fn run<T, F>(&self, call: F) -> Result<T, SecretError>
    where
        T: Send + 'static,
        F: FnOnce(&SecretStore) -> Result<T, SecretError> + Send + 'static,
    {
        if let Self::Memory(_) = self {
            // Nothing can hang in memory: no thread needed.
            return call(self);
        }
        let store = self.clone();
        let timeout = match self {
            Self::Keyring { timeout } => *timeout,
            _ => Duration::from_secs(30),
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("keyfolio-secrets".into())
            .spawn(move || {
                let _ = tx.send(call(&store));
            })
            .map_err(|e| SecretError::Unavailable(e.to_string()))?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(SecretError::Unavailable("the keyring call crashed".into())),
            Err(_) => Err(SecretError::Timeout(timeout.as_secs())),
        }
    }

    fn put_now(&self, secret_ref: &str, payload: &str) -> Result<(), SecretError> {
        match self {
            Self::Keyring { .. } => entry(secret_ref)?
                .set_password(payload)
                .map_err(keyring_error),
            Self::Memory(map) => {
                map.lock()
                    .unwrap()
                    .insert(secret_ref.into(), Zeroizing::new(payload.into()));
                Ok(())
            }
            Self::File { .. } => self.edit_file(|map| {
                map.insert(secret_ref.into(), Zeroizing::new(payload.into()));
            }),
        }
    }

    fn get_now(&self, secret_ref: &str) -> Result<Zeroizing<String>, SecretError> {
        match self {
            Self::Keyring { .. } => entry(secret_ref)?
                .get_password()
                .map(Zeroizing::new)
                .map_err(keyring_error),
            Self::Memory(map) => map
                .lock()
                .unwrap()
                .get(secret_ref)
                .cloned()
                .ok_or(SecretError::Missing),
            Self::File { lock, .. } => {
                let _guard = lock.lock().unwrap();
                let map = self.read_file()?;
                map.get(secret_ref).cloned().ok_or(SecretError::Missing)
            }
        }
    }

    fn delete_now(&self, secret_ref: &str) -> Result<(), SecretError> {
        match self {
            Self::Keyring { .. } => match entry(secret_ref)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(keyring_error(e)),
            },
            Self::Memory(map) => {
                map.lock().unwrap().remove(secret_ref);
                Ok(())
            }
            Self::File { .. } => self.edit_file(|map| {
                map.remove(secret_ref);
            }),
        }
    }

    fn read_file(&self) -> Result<SecretMap, SecretError> {
        let Self::File {
            path, passphrase, ..
        } = self
        else {
            unreachable!("read_file on a file store only")
        };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SecretMap::new()),
            Err(e) => return Err(SecretError::File(e.to_string())),
        };
        let decryptor =
            match age::Decryptor::new(&bytes[..]).map_err(|e| SecretError::File(e.to_string()))? {
                age::Decryptor::Passphrase(d) => d,
                _ => return Err(SecretError::File("not a passphrase-encrypted file".into())),
            };
        let mut reader = decryptor
            .decrypt(&age_passphrase(passphrase), None)
            .map_err(|_| SecretError::File("wrong passphrase".into()))?;
        let mut plain = Zeroizing::new(Vec::new());
        std::io::Read::read_to_end(&mut reader, &mut plain)
            .map_err(|e| SecretError::File(e.to_string()))?;
        let map: HashMap<String, String> =
            serde_json::from_slice(&plain).map_err(|e| SecretError::File(e.to_string()))?;
        Ok(map
            .into_iter()
            .map(|(k, v)| (k, Zeroizing::new(v)))
            .collect())
    }

    fn edit_file(&self, change: impl FnOnce(&mut SecretMap)) -> Result<(), SecretError> {
        let Self::File {
            path,
            passphrase,
            lock,
        } = self
        else {
            unreachable!("edit_file on a file store only")
        };
        let _guard = lock.lock().unwrap();
        let mut map = self.read_file()?;
        change(&mut map);
        let view: HashMap<&str, &str> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let plain = Zeroizing::new(serde_json::to_vec(&view).expect("strings serialize"));
        let encryptor = age::Encryptor::with_user_passphrase(age_passphrase(passphrase));
        let mut out = Vec::new();
        let mut writer = encryptor
            .wrap_output(&mut out)
            .map_err(|e| SecretError::File(e.to_string()))?;
        std::io::Write::write_all(&mut writer, &plain)
            .map_err(|e| SecretError::File(e.to_string()))?;
        writer
            .finish()
            .map_err(|e| SecretError::File(e.to_string()))?;
        // Write a sibling then rename, so a crash leaves the old file or the new one.
        let tmp = path.with_extension("age.tmp");
        std::fs::write(&tmp, &out).map_err(|e| SecretError::File(e.to_string()))?;
        crate::config::restrict_permissions(&tmp, 0o600);
        std::fs::rename(&tmp, path).map_err(|e| SecretError::File(e.to_string()))
    }
}

/// age speaks an older `secrecy`; the passphrase crosses over without a plain copy left behind.
fn age_passphrase(passphrase: &SecretString) -> age::secrecy::SecretString {
    age::secrecy::SecretString::new(passphrase.expose_secret().to_string())
}

fn entry(secret_ref: &str) -> Result<keyring::Entry, SecretError> {
    keyring::Entry::new(SERVICE, secret_ref).map_err(keyring_error)
}

fn keyring_error(e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::NoEntry => SecretError::Missing,
        other => SecretError::Unavailable(other.to_string()),
    }
}

fn platform_keyring() -> &'static str {
    if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(windows) {
        "Windows Credential Manager"
    } else {
        "Secret Service"
    }
}
