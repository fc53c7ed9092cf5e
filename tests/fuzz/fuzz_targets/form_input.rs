//! Fuzz target: the key form's input handling and paste. Bytes become a stream of key
//! presses and pastes; the form must never panic, and drawing it must never panic either.
#![no_main]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use keyfolio::app::form::KeyForm;
use keyfolio::model::ExchangeId;
use libfuzzer_sys::fuzz_target;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::cell::RefCell;

thread_local! {
    /// One terminal for the whole run: building it (two 60x16 buffers) per input cost more
    /// than the form itself. Each draw diffs against the previous input's frame.
    static TERMINAL: RefCell<Terminal<TestBackend>> =
        RefCell::new(Terminal::new(TestBackend::new(60, 16)).unwrap());
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, mut rest)) = data.split_first() else {
        return;
    };
    let exchange = if first % 2 == 0 {
        ExchangeId::Binance
    } else {
        ExchangeId::Okx
    };
    let mut form = KeyForm::new(exchange, &["Binance".to_string()]);
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
        let _ = match op % 17 {
            0 => {
                let n = rest.first().copied().unwrap_or(0) as usize;
                let take = n.min(rest.len().saturating_sub(1));
                let text =
                    String::from_utf8_lossy(&rest[1.min(rest.len())..1.min(rest.len()) + take])
                        .into_owned();
                rest = &rest[(1 + take).min(rest.len())..];
                form.handle_paste(&text);
                continue;
            }
            1 => form.handle_key(key(KeyCode::Tab)),
            2 => form.handle_key(key(KeyCode::BackTab)),
            3 => form.handle_key(key(KeyCode::Enter)),
            4 => form.handle_key(key(KeyCode::Backspace)),
            5 => form.handle_key(key(KeyCode::Esc)),
            6 => form.handle_key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)),
            7 => form.handle_key(key(KeyCode::Left)),
            8 => form.handle_key(key(KeyCode::Char(' '))),
            9 => form.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
            10 => form.handle_key(key(KeyCode::Up)),
            // Editing at the cursor (tui-input), in plain and masked fields.
            11 => form.handle_key(key(KeyCode::Delete)),
            12 => form.handle_key(key(KeyCode::Home)),
            13 => form.handle_key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL)),
            14 => form.handle_key(KeyEvent::new(KeyCode::Char('b'), KeyModifiers::ALT)),
            15 => form.handle_key(KeyEvent::new(KeyCode::Char('k'), KeyModifiers::CONTROL)),
            _ => {
                let c = rest.first().map_or('x', |&b| char::from(b));
                rest = rest.get(1..).unwrap_or(&[]);
                form.handle_key(key(KeyCode::Char(c)))
            }
        };
    }
    let _ = format!("{form:?}");
    TERMINAL.with_borrow_mut(|terminal| {
        terminal
            .draw(|f| {
                keyfolio::ui::key_form::draw(f, &form, keyfolio::ui::theme::Theme { color: false })
            })
            .unwrap();
    });
});
