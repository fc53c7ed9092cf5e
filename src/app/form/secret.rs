//! The key form's Secret field: which kind of key it holds, and the PEM file it may name.

use super::{Field, KeyForm};
use crate::model::profile::profile;
use crate::model::{KeyType, PemFileError, names_pem_file, read_pem_file};
use zeroize::Zeroizing;

impl KeyForm {
    /// Which kind of secret the Secret field holds, in words, for Binance.
    pub fn secret_note(&self) -> Option<String> {
        let secret = self.secret.value().trim();
        if !profile(self.exchange).key_types || secret.is_empty() {
            return None;
        }
        if names_pem_file(self.exchange, secret) {
            return Some(format!(
                "Recognised: a path to a PEM file ({} key), read when you validate",
                KeyType::Ed25519.label()
            ));
        }
        Some(match KeyType::of(secret) {
            KeyType::Hmac => format!("Recognised: {} secret", KeyType::Hmac.label()),
            KeyType::Ed25519 => {
                format!("Recognised: {} private key (PEM)", KeyType::Ed25519.label())
            }
        })
    }

    /// The secret as sent: the field itself, or the PEM file it names.
    pub(super) fn resolve_secret(
        &mut self,
        secret: Zeroizing<String>,
    ) -> Option<Zeroizing<String>> {
        // The PEM-path rule is the CLI's too: which exchanges, and the size cap.
        if let Some(read) = read_pem_file(self.exchange, &secret) {
            let message = match read {
                Ok(text) if KeyType::of(&text) == KeyType::Ed25519 => return Some(text),
                Ok(_) => {
                    "That file holds no “BEGIN PRIVATE KEY” block; pick the Ed25519 private key"
                        .to_string()
                }
                Err(PemFileError::Missing(path)) => {
                    format!("No file at {path}; paste the key or fix the path")
                }
                Err(PemFileError::TooLarge { .. }) => {
                    "That file is too large to be a PEM key".to_string()
                }
                Err(PemFileError::Unreadable { source, .. }) => {
                    format!("Could not read that file: {source}")
                }
            };
            self.fail(Field::Secret, message);
            return None;
        }
        if KeyType::of(&secret) == KeyType::Ed25519 {
            if !profile(self.exchange).key_types {
                self.fail(
                    Field::Secret,
                    format!(
                        "{} keys use an HMAC secret, not a PEM private key",
                        self.exchange.name()
                    ),
                );
                return None;
            }
        } else if secret.chars().any(char::is_whitespace) {
            self.fail(Field::Secret, "Secret has a space in it; copy it again");
            return None;
        }
        Some(secret)
    }
}

/// Whether a secret field value is a PEM block (inner newlines allowed).
pub(super) fn is_pem(text: &str) -> bool {
    text.contains("-----BEGIN")
}
