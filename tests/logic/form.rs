//! The API-key form: frame snapshots of every phase, hostile input, masking, focus order.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use keyfolio::app::form::{Field, FormOutcome, FormPhase, KeyForm};
use keyfolio::exchange::reveal;
use keyfolio::model::{AccountSnapshot, Balance, ExchangeId, Failure, FailureKind, Permissions};
use keyfolio::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Duration;

const SECRET: &str = "s3cr3tV4lueNobodyMaySee0xDEADBEEF";
const API_KEY: &str = "AKIAkeyfolioTESTKEY1234wxyz";

/// The form drawn alone, as text, one line per row.
fn frame_text(form: &KeyForm, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| keyfolio::ui::key_form::draw(f, form, Theme { color: true }))
        .unwrap();
    common::buffer_text(terminal.backend().buffer())
}

fn snap(name: &str, form: &KeyForm) {
    for (w, h) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), frame_text(form, w, h));
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn press(form: &mut KeyForm, code: KeyCode) -> FormOutcome {
    form.handle_key(key(code))
}

fn type_text(form: &mut KeyForm, text: &str) {
    for c in text.chars() {
        press(form, KeyCode::Char(c));
    }
}

fn focus(form: &mut KeyForm, field: Field) {
    for _ in 0..10 {
        if form.focus() == field {
            return;
        }
        press(form, KeyCode::Tab);
    }
    panic!("{field:?} not reachable");
}

fn binance() -> KeyForm {
    KeyForm::new(ExchangeId::Binance, &[])
}

fn okx() -> KeyForm {
    KeyForm::new(ExchangeId::Okx, &[])
}

/// A Binance form with a key and secret typed in, focus on Validate.
fn filled_binance() -> KeyForm {
    let mut form = binance();
    focus(&mut form, Field::ApiKey);
    type_text(&mut form, API_KEY);
    press(&mut form, KeyCode::Tab);
    type_text(&mut form, SECRET);
    focus(&mut form, Field::Validate);
    form
}

fn submit(form: &mut KeyForm) -> FormOutcome {
    focus(form, Field::Validate);
    press(form, KeyCode::Enter)
}

#[test]
fn empty_forms() {
    let form = binance();
    let text = frame_text(&form, 80, 24);
    for want in [
        "Connect Binance",
        "Label",
        "API key",
        "Secret",
        "binance.com",
        "Validate",
    ] {
        assert!(text.contains(want), "missing {want}:\n{text}");
    }
    assert!(!text.contains("Passphrase"), "{text}");
    snap("empty_binance", &form);

    let form = okx();
    let text = frame_text(&form, 80, 24);
    assert!(
        text.contains("Passphrase") && text.contains("Global (www.okx.com)"),
        "{text}"
    );
    snap("empty_okx", &form);
}

#[test]
fn typing_is_masked() {
    let mut form = okx();
    type_text(&mut form, API_KEY);
    press(&mut form, KeyCode::Tab);
    type_text(&mut form, SECRET);
    press(&mut form, KeyCode::Tab);
    type_text(&mut form, "my passphrase");
    let text = frame_text(&form, 80, 24);
    assert!(!text.contains(SECRET) && !text.contains("my passphrase"));
    assert!(
        !text.contains(API_KEY),
        "API key masked but its hint:\n{text}"
    );
    assert!(text.contains("wxyz"), "API key hint shown:\n{text}");
    snap("typing_masked", &form);
}

#[test]
fn revealed_field() {
    let mut form = binance();
    focus(&mut form, Field::Secret);
    type_text(&mut form, SECRET);
    form.handle_key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL));
    assert!(frame_text(&form, 80, 24).contains(SECRET));
    snap("revealed", &form);
    // F2 toggles too.
    press(&mut form, KeyCode::F(2));
    assert!(!frame_text(&form, 80, 24).contains(SECRET));
}

