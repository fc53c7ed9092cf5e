//! The portfolio view: balances totalled per asset across all connections.

use super::theme::Theme;
use super::{centered, modal_block};
use crate::app::keys::Context;
use crate::app::state::{PortfolioRow, State};
use crate::model::display_amount;
use ratatui::Frame;
use ratatui::layout::Constraint;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Clear, Paragraph, Row, Table};

pub fn draw(frame: &mut Frame, state: &State, rows: &[PortfolioRow], theme: Theme) {
    let area = centered(frame.area(), 70, 24);
    frame.render_widget(Clear, area);
    let block = modal_block(
        "Portfolio",
        &state.keys.context_hint(Context::Portfolio),
        theme,
    );
    if rows.is_empty() {
        let text = if state.connections.is_empty() {
            "No connections yet: connect an exchange first."
        } else {
            "No balances synced yet."
        };
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let table = Table::new(
        rows.iter().map(|r| {
            Row::new(vec![
                Cell::from(r.asset.as_str()),
                Cell::from(Line::from(display_amount(&r.total)).right_aligned()),
                Cell::from(Line::from(r.connections.to_string()).right_aligned()),
            ])
        }),
        [
            Constraint::Length(10),
            Constraint::Fill(1),
            Constraint::Length(12),
        ],
    )
    .header(Row::new(vec!["Asset", "Total", "Connections"]).style(theme.title()))
    .block(block);
    frame.render_widget(table, area);
}
