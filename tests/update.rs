//! `update` unit tests: key presses through the key table change the state as expected.

mod common;

use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use keyfolio::app::action::{Action, Effect};
use keyfolio::app::state::{CardRef, Modal, State};
use keyfolio::app::update::update;
use keyfolio::model::ExchangeId;

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
    assert_eq!(s.selected_card(), CardRef::Connect(ExchangeId::Okx));
}

#[test]
fn help_opens_and_esc_closes_before_q_quits() {
    let mut s = with_connections();
    press(&mut s, KeyCode::Char('?'));
    assert_eq!(s.modal, Some(Modal::Help));
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
        Some(Modal::ConfirmDisconnect {
            id: 1,
            purge: false
        })
    );
    press(&mut s, KeyCode::Char(' '));
    assert_eq!(
        s.modal,
        Some(Modal::ConfirmDisconnect { id: 1, purge: true })
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
        },
    );
    assert!(!s.syncing.contains(&1));
    assert_eq!(
        s.notice.as_ref().map(|n| n.text.as_str()),
        Some("exchange down")
    );
}

#[test]
fn a_pasted_secret_never_shows_in_debug_output() {
    let action = Action::Paste(keyfolio::app::action::Pasted::new("s3cr3t-pasted-value"));
    let text = format!("{action:?}");
    assert!(!text.contains("s3cr3t"), "{text}");
    assert!(text.contains("19 chars"), "{text}");
}