#[test]
fn secret_never_rendered_unless_revealed_and_focused() {
    let mut form = okx();
    focus(&mut form, Field::ApiKey);
    type_text(&mut form, API_KEY);
    press(&mut form, KeyCode::Tab);
    let mut frames = Vec::new();
    for c in SECRET.chars() {
        press(&mut form, KeyCode::Char(c));
        frames.push(frame_text(&form, 120, 40));
    }
    press(&mut form, KeyCode::Tab);
    type_text(&mut form, "passphrase-xyz");
    frames.push(frame_text(&form, 80, 24));
    for frame in &frames {
        assert!(!frame.contains(SECRET), "secret rendered:\n{frame}");
        assert!(!frame.contains("passphrase-xyz"), "passphrase rendered");
        assert!(!frame.contains(API_KEY), "api key rendered");
    }
    // Reveal the passphrase: only it shows, not the secret.
    press(&mut form, KeyCode::F(2));
    let text = frame_text(&form, 80, 24);
    assert!(text.contains("passphrase-xyz") && !text.contains(SECRET));
    // Back to the secret: the reveal ended when focus left.
    press(&mut form, KeyCode::BackTab);
    assert_eq!(form.focus(), Field::Secret);
    let text = frame_text(&form, 80, 24);
    assert!(!text.contains(SECRET) && !text.contains("passphrase-xyz"));
    press(&mut form, KeyCode::F(2));
    assert!(frame_text(&form, 120, 40).contains(SECRET));
    press(&mut form, KeyCode::Tab);
    assert!(
        !frame_text(&form, 120, 40).contains(SECRET),
        "hidden after Tab"
    );
    assert!(!form.revealed());

    // Debug never prints them, whatever the phase.
    press(&mut form, KeyCode::BackTab);
    press(&mut form, KeyCode::F(2));
    let debug = format!("{form:?}");
    for secret in [SECRET, "passphrase-xyz", API_KEY] {
        assert!(!debug.contains(secret), "{debug}");
    }
    let FormOutcome::Submit(request) = submit(&mut form) else {
        panic!("submit")
    };
    let debug = format!("{request:?} {:?}", FormOutcome::Submit(request.clone()));
    for secret in [SECRET, "passphrase-xyz", API_KEY] {
        assert!(!debug.contains(secret), "{debug}");
    }
    assert_eq!(reveal(&request.creds.secret), SECRET);
    for (w, h) in [(80, 24), (120, 40)] {
        assert!(!frame_text(&form, w, h).contains(SECRET), "validating");
    }
}

#[test]
fn label_defaults() {
    let form = binance();
    assert!(frame_text(&form, 80, 24).contains("Binance"));
    assert!(format!("{form:?}").contains("label: \"Binance\""));
    let label = |exchange, used: &[&str]| {
        let used: Vec<String> = used.iter().map(ToString::to_string).collect();
        keyfolio::model::default_label(exchange, &used)
    };
    assert_eq!(label(ExchangeId::Binance, &[]), "Binance");
    assert_eq!(label(ExchangeId::Binance, &["Binance"]), "Binance 2");
    assert_eq!(
        label(ExchangeId::Binance, &["Binance", "Binance 2"]),
        "Binance 3"
    );
    assert_eq!(label(ExchangeId::Okx, &["Binance"]), "OKX");
    assert_eq!(label(ExchangeId::Okx, &["okx", "OKX 3"]), "OKX 2");
    // The default label is what gets submitted.
    let mut form = KeyForm::new(ExchangeId::Binance, &["Binance".to_string()]);
    focus(&mut form, Field::ApiKey);
    type_text(&mut form, API_KEY);
    press(&mut form, KeyCode::Tab);
    type_text(&mut form, SECRET);
    let FormOutcome::Submit(request) = submit(&mut form) else {
        panic!("submit")
    };
    assert_eq!(request.label, "Binance 2");
}

