//! `update` unit tests: key presses through the key table change the state as expected.

use crate::common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use keyfolio::app::action::{Action, Effect};
use keyfolio::app::state::{CardRef, ConfirmDisconnect, Help, Modal, State};
use keyfolio::app::update::update;
use keyfolio::model::{ConnectionRecord, ExchangeId};

fn press(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn with_connections() -> State {
    let mut s = state();
    s.set_connections(every_status());
    s
}

#[test]
fn arrows_and_vim_keys_move_within_bounds() {
    let mut s = with_connections();
    assert_eq!(s.selected, 0);
    press(&mut s, KeyCode::Up);
    assert_eq!(s.selected, 0, "stays on the first card");
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Down);
    assert_eq!(s.selected, 2);
    press(&mut s, KeyCode::Char('k'));
    assert_eq!(s.selected, 1);
    for _ in 0..20 {
        press(&mut s, KeyCode::Down);
    }
    assert_eq!(s.selected, s.card_count() - 1);
    assert_eq!(s.selected_card(), CardRef::Connect);
}

#[test]
fn help_opens_and_esc_closes_before_q_quits() {
    let mut s = with_connections();
    press(&mut s, KeyCode::Char('?'));
    assert_eq!(s.modal, Some(Modal::Help(Help::default())));
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.modal, None);
    assert!(!s.quit);
    press(&mut s, KeyCode::Char('q'));
    assert!(s.quit);
}

#[test]
fn ctrl_c_quits_even_with_a_window_open() {
    let mut s = with_connections();
    press(&mut s, KeyCode::Char('?'));
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert!(s.quit);
}

#[test]
fn enter_on_a_connection_loads_its_detail() {
    let mut s = with_connections();
    press(&mut s, KeyCode::Down);
    let effects = press(&mut s, KeyCode::Enter);
    assert_eq!(effects, vec![Effect::LoadDetail(2)]);
    assert!(matches!(&s.modal, Some(Modal::Detail(d)) if d.id == 2));
}

#[test]
fn resync_targets_the_selected_connection_and_r_all() {
    let mut s = with_connections();
    press(&mut s, KeyCode::Down);
    assert_eq!(
        press(&mut s, KeyCode::Char('r')),
        vec![Effect::Sync(vec![2])]
    );
    assert_eq!(
        press(&mut s, KeyCode::Char('R')),
        vec![Effect::Sync(vec![1, 2, 3, 4, 5, 6])]
    );
    s.selected = s.card_count() - 1;
    assert!(
        press(&mut s, KeyCode::Char('r')).is_empty(),
        "no resync on a Connect card"
    );
}

#[test]
fn disconnect_asks_first_and_can_purge() {
    let mut s = with_connections();
    assert!(press(&mut s, KeyCode::Char('d')).is_empty());
    assert_eq!(
        s.modal,
        Some(Modal::ConfirmDisconnect(ConfirmDisconnect {
            id: 1,
            purge: false
        }))
    );
    press(&mut s, KeyCode::Char(' '));
    assert_eq!(
        s.modal,
        Some(Modal::ConfirmDisconnect(ConfirmDisconnect {
            id: 1,
            purge: true
        }))
    );
    assert_eq!(
        press(&mut s, KeyCode::Char('y')),
        vec![Effect::Disconnect { id: 1, purge: true }]
    );
    assert_eq!(s.modal, None);
    press(&mut s, KeyCode::Char('d'));
    assert!(press(&mut s, KeyCode::Char('n')).is_empty());
    assert_eq!(s.modal, None, "n cancels");
}

#[test]
fn selection_follows_its_connection_when_the_list_changes() {
    let mut s = with_connections();
    s.selected = 3; // id 4
    let mut list = every_status();
    list.remove(0);
    s.set_connections(list);
    assert_eq!(s.selected_connection().map(|c| c.id), Some(4));
}

