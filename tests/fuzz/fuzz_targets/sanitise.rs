//! Fuzz target: the sanitiser's contract. Whatever the input, nothing control-like comes
//! out of the terminal edge (`for_terminal`, `json_for_terminal`, the frame pass) or the
//! boundary (`free_text`), and what the boundary checks accept holds no control either.
#![no_main]

use keyfolio::text;
use libfuzzer_sys::fuzz_target;

/// Written out here, not taken from keyfolio: C0 but the line feed, DEL, C1, bidi controls.
fn drives_a_terminal(c: char) -> bool {
    let n = c as u32;
    (n < 0x20 && c != '\n')
        || (0x7f..=0x9f).contains(&n)
        || (0x202a..=0x202e).contains(&n)
        || (0x2066..=0x2069).contains(&n)
        || matches!(n, 0x061c | 0x200e | 0x200f)
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let out = text::for_terminal(&input);
    assert!(!out.chars().any(drives_a_terminal), "for_terminal: {out:?}");
    assert_eq!(out.chars().count(), input.chars().count(), "one character for one");

    let json = serde_json::to_string_pretty(&serde_json::json!({ "text": input })).unwrap();
    let safe = text::json_for_terminal(&json);
    assert!(!safe.chars().any(drives_a_terminal), "json: {safe:?}");
    let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
    assert_eq!(back["text"].as_str(), Some(input.as_ref()), "the same value");

    let free = text::free_text(&input, 40);
    assert!(!free.chars().any(|c| drives_a_terminal(c) || c == '\n'), "free_text: {free:?}");
    assert!(free.chars().count() <= 40);

    if text::check_asset_code(&input).is_ok() {
        assert!(!input.chars().any(|c| drives_a_terminal(c) || c.is_whitespace()));
    }
    if text::check_label(&input).is_ok() {
        assert!(!input.chars().any(|c| drives_a_terminal(c) || c == '\n'));
    }

    let area = ratatui::layout::Rect::new(0, 0, 40, 3);
    let mut buffer = ratatui::buffer::Buffer::empty(area);
    buffer.set_string(0, 0, &input, ratatui::style::Style::default());
    buffer.set_string(0, 1, input.chars().rev().collect::<String>(), ratatui::style::Style::default());
    keyfolio::ui::sanitise(&mut buffer);
    for cell in &buffer.content {
        assert!(!cell.symbol().chars().any(drives_a_terminal), "cell: {:?}", cell.symbol());
    }
});
