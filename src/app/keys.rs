//! Key bindings: the one table every key press is looked up in, a context per screen.
//!
//! [`DEFAULTS`] is the built-in table; [`KeyMap`] is the table in use (the defaults with
//! `[keys]` of config.toml applied and checked). The help overlay, the status bar, every
//! window's hint line and README's key tables are all built from it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

pub use crate::config::KeyNames;
use std::fmt;

/// The screen or window a key press is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Context {
    Cards,
    Filter,
    Detail,
    Portfolio,
    Confirm,
    OAuth,
    Help,
    Form,
    Picker,
}

impl Context {
    pub const ALL: [Context; 9] = [
        Self::Cards,
        Self::Filter,
        Self::Detail,
        Self::Portfolio,
        Self::Confirm,
        Self::OAuth,
        Self::Help,
        Self::Form,
        Self::Picker,
    ];

    /// The heading of this context in help and README.
    pub fn title(self) -> &'static str {
        match self {
            Self::Cards => "Connections",
            Self::Filter => "Filter (after /)",
            Self::Detail => "Connection details",
            Self::Portfolio => "Portfolio",
            Self::Confirm => "Disconnect dialog",
            Self::OAuth => "OAuth sign-in window",
            Self::Help => "Help",
            Self::Form => "API-key form",
            Self::Picker => "Exchange picker (type to filter)",
        }
    }
}

/// What a key press means. One intent may appear in several contexts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Intent {
    Up,
    Down,
    First,
    Last,
    PageUp,
    PageDown,
    Filter,
    Open,
    Connect,
    Resync,
    ResyncAll,
    ReplaceKey,
    Disconnect,
    Reauthorize,
    Portfolio,
    Help,
    Back,
    Quit,
    Close,
    Confirm,
    Cancel,
    TogglePurge,
    SwitchFlow,
    SignIn,
    UseApiKey,
    Approve,
    Retry,
    KeepFilter,
    ClearFilter,
    NextField,
    PrevField,
    Reveal,
    Submit,
    Toggle,
    CyclePrev,
    CycleNext,
    ClearField,
    SaveAnyway,
    GoBack,
    SmallBalances,
}

impl Intent {
    /// The name used in config.toml's `[keys]`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::First => "first",
            Self::Last => "last",
            Self::PageUp => "page_up",
            Self::PageDown => "page_down",
            Self::Filter => "filter",
            Self::Open => "open",
            Self::Connect => "connect",
            Self::Resync => "resync",
            Self::ResyncAll => "resync_all",
            Self::ReplaceKey => "replace_key",
            Self::Disconnect => "disconnect",
            Self::Reauthorize => "reauthorize",
            Self::Portfolio => "portfolio",
            Self::Help => "help",
            Self::Back => "back",
            Self::Quit => "quit",
            Self::Close => "close",
            Self::Confirm => "confirm",
            Self::Cancel => "cancel",
            Self::TogglePurge => "toggle_history",
            Self::SwitchFlow => "switch_flow",
            Self::SignIn => "sign_in",
            Self::UseApiKey => "use_api_key",
            Self::Approve => "approve",
            Self::Retry => "retry",
            Self::KeepFilter => "keep_filter",
            Self::ClearFilter => "clear_filter",
            Self::NextField => "next_field",
            Self::PrevField => "previous_field",
            Self::Reveal => "reveal",
            Self::Submit => "submit",
            Self::Toggle => "toggle",
            Self::CyclePrev => "cycle_previous",
            Self::CycleNext => "cycle_next",
            Self::ClearField => "clear_field",
            Self::SaveAnyway => "save_anyway",
            Self::GoBack => "go_back",
            Self::SmallBalances => "small_balances",
        }
    }

    pub fn from_name(name: &str) -> Option<Intent> {
        DEFAULTS.iter().map(|d| d.intent).find(|i| i.name() == name)
    }
}

/// One key: a code and the Ctrl/Alt modifiers (Shift is part of the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn key(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

