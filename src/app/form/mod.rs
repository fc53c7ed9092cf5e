//! The API-key connect form: its state, phases and what it hands the caller. No I/O
//! except reading a `.pem` file named in the secret field at submit time.
//!
//! - `fields`: which rows and regions the form shows for its exchange, in its words
//! - `input`: key presses and pastes (focus, intent keys, text editing)
//! - `mask`: masked fields (shown as bullets, edited in place, wiped when the form goes)
//! - `secret`: the Secret field (which kind of key it holds, the PEM file it names)
//! - `validate`: the local checks at submit and on paste

mod fields;
mod input;
mod mask;
mod secret;
mod validate;

pub use crate::model::profile::Region;
pub use validate::clean_paste;

use crate::app::keys::KeyMap;
use crate::model::{AccountSnapshot, Credentials, Endpoint, ExchangeId, Failure, Permissions};
use mask::secret_input;
use std::fmt;
use std::sync::Arc;
use tui_input::Input;

/// The longest text any field takes; a PEM key is about 120 characters. The CLI takes
/// the same limits (see `crate::text`).
pub const MAX_LEN: usize = crate::text::MAX_CREDENTIAL_CHARS;
/// The longest label: it is a card title.
pub const MAX_LABEL_LEN: usize = crate::text::MAX_LABEL_CHARS;

/// One row of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Label,
    ApiKey,
    Secret,
    Passphrase,
    /// The account's user id, for exchanges whose keys need one.
    Uid,
    Region,
    CustomUrl,
    Testnet,
    Validate,
}

impl Field {
    const COUNT: usize = 9;

    fn index(self) -> usize {
        self as usize
    }

    /// The name shown left of the value, and in "… is required".
    pub fn name(self) -> &'static str {
        match self {
            Self::Label => "Label",
            Self::ApiKey => "API key",
            Self::Secret => "Secret",
            Self::Passphrase => "Passphrase",
            Self::Uid => "User ID",
            Self::Region => "Region",
            Self::CustomUrl => "Custom URL",
            Self::Testnet => "Testnet",
            Self::Validate => "Validate",
        }
    }

    /// Holds typed text.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Self::Label
                | Self::ApiKey
                | Self::Secret
                | Self::Passphrase
                | Self::Uid
                | Self::CustomUrl
        )
    }

    /// Shown masked unless revealed while focused.
    pub fn is_masked(self) -> bool {
        matches!(self, Self::ApiKey | Self::Secret | Self::Passphrase)
    }

    /// Belongs to the Advanced section.
    pub fn is_advanced(self) -> bool {
        matches!(self, Self::Region | Self::CustomUrl | Self::Testnet)
    }
}

/// Where the form stands.
#[derive(Debug, Clone, PartialEq)]
pub enum FormPhase {
    Editing,
    Validating,
    /// The exchange refused; the form stays editable.
    Failed(Failure),
    /// The key works but can withdraw: ask before saving.
    WithdrawWarning(AccountSnapshot),
    Saved {
        label: String,
        assets: usize,
        permissions: Option<Permissions>,
    },
}

/// What a key press asks of the caller.
#[derive(Debug)]
pub enum FormOutcome {
    Nothing,
    /// Close the form and store nothing (also: abort a running validation).
    Cancel,
    /// Validate this key, then save it.
    Submit(ConnectRequest),
    /// Save the key despite its withdraw permission.
    ConfirmWithdraw,
    /// The form is done: close it.
    Close,
}

/// What the caller validates and saves. Debug masks the credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectRequest {
    pub exchange: ExchangeId,
    pub label: String,
    pub creds: Credentials,
    pub endpoint: Endpoint,
}

/// The connection a form in replace mode gives a new key to (`Context::rotate`).
#[derive(Debug, Clone, PartialEq)]
pub struct Replacing {
    pub id: i64,
    /// The connection's label: shown in the title, kept as it is.
    pub label: String,
    /// The endpoint the form's Region, Custom URL and Testnet fields showed when it
    /// opened: a submit with these unchanged keeps the connection's stored endpoint.
    pub opened_endpoint: Endpoint,
}

/// The API-key form of one exchange.
pub struct KeyForm {
    exchange: ExchangeId,
    /// Replace mode: a new key for this connection, not a new connection.
    replacing: Option<Replacing>,
    labels_in_use: Vec<String>,
    phase: FormPhase,
    focus: Field,
    /// The focused field is shown in clear; reset whenever focus moves.
    revealed: bool,
    /// Every text field edits through tui-input (cursor, word moves and deletes). The
    /// masked ones start with room for their longest value, so they never reallocate
    /// (no stale copy of a key is left behind), never feed tui-input's kill buffer, and
    /// are overwritten in place when the form goes (see [`wipe`]).
    label: Input,
    api_key: Input,
    secret: Input,
    passphrase: Input,
    uid: Input,
    custom_url: Input,
    /// The most bytes a masked field ever held: how far [`wipe`] must overwrite.
    secret_high_water: usize,
    /// Index into [`KeyForm::regions`].
    region: usize,
    testnet: bool,
    /// One message per field, shown under it.
    errors: [Option<String>; Field::COUNT],
    spinner: usize,
    /// The key table the form's intent keys are looked up in.
    keys: Arc<KeyMap>,
}