#[test]
fn tab_order_and_keys() {
    let mut form = okx();
    let order = [
        Field::Label,
        Field::ApiKey,
        Field::Secret,
        Field::Passphrase,
        Field::Region,
        Field::CustomUrl,
        Field::Testnet,
        Field::Validate,
    ];
    assert_eq!(form.fields(), order);
    assert_eq!(form.focus(), Field::ApiKey, "the label is prefilled");
    focus(&mut form, Field::Label);
    for want in order.iter().skip(1).chain(&order[..1]) {
        press(&mut form, KeyCode::Tab);
        assert_eq!(form.focus(), *want);
    }
    for want in order.iter().rev() {
        press(&mut form, KeyCode::BackTab);
        assert_eq!(form.focus(), *want);
    }
    press(&mut form, KeyCode::Down);
    assert_eq!(form.focus(), Field::ApiKey);
    press(&mut form, KeyCode::Up);
    assert_eq!(form.focus(), Field::Label);
    // Enter on a field moves on.
    assert!(matches!(
        press(&mut form, KeyCode::Enter),
        FormOutcome::Nothing
    ));
    assert_eq!(form.focus(), Field::ApiKey);
    assert_eq!(binance().fields().len(), 7, "no passphrase for Binance");

    // Esc cancels while editing and while validating.
    assert!(matches!(
        press(&mut form, KeyCode::Esc),
        FormOutcome::Cancel
    ));
    let mut form = filled_binance();
    assert!(matches!(
        press(&mut form, KeyCode::Enter),
        FormOutcome::Submit(_)
    ));
    assert_eq!(form.phase(), &FormPhase::Validating);
    assert!(matches!(
        press(&mut form, KeyCode::Char('x')),
        FormOutcome::Nothing
    ));
    form.handle_paste("ignored");
    assert!(matches!(
        press(&mut form, KeyCode::Esc),
        FormOutcome::Cancel
    ));
}

#[test]
fn submit_builds_the_request() {
    let mut form = filled_binance();
    let FormOutcome::Submit(request) = press(&mut form, KeyCode::Enter) else {
        panic!("submit")
    };
    assert_eq!(request.exchange, ExchangeId::Binance);
    assert_eq!(request.label, "Binance");
    assert_eq!(reveal(&request.creds.api_key), API_KEY);
    assert!(request.creds.passphrase.is_none());
    assert_eq!(request.endpoint.base_url, None);
    assert!(!request.endpoint.sandbox);

    // OKX: region, testnet, passphrase.
    let mut form = okx();
    form.prefill(API_KEY, SECRET, Some("pass phrase"), None);
    focus(&mut form, Field::Region);
    press(&mut form, KeyCode::Right);
    assert_eq!(form.region().name, "EEA (eea.okx.com)");
    focus(&mut form, Field::Testnet);
    press(&mut form, KeyCode::Char(' '));
    let FormOutcome::Submit(request) = submit(&mut form) else {
        panic!("submit")
    };
    assert_eq!(
        request.endpoint.base_url.as_deref(),
        Some("https://eea.okx.com")
    );
    assert!(request.endpoint.sandbox);
    assert_eq!(
        request.creds.passphrase.as_ref().map(reveal),
        Some("pass phrase")
    );

    // Custom URL: prefill picks Custom; the trailing slash goes.
    let mut form = binance();
    form.prefill(
        API_KEY,
        SECRET,
        None,
        Some("http://127.0.0.1:8123/binance/"),
    );
    assert!(form.region().custom);
    let FormOutcome::Submit(request) = submit(&mut form) else {
        panic!("submit")
    };
    assert_eq!(
        request.endpoint.base_url.as_deref(),
        Some("http://127.0.0.1:8123/binance")
    );
    // Typing into the URL field picks Custom too.
    let mut form = binance();
    form.prefill(API_KEY, SECRET, None, None);
    focus(&mut form, Field::CustomUrl);
    type_text(&mut form, "https://proxy.example");
    assert!(form.region().custom);
}