#[test]
fn ticks_move_the_clock_and_sync_results_update_state() {
    let mut s = with_connections();
    let later = now() + chrono::Duration::minutes(20);
    update(&mut s, Action::Tick(later));
    assert_eq!(s.now, later);
    update(&mut s, Action::SyncStarted(1));
    assert!(s.syncing.contains(&1));
    update(
        &mut s,
        Action::SyncFinished {
            id: 1,
            outcome: Err("exchange down".into()),
            record: None,
        },
    );
    assert!(!s.syncing.contains(&1));
    assert_eq!(
        s.notice.as_ref().map(|n| n.text.as_str()),
        Some("exchange down")
    );
}

/// The connection `id` of `state` as a sync that ended at `at` leaves it.
fn synced(state: &State, id: i64, at: chrono::DateTime<chrono::Utc>) -> Box<ConnectionRecord> {
    let mut c = state.connection(id).unwrap().clone();
    c.last_synced_at = Some(at);
    c.last_attempt_at = Some(at);
    c.next_sync_at = Some(at + chrono::Duration::minutes(5));
    Box::new(c)
}

fn finished(id: i64, record: Option<Box<ConnectionRecord>>) -> Action {
    Action::SyncFinished {
        id,
        outcome: Ok(()),
        record,
    }
}

#[test]
fn a_finished_sync_updates_its_card_from_the_event_and_the_list_is_read_now_and_then() {
    let mut s = with_connections();
    let mut lists = 0;
    // A steady stream: a sync ends every 100 ms for two minutes.
    for step in 1..=1200 {
        let at = now() + chrono::Duration::milliseconds(step * 100);
        update(&mut s, Action::Tick(at));
        let id = step % 5 + 1;
        let record = synced(&s, id, at);
        update(&mut s, Action::SyncStarted(id));
        let effects = update(&mut s, finished(id, Some(record)));
        lists += effects
            .iter()
            .filter(|e| **e == Effect::LoadConnections)
            .count();
        assert_eq!(s.connection(id).unwrap().last_synced_at, Some(at));
    }
    assert!(
        (4..=5).contains(&lists),
        "1,200 syncs in 2 minutes read the list {lists} times (once per 30 s)"
    );
    // A connection the list does not hold yet (connected by another process): read it.
    let mut stranger = synced(&s, 1, now());
    stranger.id = 99;
    let effects = update(&mut s, finished(99, Some(stranger)));
    assert!(effects.contains(&Effect::LoadConnections));
    assert!(s.connection(99).is_none(), "only the list adds connections");
    // No record (it could not be read back): read the list.
    let effects = update(&mut s, finished(1, None));
    assert!(effects.contains(&Effect::LoadConnections));
}

#[test]
fn a_list_read_before_a_sync_ended_does_not_undo_its_card() {
    let mut s = with_connections();
    let old_list = s.connections.clone();
    let at = now() + chrono::Duration::seconds(5);
    let record = synced(&s, 2, at);
    update(&mut s, finished(2, Some(record)));
    update(&mut s, Action::Connections(old_list.clone()));
    assert_eq!(s.connection(2).unwrap().last_synced_at, Some(at));
    // Anything else the list says still applies (here: a connection gone).
    let shorter: Vec<_> = old_list.into_iter().filter(|c| c.id != 3).collect();
    update(&mut s, Action::Connections(shorter));
    assert!(s.connection(3).is_none());
    assert_eq!(s.connection(2).unwrap().last_synced_at, Some(at));
}

#[test]
fn a_pasted_secret_never_shows_in_debug_output() {
    let action = Action::Paste(keyfolio::app::action::Pasted::new("s3cr3t-pasted-value"));
    let text = format!("{action:?}");
    assert!(!text.contains("s3cr3t"), "{text}");
    assert!(text.contains("19 chars"), "{text}");
}

#[test]
fn g_g_home_and_end_jump_to_the_first_and_last_card() {
    let mut s = with_connections();
    press(&mut s, KeyCode::Char('G'));
    assert_eq!(s.selected, s.card_count() - 1);
    press(&mut s, KeyCode::Char('g'));
    assert_eq!(s.selected, 0);
    press(&mut s, KeyCode::End);
    assert_eq!(s.selected, s.card_count() - 1);
    press(&mut s, KeyCode::Home);
    assert_eq!(s.selected, 0);
}

