//! The API-key connect form: its fields, focus, masking, local checks and phases. No I/O
//! except reading a `.pem` file named in the secret field at submit time.

use crate::app::keys::{Context, Intent, KeyMap};
use crate::model::{
    AccountSnapshot, Credentials, Endpoint, ExchangeId, Failure, KeyType, Permissions,
};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use std::fmt;
use std::sync::Arc;
use tui_input::{Input, InputRequest};
use zeroize::Zeroizing;

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

/// One choice of the Region field: its name and base URL (`None`: the exchange default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub name: &'static str,
    pub base_url: Option<&'static str>,
    pub custom: bool,
}

/// A base URL the trader types: a proxy, a regional host, the simulator.
const CUSTOM_URL: Region = Region {
    name: "Custom URL",
    base_url: None,
    custom: true,
};

const BINANCE_REGIONS: &[Region] = &[
    Region {
        name: "binance.com",
        base_url: None,
        custom: false,
    },
    CUSTOM_URL,
];

/// Other exchanges: their own API host, or a custom URL (a proxy, the simulator).
const GENERIC_REGIONS: &[Region] = &[
    Region {
        name: "The exchange's API",
        base_url: None,
        custom: false,
    },
    CUSTOM_URL,
];

const OKX_REGIONS: &[Region] = &[
    Region {
        name: "Global (www.okx.com)",
        base_url: Some("https://www.okx.com"),
        custom: false,
    },
    Region {
        name: "EEA (eea.okx.com)",
        base_url: Some("https://eea.okx.com"),
        custom: false,
    },
    Region {
        name: "US (us.okx.com)",
        base_url: Some("https://us.okx.com"),
        custom: false,
    },
    CUSTOM_URL,
];

