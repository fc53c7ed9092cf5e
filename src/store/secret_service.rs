//! Reads of keyfolio's entries straight from the Secret Service (Linux): one session per
//! process, and a sync round's entries in one request.
//!
//! Through the keyring crate, a read is two D-Bus round trips made one at a time on a
//! thread of their own, each passing between three threads (the caller's, zbus's
//! executor and the async-io reactor), and its session's Diffie-Hellman exchange is
//! computed by a textbook square-and-multiply. Here a round's entries come in one
//! `GetSecrets` call (plus one `SearchItems` the first time, when keyfolio does not yet
//! know where they live), the exchange uses num-bigint's Montgomery `modpow`, and each
//! read of an entry that is there and unlocked costs at most one round trip. A missing,
//! locked or duplicated entry, or any failure, goes back to the keyring crate's path, so
//! its error kinds, its unlock prompt and its messages stay as they were.
//!
//! A round's batch is held (wiped on drop) only until each sync takes its own entry, for
//! at most [`HOLD`], and is dropped at once when a collection changes (it locked) or
//! keyfolio writes or deletes the entry.

use super::secrets::{READ_AHEAD_HOLD as HOLD, SERVICE, entry_name};
use num_bigint::BigUint;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Instant;
use tokio::sync::OnceCell;
use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};
use zeroize::Zeroizing;

#[zbus::proxy(
    interface = "org.freedesktop.Secret.Service",
    default_service = "org.freedesktop.secrets",
    default_path = "/org/freedesktop/secrets",
    gen_blocking = false
)]
trait Service {
    fn open_session(
        &self,
        algorithm: &str,
        input: &Value<'_>,
    ) -> zbus::Result<(OwnedValue, OwnedObjectPath)>;

    /// The unlocked and the locked items whose attributes include these.
    fn search_items(
        &self,
        attributes: HashMap<&str, &str>,
    ) -> zbus::Result<(Vec<OwnedObjectPath>, Vec<OwnedObjectPath>)>;

    fn get_secrets(
        &self,
        items: &[ObjectPath<'_>],
        session: &ObjectPath<'_>,
    ) -> zbus::Result<HashMap<OwnedObjectPath, SecretAnswer>>;

    /// A collection's properties changed: among them, whether it is locked.
    #[zbus(signal)]
    fn collection_changed(&self, collection: ObjectPath<'_>) -> zbus::Result<()>;
}

#[zbus::proxy(
    interface = "org.freedesktop.Secret.Item",
    default_service = "org.freedesktop.secrets",
    gen_blocking = false
)]
trait Item {
    #[zbus(property)]
    fn attributes(&self) -> zbus::Result<HashMap<String, String>>;
}

/// A secret as the service sends it: session, parameters (the AES IV of an encrypted
/// session), value, content type.
type SecretAnswer = (OwnedObjectPath, Vec<u8>, Vec<u8>, String);

/// Names the session's kind: `plain` or `encrypted` (see [`Session::open`]).
const SESSION_ENV: &str = "KEYFOLIO_SECRET_SESSION";

/// The Secret Service's Diffie-Hellman algorithm: the 1024-bit MODP group of RFC 2409
/// (generator 2), HKDF-SHA256 without salt or info, AES-128-CBC with PKCS#7 padding.
const DH_ALGORITHM: &str = "dh-ietf1024-sha256-aes128-cbc-pkcs7";

/// RFC 2409's second Oakley group: 2^1024 - 2^960 - 1 + 2^64 * (floor(2^894 pi) + 129093).
const DH_PRIME: &str = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF";

/// The requests this process has sent the Secret Service on this path.
static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// How many requests keyfolio's own reads have sent the Secret Service in this process
/// (opening the session, searches, secret batches); the keyring crate's are not counted.
pub fn requests() -> u64 {
    REQUESTS.load(Ordering::Relaxed)
}

fn count_request() {
    REQUESTS.fetch_add(1, Ordering::Relaxed);
}

/// The process's session. A failed open is tried again at the next read.
static SESSION: OnceCell<Session> = OnceCell::const_new();

struct Session {
    service: ServiceProxy<'static>,
    path: OwnedObjectPath,
    /// The AES-128 key of an encrypted session; `None` for a plain one.
    key: Option<Zeroizing<[u8; 16]>>,
}