#[test]
fn page_keys_move_by_the_cards_that_fit() {
    let mut s = with_connections();
    update(
        &mut s,
        Action::Resize {
            width: 80,
            height: 24,
        },
    );
    let page = s.page_cards();
    assert_eq!(page, 5, "21 rows hold 5 connection cards");
    press(&mut s, KeyCode::PageDown);
    assert_eq!(s.selected, page);
    press(&mut s, KeyCode::PageDown);
    assert_eq!(s.selected, s.card_count() - 1, "stops at the last card");
    press(&mut s, KeyCode::PageUp);
    assert_eq!(s.selected, s.card_count() - 1 - page);
    press(&mut s, KeyCode::PageUp);
    assert_eq!(s.selected, 0);
}

fn mouse(kind: crossterm::event::MouseEventKind, row: u16) -> Action {
    Action::Mouse(crossterm::event::MouseEvent {
        kind,
        column: 10,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

#[test]
fn a_click_selects_the_card_under_it_and_the_wheel_scrolls() {
    use crossterm::event::{MouseButton, MouseEventKind};
    let mut s = with_connections();
    // Row 0 is the header; cards of 4 rows start at row 1: row 9 is the third card.
    update(&mut s, mouse(MouseEventKind::Down(MouseButton::Left), 9));
    assert_eq!(s.selected, 2);
    update(&mut s, mouse(MouseEventKind::Down(MouseButton::Left), 0));
    assert_eq!(s.selected, 2, "a click on the header selects nothing");
    update(&mut s, mouse(MouseEventKind::ScrollDown, 5));
    assert_eq!(s.selected, 3);
    update(&mut s, mouse(MouseEventKind::ScrollUp, 5));
    update(&mut s, mouse(MouseEventKind::ScrollUp, 5));
    assert_eq!(s.selected, 1);
    press(&mut s, KeyCode::Char('?'));
    update(&mut s, mouse(MouseEventKind::ScrollDown, 5));
    assert_eq!(
        s.selected, 1,
        "the wheel does not move cards under a window"
    );
}

fn type_text(s: &mut State, text: &str) {
    for c in text.chars() {
        press(s, KeyCode::Char(c));
    }
}

#[test]
fn slash_filters_cards_by_label_or_exchange() {
    let mut s = with_connections();
    let all = s.card_count();
    press(&mut s, KeyCode::Char('/'));
    type_text(&mut s, "okx");
    assert!(s.filter.as_ref().is_some_and(|f| f.editing));
    let shown = s.shown_connections();
    assert!(shown > 0 && shown < s.connections.len());
    for i in 0..shown {
        let CardRef::Connection(c) = s.card(i) else {
            panic!("connection cards come first");
        };
        assert_eq!(s.connections[c].exchange, ExchangeId::Okx);
    }
    assert!(!s.quit, "q typed into the filter does not quit");
    press(&mut s, KeyCode::Down);
    assert_eq!(s.selected, 1, "arrows still move while the filter is typed");
    press(&mut s, KeyCode::Char('k'));
    assert_eq!(
        s.selected, 0,
        "a typed k narrows the filter and selects the first card"
    );
    press(&mut s, KeyCode::Backspace);
    press(&mut s, KeyCode::Backspace);
    press(&mut s, KeyCode::Backspace);
    press(&mut s, KeyCode::Backspace);
    type_text(&mut s, "MAIN");
    assert_eq!(s.shown_connections(), 1, "labels match in any case");
    press(&mut s, KeyCode::Enter);
    assert_eq!(
        s.filter.as_ref().map(|f| (f.text.as_str(), f.editing)),
        Some(("MAIN", false)),
        "Enter keeps the filter"
    );
    assert_eq!(
        press(&mut s, KeyCode::Char('r')),
        vec![Effect::Sync(vec![1])],
        "keys act on the filtered cards"
    );
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.filter, None, "Esc clears a kept filter");
    assert_eq!(s.card_count(), all);
    press(&mut s, KeyCode::Char('/'));
    type_text(&mut s, "zzz");
    assert_eq!(s.shown_connections(), 0);
    assert_eq!(s.card_count(), 1, "the Connect card always shows");
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.filter, None, "Esc while typing clears it");
    assert_eq!(s.card_count(), all);
}

#[test]
fn h_toggles_history_in_the_disconnect_dialog_and_q_cancels() {
    let mut s = with_connections();
    press(&mut s, KeyCode::Char('d'));
    press(&mut s, KeyCode::Char('h'));
    assert_eq!(
        s.modal,
        Some(Modal::ConfirmDisconnect(ConfirmDisconnect {
            id: 1,
            purge: true
        }))
    );
    press(&mut s, KeyCode::Tab);
    assert_eq!(
        s.modal,
        Some(Modal::ConfirmDisconnect(ConfirmDisconnect {
            id: 1,
            purge: false
        }))
    );
    assert!(press(&mut s, KeyCode::Char('q')).is_empty());
    assert_eq!(s.modal, None);
    assert!(!s.quit);
}

#[test]
fn windows_read_their_own_context() {
    let mut s = with_connections();
    press(&mut s, KeyCode::Enter);
    assert_eq!(
        press(&mut s, KeyCode::Char('r')),
        vec![Effect::Sync(vec![1])]
    );
    assert!(press(&mut s, KeyCode::Char('d')).is_empty());
    assert!(
        matches!(s.modal, Some(Modal::Detail(_))),
        "d does nothing in details"
    );
    press(&mut s, KeyCode::Char('q'));
    assert_eq!(s.modal, None);
    press(&mut s, KeyCode::Char('p'));
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.modal, None);
    press(&mut s, KeyCode::Char('?'));
    press(&mut s, KeyCode::Char('?'));
    assert_eq!(s.modal, None, "? closes help");
    assert!(!s.quit);
}

