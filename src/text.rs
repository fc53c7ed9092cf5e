//! Untrusted text: the checks where outside text enters, and the one sanitiser every
//! string passes on its way to the terminal.
//!
//! Text from outside (exchange answers, error bodies, OAuth provider answers, config,
//! labels, CLI input) is checked where it enters: asset codes must look like asset codes,
//! free text has control characters replaced by a visible marker and is cut to a sane
//! length, labels with control characters are refused. At the edge, the CLI's output and
//! every frame the TUI draws pass through [`for_terminal`] (or [`json_for_terminal`]), so
//! a string that slipped past the boundary still cannot drive the terminal.

use std::borrow::Cow;

/// What replaces a control character: visible, and harmless to every terminal.
pub const MARKER: char = '\u{FFFD}';

/// The longest exchange or provider message keyfolio keeps, in characters.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// The longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 64;

/// The longest credential field (API key, secret, passphrase, PEM), in characters; the
/// same for the form, environment variables, standard input and PEM files.
pub const MAX_CREDENTIAL_CHARS: usize = 4096;

/// The longest asset code, in characters.
pub const MAX_ASSET_CHARS: usize = 32;

/// Characters that can change what a terminal does or how text reads: C0 and C1 controls
/// (0x9b is a one-byte CSI), DEL, and the Unicode bidirectional controls that reorder
/// text (U+061C, U+200E/F, U+202A to U+202E, U+2066 to U+2069).
pub fn is_control_like(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// The edge: text about to be written to a terminal, with every control-like character
/// but the line feed replaced by [`MARKER`]. Borrowed when nothing needed replacing.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_control_like(c)) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c != '\n' && is_control_like(c) {
                    MARKER
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// The edge for JSON: serde_json escapes C0 controls but writes DEL, C1 controls and the
/// bidi controls raw. They can only stand inside strings, so escaping them as `\uXXXX`
/// keeps the document the same value and keeps the terminal safe.
pub fn json_for_terminal(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c != '\n' && is_control_like(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The boundary for free text (exchange messages, provider error descriptions): line
/// breaks and tabs become spaces, other control-like characters [`MARKER`], and the text
/// is cut to `max_chars` (an ellipsis says it was cut).
pub fn free_text(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    for (count, c) in text.chars().enumerate() {
        if count == max_chars {
            out.pop();
            out.push('…');
            break;
        }
        out.push(match c {
            '\n' | '\r' | '\t' => ' ',
            c if is_control_like(c) => MARKER,
            c => c,
        });
    }
    out
}

/// The boundary for asset codes: 1 to [`MAX_ASSET_CHARS`] characters, each a letter or
/// digit of any script (Binance lists assets named in Chinese) or one of `.`, `_`, `-`.
/// The error never repeats the code itself.
pub fn check_asset_code(code: &str) -> Result<(), String> {
    let count = code.chars().count();
    if count == 0 {
        return Err("an empty asset code".into());
    }
    if count > MAX_ASSET_CHARS {
        return Err(format!(
            "an asset code of {count} characters (at most {MAX_ASSET_CHARS})"
        ));
    }
    match code
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        Some(c) => Err(format!("an asset code containing {}", describe_char(c))),
        None => Ok(()),
    }
}

/// The boundary for labels: at most [`MAX_LABEL_CHARS`] characters, no control-like one.
pub fn check_label(label: &str) -> Result<(), String> {
    if let Some(c) = label.chars().find(|&c| is_control_like(c)) {
        return Err(format!(
            "a label may not contain {}; use letters, digits, spaces and punctuation",
            describe_char(c)
        ));
    }
    let count = label.chars().count();
    if count > MAX_LABEL_CHARS {
        return Err(format!(
            "a label is at most {MAX_LABEL_CHARS} characters (this one has {count})"
        ));
    }
    Ok(())
}

/// The boundary for a credential from the CLI (environment, standard input, PEM file):
/// at most [`MAX_CREDENTIAL_CHARS`], plain ASCII, no control character but line breaks
/// where the field may hold a PEM block (`multiline`). The error names the field, never
/// its content.
pub fn check_credential(name: &str, value: &str, multiline: bool) -> Result<(), String> {
    let count = value.chars().count();
    if count > MAX_CREDENTIAL_CHARS {
        return Err(format!(
            "{name} is {count} characters long; credentials are at most {MAX_CREDENTIAL_CHARS}"
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|&c| is_control_like(c) && !(multiline && matches!(c, '\n' | '\r')))
    {
        return Err(format!("{name} contains {}", describe_char(c)));
    }
    if !value.is_ascii() {
        return Err(format!(
            "{name} contains a character that is not plain ASCII; keys are plain ASCII, copy it again"
        ));
    }
    Ok(())
}

/// A character named for a message, without writing it: "an escape character (U+001B)".
pub fn describe_char(c: char) -> String {
    match c {
        '\n' | '\r' => "a line break".into(),
        '\t' => "a tab".into(),
        '\x1b' => "an escape character (U+001B)".into(),
        c if is_control_like(c) && !c.is_control() => {
            format!("a bidirectional control (U+{:04X})", c as u32)
        }
        c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
        c => format!("“{c}”"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str =
        "\u{1b}]0;pwned\u{7}\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31m\u{202e}EVIL\u{7f}";

    fn clean(text: &str) -> bool {
        !text.chars().any(|c| c != '\n' && is_control_like(c))
    }

    #[test]
    fn the_edge_replaces_every_control_and_keeps_lines() {
        let out = for_terminal(HOSTILE);
        assert!(clean(&out), "{out:?}");
        assert!(out.contains("pwned") && out.contains("EVIL"));
        assert_eq!(out.chars().filter(|&c| c == MARKER).count(), 8);
        assert_eq!(for_terminal("a\nb"), "a\nb");
        assert!(matches!(for_terminal("plain BTC"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escapes_what_serde_json_leaves_raw() {
        let json = serde_json::to_string_pretty(&serde_json::json!({ "asset": HOSTILE })).unwrap();
        assert!(!clean(&json), "serde_json writes C1, DEL and bidi raw");
        let safe = json_for_terminal(&json);
        assert!(clean(&safe), "{safe:?}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["asset"], HOSTILE, "the same value");
    }

    #[test]
    fn free_text_is_marked_and_cut() {
        let out = free_text(HOSTILE, 300);
        assert!(clean(&out));
        assert!(!out.contains('\n'));
        assert_eq!(free_text("line\none", 300), "line one");
        let long = free_text(&"x".repeat(1000), 10);
        assert_eq!(long.chars().count(), 10);
        assert!(long.ends_with('…'));
        assert_eq!(free_text("exactly10!", 10), "exactly10!");
    }

    #[test]
    fn asset_codes_are_letters_digits_and_dot_dash_underscore() {
        for ok in [
            "BTC",
            "USDT",
            "1000SATS",
            "LD-BTC",
            "BTC.b",
            "币安人生",
            "USDC_E",
        ] {
            assert_eq!(check_asset_code(ok), Ok(()), "{ok}");
        }
        for bad in [
            HOSTILE,
            "",
            "BTC USD",
            "A\u{202e}B",
            &"X".repeat(33),
            "BTC\u{9b}",
        ] {
            let err = check_asset_code(bad).unwrap_err();
            assert!(clean(&err) && !err.contains("pwned"), "{err}");
        }
    }

    #[test]
    fn credentials_are_short_ascii_and_free_of_controls() {
        assert!(check_credential("the API key", "abcDEF123", false).is_ok());
        let pem =
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----";
        assert!(check_credential("the secret", pem, true).is_ok());
        assert!(check_credential("the secret", "a\u{1b}[2J", true).is_err());
        let long = "k".repeat(MAX_CREDENTIAL_CHARS + 1);
        let err = check_credential("the API key", &long, false).unwrap_err();
        assert!(err.contains("at most 4096"), "{err}");
        let err = check_credential("the API key", "a\nb", false).unwrap_err();
        assert!(err.contains("line break"), "{err}");
        let err = check_credential("the secret", "s3cr\u{e9}t", true).unwrap_err();
        assert!(!err.contains('\u{e9}'), "never repeats the secret: {err}");
    }

    #[test]
    fn labels_refuse_controls_and_length() {
        assert!(check_label("Main account · spot").is_ok());
        assert!(
            check_label("a\u{1b}]0;x\u{7}b")
                .unwrap_err()
                .contains("escape")
        );
        assert!(
            check_label("a\u{202e}b")
                .unwrap_err()
                .contains("bidirectional")
        );
        assert!(check_label(&"x".repeat(65)).is_err());
    }
}
