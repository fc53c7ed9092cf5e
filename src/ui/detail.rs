//! The detail view of one connection.

use super::cards::when;
use super::theme::Theme;
use super::{centered, modal_block};
use crate::app::keys::{Context, Intent};
use crate::app::screens::detail::Detail;
use crate::app::state::State;
use crate::model::display_amount;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Clear, Paragraph, Row, Table, Wrap};

pub fn draw(frame: &mut Frame, state: &State, detail: &Detail, theme: Theme) {
    let area = centered(frame.area(), 100, 30);
    frame.render_widget(Clear, area);
    let Some(c) = state.connection(detail.id) else {
        frame.render_widget(
            Paragraph::new("This connection is gone.").block(modal_block(
                "Detail",
                &state.keys.hint(Context::Detail, &[Intent::Close]),
                theme,
            )),
            area,
        );
        return;
    };
    let title = format!("{} · {}", c.exchange.name(), c.label);
    let block = modal_block(&title, &state.keys.context_hint(Context::Detail), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let status = state.status(c);
    let info = vec![
        Line::from(vec![
            Span::styled("Status  ", theme.dim()),
            Span::styled(status.label(), theme.badge(status)),
            Span::styled("   Key ", theme.dim()),
            Span::raw(super::cards::credential_label(c)),
            Span::raw(
                c.key_type
                    .map_or(String::new(), |k| format!(" ({})", k.label())),
            ),
        ]),
        Line::from(vec![
            Span::styled("Perms   ", theme.dim()),
            Span::raw(c.permissions_text()),
            match c.expiry_notice(state.now) {
                Some((text, warn)) => Span::styled(
                    format!(" · {text}"),
                    if warn { theme.warning() } else { theme.dim() },
                ),
                None => Span::raw(""),
            },
        ]),
        Line::from(vec![
            Span::styled("Endpoint ", theme.dim()),
            Span::raw(
                c.endpoint
                    .base_url
                    .clone()
                    .unwrap_or_else(|| "exchange default".into()),
            ),
            Span::raw(if c.endpoint.sandbox {
                " (testnet/demo)"
            } else {
                ""
            }),
        ]),
        Line::from(vec![
            Span::styled("Balances ", theme.dim()),
            Span::raw(match detail.synced_at {
                Some(at) => format!("as of {}", when(state, at)),
                None => "none yet".into(),
            }),
            // A failed sync keeps the last good balances: say that these are they.
            Span::styled(
                match (detail.synced_at, &c.last_error) {
                    (Some(_), Some(_)) => " · kept from the last good sync",
                    _ => "",
                },
                theme.warning(),
            ),
        ]),
    ];
    // Below the facts, wrapped: each wallet's value, and the last failure's fix.
    let notes: Vec<Line> = wallets_line(state, detail, c, theme)
        .into_iter()
        .chain(c.last_error.as_ref().map(|err| {
            Line::from(Span::styled(
                format!("{}: {}", err.kind.label(), err.kind.fix(c.exchange)),
                theme.error(),
            ))
        }))
        .collect();
    let fix = (!notes.is_empty()).then(|| Paragraph::new(notes).wrap(Wrap { trim: true }));
    let info_height =
        info.len() as u16 + fix.as_ref().map_or(0, |p| p.line_count(inner.width) as u16);
    let history_height = (detail.history.len() as u16).min(6) + 1;
    let value_height = if detail.values.len() >= 2 { 3 } else { 0 };
    let [top, balances, value, history] = ratatui::layout::Layout::vertical([
        Constraint::Length(info_height),
        Constraint::Min(3),
        Constraint::Length(value_height),
        Constraint::Length(history_height),
    ])
    .areas(inner);
    let [info_area, fix_area] = ratatui::layout::Layout::vertical([
        Constraint::Length(info.len() as u16),
        Constraint::Fill(1),
    ])
    .areas(top);
    frame.render_widget(Paragraph::new(info), info_area);
    if let Some(fix) = fix {
        frame.render_widget(fix, fix_area);
    }

    // A wallet column where the account holds coins in more than one.
    let several_wallets = detail
        .balances
        .iter()
        .any(|b| b.wallet != detail.balances[0].wallet);
    let rows = detail.balances.iter().map(|b| {
        // "≈" where the exchange sent more digits than CCXT's f64 amounts keep.
        let mark = if b.approximate { "≈" } else { "" };
        let amount = |text: &str| {
            Cell::from(Line::from(format!("{mark}{}", display_amount(text))).right_aligned())
        };
        let mut cells = vec![Cell::from(b.asset.as_str())];
        if several_wallets {
            cells.push(Cell::from(b.wallet.label()));
        }
        cells.extend([amount(&b.free), amount(&b.used), amount(&b.total)]);
        Row::new(cells)
    });
    let mut widths = vec![Constraint::Length(8)];
    let mut header = vec!["Asset"];
    if several_wallets {
        widths.push(Constraint::Length(16));
        header.push("Wallet");
    }
    widths.extend([Constraint::Fill(1); 3]);
    header.extend(["Free", "Used", "Total"]);
    let table = Table::new(rows, widths).header(Row::new(header).style(theme.title()));
    frame.render_widget(table, balances);

    if value_height > 0 {
        draw_value(frame, value, state, detail, theme);
    }

    let mut lines = vec![Line::from(Span::styled("Recent syncs", theme.title()))];
    for run in detail.history.iter().take(6) {
        let outcome = match (run.ok, run.error_kind) {
            (true, _) => Span::styled("ok", theme.ok()),
            (false, Some(kind)) => Span::styled(kind.label(), theme.error()),
            (false, None) => Span::styled("failed", theme.error()),
        };
        lines.push(Line::from(vec![
            Span::raw(format!("{}  ", when(state, run.finished_at))),
            outcome,
        ]));
    }
    frame.render_widget(Paragraph::new(lines), history);
}

/// "Wallets  Spot 1,200.00 · Earn flexible 25,600.00 · USDⓈ-M futures: not readable
/// with this key": each wallet's value, shown where there is more than one wallet or
/// one the key cannot read.
fn wallets_line(
    state: &State,
    detail: &Detail,
    c: &crate::model::ConnectionRecord,
    theme: Theme,
) -> Option<Line<'static>> {
    let mut wallets: Vec<crate::model::Wallet> = detail.balances.iter().map(|b| b.wallet).collect();
    wallets.sort();
    wallets.dedup();
    if wallets.len() < 2 && c.unreadable_wallets.is_empty() {
        return None;
    }
    let valuation = state.valuation.as_ref();
    let mut spans = vec![Span::styled("Wallets ", theme.dim())];
    for (i, wallet) in wallets.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.dim()));
        }
        let value = valuation.and_then(|v| Some((*v.by_wallet.get(&(c.id, *wallet))?, v.quote)));
        spans.push(Span::raw(match value {
            Some((value, quote)) => format!(
                "{} {}",
                wallet.label(),
                crate::portfolio::display_value(value, quote)
            ),
            None => wallet.label().to_string(),
        }));
    }
    for (i, unreadable) in c.unreadable_wallets.iter().enumerate() {
        if i > 0 || !wallets.is_empty() {
            spans.push(Span::styled(" · ", theme.dim()));
        }
        spans.push(Span::styled(
            format!("{}: not readable with this key", unreadable.wallet.label()),
            theme.warning(),
        ));
    }
    Some(Line::from(spans))
}