#[test]
fn remapped_keys_drive_update() {
    use keyfolio::app::keys::{KeyMap, KeyNames};
    let mut s = with_connections();
    let mut overrides = std::collections::BTreeMap::new();
    overrides.insert("resync".to_string(), KeyNames::One("s".into()));
    s.keys = std::sync::Arc::new(KeyMap::with_overrides(&overrides).unwrap());
    assert!(press(&mut s, KeyCode::Char('r')).is_empty());
    assert_eq!(
        press(&mut s, KeyCode::Char('s')),
        vec![Effect::Sync(vec![1])]
    );
}

#[test]
fn the_form_reads_its_intent_keys_from_the_table() {
    let mut s = with_connections();
    s.selected = s.card_count() - 1; // the Connect card: Enter opens the picker
    press(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Enter); // Binance, first in the picker
    let form = s.form.as_ref().expect("the API-key form opened");
    assert_eq!(form.focus(), keyfolio::app::form::Field::ApiKey);
    type_text(&mut s, "abc");
    press(&mut s, KeyCode::F(2));
    assert!(s.form.as_ref().unwrap().revealed(), "F2 reveals");
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)),
    );
    assert!(!s.form.as_ref().unwrap().revealed(), "Ctrl-R masks again");
    press(&mut s, KeyCode::Char(' '));
    assert_eq!(
        s.form
            .as_ref()
            .unwrap()
            .char_count(keyfolio::app::form::Field::ApiKey),
        4,
        "Space types in a text field"
    );
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    assert!(
        s.form
            .as_ref()
            .unwrap()
            .is_empty(keyfolio::app::form::Field::ApiKey)
    );
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::BackTab);
    assert_eq!(
        s.form.as_ref().unwrap().focus(),
        keyfolio::app::form::Field::ApiKey
    );
    press(&mut s, KeyCode::Esc);
    assert!(s.form.is_none(), "Esc cancels the form");
}

/// How far the open help is scrolled.
fn help_scroll(s: &State) -> usize {
    match &s.modal {
        Some(Modal::Help(help)) => help.scroll,
        other => panic!("the help is not open: {other:?}"),
    }
}

