//! The key form's Secret field: which kind of key it holds, and the PEM file it may name.

use super::{Field, KeyForm, MAX_LEN};
use crate::model::{ExchangeId, KeyType};
use zeroize::Zeroizing;

impl KeyForm {
    /// Which kind of secret the Secret field holds, in words, for Binance.
    pub fn secret_note(&self) -> Option<String> {
        let secret = self.secret.value().trim();
        if self.exchange != ExchangeId::Binance || secret.is_empty() {
            return None;
        }
        if is_pem_path(secret) {
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
        if matches!(self.exchange.id(), "binance" | "coinbase") && is_pem_path(&secret) {
            let path = std::path::Path::new(secret.as_str());
            if !path.is_file() {
                self.fail(
                    Field::Secret,
                    format!(
                        "No file at {}; paste the key or fix the path",
                        secret.as_str()
                    ),
                );
                return None;
            }
            let contents = match std::fs::metadata(path) {
                Ok(m) if m.len() > MAX_LEN as u64 => {
                    self.fail(Field::Secret, "That file is too large to be a PEM key");
                    return None;
                }
                _ => std::fs::read_to_string(path).map(Zeroizing::new),
            };
            return match contents {
                Ok(text) if KeyType::of(&text) == KeyType::Ed25519 => {
                    Some(Zeroizing::new(text.trim().replace("\r\n", "\n")))
                }
                Ok(_) => {
                    self.fail(
                        Field::Secret,
                        "That file holds no “BEGIN PRIVATE KEY” block; pick the Ed25519 private key",
                    );
                    None
                }
                Err(e) => {
                    self.fail(Field::Secret, format!("Could not read that file: {e}"));
                    None
                }
            };
        }
        if KeyType::of(&secret) == KeyType::Ed25519 {
            if self.exchange != ExchangeId::Binance {
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

/// A single-line value ending in `.pem`: a path to a key file.
fn is_pem_path(text: &str) -> bool {
    !text.contains('\n') && text.to_ascii_lowercase().ends_with(".pem")
}

/// Whether a secret field value is a PEM block (inner newlines allowed).
pub(super) fn is_pem(text: &str) -> bool {
    text.contains("-----BEGIN")
}
