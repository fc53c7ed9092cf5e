//! The key form's local checks: every field at submit (required, label taken, URL), and
//! the characters a field accepts, typed or pasted.

use super::secret::is_pem;
use super::{ConnectRequest, Field, FormOutcome, FormPhase, KeyForm, MAX_LABEL_LEN, MAX_LEN};
use crate::model::{Credentials, Endpoint};
use zeroize::Zeroizing;

impl KeyForm {
    /// Checks every field; on success the caller validates the key with the exchange.
    pub(super) fn submit(&mut self) -> FormOutcome {
        self.errors = Default::default();
        let request = self.check();
        match request {
            Some(request) => {
                self.phase = FormPhase::Validating;
                self.spinner = 0;
                self.revealed = false;
                FormOutcome::Submit(request)
            }
            None => {
                self.phase = FormPhase::Editing;
                if let Some(first) = self.fields().into_iter().find(|f| self.error(*f).is_some()) {
                    self.set_focus(first);
                }
                FormOutcome::Nothing
            }
        }
    }

    pub(super) fn fail(&mut self, field: Field, message: impl Into<String>) {
        self.errors[field.index()].get_or_insert_with(|| message.into());
    }

    fn required(&mut self, field: Field) -> Option<String> {
        let value = self.text(field).trim().to_string();
        if value.is_empty() {
            self.fail(field, format!("{} is required", self.label(field)));
            return None;
        }
        if let Err(message) = check_text(field, &value) {
            self.fail(field, message);
            return None;
        }
        Some(value)
    }

    fn check(&mut self) -> Option<ConnectRequest> {
        let label = match &self.replacing {
            Some(r) => Some(r.label.clone()),
            None => self.required(Field::Label),
        };
        if let Some(l) = label.as_ref().filter(|_| self.replacing.is_none()) {
            if l.chars().count() > MAX_LABEL_LEN {
                self.fail(
                    Field::Label,
                    format!("Label is at most {MAX_LABEL_LEN} characters"),
                );
            } else if self
                .labels_in_use
                .iter()
                .any(|u| u.trim().eq_ignore_ascii_case(l))
            {
                self.fail(
                    Field::Label,
                    format!("“{l}” is already used by another connection; pick another label"),
                );
            }
        }
        let api_key = self.required(Field::ApiKey).map(Zeroizing::new);
        if let Some(key) = &api_key
            && key.chars().any(char::is_whitespace)
        {
            self.fail(Field::ApiKey, "API key has a space in it; copy it again");
        }
        let secret = self.required(Field::Secret).map(Zeroizing::new);
        let secret = secret.and_then(|s| self.resolve_secret(s));
        if let (Some(key), Some(secret)) = (&api_key, &secret)
            && key.as_str() == secret.as_str()
        {
            self.fail(
                Field::Secret,
                "This is the API key again; paste the secret that came with it",
            );
        }
        let passphrase = if self.exchange.needs_passphrase() {
            self.required(Field::Passphrase).map(Zeroizing::new)
        } else {
            None
        };
        let uid = if self.exchange.needs_uid() {
            self.required(Field::Uid)
        } else {
            None
        };
        let region = self.region();
        let base_url = if region.custom {
            self.required(Field::CustomUrl)
                .and_then(|url| match check_url(&url) {
                    Ok(url) => Some(url),
                    Err(message) => {
                        self.fail(Field::CustomUrl, message);
                        None
                    }
                })
        } else {
            region.base_url.map(str::to_string)
        };
        if self.has_errors() {
            return None;
        }
        let (label, api_key, secret) = (label?, api_key?, secret?);
        if region.custom && base_url.is_none() {
            return None;
        }
        Some(ConnectRequest {
            exchange: self.exchange,
            label,
            creds: Credentials::new(&api_key, &secret, passphrase.as_deref().map(String::as_str))
                .with_uid(uid.as_deref()),
            endpoint: Endpoint {
                base_url,
                sandbox: self.testnet,
            },
        })
    }
}

/// What a pasted string becomes in a field: stripped of surrounding whitespace, or refused.
pub fn clean_paste(field: Field, text: &str) -> Result<String, String> {
    // Refuse absurd lengths before doing any work on the text.
    if text.len() > MAX_LEN * 4 || text.chars().count() > MAX_LEN {
        return Err(format!(
            "Paste refused: {} characters is too long for {} ({} at most)",
            text.chars().count(),
            field.name(),
            MAX_LEN
        ));
    }
    let trimmed = text.trim().replace("\r\n", "\n");
    check_text(field, &trimmed)?;
    Ok(trimmed)
}

/// The characters a field accepts.
fn check_text(field: Field, text: &str) -> Result<(), String> {
    let pem_ok = field == Field::Secret && is_pem(text);
    if field == Field::ApiKey && is_pem(text) {
        return Err("This looks like a private key; paste it into Secret".into());
    }
    if let Some(c) = text
        .chars()
        .find(|&c| crate::text::is_control_like(c) && !(pem_ok && c == '\n'))
    {
        let what = match c {
            '\x1b' => "an escape sequence".to_string(),
            c => crate::text::describe_char(c),
        };
        return Err(format!("Refused: {} contains {what}", field.name()));
    }
    if field.is_masked()
        && let Some(c) = text.chars().find(|c| !c.is_ascii())
    {
        return Err(format!(
            "Refused: {} contains “{c}”; keys are plain ASCII, copy it again",
            field.name()
        ));
    }
    Ok(())
}

/// A custom base URL without its trailing slash, or why it is not one.
fn check_url(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        None => Err("Custom URL must start with http:// or https://".into()),
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            Err("Custom URL needs a host, e.g. http://127.0.0.1:8080/binance".into())
        }
        Some(_) if url.chars().any(char::is_whitespace) => {
            Err("Custom URL has a space in it".into())
        }
        Some(_) => Ok(url.trim_end_matches('/').to_string()),
    }
}