#[test]
fn help_scrolls_with_the_arrows_and_reopens_at_the_top() {
    let mut s = with_connections();
    // A terminal too short for the help (as in the help_60x16 frame).
    let size = Action::Resize {
        width: 60,
        height: 16,
    };
    update(&mut s, size);
    press(&mut s, KeyCode::Char('?'));
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Char('j'));
    assert_eq!(help_scroll(&s), 2);
    press(&mut s, KeyCode::Char('k'));
    assert_eq!(help_scroll(&s), 1);
    assert_eq!(s.modal, Some(Modal::Help(Help { scroll: 1 })));
    assert_eq!(s.selected, 0, "the cards under the help do not move");
    // Held down past the end, it stops at the last line: one Up scrolls back at once.
    for _ in 0..100 {
        press(&mut s, KeyCode::Down);
    }
    let most = help_scroll(&s);
    assert!((3..100).contains(&most), "stopped at {most}");
    press(&mut s, KeyCode::Up);
    assert_eq!(help_scroll(&s), most - 1);
    // A taller terminal shows it all: nothing to scroll.
    update(
        &mut s,
        Action::Resize {
            width: 120,
            height: 60,
        },
    );
    press(&mut s, KeyCode::Up);
    assert_eq!(help_scroll(&s), 0);
    press(&mut s, KeyCode::Down);
    assert_eq!(help_scroll(&s), 0);
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Char('?'));
    assert_eq!(help_scroll(&s), 0);
}

#[test]
fn the_exchange_picker_filters_by_typing_and_opens_the_chosen_exchanges_form() {
    let mut s = with_connections();
    press(&mut s, KeyCode::Char('c'));
    let Some(Modal::Picker(picker)) = &s.modal else {
        panic!("c opens the picker: {:?}", s.modal);
    };
    let listed = picker.matches();
    assert_eq!(&listed[..2], &[ExchangeId::Binance, ExchangeId::Okx]);
    assert_eq!(listed.len(), ExchangeId::all().len());
    let names: Vec<&str> = listed[2..].iter().map(|e| e.name()).collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "the others by name");

    // Typing filters (letters are not navigation here); Backspace widens again.
    for c in "crypto".chars() {
        press(&mut s, KeyCode::Char(c));
    }
    let Some(Modal::Picker(picker)) = &s.modal else {
        panic!("still open");
    };
    assert_eq!(
        picker.matches(),
        vec![ExchangeId::parse("cryptocom").unwrap()]
    );
    assert_eq!(picker.matches()[0].name(), "Crypto.com");
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.modal, None, "Esc closes the picker");

    press(&mut s, KeyCode::Char('c'));
    for c in "kucoin".chars() {
        press(&mut s, KeyCode::Char(c));
    }
    press(&mut s, KeyCode::Enter);
    let form = s.form.as_ref().expect("Enter opens the API-key form");
    assert_eq!(form.exchange(), ExchangeId::parse("kucoin").unwrap());
    assert!(
        form.fields()
            .contains(&keyfolio::app::form::Field::Passphrase),
        "KuCoin keys carry a passphrase"
    );
}

#[test]
fn the_form_asks_in_the_exchanges_own_words() {
    use keyfolio::app::form::{Field, KeyForm};
    let coinbase = KeyForm::new(ExchangeId::parse("coinbase").unwrap(), &[]);
    assert_eq!(coinbase.label(Field::ApiKey), "API key name");
    assert_eq!(coinbase.label(Field::Secret), "Private key");
    assert!(!coinbase.fields().contains(&Field::Passphrase));
    let okx = KeyForm::new(ExchangeId::Okx, &[]);
    assert_eq!(okx.label(Field::Passphrase), "Passphrase");
}