#[test]
fn local_validation_errors() {
    let mut form = okx();
    focus(&mut form, Field::Label);
    form.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    focus(&mut form, Field::Region);
    press(&mut form, KeyCode::Left);
    assert!(form.region().custom);
    focus(&mut form, Field::CustomUrl);
    type_text(&mut form, "ftp://example.com");
    assert!(matches!(submit(&mut form), FormOutcome::Nothing));
    assert_eq!(form.phase(), &FormPhase::Editing);
    assert_eq!(form.error(Field::Label), Some("Label is required"));
    assert_eq!(form.error(Field::ApiKey), Some("API key is required"));
    assert_eq!(form.error(Field::Secret), Some("Secret is required"));
    assert_eq!(
        form.error(Field::Passphrase),
        Some("Passphrase is required")
    );
    assert_eq!(
        form.error(Field::CustomUrl),
        Some("Custom URL must start with http:// or https://")
    );
    assert_eq!(
        form.focus(),
        Field::Label,
        "focus goes to the first problem"
    );
    let text = frame_text(&form, 80, 24);
    assert!(text.contains("API key is required"), "{text}");
    snap("local_errors", &form);

    // The API key pasted into the secret field.
    let mut form = binance();
    form.prefill(API_KEY, API_KEY, None, None);
    assert!(matches!(submit(&mut form), FormOutcome::Nothing));
    assert!(form.error(Field::Secret).unwrap().contains("API key again"));
    // A label in use.
    let mut form = KeyForm::new(ExchangeId::Binance, &["Main".into()]);
    focus(&mut form, Field::Label);
    form.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    type_text(&mut form, "main");
    form.prefill(API_KEY, SECRET, None, None);
    assert!(matches!(submit(&mut form), FormOutcome::Nothing));
    assert!(form.error(Field::Label).unwrap().contains("already used"));
    // Fixing a field clears its message, and the next submit goes through.
    focus(&mut form, Field::Label);
    press(&mut form, KeyCode::Char('2'));
    assert_eq!(form.error(Field::Label), None);
    assert!(matches!(submit(&mut form), FormOutcome::Submit(_)));
}

/// What one paste into one field gives: the stored value or the message.
enum Want {
    Value(&'static str),
    Message(&'static str),
}

#[test]
fn hostile_input() {
    let big = "A".repeat(1 << 20);
    let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ0Jj4bRmO1GDNsE3JXoJcPJIKjsqKGu8oRCIvZIuWjx\n-----END PRIVATE KEY-----";
    let pem_paste = format!("\n  {pem}\r\n\n");
    let cases: Vec<(&str, Field, &str, Want)> = vec![
        ("empty", Field::ApiKey, "", Want::Value("")),
        ("whitespace only", Field::ApiKey, " \t\n ", Want::Value("")),
        (
            "surrounding newlines",
            Field::ApiKey,
            "\n  abcdEFGH1234\r\n",
            Want::Value("abcdEFGH1234"),
        ),
        (
            "newline inside a key",
            Field::ApiKey,
            "abcd\nEFGH",
            Want::Message("Refused: API key contains a line break"),
        ),
        (
            "escape sequence",
            Field::Secret,
            "\x1b[31mred",
            Want::Message("Refused: Secret contains an escape sequence"),
        ),
        (
            "control character",
            Field::Passphrase,
            "pass\x07word",
            Want::Message("Refused: Passphrase contains a control character (U+0007)"),
        ),
        (
            "tab inside",
            Field::Label,
            "My\tlabel",
            Want::Message("Refused: Label contains a tab"),
        ),
        (
            "1 MB paste",
            Field::Secret,
            &big,
            Want::Message(
                "Paste refused: 1048576 characters is too long for Secret (4096 at most)",
            ),
        ),
        (
            "non-ASCII label",
            Field::Label,
            " Épargne 💰 ",
            Want::Value("Épargne 💰"),
        ),
        (
            "non-ASCII key",
            Field::ApiKey,
            "“abcd”",
            Want::Message("Refused: API key contains ““”; keys are plain ASCII, copy it again"),
        ),
        (
            "PEM into secret",
            Field::Secret,
            &pem_paste,
            Want::Value(pem),
        ),
        (
            "PEM into API key",
            Field::ApiKey,
            pem,
            Want::Message("This looks like a private key; paste it into Secret"),
        ),
        (
            "URL with spaces around",
            Field::CustomUrl,
            "  http://127.0.0.1:9/binance \n",
            Want::Value("http://127.0.0.1:9/binance"),
        ),
    ];
    for (name, field, paste, want) in cases {
        let mut form = okx();
        focus(&mut form, field);
        if field == Field::Label {
            form.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        }
        form.handle_paste(paste);
        let _ = frame_text(&form, 80, 24);
        match want {
            Want::Value(value) => {
                assert_eq!(form.error(field), None, "{name}");
                form.handle_key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL));
                let shown = form.display(field);
                assert_eq!(shown, value.replace('\n', "⏎"), "{name}");
            }
            Want::Message(message) => {
                assert_eq!(form.error(field), Some(message), "{name}");
                assert!(form.is_empty(field), "{name}: nothing stored");
                let text = frame_text(&form, 120, 40);
                assert!(
                    text.contains(&message[..20.min(message.len())]),
                    "{name}:\n{text}"
                );
            }
        }
    }
}