/// "Value ≈ 12,345.67 USDT · last 7 days" over a sparkline of the recorded values.
fn draw_value(frame: &mut Frame, area: Rect, state: &State, detail: &Detail, theme: Theme) {
    use rust_decimal::prelude::ToPrimitive;
    let now = state
        .valuation
        .as_ref()
        .and_then(|v| Some((v.by_connection.get(&detail.id)?.0, v.quote)));
    let title = match now {
        Some((value, quote)) => format!(
            "Value ≈ {} {} · last 7 days",
            crate::portfolio::display_value(value, quote),
            quote.code()
        ),
        None => "Value · last 7 days".to_string(),
    };
    let values: Vec<f64> = detail
        .values
        .iter()
        .filter_map(|(_, v)| v.to_f64())
        .collect();
    let low = values.iter().copied().fold(f64::MAX, f64::min);
    let high = values.iter().copied().fold(f64::MIN, f64::max);
    let span = (high - low).max(f64::EPSILON);
    let data: Vec<u64> = values
        .iter()
        .map(|v| 1 + ((v - low) / span * 100.0) as u64)
        .collect();
    let [label, line] =
        ratatui::layout::Layout::vertical([Constraint::Length(1), Constraint::Length(2)])
            .areas(area);
    frame.render_widget(Paragraph::new(Span::styled(title, theme.title())), label);
    frame.render_widget(
        ratatui::widgets::Sparkline::default()
            .data(&data)
            .style(theme.key()),
        line,
    );
}