#[test]
fn the_portfolio_opens_valued_and_its_chart_steps_through_the_ranges() {
    use keyfolio::app::state::{HistoryRange, PortfolioView};
    let mut s = with_connections();
    assert_eq!(
        press(&mut s, KeyCode::Char('p')),
        vec![
            Effect::LoadValuation,
            Effect::LoadHistory(HistoryRange::Day)
        ]
    );
    assert_eq!(
        press(&mut s, KeyCode::Right),
        vec![Effect::LoadHistory(HistoryRange::Week)]
    );
    press(&mut s, KeyCode::Right);
    press(&mut s, KeyCode::Right);
    assert!(
        press(&mut s, KeyCode::Right).is_empty(),
        "all is the longest"
    );
    assert_eq!(
        s.modal,
        Some(Modal::Portfolio(PortfolioView {
            range: HistoryRange::All,
            history: vec![],
            show_small: false,
        }))
    );
    assert_eq!(
        press(&mut s, KeyCode::Left),
        vec![Effect::LoadHistory(HistoryRange::Month)]
    );
}

#[test]
fn s_in_the_portfolio_shows_or_folds_small_balances_and_keeps_the_range() {
    use keyfolio::app::state::HistoryRange;
    let mut s = with_connections();
    press(&mut s, KeyCode::Char('p'));
    press(&mut s, KeyCode::Right);
    assert!(press(&mut s, KeyCode::Char('s')).is_empty(), "no I/O");
    let shown = |s: &State| match &s.modal {
        Some(Modal::Portfolio(v)) => (v.show_small, v.range),
        other => panic!("{other:?}"),
    };
    assert_eq!(shown(&s), (true, HistoryRange::Week));
    press(&mut s, KeyCode::Char('s'));
    assert_eq!(shown(&s), (false, HistoryRange::Week));
}

/// Opens the detail of the connection with this id (Enter on its card).
fn open_detail(s: &mut State, id: i64) {
    s.selected = s.connections.iter().position(|c| c.id == id).unwrap();
    assert_eq!(press(s, KeyCode::Enter), vec![Effect::LoadDetail(id)]);
}

/// Fills the focused-first API key and secret of a form in replace mode, then submits.
fn fill_and_submit(s: &mut State, passphrase: Option<&str>) -> Vec<Effect> {
    use keyfolio::app::form::Field;
    let focus = |s: &State| s.form.as_ref().unwrap().focus();
    assert_eq!(focus(s), Field::ApiKey);
    type_text(s, "NEWKEY123");
    press(s, KeyCode::Tab);
    type_text(s, "NEWSECRET456");
    if let Some(p) = passphrase {
        press(s, KeyCode::Tab);
        type_text(s, p);
    }
    for _ in 0..10 {
        if focus(s) == Field::Validate {
            break;
        }
        press(s, KeyCode::Tab);
    }
    press(s, KeyCode::Enter)
}