#[test]
fn hostile_typing_and_limits() {
    let mut form = binance();
    focus(&mut form, Field::Secret);
    // Control characters cannot be typed; the field stays empty.
    press(&mut form, KeyCode::Char('\x1b'));
    assert!(form.is_empty(Field::Secret));
    // Up to the limit, then a message.
    form.handle_paste(&"x".repeat(4096));
    assert_eq!(form.char_count(Field::Secret), 4096);
    press(&mut form, KeyCode::Char('y'));
    assert_eq!(form.char_count(Field::Secret), 4096);
    assert_eq!(
        form.error(Field::Secret),
        Some("Secret is at most 4096 characters")
    );
    let _ = frame_text(&form, 80, 24);
    // A space typed inside a key is caught at submit.
    let mut form = binance();
    type_text(&mut form, "abc def");
    press(&mut form, KeyCode::Tab);
    type_text(&mut form, SECRET);
    assert!(matches!(submit(&mut form), FormOutcome::Nothing));
    assert!(form.error(Field::ApiKey).unwrap().contains("space"));
}

#[test]
fn key_type_is_recognised() {
    let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ0Jj4bRmO1GDNsE3JXoJcPJIKjsqKGu8oRCIvZIuWjx\n-----END PRIVATE KEY-----";
    let mut form = binance();
    focus(&mut form, Field::Secret);
    type_text(&mut form, SECRET);
    assert!(frame_text(&form, 80, 24).contains("Recognised: HMAC-SHA256 secret"));
    form.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    form.handle_paste(pem);
    let text = frame_text(&form, 80, 24);
    assert!(
        text.contains("Recognised: Ed25519 private key (PEM)"),
        "{text}"
    );
    assert!(!text.contains("MC4CAQAw"), "PEM masked:\n{text}");

    // A path to a .pem file is read at submit time.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.pem");
    std::fs::write(&path, format!("{pem}\n")).unwrap();
    let mut form = binance();
    form.prefill(API_KEY, path.to_str().unwrap(), None, None);
    assert!(form.secret_note().unwrap().contains("path to a PEM file"));
    let FormOutcome::Submit(request) = submit(&mut form) else {
        panic!("submit: {:?}", form.error(Field::Secret))
    };
    assert_eq!(reveal(&request.creds.secret), pem);
    assert_eq!(request.creds.key_type(), keyfolio::model::KeyType::Ed25519);
    // A missing file is named.
    let mut form = binance();
    form.prefill(API_KEY, "/nonexistent/key.pem", None, None);
    assert!(matches!(submit(&mut form), FormOutcome::Nothing));
    assert!(form.error(Field::Secret).unwrap().starts_with("No file at"));
    // OKX takes no PEM.
    let mut form = okx();
    form.prefill(API_KEY, pem, Some("pp"), None);
    assert!(matches!(submit(&mut form), FormOutcome::Nothing));
    assert!(form.error(Field::Secret).unwrap().contains("HMAC"));
}

