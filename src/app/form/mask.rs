//! The key form's masked fields: shown as bullets, edited in place so no copy of a key is
//! left behind, and wiped when the form goes.

use super::{Field, KeyForm, MAX_LEN};
use tui_input::{Input, InputRequest};

impl KeyForm {
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

    pub(super) fn note_high_water(&mut self) {
        let longest = [&self.api_key, &self.secret, &self.passphrase]
            .iter()
            .map(|i| i.value().len())
            .max()
            .unwrap_or(0);
        self.secret_high_water = self.secret_high_water.max(longest);
    }
}

/// A masked field: room for its longest value up front (4 bytes a character at most), so
/// typing and pasting never move it to a new allocation.
pub(super) fn secret_input() -> Input {
    Input::new(String::with_capacity(MAX_LEN * 4))
}

/// A kill request done as single-character deletions, which tui-input does in place and
/// keeps out of its kill buffer.
pub(super) fn delete_in_place(input: &mut Input, request: InputRequest) {
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
pub(super) fn wipe(input: &mut Input, high_water: usize) {
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
