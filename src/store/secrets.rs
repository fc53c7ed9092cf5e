//! The secret store: one entry per connection under the service name `keyfolio`.
//!
//! The OS keyring is the default. Where none answers, an age-encrypted file protected by
//! a passphrase is the only alternative: keyfolio never falls back to plaintext. The demo
//! and tests use an in-memory store. Every call runs on one long-lived thread under a
//! timeout, so a hung Secret Service cannot freeze the app; on Linux, reads of an entry
//! that is there and unlocked take a quicker path (`secret_service.rs`), under the same
//! timeout, and a sync round's entries can be read ahead in one request.
//!
//! The file may be shared by processes (the TUI and a CLI `connect` at the same time):
//! each edit holds an exclusive lock on the sibling `secrets.age.lock` from its read to
//! its rename, re-reads the file if another process changed it, and writes through a
//! temporary file of its own.

use crate::model::Credentials;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zeroize::Zeroizing;

/// The keyring service name of every entry.
pub const SERVICE: &str = "keyfolio";

/// How long a sync round's entries read ahead are held for its syncs to take them
/// ([`SecretStore::read_ahead`]); what none took by then is wiped.
pub const READ_AHEAD_HOLD: Duration = Duration::from_secs(10);

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
    #[error(
        "the OS keyring is locked or refused access ({0}). Unlock it (log in to the desktop session, or answer its prompt), or set `secret_store = \"file\"` in config.toml"
    )]
    Locked(String),
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
    /// An age file encrypted with a passphrase. Opening it costs about a second of scrypt
    /// by design, so the decrypted entries stay cached (wiped on drop) until the file
    /// changes on disk (checked under the file lock at every call).
    File {
        path: PathBuf,
        passphrase: SecretString,
        cache: Arc<Mutex<FileCache>>,
    },
    /// Process memory only (demo, tests).
    Memory(Arc<Mutex<HashMap<String, Zeroizing<String>>>>),
}

/// Entries of the encrypted file; values are wiped from memory on drop.
type SecretMap = HashMap<String, Zeroizing<String>>;

/// The decrypted file and the version of it on disk they came from.
type FileCache = Option<(FileVersion, SecretMap)>;

/// One version of the encrypted file on disk: the SHA-256 of its first
/// [`VERSION_BYTES`] (`None`: no file). They hold age's header, whose scrypt salt and
/// MAC are new on every write, so unlike size, time and inode they cannot miss a
/// rewrite by another process; and a read costs those bytes, not the whole file, until
/// it changed.
type FileVersion = Option<[u8; 32]>;

/// Enough of the file to cover age's header, armored or not.
const VERSION_BYTES: usize = 512;

fn version_of(bytes: &[u8]) -> FileVersion {
    Some(Sha256::digest(&bytes[..bytes.len().min(VERSION_BYTES)]).into())
}

/// The stored form of credentials: JSON inside the secret entry only.
#[derive(Serialize)]
struct StoredCredentials<'a> {
    api_key: &'a str,
    secret: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    passphrase: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<&'a str>,
}

/// The entry text of API-key credentials.
pub fn encode(creds: &Credentials) -> Zeroizing<String> {
    let stored = StoredCredentials {
        api_key: creds.api_key.expose_secret(),
        secret: creds.secret.expose_secret(),
        passphrase: creds.passphrase.as_ref().map(ExposeSecret::expose_secret),
        uid: creds.uid.as_ref().map(ExposeSecret::expose_secret),
    };
    Zeroizing::new(serde_json::to_string(&stored).expect("strings serialize"))
}

/// The text kept in the OS keyring: a JSON payload (credentials or tokens) with the
/// entry's own name first, as `"entry"`, so one batch read of every keyfolio entry can
/// tell which is which (`secret_service.rs`). Other text, and a payload that already
/// names itself, is kept as it is. The name is no secret: SQLite holds it too.
fn named(secret_ref: &str, payload: &str) -> Zeroizing<String> {
    let Some(fields) = payload.strip_prefix('{') else {
        return Zeroizing::new(payload.to_string());
    };
    if fields.trim_start().starts_with('}') || payload.starts_with(NAME_FIELD) {
        return Zeroizing::new(payload.to_string());
    }
    let name = serde_json::to_string(secret_ref).expect("a string serializes");
    // Sized once: a growing buffer would leave copies of the secret behind.
    let mut text = String::with_capacity(NAME_FIELD.len() + name.len() + 1 + fields.len());
    text.push_str(NAME_FIELD);
    text.push_str(&name);
    text.push(',');
    text.push_str(fields);
    Zeroizing::new(text)
}