impl Session {
    /// Opens the session: encrypted (libsecret's default too: a Diffie-Hellman exchange,
    /// then AES per secret) unless `KEYFOLIO_SECRET_SESSION=plain`.
    async fn open() -> anyhow::Result<Self> {
        let connection = zbus::Connection::session().await?;
        let service = ServiceProxy::builder(&connection)
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await?;
        count_request();
        let (path, key) = if std::env::var(SESSION_ENV).as_deref() == Ok("plain") {
            let (_, path) = service.open_session("plain", &Value::from("")).await?;
            (path, None)
        } else {
            let prime = BigUint::parse_bytes(DH_PRIME.as_bytes(), 16).expect("a hex prime");
            let mut bytes = Zeroizing::new([0u8; 128]);
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut *bytes);
            let private = BigUint::from_bytes_be(&*bytes);
            let public = BigUint::from(2u8).modpow(&private, &prime);
            let input = Value::from(public.to_bytes_be());
            let (output, path) = service.open_session(DH_ALGORITHM, &input).await?;
            let theirs = BigUint::from_bytes_be(&Vec::<u8>::try_from(output)?);
            anyhow::ensure!(
                theirs > BigUint::from(1u8) && theirs < &prime - 1u8,
                "the Secret Service sent an invalid public key"
            );
            (path, Some(shared_key(&theirs.modpow(&private, &prime))))
        };
        watch_collections(service.clone());
        Ok(Self { service, path, key })
    }

    /// The secrets at `paths`, decrypted; a path the service leaves out is absent.
    async fn secrets(
        &self,
        paths: &[OwnedObjectPath],
    ) -> Option<HashMap<OwnedObjectPath, Zeroizing<String>>> {
        let items: Vec<ObjectPath<'_>> = paths.iter().map(|p| p.as_ref()).collect();
        count_request();
        let answers = self.service.get_secrets(&items, &self.path).await.ok()?;
        Some(
            answers
                .into_iter()
                .filter_map(|(path, (_, iv, value, _))| Some((path, self.decrypt(&iv, value)?)))
                .collect(),
        )
    }

    /// The name (`username` attribute) of the keyfolio entry at `path`.
    async fn entry_at(&self, path: &OwnedObjectPath) -> Option<String> {
        count_request();
        let item = ItemProxy::builder(self.service.inner().connection())
            .path(path.clone())
            .ok()?
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
            .ok()?;
        let mut attributes = item.attributes().await.ok()?;
        if attributes.get("service").map(String::as_str) != Some(SERVICE) {
            return None;
        }
        attributes.remove("username")
    }

    /// A secret's text; the bytes are wiped whatever happens.
    fn decrypt(&self, iv: &[u8], value: Vec<u8>) -> Option<Zeroizing<String>> {
        use aes::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
        let mut bytes = Zeroizing::new(value);
        if let Some(key) = &self.key {
            let cipher = cbc::Decryptor::<aes::Aes128>::new_from_slices(&key[..], iv).ok()?;
            let plain = cipher.decrypt_padded::<Pkcs7>(&mut bytes).ok()?.len();
            bytes.truncate(plain);
        }
        std::str::from_utf8(&bytes).ok()?;
        Some(Zeroizing::new(
            String::from_utf8(std::mem::take(&mut *bytes)).ok()?,
        ))
    }
}

/// The session's AES key from the shared Diffie-Hellman value (padded to 128 bytes).
fn shared_key(shared: &BigUint) -> Zeroizing<[u8; 16]> {
    let bytes = Zeroizing::new(shared.to_bytes_be());
    let mut padded = Zeroizing::new([0u8; 128]);
    padded[128 - bytes.len()..].copy_from_slice(&bytes);
    let mut key = Zeroizing::new([0u8; 16]);
    hkdf::Hkdf::<sha2::Sha256>::new(None, &*padded)
        .expand(&[], &mut *key)
        .expect("16 bytes is a valid HKDF length");
    key
}

/// Drops the held batch whenever a collection changes (gnome-keyring and KeePassXC
/// signal a lock that way). Runs on a thread of its own: the session outlives any one
/// tokio runtime (each test has its own).
fn watch_collections(service: ServiceProxy<'static>) {
    std::thread::spawn(move || {
        futures::executor::block_on(async move {
            use futures::StreamExt as _;
            let Ok(mut changes) = service.receive_collection_changed().await else {
                return;
            };
            while changes.next().await.is_some() {
                known().held.clear();
            }
        });
    });
}

async fn session() -> Option<&'static Session> {
    SESSION.get_or_try_init(Session::open).await.ok()
}

/// What this process knows of keyfolio's entries, under one lock.
#[derive(Default)]
struct Known {
    /// Where each entry seen so far lives: its D-Bus object path, which is not a secret.
    /// A read of a known entry asks for its secret at once. An entry is forgotten here
    /// when keyfolio writes or deletes it, and when a read at its path fails (deleted, or
    /// locked since).
    paths: HashMap<String, OwnedObjectPath>,
    /// A round's batch: each entry's text and when it was read, until its sync takes it.
    held: HashMap<String, (Zeroizing<String>, Instant)>,
    /// How many entries keyfolio has written or deleted: a batch read while one was
    /// written may hold its old text, and is not kept.
    writes: u64,
}

static KNOWN: LazyLock<Mutex<Known>> = LazyLock::new(Mutex::default);

fn known() -> MutexGuard<'static, Known> {
    KNOWN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How many entries read ahead are held now.
pub fn held_entries() -> usize {
    known().held.len()
}

/// Wipes these entries' held texts.
pub fn drop_held(secret_refs: &[String]) {
    let held = &mut known().held;
    for secret_ref in secret_refs {
        held.remove(secret_ref);
    }
}

/// Forgets an entry's path and held text (keyfolio is about to write or delete it).
pub fn forget(secret_ref: &str) {
    let mut known = known();
    known.paths.remove(secret_ref);
    known.held.remove(secret_ref);
    known.writes += 1;
}