/// The label a new connection gets: "Binance", then "Binance 2", "Binance 3" …
pub fn default_label(exchange: ExchangeId, labels_in_use: &[String]) -> String {
    let taken = |l: &str| {
        labels_in_use
            .iter()
            .any(|u| u.trim().eq_ignore_ascii_case(l))
    };
    let name = exchange.name();
    if !taken(name) {
        return name.to_string();
    }
    (2..)
        .map(|n| format!("{name} {n}"))
        .find(|l| !taken(l))
        .expect("some number is free")
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
            label: Input::new(default_label(exchange, labels_in_use)),
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

    /// The rows of this exchange's form, in focus order.
    pub fn fields(&self) -> Vec<Field> {
        // Replace mode keeps the connection's label: it is in the title, not asked.
        let mut fields = if self.replacing.is_some() {
            vec![Field::ApiKey, Field::Secret]
        } else {
            vec![Field::Label, Field::ApiKey, Field::Secret]
        };
        if self.exchange.needs_passphrase() {
            fields.push(Field::Passphrase);
        }
        if self.exchange.needs_uid() {
            fields.push(Field::Uid);
        }
        fields.extend([
            Field::Region,
            Field::CustomUrl,
            Field::Testnet,
            Field::Validate,
        ]);
        fields
    }

    /// A field's name in this exchange's words ("API key name" and "Private key" for
    /// Coinbase, "Passphrase" for OKX).
    pub fn label(&self, field: Field) -> &'static str {
        use crate::model::CredentialField as C;
        let credential = match field {
            Field::ApiKey => C::ApiKey,
            Field::Secret => C::Secret,
            Field::Passphrase => C::Password,
            Field::Uid => C::Uid,
            _ => return field.name(),
        };
        credential.word(self.exchange)
    }

    pub fn focus(&self) -> Field {
        self.focus
    }

    /// Whether the focused field is shown in clear.
    pub fn revealed(&self) -> bool {
        self.revealed && self.focus.is_masked()
    }

    pub fn regions(&self) -> &'static [Region] {
        match self.exchange {
            ExchangeId::Binance => BINANCE_REGIONS,
            ExchangeId::Okx => OKX_REGIONS,
            ExchangeId::Ccxt(_) | ExchangeId::Absent(_) => GENERIC_REGIONS,
        }
    }

    pub fn region(&self) -> Region {
        self.regions()[self.region]
    }

    fn region_name(&self) -> &'static str {
        self.region().name
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

    /// A field's value as the screen may show it: masked unless it is the focused,
    /// revealed field. The API key keeps its last four characters; a PEM shows its
    /// line breaks as `⏎`.
    pub fn display(&self, field: Field) -> String {
        let text = self.text(field);
        if !field.is_masked() || (self.revealed && self.focus == field) {
            return text.replace('\n', "⏎");
        }
        let count = text.chars().count();
        if field == Field::ApiKey && count > 8 {
            let hint = crate::model::key_hint(text);
            return format!("{}{hint}", "•".repeat(count - 4));
        }
        "•".repeat(count)
    }

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

    fn set_focus(&mut self, field: Field) {
        if field != self.focus {
            self.revealed = false;
            self.focus = field;
        }
    }

    fn move_focus(&mut self, forward: bool) {
        let fields = self.fields();
        let at = fields.iter().position(|f| *f == self.focus).unwrap_or(0);
        let next = if forward {
            (at + 1) % fields.len()
        } else {
            (at + fields.len() - 1) % fields.len()
        };
        self.set_focus(fields[next]);
    }

    fn editable(&self) -> bool {
        matches!(self.phase, FormPhase::Editing | FormPhase::Failed(_))
    }

    /// Handles one key; Esc while Validating returns Cancel too (the caller aborts the task).
    pub fn handle_key(&mut self, key: KeyEvent) -> FormOutcome {
        let intent = self.intent_of(&key);
        match &self.phase {
            FormPhase::Validating => {
                if intent == Some(Intent::Cancel) {
                    self.phase = FormPhase::Editing;
                    return FormOutcome::Cancel;
                }
                return FormOutcome::Nothing;
            }
            FormPhase::WithdrawWarning(_) => {
                return match intent {
                    Some(Intent::SaveAnyway) => FormOutcome::ConfirmWithdraw,
                    Some(Intent::GoBack | Intent::Cancel) => {
                        self.phase = FormPhase::Editing;
                        FormOutcome::Nothing
                    }
                    _ => FormOutcome::Nothing,
                };
            }
            FormPhase::Saved { .. } => {
                return match intent {
                    Some(Intent::Submit | Intent::Cancel) => FormOutcome::Close,
                    _ => FormOutcome::Nothing,
                };
            }
            FormPhase::Editing | FormPhase::Failed(_) => {}
        }
        // Intent keys from the key table; anything else edits the focused text field.
        match intent {
            Some(Intent::Cancel) => return FormOutcome::Cancel,
            Some(Intent::NextField) => self.move_focus(true),
            Some(Intent::PrevField) => self.move_focus(false),
            Some(Intent::Reveal) => self.revealed = !self.revealed,
            Some(Intent::Submit) => {
                if self.focus == Field::Validate {
                    return self.submit();
                }
                self.move_focus(true);
            }
            Some(Intent::CyclePrev | Intent::CycleNext) if self.focus == Field::Region => {
                self.cycle_region(intent == Some(Intent::CycleNext));
            }
            Some(Intent::Toggle) if self.focus == Field::Region => self.cycle_region(true),
            Some(Intent::Toggle) if self.focus == Field::Testnet => self.testnet = !self.testnet,
            Some(Intent::Toggle) if self.focus == Field::Validate => return self.submit(),
            Some(Intent::ClearField) if self.focus.is_text() => {
                let field = self.focus;
                if let Some(input) = self.input_mut(field) {
                    delete_in_place(input, InputRequest::DeleteLine);
                }
                self.errors[field.index()] = None;
            }
            _ => self.edit_key(key),
        }
        FormOutcome::Nothing
    }

    /// The form's intent of a key press. In a text field a plain character is typed,
    /// whatever the table says (Space types a space there, `y` a `y`).
    fn intent_of(&self, key: &KeyEvent) -> Option<Intent> {
        let plain_char = matches!(key.code, KeyCode::Char(_))
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let typing = plain_char && self.focus.is_text() && self.editable();
        if typing {
            return None;
        }
        self.keys.lookup(Context::Form, key)
    }

    /// Text editing of the focused field: keys the key table does not claim.
    fn edit_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Char(c) if !ctrl && !alt && self.focus.is_text() => self.type_char(c),
            _ if self.focus.is_text() => self.edit(key),
            _ => {}
        }
    }

    /// A text-editing key (Backspace, Delete, Left/Right, Home/End, Ctrl-A/E, Ctrl-W,
    /// Ctrl-U, Ctrl-K, Alt-B/F/D, Alt-Backspace) applied to the focused field at its
    /// cursor by tui-input. In a masked field, deletions go character by character, so
    /// no part of a key reaches tui-input's kill buffer, and Ctrl-Y has nothing to yank.
    fn edit(&mut self, key: KeyEvent) {
        let field = self.focus;
        let masked = field.is_masked();
        // Terminals send Alt-B as ESC b, which crossterm reads as ALT; tui-input's word
        // moves listen for META.
        let mut key = key;
        if key.modifiers.contains(KeyModifiers::ALT) && matches!(key.code, KeyCode::Char(_)) {
            key.modifiers = KeyModifiers::META;
        }
        let Some(request) = tui_input::backend::crossterm::to_input_request(&Event::Key(key))
        else {
            return;
        };
        let Some(input) = self.input_mut(field) else {
            return;
        };
        use InputRequest::*;
        let changed = match request {
            InsertChar(_) => false,
            Yank if masked => false,
            DeleteLine | DeleteFromStart | DeleteTillEnd | DeletePrevWord | DeleteNextWord
                if masked =>
            {
                delete_in_place(input, request);
                true
            }
            request => input.handle(request).is_some_and(|c| c.value),
        };
        if changed {
            self.errors[field.index()] = None;
        }
    }

    fn note_high_water(&mut self) {
        let longest = [&self.api_key, &self.secret, &self.passphrase]
            .iter()
            .map(|i| i.value().len())
            .max()
            .unwrap_or(0);
        self.secret_high_water = self.secret_high_water.max(longest);
    }

    fn cycle_region(&mut self, forward: bool) {
        let n = self.regions().len();
        self.region = if forward {
            (self.region + 1) % n
        } else {
            (self.region + n - 1) % n
        };
        self.errors[Field::CustomUrl.index()] = None;
    }

    fn type_char(&mut self, c: char) {
        let field = self.focus;
        let limit = limit(field);
        if crate::text::is_control_like(c) {
            return;
        }
        if self.char_count(field) >= limit {
            self.errors[field.index()] =
                Some(format!("{} is at most {limit} characters", field.name()));
            return;
        }
        if field == Field::CustomUrl {
            self.select_custom();
        }
        if let Some(input) = self.input_mut(field) {
            input.handle(InputRequest::InsertChar(c));
        }
        self.note_high_water();
        self.errors[field.index()] = None;
    }

    fn select_custom(&mut self) {
        if let Some(i) = self.regions().iter().position(|r| r.custom) {
            self.region = i;
        }
    }

    /// Inserts pasted text into the focused field, stripped; refuses control characters
    /// and absurd lengths with a message under the field.
    pub fn handle_paste(&mut self, text: &str) {
        if !self.editable() {
            return;
        }
        let field = self.focus;
        if !field.is_text() {
            return;
        }
        match clean_paste(field, text) {
            Err(message) => self.errors[field.index()] = Some(message),
            Ok(clean) => {
                let limit = limit(field);
                if self.char_count(field) + clean.chars().count() > limit {
                    self.errors[field.index()] =
                        Some(format!("{} is at most {limit} characters", field.name()));
                    return;
                }
                if field == Field::CustomUrl && !clean.is_empty() {
                    self.select_custom();
                }
                if let Some(input) = self.input_mut(field) {
                    for c in clean.chars() {
                        input.handle(InputRequest::InsertChar(c));
                    }
                }
                self.note_high_water();
                self.errors[field.index()] = None;
            }
        }
    }

    /// Prefill (demo helper): set api key / secret / passphrase / custom URL programmatically.
    pub fn prefill(
        &mut self,
        api_key: &str,
        secret: &str,
        passphrase: Option<&str>,
        base_url: Option<&str>,
    ) {
        let high_water = self.secret_high_water;
        let fill = |input: &mut Input, text: &str| {
            wipe(input, high_water);
            for c in text.chars() {
                input.handle(InputRequest::InsertChar(c));
            }
        };
        fill(&mut self.api_key, api_key);
        fill(&mut self.secret, secret);
        if let Some(p) = passphrase {
            fill(&mut self.passphrase, p);
        }
        self.note_high_water();
        if let Some(url) = base_url {
            self.custom_url = Input::new(url.to_string());
            self.select_custom();
        }
        self.errors = Default::default();
    }

    /// Checks every field; on success the caller validates the key with the exchange.
    fn submit(&mut self) -> FormOutcome {
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

    fn fail(&mut self, field: Field, message: impl Into<String>) {
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

    /// The secret as sent: the field itself, or the PEM file it names.
    fn resolve_secret(&mut self, secret: Zeroizing<String>) -> Option<Zeroizing<String>> {
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

fn limit(field: Field) -> usize {
    if field == Field::Label {
        MAX_LABEL_LEN
    } else {
        MAX_LEN
    }
}

/// A single-line value ending in `.pem`: a path to a key file.
fn is_pem_path(text: &str) -> bool {
    !text.contains('\n') && text.to_ascii_lowercase().ends_with(".pem")
}

/// Whether a secret field value is a PEM block (inner newlines allowed).
fn is_pem(text: &str) -> bool {
    text.contains("-----BEGIN")
}

/// A masked field: room for its longest value up front (4 bytes a character at most), so
/// typing and pasting never move it to a new allocation.
fn secret_input() -> Input {
    Input::new(String::with_capacity(MAX_LEN * 4))
}

/// A kill request done as single-character deletions, which tui-input does in place and
/// keeps out of its kill buffer.
fn delete_in_place(input: &mut Input, request: InputRequest) {
    use InputRequest::*;
    let cursor = input.cursor();
    let end = input.value().chars().count();
    let (backward, count) = match request {
        DeleteLine => {
            input.handle(GoToEnd);
            (true, end)
        }
        DeleteFromStart => (true, cursor),
        DeleteTillEnd => (false, end - cursor),
        DeletePrevWord | DeleteNextWord => {
            let word = if request == DeletePrevWord {
                GoToPrevWord
            } else {
                GoToNextWord
            };
            input.handle(word);
            let moved = input.cursor().abs_diff(cursor);
            input.handle(SetCursor(cursor));
            (request == DeletePrevWord, moved)
        }
        _ => return,
    };
    let step = if backward {
        DeletePrevChar
    } else {
        DeleteNextChar
    };
    for _ in 0..count {
        input.handle(step);
    }
}

/// Overwrites a masked field's allocation through tui-input's own edits (it lends out no
/// buffer): each character is replaced in place by NUL, then NULs fill up to
/// `high_water` bytes, the most it ever held, so neither the value nor bytes left by
/// earlier deletions survive. Then the field is emptied.
fn wipe(input: &mut Input, high_water: usize) {
    use InputRequest::*;
    let count = input.value().chars().count();
    input.handle(GoToStart);
    for _ in 0..count {
        input.handle(DeleteNextChar);
        input.handle(InsertChar('\0'));
    }
    let room = high_water
        .min(MAX_LEN * 4)
        .saturating_sub(input.value().len());
    for _ in 0..room {
        input.handle(InsertChar('\0'));
    }
    input.reset();
}

impl Drop for KeyForm {
    fn drop(&mut self) {
        let high_water = self.secret_high_water;
        wipe(&mut self.api_key, high_water);
        wipe(&mut self.secret, high_water);
        wipe(&mut self.passphrase, high_water);
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