/// How a named entry's text begins.
const NAME_FIELD: &str = "{\"entry\":";

/// The name an entry's text carries (see [`named`]); `None` for older entries.
#[cfg(target_os = "linux")]
pub(super) fn entry_name(text: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Named {
        entry: String,
    }
    if !text.starts_with(NAME_FIELD) {
        return None;
    }
    serde_json::from_str::<Named>(text).ok().map(|n| n.entry)
}

/// Owned strings: a PEM's escaped newlines cannot be borrowed from the JSON text.
#[derive(Deserialize)]
struct LoadedCredentials {
    api_key: Zeroizing<String>,
    secret: Zeroizing<String>,
    passphrase: Option<Zeroizing<String>>,
    uid: Option<Zeroizing<String>>,
}

fn decode(text: &str) -> Option<Credentials> {
    let loaded: LoadedCredentials = serde_json::from_str(text).ok()?;
    Some(
        Credentials::new(
            &loaded.api_key,
            &loaded.secret,
            loaded.passphrase.as_ref().map(|p| p.as_str()),
        )
        .with_uid(loaded.uid.as_ref().map(|u| u.as_str())),
    )
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
            cache: Arc::default(),
        }
    }

    /// Opens the encrypted file now, so a wrong passphrase is reported at start-up and
    /// not at the first sync. Other stores answer `Ok` without doing anything.
    pub async fn unlock(&self) -> Result<(), SecretError> {
        match self {
            Self::File { .. } => self.run(|store| store.read_file(|_| Ok(()))).await,
            _ => Ok(()),
        }
    }

    /// How many threads the secret stores of this process have started for their calls:
    /// one, plus one for each call that outlived its timeout.
    pub fn threads_started() -> u64 {
        worker::started()
    }

    /// How many requests keyfolio's own Secret Service reads have sent in this process
    /// (Linux; zero elsewhere): a round read ahead costs one or two, whatever its size.
    pub fn service_requests() -> u64 {
        #[cfg(target_os = "linux")]
        return super::secret_service::requests();
        #[cfg(not(target_os = "linux"))]
        0
    }

    /// How many entries read ahead wait for their syncs in this process (Linux; zero
    /// elsewhere).
    pub fn held_entries() -> usize {
        #[cfg(target_os = "linux")]
        return super::secret_service::held_entries();
        #[cfg(not(target_os = "linux"))]
        0
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
        #[cfg(target_os = "linux")]
        if let Self::Keyring { timeout } = self {
            match tokio::time::timeout(*timeout, super::secret_service::read(secret_ref)).await {
                Ok(Some(text)) => return Ok(text),
                // Missing, locked, ambiguous or failed: the keyring crate says which.
                Ok(None) => {}
                Err(_) => return Err(SecretError::Timeout(timeout.as_secs())),
            }
        }
        let reference = secret_ref.to_string();
        self.run(move |store| store.get_now(&reference)).await
    }

    /// Reads a sync round's entries ahead in one request where the store can (the Secret
    /// Service on Linux); each is held, wiped on drop, until its sync's read takes it, for
    /// at most a few seconds. Elsewhere, and for what it cannot read, each read reads.
    pub async fn read_ahead(&self, secret_refs: &[String]) {
        #[cfg(target_os = "linux")]
        if let Self::Keyring { timeout } = self {
            let _ = tokio::time::timeout(*timeout, super::secret_service::read_ahead(secret_refs))
                .await;
        }
        #[cfg(not(target_os = "linux"))]
        let _ = secret_refs;
    }

    /// Wipes what a round read ahead and its syncs did not take.
    pub fn drop_read_ahead(&self, secret_refs: &[String]) {
        #[cfg(target_os = "linux")]
        if let Self::Keyring { .. } = self {
            super::secret_service::drop_held(secret_refs);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = secret_refs;
    }

    /// Deletes an entry; a missing entry counts as deleted.
    pub async fn delete(&self, secret_ref: &str) -> Result<(), SecretError> {
        let reference = secret_ref.to_string();
        self.run(move |store| store.delete_now(&reference)).await
    }

    /// A quick check that the store answers at all (a read of an entry that does not
    /// exist): run before a connect, so a machine without a keyring learns it before the
    /// exchange is asked. A locked keyring passes; writing to it asks to unlock.
    pub async fn check_reachable(&self) -> Result<(), SecretError> {
        match self.get_raw("keyfolio-probe").await {
            Ok(_) | Err(SecretError::Missing) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Checks the store can keep a secret. The keyring gets a probe entry written, read
    /// back and deleted (reading a missing entry would pass even while it is locked); the
    /// encrypted file is opened.
    pub async fn probe(&self) -> Result<(), SecretError> {
        const PROBE: &str = "keyfolio-probe";
        match self {
            Self::Keyring { .. } => {
                self.put_raw(PROBE, Zeroizing::new(PROBE.to_string()))
                    .await?;
                let back = self.get_raw(PROBE).await;
                self.delete(PROBE).await?;
                match back?.as_str() {
                    PROBE => Ok(()),
                    _ => Err(SecretError::Unavailable(
                        "the probe entry read back different".into(),
                    )),
                }
            }
            Self::File { .. } => self.unlock().await,
            Self::Memory(_) => Ok(()),
        }
    }

    /// Runs a blocking store call on the secrets thread, bounded by the timeout.
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
        let generation = worker::submit(Box::new(move || {
            let _ = tx.send(call(&store));
        }))?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(SecretError::Unavailable("the keyring call crashed".into())),
            Err(_) => {
                worker::retire(generation);
                Err(SecretError::Timeout(timeout.as_secs()))
            }
        }
    }

    fn put_now(&self, secret_ref: &str, payload: &str) -> Result<(), SecretError> {
        #[cfg(target_os = "linux")]
        super::secret_service::forget(secret_ref);
        match self {
            Self::Keyring { .. } => entry(secret_ref)?
                .set_password(&named(secret_ref, payload))
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
            Self::File { .. } => {
                self.read_file(|map| map.get(secret_ref).cloned().ok_or(SecretError::Missing))
            }
        }
    }

    fn delete_now(&self, secret_ref: &str) -> Result<(), SecretError> {
        #[cfg(target_os = "linux")]
        super::secret_service::forget(secret_ref);
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

    /// Runs `read` on the file's entries, under a shared lock (no rename can happen while
    /// the file is read; Windows could not replace a file another process holds open).
    fn read_file<T>(
        &self,
        read: impl FnOnce(&SecretMap) -> Result<T, SecretError>,
    ) -> Result<T, SecretError> {
        self.locked_file(Access::Read, |path, passphrase, cache| {
            read(load_file(cache, path, passphrase)?)
        })
    }

    /// Changes the file's entries under an exclusive lock held from the read to the
    /// rename: an edit by another thread or process is read first, never overwritten.
    fn edit_file(&self, change: impl FnOnce(&mut SecretMap)) -> Result<(), SecretError> {
        self.locked_file(Access::Edit, |path, passphrase, cache| {
            let mut map = load_file(cache, path, passphrase)?.clone();
            change(&mut map);
            let version = encrypt_file(path, passphrase, &map)?;
            *cache = Some((version, map));
            Ok(())
        })
    }

    /// Runs `f` with the file store's path, passphrase and cache: the cache locked
    /// against this process's other threads, the lock file against other processes.
    fn locked_file<T>(
        &self,
        access: Access,
        f: impl FnOnce(&Path, &SecretString, &mut FileCache) -> Result<T, SecretError>,
    ) -> Result<T, SecretError> {
        let Self::File {
            path,
            passphrase,
            cache,
        } = self
        else {
            unreachable!("a file store only")
        };
        let mut cache = cache.lock().unwrap();
        let _lock = lock_file(path, access)?;
        f(path, passphrase, &mut cache)
    }
}

/// What a call does with the encrypted file.
#[derive(Clone, Copy, PartialEq)]
enum Access {
    Read,
    Edit,
}

/// `secrets.age.lock` beside `secrets.age`. It holds nothing and is never removed:
/// removing it would let two processes lock two different files.
fn lock_path(path: &Path) -> PathBuf {
    sibling(path, ".lock")
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Locks the file store against other processes until the returned file is dropped:
/// shared to read, exclusive to edit. A read of a store that has no file yet takes no
/// lock (and creates no lock file): there is nothing to read, and a writer that creates
/// the file meanwhile simply comes after it.
fn lock_file(path: &Path, access: Access) -> Result<Option<std::fs::File>, SecretError> {
    let io = |e: std::io::Error| SecretError::File(e.to_string());
    if access == Access::Read && !path.exists() {
        return Ok(None);
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(lock_path(path)).map_err(io)?;
    match access {
        Access::Read => file.lock_shared(),
        Access::Edit => file.lock(),
    }
    .map_err(io)?;
    Ok(Some(file))
}

/// The file's entries, decrypted only when the file changed on disk since the last time.
fn load_file<'a>(
    cache: &'a mut FileCache,
    path: &Path,
    passphrase: &SecretString,
) -> Result<&'a SecretMap, SecretError> {
    use std::io::Read as _;
    let file_error = |e: std::io::Error| SecretError::File(e.to_string());
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (_, map) = cache.insert((None, SecretMap::new()));
            return Ok(map);
        }
        Err(e) => return Err(file_error(e)),
    };
    let mut bytes = Vec::new();
    (&mut file)
        .take(VERSION_BYTES as u64)
        .read_to_end(&mut bytes)
        .map_err(file_error)?;
    let version = version_of(&bytes);
    if !matches!(cache, Some((cached, _)) if *cached == version) {
        file.read_to_end(&mut bytes).map_err(file_error)?;
        *cache = Some((version, decrypt_file(&bytes, passphrase)?));
    }
    Ok(&cache.as_ref().expect("filled above").1)
}