#[test]
fn validating() {
    let mut form = filled_binance();
    assert!(matches!(
        press(&mut form, KeyCode::Enter),
        FormOutcome::Submit(_)
    ));
    let text = frame_text(&form, 80, 24);
    assert!(
        text.contains("◐ Checking the key with Binance…") && text.contains("Esc cancels"),
        "{text}"
    );
    form.spinner_tick();
    assert!(frame_text(&form, 80, 24).contains("◓ Checking"));
    snap("validating", &form);
}

#[test]
fn every_failure_kind() {
    for kind in FailureKind::ALL {
        let exchange = if kind == FailureKind::WrongPassphrase || kind == FailureKind::WrongRegion {
            ExchangeId::Okx
        } else {
            ExchangeId::Binance
        };
        let mut form = KeyForm::new(exchange, &[]);
        form.prefill(API_KEY, SECRET, Some("passphrase"), None);
        assert!(matches!(submit(&mut form), FormOutcome::Submit(_)));
        let mut failure = Failure::new(kind, format!("{} said no ({})", exchange, kind.code()));
        if kind == FailureKind::ClockSkew {
            failure.clock_offset_ms = Some(-1520);
        }
        if matches!(kind, FailureKind::RateLimited | FailureKind::Banned) {
            failure.retry_after = Some(Duration::from_secs(125));
        }
        form.set_phase(FormPhase::Failed(failure.clone()));
        let text = frame_text(&form, 80, 24);
        assert!(text.contains(kind.label()), "{kind:?}:\n{text}");
        assert!(text.contains(&failure.detail), "{kind:?}:\n{text}");
        let fix_start: String = kind.fix(exchange).chars().take(20).collect();
        assert!(text.contains(&fix_start), "{kind:?}:\n{text}");
        assert!(text.contains("Validate"), "{kind:?}: fields still there");
        if kind == FailureKind::ClockSkew {
            assert!(text.contains("-1520 ms"), "{text}");
        }
        if kind == FailureKind::Banned {
            assert!(text.contains("2m 5s"), "{text}");
        }
        assert!(!text.contains(SECRET));
        insta::assert_snapshot!(format!("failed_{}_80x24", kind.code()), text);

        // The form stays editable, and a retry submits again.
        focus(&mut form, Field::Secret);
        press(&mut form, KeyCode::Backspace);
        assert!(matches!(form.phase(), FormPhase::Failed(_)));
        assert!(matches!(submit(&mut form), FormOutcome::Submit(_)));
        assert_eq!(form.phase(), &FormPhase::Validating);
    }
}

fn snapshot(withdraw: bool) -> AccountSnapshot {
    AccountSnapshot {
        balances: vec![
            Balance {
                wallet: keyfolio::model::Wallet::Spot,
                asset: "BTC".into(),
                free: "1".into(),
                used: "0".into(),
                total: "1".into(),
                approximate: false,
            },
            Balance {
                wallet: keyfolio::model::Wallet::Spot,
                asset: "USDT".into(),
                free: "10".into(),
                used: "0".into(),
                total: "10".into(),
                approximate: false,
            },
        ],
        permissions: Some(Permissions {
            read: true,
            trade: true,
            withdraw,
            ip_restricted: false,
        }),
        account_id: None,
        ..Default::default()
    }
}