impl Key {
    /// Whether a key press is this key. Ctrl-letters match either case.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        let wanted = KeyModifiers::CONTROL | KeyModifiers::ALT;
        if event.modifiers & wanted != self.mods & wanted {
            return false;
        }
        match (self.code, event.code) {
            (KeyCode::Char(a), KeyCode::Char(b)) if !self.mods.is_empty() => {
                a.eq_ignore_ascii_case(&b)
            }
            (a, b) => a == b,
        }
    }

    /// Parses "r", "R", "Enter", "Esc", "Tab", "BackTab", "Up", "PageDown", "Home", "F2",
    /// "Space", "Ctrl-r", "Alt-x", "/".
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            if let Some(r) = strip_prefix_ci(rest, "ctrl-").or_else(|| strip_prefix_ci(rest, "c-"))
            {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = strip_prefix_ci(rest, "alt-") {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" | "shift-tab" => KeyCode::BackTab,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                f if f.starts_with('f') && f.len() > 1 => match f[1..].parse::<u8>() {
                    Ok(n @ 1..=12) => KeyCode::F(n),
                    _ => return Err(format!("unknown key name \"{text}\"")),
                },
                _ => return Err(format!("unknown key name \"{text}\"")),
            },
        };
        Ok(Key { code, mods })
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    (head.eq_ignore_ascii_case(prefix) && text.len() > prefix.len()).then(|| &text[prefix.len()..])
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if !self.mods.is_empty() => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other}"),
        }
    }
}

/// One row of the built-in table.
pub struct Row {
    pub context: Context,
    pub intent: Intent,
    pub keys: &'static [Key],
    /// Short word for hint lines and the status bar.
    pub short: &'static str,
    /// Sentence for the help overlay and README.
    pub help: &'static str,
    /// Shown in the hint line (the rest only in help).
    pub in_hints: bool,
}

macro_rules! row {
    ($ctx:ident, $intent:ident, [$($k:expr),*], $short:expr, $help:expr, $hint:expr) => {
        Row {
            context: Context::$ctx,
            intent: Intent::$intent,
            keys: &[$($k),*],
            short: $short,
            help: $help,
            in_hints: $hint,
        }
    };
}

use KeyCode as K;