fn decrypt_file(bytes: &[u8], passphrase: &SecretString) -> Result<SecretMap, SecretError> {
    let decryptor =
        age::Decryptor::new_buffered(bytes).map_err(|e| SecretError::File(e.to_string()))?;
    if !decryptor.is_scrypt() {
        return Err(SecretError::File("not a passphrase-encrypted file".into()));
    }
    let identity = age::scrypt::Identity::new(passphrase.clone());
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
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

/// Encrypts the entries to a 0600 temporary file of this call's own beside the file,
/// flushes it to disk, then renames it over the file, so a crash leaves the old file or
/// the new one, never a mix. Runs under the exclusive lock. Returns the new version.
fn encrypt_file(
    path: &Path,
    passphrase: &SecretString,
    map: &SecretMap,
) -> Result<FileVersion, SecretError> {
    let io = |e: std::io::Error| SecretError::File(e.to_string());
    let view: HashMap<&str, &str> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let plain = Zeroizing::new(serde_json::to_vec(&view).expect("strings serialize"));
    let encryptor = age::Encryptor::with_user_passphrase(passphrase.clone());
    let mut out = Vec::new();
    let mut writer = encryptor
        .wrap_output(&mut out)
        .map_err(|e| SecretError::File(e.to_string()))?;
    std::io::Write::write_all(&mut writer, &plain).map_err(io)?;
    writer.finish().map_err(io)?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut prefix = path.file_name().unwrap_or_default().to_os_string();
    prefix.push(".");
    remove_stale_temporaries(dir, &prefix);
    // tempfile creates it 0600 on unix, under a name no other writer uses.
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    std::io::Write::write_all(&mut tmp, &out).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    #[cfg(unix)]
    {
        // The rename itself must reach the disk too (Windows has no directory handle
        // to flush).
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(version_of(&out))
}

/// Deletes what writers killed mid-write left behind (`secrets.age.<random>.tmp`, and the
/// fixed `secrets.age.tmp` of earlier versions). Called under the exclusive lock, when no
/// other writer can have a temporary file open.
fn remove_stale_temporaries(dir: &Path, prefix: &std::ffi::OsStr) {
    let Some(prefix) = prefix.to_str() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(prefix) && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn entry(secret_ref: &str) -> Result<keyring::Entry, SecretError> {
    keyring::Entry::new(SERVICE, secret_ref).map_err(keyring_error)
}

fn keyring_error(e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::NoEntry => SecretError::Missing,
        keyring::Error::NoStorageAccess(e) => SecretError::Locked(e.to_string()),
        // Writing into a locked Secret Service collection comes back as a platform
        // failure whose D-Bus error name is the only sign of the lock.
        keyring::Error::PlatformFailure(e) if e.to_string().contains("IsLocked") => {
            SecretError::Locked(e.to_string())
        }
        // keyring 4 connects to the platform store once per process; when that failed,
        // every entry answers NoDefaultStore and the reason is kept in store_status.
        keyring::Error::NoDefaultStore => {
            SecretError::Unavailable(match keyring::Entry::store_status() {
                Err(reason) => reason.to_string(),
                Ok(()) => keyring::Error::NoDefaultStore.to_string(),
            })
        }
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

/// The one thread that runs the blocking store calls of the process, one after another.
///
/// It is started at the first call and lives as long as the process: a thread per call
/// cost a spawn and a stack each, and left glibc a heap arena per thread. A call that
/// outlives its timeout may never return (a Secret Service that accepts and never
/// answers); the thread it holds is then retired and the next call starts a new one, so
/// one hung call does not make every later call wait out its timeout too.
mod worker {
    use super::SecretError;
    use std::sync::Mutex;
    use std::sync::mpsc::{Sender, channel};

    pub(super) type Job = Box<dyn FnOnce() + Send>;

    struct Worker {
        generation: u64,
        jobs: Sender<Job>,
    }

    /// The current thread's queue, and the number of threads started so far.
    static CURRENT: Mutex<(Option<Worker>, u64)> = Mutex::new((None, 0));

    /// Queues `job` on the secrets thread, starting one if there is none; returns the
    /// thread's generation, for [`retire`].
    pub(super) fn submit(mut job: Job) -> Result<u64, SecretError> {
        let mut current = CURRENT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            if let Some(worker) = &current.0 {
                match worker.jobs.send(job) {
                    Ok(()) => return Ok(worker.generation),
                    // The thread is gone: start another.
                    Err(returned) => job = returned.0,
                }
            }
            let (jobs, queue) = channel::<Job>();
            std::thread::Builder::new()
                .name("keyfolio-secrets".into())
                .spawn(move || {
                    for job in queue {
                        // A panicking call drops its answer channel (the caller is told it
                        // crashed); the thread goes on with the next call.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                })
                .map_err(|e| SecretError::Unavailable(e.to_string()))?;
            current.1 += 1;
            current.0 = Some(Worker {
                generation: current.1,
                jobs,
            });
        }
    }

    /// Stops sending calls to thread `generation`, which holds a call past its timeout.
    /// It ends once that call returns, if it ever does, and the calls queued behind it
    /// have run (or timed out for their callers).
    pub(super) fn retire(generation: u64) {
        let mut current = CURRENT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if current
            .0
            .as_ref()
            .is_some_and(|w| w.generation == generation)
        {
            current.0 = None;
        }
    }

    /// How many secrets threads the process has started.
    pub(super) fn started() -> u64 {
        CURRENT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_entry_still_reads_as_its_credentials_or_tokens() {
        let creds = Credentials::new("APIKEY-named-1234", "line one\nline two", Some("pass"));
        let text = named("connection-00ff", &encode(&creds));
        assert!(
            text.starts_with("{\"entry\":\"connection-00ff\","),
            "{}",
            *text
        );
        let back = decode(&text).expect("credentials decode");
        assert_eq!(back.secret.expose_secret(), "line one\nline two");
        assert_eq!(back.passphrase.unwrap().expose_secret(), "pass");
        let tokens = crate::oauth::Tokens {
            access: SecretString::from("access-token"),
            refresh: Some(SecretString::from("refresh-token")),
            expires_at: None,
        };
        let text = named("connection-0a0a", &tokens.to_secret_json());
        let back = crate::oauth::Tokens::from_secret_json(&text).expect("tokens decode");
        assert_eq!(back.access.expose_secret(), "access-token");
        #[cfg(target_os = "linux")]
        assert_eq!(entry_name(&text).as_deref(), Some("connection-0a0a"));
    }

    #[test]
    fn naming_leaves_other_text_and_named_text_as_it_is() {
        for text in ["keyfolio-probe", "{}", "{ }", "[1]", ""] {
            assert_eq!(*named("connection-1", text), text);
        }
        let once = named("connection-1", "{\"api_key\":\"k\"}");
        assert_eq!(named("connection-1", &once), once, "named twice, one name");
        #[cfg(target_os = "linux")]
        assert_eq!(
            entry_name("{\"api_key\":\"k\"}"),
            None,
            "written before names"
        );
    }
}
