//! Reads of keyfolio's entries straight from the Secret Service (Linux), on the caller's
//! runtime: one encrypted session per process, opened at the first read, and reads in
//! flight together on one connection.
//!
//! Through the keyring crate, a read is two D-Bus round trips made one at a time on a
//! thread of their own, each passing between three threads (the caller's, zbus's
//! executor and the async-io reactor): at 100 reads, most of the CPU went on those
//! thread switches. Here concurrent reads share the switches, and a second read of an
//! entry goes straight to it (its path is remembered). Only the common case is
//! answered here: exactly one unlocked entry. A missing, locked or duplicated entry, or
//! any failure, goes back to the keyring crate's path, so its error kinds, its unlock
//! prompt and its messages stay as they were.

use super::secrets::SERVICE;
use secret_service::{EncryptionType, SecretService};
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::OnceCell;
use zbus::zvariant::OwnedObjectPath;
use zeroize::Zeroizing;

/// The process's session. A failed open is tried again at the next read.
static SESSION: OnceCell<SecretService<'static>> = OnceCell::const_new();

/// Names the session's kind: `plain` or `encrypted` (see [`encryption`]).
const SESSION_ENV: &str = "KEYFOLIO_SECRET_SESSION";

/// The session's kind. `encrypted` (libsecret's default too: a Diffie-Hellman
/// exchange then AES per secret) unless `KEYFOLIO_SECRET_SESSION=plain`.
fn encryption() -> EncryptionType {
    match std::env::var(SESSION_ENV).as_deref() {
        Ok("plain") => EncryptionType::Plain,
        _ => EncryptionType::Dh,
    }
}

/// Where each entry read so far lives: its D-Bus object path, which is not a secret. The
/// next read of the entry asks for its secret at once, one round trip instead of two.
/// An entry is forgotten here when keyfolio writes or deletes it, and when a read at its
/// path fails (deleted, or locked since).
static PATHS: Mutex<Option<HashMap<String, OwnedObjectPath>>> = Mutex::new(None);

fn known_path(secret_ref: &str) -> Option<OwnedObjectPath> {
    let paths = PATHS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    paths.as_ref()?.get(secret_ref).cloned()
}

fn remember(secret_ref: &str, path: OwnedObjectPath) {
    let mut paths = PATHS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    paths
        .get_or_insert_default()
        .insert(secret_ref.to_string(), path);
}

/// Forgets where an entry lives (keyfolio is about to write or delete it).
pub fn forget(secret_ref: &str) {
    let mut paths = PATHS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(paths) = paths.as_mut() {
        paths.remove(secret_ref);
    }
}

/// The text of the one unlocked entry named `secret_ref`, or `None` when the keyring
/// crate's path must answer (see the module's note).
pub async fn read(secret_ref: &str) -> Option<Zeroizing<String>> {
    let service = SESSION
        .get_or_try_init(|| SecretService::connect(encryption()))
        .await
        .ok()?;
    if let Some(path) = known_path(secret_ref) {
        if let Ok(item) = service.get_item_by_path(path).await
            && let Ok(bytes) = item.get_secret().await
        {
            return text(bytes);
        }
        forget(secret_ref);
    }
    let attributes = HashMap::from([("service", SERVICE), ("username", secret_ref)]);
    let found = service.search_items(attributes).await.ok()?;
    let [item] = found.unlocked.as_slice() else {
        return None;
    };
    if !found.locked.is_empty() {
        return None;
    }
    let secret = text(item.get_secret().await.ok()?)?;
    remember(secret_ref, item.item_path.clone());
    Some(secret)
}

/// An entry's bytes as text; the bytes are wiped.
fn text(bytes: Vec<u8>) -> Option<Zeroizing<String>> {
    let bytes = Zeroizing::new(bytes);
    let text = std::str::from_utf8(&bytes).ok()?;
    Some(Zeroizing::new(text.to_string()))
}