/// The built-in key table.
#[rustfmt::skip]
pub const DEFAULTS: &[Row] = &[
    row!(Cards,     Up,            [key(K::Up), ch('k')],                                                "up",              "Select the previous card",                                      false),
    row!(Cards,     Down,          [key(K::Down), ch('j')],                                              "down",            "Select the next card",                                          false),
    row!(Cards,     First,         [ch('g'), key(K::Home)],                                              "first",           "Select the first card",                                         false),
    row!(Cards,     Last,          [ch('G'), key(K::End)],                                               "last",            "Select the last card",                                          false),
    row!(Cards,     PageUp,        [key(K::PageUp)],                                                     "page up",         "Move a page of cards up",                                       false),
    row!(Cards,     PageDown,      [key(K::PageDown)],                                                   "page down",       "Move a page of cards down",                                     false),
    row!(Cards,     Filter,        [ch('/')],                                                            "filter",          "Filter the cards by label or exchange",                         false),
    row!(Cards,     Open,          [key(K::Enter)],                                                      "open",            "Open the connection's details, or pick an exchange to connect", true),
    row!(Cards,     Connect,       [ch('c')],                                                            "connect",         "Pick an exchange to connect (API key or OAuth)",                true),
    row!(Cards,     Resync,        [ch('r')],                                                            "resync",          "Sync the selected connection now (clears a pause)",             true),
    row!(Cards,     ResyncAll,     [ch('R')],                                                            "resync all",      "Sync every connection now",                                     false),
    row!(Cards,     Disconnect,    [ch('d')],                                                            "disconnect",      "Disconnect the selected connection (asks first)",               true),
    row!(Cards,     Reauthorize,   [ch('a')],                                                            "sign in",         "Sign in again (an OAuth connection showing Reauthorize)",       false),
    row!(Cards,     Portfolio,     [ch('p')],                                                            "portfolio",       "Show balances totalled per asset",                              true),
    row!(Cards,     Help,          [ch('?')],                                                            "help",            "Show or hide this help",                                        true),
    row!(Cards,     Back,          [key(K::Esc)],                                                        "back",            "Clear the filter or the notice line",                           false),
    row!(Cards,     Quit,          [ch('q')],                                                            "quit",            "Quit (Ctrl-C always quits)",                                    true),
    row!(Filter,    ClearFilter,   [key(K::Esc)],                                                        "clear",           "Clear the filter and show every card",                          true),
    row!(Filter,    KeepFilter,    [key(K::Enter)],                                                      "keep",            "Keep the filter and go back to the cards",                      true),
    row!(Detail,    Resync,        [ch('r')],                                                            "resync",          "Sync this connection now",                                      true),
    row!(Detail,    ReplaceKey,    [ch('k')],                                                            "replace key",     "Replace this connection's API key (history kept)",              true),
    row!(Detail,    Close,         [key(K::Esc), ch('q')],                                               "close",           "Close the details",                                             true),
    row!(Portfolio, CyclePrev,     [key(K::Left)],                                                       "shorter range",   "Chart a shorter time range (24 h, 7 d, 30 d, all)",             false),
    row!(Portfolio, CycleNext,     [key(K::Right)],                                                      "range",           "Chart a longer time range",                                     true),
    row!(Portfolio, SmallBalances, [ch('s')],                                                            "small",           "Show or fold the assets worth less than `dust` (config.toml)",  true),
    row!(Portfolio, Close,         [key(K::Esc), ch('q')],                                               "close",           "Close the portfolio",                                           true),
    row!(Confirm,   Confirm,       [ch('y'), key(K::Enter)],                                             "disconnect",      "Disconnect",                                                    true),
    row!(Confirm,   TogglePurge,   [ch('h'), ch(' '), key(K::Tab)],                                      "history",         "Keep or delete the balance history",                            true),
    row!(Confirm,   Cancel,        [ch('n'), key(K::Esc), ch('q')],                                      "cancel",          "Keep the connection",                                           true),
    row!(OAuth,     SwitchFlow,    [key(K::Tab), key(K::Left), key(K::Right), key(K::Up), key(K::Down)], "switch",          "Choose browser or device sign-in",                              true),
    row!(OAuth,     SignIn,        [key(K::Enter)],                                                      "sign in",         "Start the sign-in",                                             true),
    row!(OAuth,     UseApiKey,     [ch('k')],                                                            "use an API key",  "Use an API key instead",                                        true),
    row!(OAuth,     Approve,       [ch('a')],                                                            "approve (demo)",  "Demo only: approve as the simulated exchange",                  true),
    row!(OAuth,     Retry,         [key(K::Enter)],                                                      "try again",       "Try a failed sign-in again",                                    true),
    row!(OAuth,     Cancel,        [key(K::Esc)],                                                        "cancel",          "Cancel the sign-in, or close the window",                       true),
    row!(Help,      Up,            [key(K::Up), ch('k')],                                                "up",              "Scroll the help up",                                            true),
    row!(Help,      Down,          [key(K::Down), ch('j')],                                              "more",            "Scroll the help down",                                          true),
    row!(Help,      Close,         [key(K::Esc), ch('?'), ch('q')],                                      "close",           "Close this help",                                               true),
    row!(Picker,    Up,            [key(K::Up)],                                                         "up",              "Move up the list",                                              false),
    row!(Picker,    Down,          [key(K::Down)],                                                       "down",            "Move down the list",                                            false),
    row!(Picker,    First,         [key(K::Home)],                                                       "first",           "Go to the first exchange",                                      false),
    row!(Picker,    Last,          [key(K::End)],                                                        "last",            "Go to the last exchange",                                       false),
    row!(Picker,    Open,          [key(K::Enter)],                                                      "connect",         "Connect the chosen exchange",                                   true),
    row!(Picker,    Close,         [key(K::Esc)],                                                        "close",           "Close the picker",                                              true),
    row!(Form,      NextField,     [key(K::Tab), key(K::Down)],                                          "next",            "Go to the next field",                                          true),
    row!(Form,      PrevField,     [key(K::BackTab), key(K::Up)],                                        "previous",        "Go to the previous field",                                      false),
    row!(Form,      Reveal,        [key(K::F(2)), ctrl('r')],                                            "reveal",          "Show or mask the focused secret field",                         true),
    row!(Form,      Submit,        [key(K::Enter)],                                                      "validate",        "Next field; on Validate, check the key with the exchange",      true),
    row!(Form,      Toggle,        [ch(' ')],                                                            "toggle",          "On Region, Testnet or Validate: change it or validate",         false),
    row!(Form,      CyclePrev,     [key(K::Left)],                                                       "previous region", "On Region: the previous one",                                   false),
    row!(Form,      CycleNext,     [key(K::Right)],                                                      "next region",     "On Region: the next one",                                       false),
    row!(Form,      ClearField,    [ctrl('u')],                                                          "clear",           "Clear the focused text field",                                  false),
    row!(Form,      Cancel,        [key(K::Esc)],                                                        "cancel",          "Close the form and save nothing (stops a running check)",       true),
    row!(Form,      SaveAnyway,    [ch('y'), ch('Y')],                                                   "save anyway",     "A key that can withdraw: save it anyway",                       true),
    row!(Form,      GoBack,        [ch('n'), ch('N')],                                                   "go back",         "A key that can withdraw: go back to the form",                  true),
];

