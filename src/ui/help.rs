//! The help overlay, built from the key table.

use super::theme::Theme;
use super::{centered, modal_block};
use crate::app::keys::BINDINGS;
use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

pub fn draw(frame: &mut Frame, theme: Theme) {
    let mut lines: Vec<Line> = BINDINGS
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:<7}", b.shown), theme.key()),
                Span::raw(b.help),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Secrets stay in the OS keyring; screens show only a key's last 4 characters.",
        theme.dim(),
    )));
    let area = centered(frame.area(), 78, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(modal_block("Help", "Esc or ? close", theme)),
        area,
    );
}
