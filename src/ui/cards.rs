//! The Connections screen's cards: one per connection, and the Connect card.

use super::theme::{SPINNER, Theme, badge_symbol};
use crate::app::keys::{Context, Intent};
use crate::app::state::{CardRef, State, ago, until};
use crate::model::ExchangeId;
use crate::model::Status;
use crate::model::{AuthKind, ConnectionRecord};
use crate::portfolio::display_value;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Padding, Paragraph};

/// Draws the visible cards into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let mut y = area.y;
    let bottom = area.y + area.height;
    for index in state.first_visible(usize::from(area.height))..state.card_count() {
        let card = state.card(index);
        let h = state.card_rows(card) as u16;
        if y + h > bottom {
            break;
        }
        let rect = Rect::new(area.x, y, area.width, h);
        let selected = index == state.selected;
        match card {
            CardRef::Connection(i) => {
                connection_card(frame, rect, state, &state.connections[i], selected, theme);
            }
            CardRef::Connect => {
                let open = state.keys.shown(Context::Cards, Intent::Open);
                let connect = state.keys.shown(Context::Cards, Intent::Connect);
                connect_card(frame, rect, selected, &open, &connect, theme);
            }
        }
        y += h;
    }
}

/// " ≈ 12,345.67 USDT " for a card's title, with how many of its assets have no price;
/// empty before the first valuation or when nothing of it is priced.
fn connection_value(state: &State, c: &ConnectionRecord) -> String {
    let Some(v) = &state.valuation else {
        return String::new();
    };
    match v.by_connection.get(&c.id) {
        Some((value, 0)) => format!(" ≈ {} {} ", display_value(*value, v.quote), v.quote.code()),
        Some((value, unpriced)) if !value.is_zero() => format!(
            " ≈ {} {} + {unpriced} unpriced ",
            display_value(*value, v.quote),
            v.quote.code()
        ),
        Some((_, unpriced)) => format!(" no price for its {unpriced} assets "),
        None => String::new(),
    }
}

/// "2m ago · 14:03 Nov 25" in the trader's time zone.
pub fn when(state: &State, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&state.utc_offset);
    format!("{} · {}", ago(state.now, at), local.format("%H:%M %b %d"))
}

fn connection_card(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    c: &ConnectionRecord,
    selected: bool,
    theme: Theme,
) {
    let status = state.status(c);
    let symbol = if status == Status::Syncing {
        SPINNER[state.spinner % SPINNER.len()]
    } else {
        badge_symbol(status)
    };
    let marker = if selected { "▶ " } else { "" };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(selected))
        .title(Line::from(vec![
            Span::styled(format!(" {marker}{} ", c.exchange.name()), theme.title()),
            Span::raw(format!("· {} ", c.label)),
        ]))
        .title(
            Line::from(vec![
                Span::styled(connection_value(state, c), theme.title()),
                Span::styled(
                    format!(" {symbol} {} ", status.label()),
                    theme.badge(status),
                ),
            ])
            .right_aligned(),
        );

    let last_sync = match c.last_synced_at {
        Some(at) => when(state, at),
        None => "never".into(),
    };
    let first = Line::from(vec![
        Span::styled("Last sync ", theme.dim()),
        Span::raw(last_sync),
        Span::styled("  Key ", theme.dim()),
        Span::raw(credential_label(c)),
    ]);
    let second = match (&c.last_error, status) {
        (Some(_), Status::Reauthorize) => Line::from(vec![
            Span::styled("The sign-in expired or was revoked. ", theme.error()),
            Span::styled(
                format!(
                    "Press {} to sign in again.",
                    state.keys.shown(Context::Cards, Intent::Reauthorize)
                ),
                theme.warning(),
            ),
        ]),
        // What the trader needs first (how many failed, when it retries or what to press),
        // then the cause; a long cause is cut at the card's edge, whole in the detail view.
        (Some(err), Status::Error(_) | Status::Paused(_)) => {
            let mut spans = vec![Span::styled(
                format!("{} failed", c.failure_streak),
                theme.error(),
            )];
            if c.paused {
                spans.push(Span::styled(
                    format!(
                        " · paused: press {} after fixing",
                        state.keys.shown(Context::Cards, Intent::Resync)
                    ),
                    theme.warning(),
                ));
            } else if let Some(next) = c.next_sync_at {
                spans.push(Span::styled(
                    format!(" · retry {}", until(state.now, next)),
                    theme.dim(),
                ));
            }
            // Past its expiry, a refused key is most likely the expired one: say so first.
            if let Some((text, true)) = c.expiry_notice(state.now)
                && c.expiry.key_expires_at.is_some_and(|at| at <= state.now)
            {
                spans.push(Span::styled(format!(" · {text}"), theme.warning()));
            }
            spans.push(Span::styled(format!(" · {}", err.message), theme.error()));
            Line::from(spans)
        }
        _ => {
            let mut spans = vec![
                Span::styled("Perms ", theme.dim()),
                Span::raw(c.permissions_text()),
            ];
            if let Some((text, warn)) = c.expiry_notice(state.now) {
                spans.push(Span::styled(
                    format!(" · {text}"),
                    if warn { theme.warning() } else { theme.dim() },
                ));
            }
            if let Some(nudge) =
                crate::model::key_too_old(c.created_at, state.now, state.key_max_age_days)
            {
                spans.push(Span::styled(format!(" · {nudge}"), theme.warning()));
            }
            spans.extend([
                Span::styled("  Next sync ", theme.dim()),
                Span::raw(match (status, c.next_sync_at) {
                    (Status::Syncing, _) => "running now".to_string(),
                    (_, Some(next)) => until(state.now, next),
                    (_, None) => "scheduled".to_string(),
                }),
            ]);
            if let Some(at) = c.last_attempt_at.filter(|a| Some(*a) != c.last_synced_at) {
                spans.push(Span::styled("  Last attempt ", theme.dim()));
                spans.push(Span::raw(ago(state.now, at)));
            }
            if let Some(base) = &c.endpoint.base_url {
                spans.push(Span::styled(format!("  via {base}"), theme.dim()));
            }
            if c.endpoint.sandbox {
                spans.push(Span::styled("  testnet", theme.warning()));
            }
            Line::from(spans)
        }
    };
    frame.render_widget(
        Paragraph::new(vec![first, second]).block(block.padding(Padding::horizontal(1))),
        area,
    );
}

/// How a connection authenticates, as shown: the API key's last 4 characters, or OAuth.
pub fn credential_label(c: &ConnectionRecord) -> String {
    match c.auth_kind {
        AuthKind::OAuth => "OAuth sign-in".to_string(),
        AuthKind::ApiKey => format!("••••{}", c.key_hint),
    }
}

fn connect_card(
    frame: &mut Frame,
    area: Rect,
    selected: bool,
    open: &str,
    connect: &str,
    theme: Theme,
) {
    let marker = if selected { "▶ " } else { "" };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(selected))
        .title(Span::styled(
            format!(" {marker}+ Connect an exchange "),
            theme.title(),
        ));
    let count = ExchangeId::all().len();
    let line = Line::from(vec![
        Span::raw(format!("{open} or {connect}: ")),
        Span::styled(
            format!("pick one of {count} exchanges (Binance, OKX, Bybit, Coinbase…)"),
            theme.dim(),
        ),
    ]);
    frame.render_widget(
        Paragraph::new(line).block(block.padding(Padding::horizontal(1))),
        area,
    );
}