/// One row of the table in use.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub context: Context,
    pub intent: Intent,
    pub keys: Vec<Key>,
    pub short: &'static str,
    pub help: &'static str,
    pub in_hints: bool,
}

impl Binding {
    /// Keys as shown to the trader, e.g. "↑/k".
    pub fn shown(&self) -> String {
        self.keys
            .iter()
            .map(Key::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// The key table in use: the defaults with config.toml's `[keys]` applied.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyMap {
    bindings: Vec<Binding>,
}

impl Default for KeyMap {
    fn default() -> Self {
        Self {
            bindings: DEFAULTS
                .iter()
                .map(|d| Binding {
                    context: d.context,
                    intent: d.intent,
                    keys: d.keys.to_vec(),
                    short: d.short,
                    help: d.help,
                    in_hints: d.in_hints,
                })
                .collect(),
        }
    }
}

impl KeyMap {
    /// The built-in key table with `config.toml`'s `[keys]` applied and checked.
    pub fn of_config(config: &crate::config::Config) -> anyhow::Result<Self> {
        Self::with_overrides(&config.keys).map_err(anyhow::Error::msg)
    }

    /// The defaults with `overrides` (intent name → keys) applied to every context the
    /// intent appears in. An unknown intent or key name is an error, and so are two
    /// intents of one context on one key (naming both).
    pub fn with_overrides(overrides: &BTreeMap<String, KeyNames>) -> Result<Self, String> {
        let mut map = Self::default();
        for (name, names) in overrides {
            let intent = Intent::from_name(name).ok_or_else(|| {
                format!(
                    "[keys]: unknown action \"{name}\" (known: {})",
                    known_names()
                )
            })?;
            let keys = names
                .names()
                .into_iter()
                .map(Key::parse)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("[keys] {name}: {e}"))?;
            if keys.is_empty() {
                return Err(format!("[keys] {name}: give at least one key"));
            }
            for b in map.bindings.iter_mut().filter(|b| b.intent == intent) {
                b.keys = keys.clone();
            }
        }
        map.check()?;
        Ok(map)
    }

    /// Two intents of one context on one key is an error naming both.
    pub fn check(&self) -> Result<(), String> {
        for (i, a) in self.bindings.iter().enumerate() {
            for b in &self.bindings[i + 1..] {
                if a.context != b.context || a.intent == b.intent || shared_phase(a, b) {
                    continue;
                }
                if let Some(k) = a.keys.iter().find(|k| b.keys.contains(k)) {
                    return Err(format!(
                        "[keys]: {k} is bound to both \"{}\" and \"{}\" in the {}",
                        a.intent.name(),
                        b.intent.name(),
                        a.context.title()
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    pub fn in_context(&self, context: Context) -> impl Iterator<Item = &Binding> {
        self.bindings.iter().filter(move |b| b.context == context)
    }

    pub fn binding(&self, context: Context, intent: Intent) -> Option<&Binding> {
        self.in_context(context).find(|b| b.intent == intent)
    }

    /// The keys of one intent as shown, e.g. "F2/Ctrl-R" (empty when unbound).
    pub fn shown(&self, context: Context, intent: Intent) -> String {
        self.binding(context, intent)
            .map(Binding::shown)
            .unwrap_or_default()
    }

    /// Looks a key press up in one context.
    pub fn lookup(&self, context: Context, event: &KeyEvent) -> Option<Intent> {
        self.in_context(context)
            .find(|b| b.keys.iter().any(|k| k.matches(event)))
            .map(|b| b.intent)
    }

    /// Looks a key press up among some intents of a context only (for windows whose
    /// steps read different keys, such as the OAuth window).
    pub fn lookup_among(
        &self,
        context: Context,
        intents: &[Intent],
        event: &KeyEvent,
    ) -> Option<Intent> {
        self.in_context(context)
            .filter(|b| intents.contains(&b.intent))
            .find(|b| b.keys.iter().any(|k| k.matches(event)))
            .map(|b| b.intent)
    }

    /// "Enter sign in  Esc cancel": the given intents of a context, as their keys and words.
    pub fn hint(&self, context: Context, intents: &[Intent]) -> String {
        intents
            .iter()
            .filter_map(|i| self.binding(context, *i))
            .map(|b| format!("{} {}", b.shown(), b.short))
            .collect::<Vec<_>>()
            .join("  ")
    }

    /// As [`KeyMap::hint`], with some words replaced (Esc "close" where it closes).
    pub fn hint_as(&self, context: Context, intents: &[(Intent, Option<&str>)]) -> String {
        intents
            .iter()
            .filter_map(|(i, word)| {
                let b = self.binding(context, *i)?;
                Some(format!("{} {}", b.shown(), word.unwrap_or(b.short)))
            })
            .collect::<Vec<_>>()
            .join("  ")
    }

    /// Every intent of a context marked for hints.
    pub fn context_hint(&self, context: Context) -> String {
        let intents: Vec<Intent> = self
            .in_context(context)
            .filter(|b| b.in_hints)
            .map(|b| b.intent)
            .collect();
        self.hint(context, &intents)
    }

    /// "Enter open  c connect  r resync ..." for the status bar; only the keys when narrow.
    pub fn status_bar_text(&self, width: u16) -> String {
        let full = self.context_hint(Context::Cards);
        if full.chars().count() <= width as usize {
            return full;
        }
        let keys: Vec<String> = self
            .in_context(Context::Cards)
            .filter(|b| b.in_hints)
            .map(Binding::shown)
            .collect();
        let help = self
            .binding(Context::Cards, Intent::Help)
            .map(Binding::shown)
            .unwrap_or_default();
        format!("{}  ({help} help)", keys.join(" "))
    }

    /// README's key tables, one per context, in Markdown, with each action's name for
    /// config.toml's `[keys]`.
    pub fn readme_tables(&self) -> String {
        let mut out = String::new();
        for context in Context::ALL {
            out.push_str(&format!(
                "**{}**\n\n| Key | Does | `[keys]` name |\n|---|---|---|\n",
                context.title()
            ));
            for b in self.in_context(context) {
                out.push_str(&format!(
                    "| {} | {} | `{}` |\n",
                    b.shown().replace('|', "\\|"),
                    b.help,
                    b.intent.name()
                ));
            }
            out.push('\n');
        }
        out
    }
}

/// Bindings of one context that are read at different steps and may share keys.
fn shared_phase(a: &Binding, b: &Binding) -> bool {
    use Intent::*;
    let pair =
        |x: Intent, y: Intent| (a.intent == x && b.intent == y) || (a.intent == y && b.intent == x);
    a.context == Context::OAuth && (pair(SignIn, Retry) || pair(UseApiKey, Approve))
}

fn known_names() -> String {
    let mut names: Vec<&str> = DEFAULTS.iter().map(|d| d.intent.name()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(", ")
}

/// Ctrl-C quits from anywhere, whatever is open.
pub fn is_force_quit(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c')
}