impl fmt::Debug for KeyForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |s: &str| {
            if s.is_empty() {
                "empty"
            } else {
                "••••"
            }
        };
        f.debug_struct("KeyForm")
            .field("exchange", &self.exchange)
            .field("replacing", &self.replacing.as_ref().map(|r| r.id))
            .field("phase", &self.phase)
            .field("focus", &self.focus)
            .field("revealed", &self.revealed)
            .field("label", &self.label.value())
            .field("api_key", &set(self.api_key.value()))
            .field("secret", &set(self.secret.value()))
            .field("passphrase", &set(self.passphrase.value()))
            .field("custom_url", &self.custom_url.value())
            .field("region", &self.region_name())
            .field("testnet", &self.testnet)
            .finish()
    }
}

impl KeyForm {
    pub fn new(exchange: ExchangeId, labels_in_use: &[String]) -> Self {
        Self {
            exchange,
            replacing: None,
            labels_in_use: labels_in_use.to_vec(),
            phase: FormPhase::Editing,
            focus: Field::ApiKey,
            revealed: false,
            label: Input::new(crate::model::default_label(exchange, labels_in_use)),
            api_key: secret_input(),
            secret: secret_input(),
            passphrase: secret_input(),
            uid: Input::default(),
            custom_url: Input::default(),
            secret_high_water: 0,
            region: 0,
            testnet: false,
            errors: Default::default(),
            spinner: 0,
            keys: Arc::new(KeyMap::default()),
        }
    }

    /// The form in replace mode: a new key for connection `id` (its label is kept and not
    /// asked), the Region, Custom URL and Testnet fields showing where it syncs now.
    pub fn replace(exchange: ExchangeId, id: i64, label: &str, endpoint: &Endpoint) -> Self {
        let mut form = Self::new(exchange, &[]);
        form.label = Input::new(label.to_string());
        let regions = form.regions();
        match &endpoint.base_url {
            None => {}
            Some(url) => match regions
                .iter()
                .position(|r| r.base_url == Some(url.as_str()))
            {
                Some(i) => form.region = i,
                None => {
                    form.custom_url = Input::new(url.clone());
                    form.select_custom();
                }
            },
        }
        form.testnet = endpoint.sandbox;
        let opened_endpoint = Endpoint {
            base_url: form.shown_base_url(),
            sandbox: form.testnet,
        };
        form.replacing = Some(Replacing {
            id,
            label: label.to_string(),
            opened_endpoint,
        });
        form
    }

    /// Replace mode's connection, or `None` for a connect.
    pub fn replacing(&self) -> Option<&Replacing> {
        self.replacing.as_ref()
    }

    /// The base URL the Region and Custom URL fields name, unchecked.
    fn shown_base_url(&self) -> Option<String> {
        let region = self.region();
        if region.custom {
            Some(self.custom_url.value().trim().to_string()).filter(|u| !u.is_empty())
        } else {
            region.base_url.map(str::to_string)
        }
    }

    /// Reads the intent keys (next field, reveal, submit …) from this table.
    pub fn set_keys(&mut self, keys: Arc<KeyMap>) {
        self.keys = keys;
    }

    /// The key table the form reads, for its hint line.
    pub fn keys(&self) -> &KeyMap {
        &self.keys
    }

    pub fn exchange(&self) -> ExchangeId {
        self.exchange
    }

    pub fn phase(&self) -> &FormPhase {
        &self.phase
    }

    pub fn set_phase(&mut self, phase: FormPhase) {
        self.phase = phase;
    }

    pub fn focus(&self) -> Field {
        self.focus
    }

    /// Whether the focused field is shown in clear.
    pub fn revealed(&self) -> bool {
        self.revealed && self.focus.is_masked()
    }

    pub fn testnet(&self) -> bool {
        self.testnet
    }

    /// The spinner frame while validating.
    pub fn spinner(&self) -> usize {
        self.spinner
    }

    pub fn spinner_tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
    }

    /// The message under a field, if any.
    pub fn error(&self, field: Field) -> Option<&str> {
        self.errors[field.index()].as_deref()
    }

    /// Whether any field has a message.
    pub fn has_errors(&self) -> bool {
        self.errors.iter().any(Option::is_some)
    }

    fn text(&self, field: Field) -> &str {
        self.input(field).map_or("", Input::value)
    }

    fn input(&self, field: Field) -> Option<&Input> {
        match field {
            Field::Label => Some(&self.label),
            Field::ApiKey => Some(&self.api_key),
            Field::Secret => Some(&self.secret),
            Field::Passphrase => Some(&self.passphrase),
            Field::Uid => Some(&self.uid),
            Field::CustomUrl => Some(&self.custom_url),
            _ => None,
        }
    }

    /// Where the cursor stands in the focused text field, in characters, while editable.
    pub fn cursor(&self) -> Option<usize> {
        if !self.editable() {
            return None;
        }
        self.input(self.focus).map(Input::cursor)
    }

    fn input_mut(&mut self, field: Field) -> Option<&mut Input> {
        match field {
            Field::Label => Some(&mut self.label),
            Field::ApiKey => Some(&mut self.api_key),
            Field::Secret => Some(&mut self.secret),
            Field::Passphrase => Some(&mut self.passphrase),
            Field::Uid => Some(&mut self.uid),
            Field::CustomUrl => Some(&mut self.custom_url),
            _ => None,
        }
    }

    /// Whether a text field holds anything.
    pub fn is_empty(&self, field: Field) -> bool {
        self.text(field).is_empty()
    }

    /// How many characters a text field holds.
    pub fn char_count(&self, field: Field) -> usize {
        self.text(field).chars().count()
    }

    fn editable(&self) -> bool {
        matches!(self.phase, FormPhase::Editing | FormPhase::Failed(_))
    }
}
