//! The portfolio view: every asset by value (amount, price, value, share, where it is
//! held), the total, and a chart of the total over 24 h, 7 d, 30 d or all.

use super::theme::Theme;
use super::{centered, modal_block};
use crate::app::keys::Context;
use crate::app::screens::portfolio::PortfolioView;
use crate::app::state::State;
use crate::portfolio::{DayChange, Valuation, display_price, display_value};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Cell, Chart, Clear, Dataset, GraphType, Paragraph, Row, Sparkline, Table,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Below this width the chart is a sparkline.
const CHART_MIN_WIDTH: u16 = 60;

pub fn draw(frame: &mut Frame, state: &State, view: &PortfolioView, theme: Theme) {
    let area = centered(frame.area(), 110, 36);
    frame.render_widget(Clear, area);
    let block = modal_block(
        "Portfolio",
        &state.keys.context_hint(Context::Portfolio),
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(valuation) = state.valuation.as_ref().filter(|v| !v.assets.is_empty()) else {
        let text = if state.connections.is_empty() {
            "No connections yet: connect an exchange first."
        } else {
            "No balances synced yet."
        };
        frame.render_widget(Paragraph::new(text), inner);
        return;
    };
    let chart_rows = if inner.height >= 20 {
        inner.height / 3
    } else {
        4
    };
    let [summary, table, chart] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(chart_rows),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(summary_lines(state, valuation, theme)),
        summary,
    );
    let dust = if view.show_small {
        Decimal::ZERO
    } else {
        state.dust
    };
    draw_table(frame, table, valuation, dust, theme);
    draw_chart(frame, chart, view, valuation, theme);
}

/// "Total ≈ 44,811.25 USDT · ▲ 1.20% in 24 h" and what is left out or stale.
fn summary_lines(state: &State, v: &Valuation, theme: Theme) -> Vec<Line<'static>> {
    let quote = v.quote.code();
    let mut first = vec![
        Span::styled("Total ", theme.dim()),
        Span::styled(
            format!("≈ {} {quote}", display_value(v.total, v.quote)),
            theme.title(),
        ),
    ];
    if let Some(change) = day_change(state.day_change, theme) {
        first.push(Span::raw("  "));
        first.push(change);
    }
    let mut notes = Vec::new();
    if !v.unpriced.is_empty() {
        notes.push(format!(
            "no price for {} (left out of the total)",
            v.unpriced.join(", ")
        ));
    }
    if v.prices_stale {
        notes.push("prices are from before the last failed update".to_string());
    }
    if v.assets.iter().any(|a| a.stale) {
        notes.push("* held on a stale connection".to_string());
    }
    vec![
        Line::from(first),
        Line::from(Span::styled(notes.join(" · "), theme.warning())),
    ]
}

/// "▲ 1.20% in 24 h": the same connections a day ago and now.
pub fn day_change(change: Option<DayChange>, theme: Theme) -> Option<Span<'static>> {
    let percent = change?.percent()?;
    let (arrow, style) = if percent.is_sign_negative() {
        ("▼", theme.error())
    } else {
        ("▲", theme.ok())
    };
    Some(Span::styled(
        format!("{arrow} {}% in 24 h", percent.abs()),
        style,
    ))
}

/// The assets table; those worth less than `dust` fold into one last line.
fn draw_table(frame: &mut Frame, area: Rect, v: &Valuation, dust: Decimal, theme: Theme) {
    let right = |text: String| Cell::from(Line::from(text).right_aligned());
    let (shown, folded, folded_value) = crate::portfolio::fold_dust(&v.assets, dust);
    let small = (folded > 0).then(|| {
        Row::new(vec![
            Cell::from(format!("+ {folded} small")),
            right(String::new()),
            right(String::new()),
            right(format!("≈ {}", display_value(folded_value, v.quote))),
            right(String::new()),
            Cell::from(format!("< {} each", display_price(dust))),
        ])
        .style(theme.dim())
    });
    let rows = shown.into_iter().map(|a| {
        let mark = if a.stale { "*" } else { "" };
        Row::new(vec![
            Cell::from(format!("{}{mark}", a.asset)),
            right(crate::model::display_amount(
                &a.amount.normalize().to_string(),
            )),
            right(a.price.map_or("no price".into(), display_price)),
            right(a.value.map_or("—".into(), |x| display_value(x, v.quote))),
            right(a.share.map_or(String::new(), |s| format!("{s:.2}%"))),
            Cell::from(a.holders.join(", ")),
        ])
    });
    let rows = rows.chain(small);
    let quote = v.quote.code();
    let table = Table::new(
        rows,
        [
            Constraint::Length(9),
            Constraint::Fill(2),
            Constraint::Fill(1),
            Constraint::Fill(2),
            Constraint::Length(8),
            Constraint::Fill(2),
        ],
    )
    .header(
        Row::new(vec![
            "Asset".to_string(),
            "Amount".to_string(),
            format!("Price {quote}"),
            format!("Value {quote}"),
            "Share".to_string(),
            "Held on".to_string(),
        ])
        .style(theme.title()),
    );
    frame.render_widget(table, area);
}

fn draw_chart(frame: &mut Frame, area: Rect, view: &PortfolioView, v: &Valuation, theme: Theme) {
    let title = format!(" Total value · {} ", view.range.label());
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.dim())
        .title(Span::styled(title, theme.title()));
    let points: Vec<(f64, f64)> = view
        .history
        .iter()
        .filter_map(|(at, total)| Some((at.timestamp() as f64, total.to_f64()?)))
        .collect();
    if points.len() < 2 {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "Not enough history yet: the chart fills in as syncs record the total.",
                theme.dim(),
            ))
            .block(block),
            area,
        );
        return;
    }
    if area.width < CHART_MIN_WIDTH {
        let low = points.iter().map(|p| p.1).fold(f64::MAX, f64::min);
        let data: Vec<u64> = points
            .iter()
            .map(|p| ((p.1 - low) * 100.0) as u64 + 1)
            .collect();
        frame.render_widget(Sparkline::default().data(&data).block(block), area);
        return;
    }
    let (x0, x1) = (points[0].0, points[points.len() - 1].0);
    let low = points.iter().map(|p| p.1).fold(f64::MAX, f64::min);
    let high = points.iter().map(|p| p.1).fold(f64::MIN, f64::max);
    let pad = ((high - low) * 0.1).max(high.abs() * 0.001).max(0.01);
    let (y0, y1) = (low - pad, high + pad);
    let decimal = |x: f64| Decimal::from_f64_retain(x).unwrap_or_default();
    let y_labels = [y0, (y0 + y1) / 2.0, y1]
        .map(|y| Span::raw(display_value(decimal(y), v.quote)))
        .to_vec();
    let x_label = |t: f64| {
        chrono::DateTime::from_timestamp(t as i64, 0).map_or(String::new(), |at| {
            let format = if x1 - x0 > 2.0 * 86_400.0 {
                "%b %d"
            } else {
                "%b %d %H:%M"
            };
            at.format(format).to_string()
        })
    };
    let dataset = Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(theme.key())
        .data(&points);
    let chart = Chart::new(vec![dataset])
        .block(block)
        .x_axis(
            Axis::default()
                .bounds([x0, x1])
                .labels(vec![Span::raw(x_label(x0)), Span::raw(x_label(x1))]),
        )
        .y_axis(Axis::default().bounds([y0, y1]).labels(y_labels));
    frame.render_widget(chart, area);
}
