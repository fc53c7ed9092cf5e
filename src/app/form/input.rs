//! Key presses and pastes in the key form: focus moves, intent keys from the key table,
//! and text editing of the focused field.

use super::mask::{delete_in_place, wipe};
use super::validate::clean_paste;
use super::{Field, FormOutcome, FormPhase, KeyForm, MAX_LABEL_LEN, MAX_LEN};
use crate::app::keys::{Context, Intent};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui_input::{Input, InputRequest};

impl KeyForm {
    pub(super) fn set_focus(&mut self, field: Field) {
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
}

fn limit(field: Field) -> usize {
    if field == Field::Label {
        MAX_LABEL_LEN
    } else {
        MAX_LEN
    }
}