#[test]
fn withdraw_warning() {
    let mut form = filled_binance();
    assert!(matches!(
        press(&mut form, KeyCode::Enter),
        FormOutcome::Submit(_)
    ));
    form.set_phase(FormPhase::WithdrawWarning(snapshot(true)));
    let text = frame_text(&form, 80, 24);
    for want in [
        "can withdraw",
        "read-only",
        "read, trade, withdraw · any IP",
        "any IP",
        "save anyway",
        "go back",
    ] {
        assert!(text.contains(want), "missing {want}:\n{text}");
    }
    snap("withdraw_warning", &form);
    assert!(matches!(
        press(&mut form, KeyCode::Char('x')),
        FormOutcome::Nothing
    ));
    assert!(matches!(
        press(&mut form, KeyCode::Char('y')),
        FormOutcome::ConfirmWithdraw
    ));
    assert!(matches!(
        press(&mut form, KeyCode::Char('n')),
        FormOutcome::Nothing
    ));
    assert_eq!(form.phase(), &FormPhase::Editing);
    form.set_phase(FormPhase::WithdrawWarning(snapshot(true)));
    assert!(matches!(
        press(&mut form, KeyCode::Esc),
        FormOutcome::Nothing
    ));
    assert_eq!(form.phase(), &FormPhase::Editing);
}

#[test]
fn saved() {
    let mut form = filled_binance();
    form.set_phase(FormPhase::Saved {
        label: "Binance".into(),
        assets: 2,
        permissions: snapshot(false).permissions,
    });
    let text = frame_text(&form, 80, 24);
    assert!(
        text.contains("Connected Binance: 2 assets, permissions read, trade · any IP"),
        "{text}"
    );
    snap("saved", &form);
    assert!(matches!(
        press(&mut form, KeyCode::Char('q')),
        FormOutcome::Nothing
    ));
    assert!(matches!(
        press(&mut form, KeyCode::Enter),
        FormOutcome::Close
    ));
    assert!(matches!(press(&mut form, KeyCode::Esc), FormOutcome::Close));
}

#[test]
fn tiny_terminal_does_not_panic() {
    let mut form = okx();
    form.prefill(API_KEY, SECRET, Some("pp"), None);
    form.set_phase(FormPhase::Failed(Failure::new(
        FailureKind::InvalidKey,
        "x".repeat(500),
    )));
    for (w, h) in [(1, 1), (10, 5), (30, 10), (200, 3)] {
        let _ = frame_text(&form, w, h);
    }
    // A short terminal scrolls to the focused row.
    focus(&mut form, Field::Validate);
    let text = frame_text(&form, 80, 12);
    assert!(text.contains("[ Validate ]"), "{text}");
    focus(&mut form, Field::Label);
    let text = frame_text(&form, 80, 12);
    assert!(text.contains("▶ Label"), "{text}");
    // Local errors after a failure go back to Editing.
    focus(&mut form, Field::ApiKey);
    form.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    assert!(matches!(submit(&mut form), FormOutcome::Nothing));
    assert_eq!(form.phase(), &FormPhase::Editing);
}

fn chord(form: &mut KeyForm, code: KeyCode, modifiers: KeyModifiers) {
    form.handle_key(KeyEvent::new(code, modifiers));
}