#[test]
fn k_in_the_detail_opens_the_form_in_replace_mode_and_submitting_rotates() {
    use keyfolio::app::action::ConnectOutcome;
    use keyfolio::app::form::{Field, FormPhase};
    let mut s = with_connections();
    open_detail(&mut s, 2);
    let effects = press(&mut s, KeyCode::Char('k'));
    assert!(effects.is_empty(), "{effects:?}");
    let form = s.form.as_ref().expect("k opens the API-key form");
    let replacing = form.replacing().expect("in replace mode");
    assert_eq!((replacing.id, replacing.label.as_str()), (2, "Savings"));
    assert_eq!(form.exchange(), ExchangeId::Okx);
    assert!(
        !form.fields().contains(&Field::Label),
        "the label is kept, not asked: {:?}",
        form.fields()
    );
    assert!(form.fields().contains(&Field::Passphrase));

    let effects = fill_and_submit(&mut s, Some("Pass#1"));
    let [
        Effect::Rotate {
            id,
            creds,
            endpoint,
            accept_withdraw_risk,
        },
    ] = effects.as_slice()
    else {
        panic!("submitting rotates, it does not connect: {effects:?}");
    };
    assert_eq!(*id, 2);
    assert_eq!(creds.key_hint(), "Y123");
    assert_eq!(
        *endpoint, None,
        "the endpoint fields were left as they were"
    );
    assert!(!accept_withdraw_risk);
    assert_eq!(
        *s.form.as_ref().unwrap().phase(),
        FormPhase::Validating,
        "the form waits for the rotate"
    );

    // A key that can withdraw asks first, as connect does; `y` rotates with consent.
    let snapshot = keyfolio::model::AccountSnapshot {
        balances: vec![],
        permissions: Some(keyfolio::model::Permissions {
            read: true,
            trade: true,
            withdraw: true,
            ip_restricted: false,
        }),
        ..Default::default()
    };
    update(
        &mut s,
        Action::RotateFinished(ConnectOutcome::WithdrawRisk(snapshot)),
    );
    assert!(matches!(
        s.form.as_ref().unwrap().phase(),
        FormPhase::WithdrawWarning(_)
    ));
    let effects = press(&mut s, KeyCode::Char('y'));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Rotate {
                id: 2,
                accept_withdraw_risk: true,
                ..
            }]
        ),
        "{effects:?}"
    );

    // A refusal keeps the form open and names why.
    update(
        &mut s,
        Action::RotateFinished(ConnectOutcome::Refused(
            "Not replaced: this is already the key of \"Savings\": nothing changed".into(),
        )),
    );
    assert!(s.form.is_some(), "a refused rotate keeps the form");
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.is_error && n.text.contains("already the key")),
        "{:?}",
        s.notice
    );

    // Success closes the form, says so, and reloads the detail under it.
    let effects = update(
        &mut s,
        Action::RotateFinished(ConnectOutcome::Saved {
            label: "Savings".into(),
            assets: 2,
            permissions: None,
        }),
    );
    assert!(s.form.is_none(), "a replaced key closes the form");
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| !n.is_error && n.text.starts_with("Key replaced")),
        "{:?}",
        s.notice
    );
    assert_eq!(effects, vec![Effect::LoadDetail(2)]);
    assert!(matches!(&s.modal, Some(Modal::Detail(d)) if d.id == 2));
}

#[test]
fn the_connect_form_still_connects_and_a_changed_endpoint_goes_with_the_rotate() {
    let mut s = with_connections();
    s.selected = s.card_count() - 1;
    press(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Enter); // Binance
    assert!(s.form.as_ref().unwrap().replacing().is_none());
    let effects = fill_and_submit(&mut s, None);
    assert!(
        matches!(effects.as_slice(), [Effect::Connect { .. }]),
        "{effects:?}"
    );
    press(&mut s, KeyCode::Esc);

    // Replace mode with the testnet switched on: the rotate carries the new endpoint.
    open_detail(&mut s, 1);
    press(&mut s, KeyCode::Char('k'));
    use keyfolio::app::form::Field;
    type_text(&mut s, "NEWKEY123");
    press(&mut s, KeyCode::Tab);
    type_text(&mut s, "NEWSECRET456");
    while s.form.as_ref().unwrap().focus() != Field::Testnet {
        press(&mut s, KeyCode::Tab);
    }
    press(&mut s, KeyCode::Char(' '));
    press(&mut s, KeyCode::Tab);
    let effects = press(&mut s, KeyCode::Enter);
    match effects.as_slice() {
        [
            Effect::Rotate {
                id: 1, endpoint, ..
            },
        ] => assert_eq!(
            *endpoint,
            Some(keyfolio::model::Endpoint {
                base_url: None,
                sandbox: true
            })
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn k_on_an_oauth_connection_only_says_there_is_no_key() {
    let mut s = state();
    let mut c = connection(7, ExchangeId::Okx, "OKX sign-in");
    c.auth_kind = keyfolio::model::AuthKind::OAuth;
    s.set_connections(vec![c]);
    open_detail(&mut s, 7);
    let effects = press(&mut s, KeyCode::Char('k'));
    assert!(effects.is_empty());
    assert!(s.form.is_none(), "no form for an OAuth connection");
    assert!(matches!(&s.modal, Some(Modal::Detail(d)) if d.id == 7));
    assert!(
        s.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("OAuth") && n.text.contains("no API key")),
        "{:?}",
        s.notice
    );
}