/// Whether a thread is waiting to wipe what the batches leave untaken.
static SWEEPING: AtomicBool = AtomicBool::new(false);

/// Wipes each held entry no sync took within [`HOLD`], on one thread that lives while
/// anything is held.
fn sweep_later() {
    if SWEEPING.swap(true, Ordering::AcqRel) {
        return;
    }
    std::thread::spawn(|| {
        loop {
            let wait = {
                let held = &mut known().held;
                held.retain(|_, (_, at)| at.elapsed() < HOLD);
                let Some(oldest) = held.values().map(|(_, at)| *at).min() else {
                    // Under the lock: a batch held after this starts a new sweeper.
                    SWEEPING.store(false, Ordering::Release);
                    return;
                };
                HOLD.saturating_sub(oldest.elapsed())
            };
            std::thread::sleep(wait);
        }
    });
}

/// Reads these entries in one request and holds them for their syncs' [`read`]s.
/// Entries keyfolio does not know the place of yet are found with one search of every
/// keyfolio entry: their texts name them (see `secrets::named`), or else, for entries
/// written before, their attributes (one request each, all at once, once per process).
/// Whatever cannot be read this way is left to each read.
pub async fn read_ahead(secret_refs: &[String]) {
    let Some(session) = session().await else {
        return;
    };
    let wanted: HashSet<&str> = secret_refs.iter().map(String::as_str).collect();
    let (mut ask, writes) = {
        let known = known();
        let ask: Vec<OwnedObjectPath> = wanted
            .iter()
            .filter_map(|r| known.paths.get(*r).cloned())
            .collect();
        (ask, known.writes)
    };
    if ask.len() < wanted.len() {
        let everything = HashMap::from([("service", SERVICE)]);
        count_request();
        if let Ok((unlocked, _)) = session.service.search_items(everything).await {
            ask.extend(unlocked);
        }
    }
    let mut seen = HashSet::new();
    ask.retain(|path| seen.insert(path.clone()));
    if ask.is_empty() {
        return;
    }
    let Some(found) = session.secrets(&ask).await else {
        return;
    };
    let names: HashMap<OwnedObjectPath, String> = known()
        .paths
        .iter()
        .map(|(name, path)| (path.clone(), name.clone()))
        .collect();
    let mut named = Vec::with_capacity(found.len());
    let mut unnamed = Vec::new();
    for (path, text) in found {
        match entry_name(&text).or_else(|| names.get(&path).cloned()) {
            Some(name) => named.push((name, path, text)),
            None => unnamed.push((path, text)),
        }
    }
    // Entries written before entries carried their names (or by another tool), not seen
    // yet in this process: their attributes name them, asked all at once.
    let asked =
        futures::future::join_all(unnamed.iter().map(|(path, _)| session.entry_at(path))).await;
    for ((path, text), name) in unnamed.into_iter().zip(asked) {
        if let Some(name) = name {
            named.push((name, path, text));
        }
    }
    let mut by_name: HashMap<String, Vec<(OwnedObjectPath, Zeroizing<String>)>> = HashMap::new();
    for (name, path, text) in named {
        by_name.entry(name).or_default().push((path, text));
    }
    let mut known = known();
    if known.writes != writes {
        return;
    }
    let now = Instant::now();
    let mut kept = false;
    for (name, mut items) in by_name {
        let (Some((path, text)), true) = (items.pop(), items.is_empty()) else {
            // Two entries of one name: the keyring crate's read says which is meant.
            known.paths.remove(&name);
            continue;
        };
        known.paths.insert(name.clone(), path);
        if wanted.contains(name.as_str()) {
            known.held.insert(name, (text, now));
            kept = true;
        }
    }
    drop(known);
    if kept {
        sweep_later();
    }
}

fn known_path(secret_ref: &str) -> Option<OwnedObjectPath> {
    known().paths.get(secret_ref).cloned()
}

/// The text of the one unlocked entry named `secret_ref`, or `None` when the keyring
/// crate's path must answer (see the module's note).
pub async fn read(secret_ref: &str) -> Option<Zeroizing<String>> {
    let held = known().held.remove(secret_ref);
    if let Some((text, at)) = held
        && at.elapsed() < HOLD
    {
        return Some(text);
    }
    let session = session().await?;
    if let Some(path) = known_path(secret_ref) {
        if let Some(text) = session
            .secrets(std::slice::from_ref(&path))
            .await
            .and_then(|mut found| found.remove(&path))
        {
            return Some(text);
        }
        forget(secret_ref);
    }
    let attributes = HashMap::from([("service", SERVICE), ("username", secret_ref)]);
    count_request();
    let (unlocked, locked) = session.service.search_items(attributes).await.ok()?;
    let ([path], []) = (unlocked.as_slice(), locked.as_slice()) else {
        return None;
    };
    let text = session
        .secrets(std::slice::from_ref(path))
        .await?
        .remove(path)?;
    known().paths.insert(secret_ref.to_string(), path.clone());
    Some(text)
}
