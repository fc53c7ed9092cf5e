//! The Connections screen under every window: its keys, the `/` filter and the mouse
//! (its state is the card list's: `State::selected`, `State::filter`).

use super::type_into;
use crate::app::action::Effect;
use crate::app::keys::{Context, Intent};
use crate::app::state::{
    CardFilter, CardRef, ConfirmDisconnect, Detail, Help, Modal, Notice, OAuthView, Picker,
    PortfolioView, State,
};
use crate::model::Status;
use crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};

/// A key of the card list.
pub fn on_intent(state: &mut State, intent: Intent) -> Vec<Effect> {
    let last = state.card_count() - 1;
    match intent {
        Intent::Up => state.selected = state.selected.saturating_sub(1),
        Intent::Down => state.selected = (state.selected + 1).min(last),
        Intent::First => state.selected = 0,
        Intent::Last => state.selected = last,
        Intent::PageUp => state.selected = state.selected.saturating_sub(state.page_cards()),
        Intent::PageDown => state.selected = (state.selected + state.page_cards()).min(last),
        Intent::Help => {
            state.modal = Some(Modal::Help(Help::default()));
        }
        Intent::Quit => state.quit = true,
        Intent::Back if state.filter.is_some() => state.set_filter(None),
        Intent::Back => state.notice = None,
        Intent::Filter => {
            let text = state.filter.take().map(|f| f.text).unwrap_or_default();
            state.set_filter(Some(CardFilter {
                text,
                editing: true,
            }));
        }
        Intent::Open => match state.selected_card() {
            CardRef::Connection(i) => {
                let id = state.connections[i].id;
                state.modal = Some(Modal::Detail(Detail::loading(id)));
                return vec![Effect::LoadDetail(id)];
            }
            CardRef::Connect => state.modal = Some(Modal::Picker(Picker::default())),
        },
        Intent::Connect => state.modal = Some(Modal::Picker(Picker::default())),
        Intent::Resync => {
            if let Some(c) = state.selected_connection() {
                return vec![Effect::Sync(vec![c.id])];
            }
        }
        Intent::ResyncAll => {
            let ids: Vec<i64> = state.connections.iter().map(|c| c.id).collect();
            if !ids.is_empty() {
                return vec![Effect::Sync(ids)];
            }
        }
        Intent::Disconnect => {
            if let Some(c) = state.selected_connection() {
                state.modal = Some(Modal::ConfirmDisconnect(ConfirmDisconnect {
                    id: c.id,
                    purge: false,
                }));
            }
        }
        Intent::Reauthorize => {
            let Some(c) = state.selected_connection() else {
                return vec![];
            };
            let (id, exchange) = (c.id, c.exchange);
            if state.status(c) != Status::Reauthorize {
                return vec![];
            }
            match OAuthView::offered(state, exchange, Some(id)) {
                Some(view) => state.modal = Some(Modal::OAuth(view)),
                None => {
                    state.notice = Some(Notice {
                        text: format!(
                            "OAuth for {} needs a client id in config.toml",
                            exchange.name()
                        ),
                        is_error: true,
                    });
                }
            }
        }
        Intent::Portfolio => {
            let view = PortfolioView::default();
            let range = view.range;
            state.modal = Some(Modal::Portfolio(view));
            return vec![Effect::LoadValuation, Effect::LoadHistory(range)];
        }
        _ => {}
    }
    vec![]
}

/// Keys while the `/` filter is typed: Esc clears it, Enter keeps it, the rest edit it.
pub fn filter_key(state: &mut State, key: &KeyEvent) -> Vec<Effect> {
    let Some(mut filter) = state.filter.clone() else {
        return vec![];
    };
    match state.keys.lookup(Context::Filter, key) {
        Some(Intent::ClearFilter) => state.set_filter(None),
        Some(Intent::KeepFilter) if filter.text.is_empty() => state.set_filter(None),
        Some(Intent::KeepFilter) => {
            filter.editing = false;
            state.filter = Some(filter);
        }
        _ if type_into(&mut filter.text, key) => state.set_filter(Some(filter)),
        // Keys that are not typed still move through the cards (arrows, pages).
        _ => {
            return match state.keys.lookup(Context::Cards, key) {
                Some(
                    i @ (Intent::Up
                    | Intent::Down
                    | Intent::First
                    | Intent::Last
                    | Intent::PageUp
                    | Intent::PageDown),
                ) => on_intent(state, i),
                _ => vec![],
            };
        }
    }
    vec![]
}

/// A click selects the card under it; the wheel moves the selection.
pub fn on_mouse(state: &mut State, mouse: MouseEvent) {
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            if let Some(index) = state.card_at(mouse.row) {
                state.selected = index;
            }
        }
        MouseEventKind::ScrollDown => {
            on_intent(state, Intent::Down);
        }
        MouseEventKind::ScrollUp => {
            on_intent(state, Intent::Up);
        }
        _ => {}
    }
}
