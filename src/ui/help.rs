//! The help overlay, built from the key table; long lines wrap under their text.

use super::theme::Theme;
use super::{centered, modal_block, wrap};
use crate::app::keys::{Context, Intent};
use crate::app::screens::help::Help;
use crate::app::state::State;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

/// Width of the key column.
const KEY_COLUMN: usize = 10;

/// The help's lines in a terminal this wide, and the box's width.
fn lines(state: &State, columns: u16, theme: Theme) -> (Vec<Line<'static>>, u16) {
    let width = columns.min(78);
    // Borders and the block's padding of one column on each side.
    let text_width = (width as usize).saturating_sub(4).max(KEY_COLUMN + 8);
    let mut lines: Vec<Line> = Vec::new();
    // The cards' keys, then the keys only a connection's details have (replace key).
    let cards = state.keys.in_context(Context::Cards).map(|b| (b, None));
    let detail_only = state
        .keys
        .in_context(Context::Detail)
        .filter(|b| {
            b.intent != Intent::Close && state.keys.binding(Context::Cards, b.intent).is_none()
        })
        .map(|b| (b, Some("In the details: ")));
    for (b, suffix) in cards.chain(detail_only) {
        let shown = b.shown();
        let column = KEY_COLUMN.max(shown.chars().count() + 1);
        let text = match suffix {
            Some(prefix) => format!("{prefix}{}", lower_first(b.help)),
            None => b.help.to_string(),
        };
        let mut wrapped = wrap(&text, text_width.saturating_sub(column).max(8)).into_iter();
        let first = wrapped.next().unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("{shown:<column$}"), theme.key()),
            Span::raw(first),
        ]));
        for rest in wrapped {
            lines.push(Line::from(format!("{:column$}{rest}", "")));
        }
    }
    // One line at 80 columns, so the help stays as tall as before the details' key came.
    let note = "Keys stay in the OS keyring; screens show only their last 4 characters.";
    for line in wrap(note, text_width) {
        lines.push(Line::from(Span::styled(line, theme.dim())));
    }
    (lines, width)
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The box in the terminal `outer`: centred, as tall as its lines and borders allow,
/// and how many lines do not fit (too short a terminal scrolls the help, and says so).
fn layout(outer: Rect, lines: usize, width: u16) -> (Rect, usize) {
    let area = centered(outer, width, lines as u16 + 2);
    let visible = usize::from(area.height.saturating_sub(2));
    (area, lines.saturating_sub(visible))
}

/// How far the help can scroll in the terminal as `state` knows it.
pub fn most_scroll(state: &State) -> usize {
    let outer = Rect::new(0, 0, state.screen.0, state.screen.1);
    // Styles do not change the count: any theme will do.
    let (lines, width) = lines(state, outer.width, Theme { color: false });
    layout(outer, lines.len(), width).1
}

pub fn draw(frame: &mut Frame, state: &State, help: &Help, theme: Theme) {
    let (lines, width) = lines(state, frame.area().width, theme);
    let (area, overflow) = layout(frame.area(), lines.len(), width);
    frame.render_widget(Clear, area);
    let scroll = help.scroll.min(overflow);
    let hint = match (scroll > 0, scroll < overflow) {
        (false, false) => state.keys.hint(Context::Help, &[Intent::Close]),
        (false, true) => state
            .keys
            .hint(Context::Help, &[Intent::Down, Intent::Close]),
        (true, false) => state.keys.hint(Context::Help, &[Intent::Up, Intent::Close]),
        (true, true) => state
            .keys
            .hint(Context::Help, &[Intent::Up, Intent::Down, Intent::Close]),
    };
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0))
            .block(modal_block("Help", &hint, theme)),
        area,
    );
}