#[test]
fn text_fields_edit_at_the_cursor() {
    let mut form = binance();
    focus(&mut form, Field::Label);
    assert_eq!(form.display(Field::Label), "Binance");
    press(&mut form, KeyCode::Home);
    type_text(&mut form, "My ");
    assert_eq!(form.display(Field::Label), "My Binance");
    assert_eq!(form.cursor(), Some(3));
    press(&mut form, KeyCode::End);
    type_text(&mut form, " spot");
    chord(&mut form, KeyCode::Char('b'), KeyModifiers::ALT);
    assert_eq!(form.cursor(), Some(11), "Alt-B: back a word");
    chord(&mut form, KeyCode::Char('w'), KeyModifiers::CONTROL);
    assert_eq!(
        form.display(Field::Label),
        "My spot",
        "Ctrl-W: the word before"
    );
    press(&mut form, KeyCode::Left);
    press(&mut form, KeyCode::Backspace);
    assert_eq!(form.display(Field::Label), "M spot");
    press(&mut form, KeyCode::Delete);
    assert_eq!(form.display(Field::Label), "Mspot");
    form.handle_paste("y");
    type_text(&mut form, " ");
    assert_eq!(
        form.display(Field::Label),
        "My spot",
        "paste lands at the cursor"
    );
    chord(&mut form, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(form.display(Field::Label), "", "Ctrl-U clears");
}

#[test]
fn masked_fields_edit_at_the_cursor_and_keep_nothing_to_yank() {
    let mut form = binance();
    focus(&mut form, Field::ApiKey);
    type_text(&mut form, API_KEY);
    focus(&mut form, Field::Secret);
    type_text(&mut form, "abcdef");
    press(&mut form, KeyCode::Left);
    press(&mut form, KeyCode::Left);
    type_text(&mut form, "X");
    assert_eq!(form.display(Field::Secret), "•••••••");
    press(&mut form, KeyCode::F(2));
    assert_eq!(form.display(Field::Secret), "abcdXef");
    chord(&mut form, KeyCode::Char('w'), KeyModifiers::CONTROL);
    assert_eq!(
        form.display(Field::Secret),
        "ef",
        "Ctrl-W deletes the word before"
    );
    chord(&mut form, KeyCode::Char('y'), KeyModifiers::CONTROL);
    assert_eq!(
        form.display(Field::Secret),
        "ef",
        "a key never reaches the kill buffer"
    );
    press(&mut form, KeyCode::End);
    chord(&mut form, KeyCode::Char('u'), KeyModifiers::CONTROL);
    chord(&mut form, KeyCode::Char('y'), KeyModifiers::CONTROL);
    assert_eq!(form.display(Field::Secret), "");
    type_text(&mut form, SECRET);
    let submitted = match submit(&mut form) {
        FormOutcome::Submit(request) => reveal(&request.creds.secret).to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(submitted, SECRET);
}

#[test]
fn the_terminal_cursor_stands_where_the_field_edits() {
    let mut form = binance();
    focus(&mut form, Field::Label);
    press(&mut form, KeyCode::Home);
    press(&mut form, KeyCode::Right);
    press(&mut form, KeyCode::Right);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal
        .draw(|f| keyfolio::ui::key_form::draw(f, &form, Theme { color: true }))
        .unwrap();
    let text = common::buffer_text(terminal.backend().buffer());
    let row = text.lines().position(|l| l.contains("Label")).unwrap();
    let line: Vec<char> = text.lines().nth(row).unwrap().chars().collect();
    let col = (0..line.len())
        .find(|&i| line[i..].starts_with(&['B', 'i', 'n']))
        .unwrap();
    let at = terminal.get_cursor_position().unwrap();
    assert_eq!(
        (at.x as usize, at.y as usize),
        (col + 2, row),
        "after \"Bi\""
    );
    snap("form_cursor_inside_a_field", &form);
}

#[test]
fn generic_exchanges_ask_for_their_own_credentials_in_their_words() {
    let coinbase = KeyForm::new(ExchangeId::parse("coinbase").unwrap(), &[]);
    let text = frame_text(&coinbase, 80, 24);
    assert!(
        text.contains("API key name")
            && text.contains("Private key")
            && !text.contains("Passphrase"),
        "{text}"
    );
    snap("empty_coinbase", &coinbase);
    let kucoin = KeyForm::new(ExchangeId::parse("kucoin").unwrap(), &[]);
    let text = frame_text(&kucoin, 80, 24);
    assert!(
        text.contains("Passphrase") && text.contains("Connect KuCoin"),
        "{text}"
    );
    snap("empty_kucoin", &kucoin);
}
