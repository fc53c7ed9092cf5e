//! `draw(frame, &State)`: layout and dispatch. Pure: it reads the state and nothing else.

mod cards;
mod confirm;
mod detail;
mod help;
pub mod key_form;
mod oauth;
mod picker;
mod portfolio;
pub mod theme;

use crate::app::keys::Context;
use crate::app::state::{Modal, State};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use theme::Theme;

pub use help::most_scroll as help_most_scroll;

/// Draws the whole screen, then passes every cell through the terminal edge's sanitiser.
pub fn draw(frame: &mut Frame, state: &State, theme: Theme) {
    draw_screen(frame, state, theme);
    sanitise(frame.buffer_mut());
}

/// The edge: a cell whose text holds a control-like character (see
/// [`crate::text::is_control_like`]) shows the marker instead, so nothing that slipped
/// past the boundary reaches the terminal as a control sequence.
pub fn sanitise(buffer: &mut Buffer) {
    for cell in &mut buffer.content {
        if cell.symbol().chars().any(crate::text::is_control_like) {
            cell.set_char(crate::text::MARKER);
        }
    }
}

fn draw_screen(frame: &mut Frame, state: &State, theme: Theme) {
    let [header, body, notice, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_header(frame, header, state, theme);
    cards::draw(frame, body, state, theme);
    if let Some(n) = &state.notice {
        let style = if n.is_error {
            theme.error()
        } else {
            theme.ok()
        };
        frame.render_widget(Paragraph::new(Span::styled(n.text.as_str(), style)), notice);
    }
    frame.render_widget(
        Paragraph::new(Span::styled(status_bar(state, footer.width), theme.dim())),
        footer,
    );

    if let Some(form) = &state.form {
        key_form::draw(frame, form, theme);
        return;
    }
    match &state.modal {
        None => {}
        Some(Modal::Help(h)) => help::draw(frame, state, h, theme),
        Some(Modal::Detail(d)) => detail::draw(frame, state, d, theme),
        Some(Modal::ConfirmDisconnect(c)) => confirm::draw(frame, state, c, theme),
        Some(Modal::Portfolio(view)) => portfolio::draw(frame, state, view, theme),
        Some(Modal::OAuth(view)) => oauth::draw(frame, state, view, theme),
        Some(Modal::Picker(picker)) => picker::draw(frame, state, picker, theme),
    }
}

fn draw_header(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    let count = state.connections.len();
    let mut spans = vec![
        Span::styled(" keyfolio ", theme.title()),
        Span::styled("· Connections ", theme.dim()),
        Span::raw(format!(
            "· {count} connection{} ",
            if count == 1 { "" } else { "s" }
        )),
    ];
    if let Some(v) = state.valuation.as_ref().filter(|v| !v.assets.is_empty()) {
        spans.push(Span::styled(
            format!(
                "· ≈ {} {} ",
                crate::portfolio::display_value(v.total, v.quote),
                v.quote.code()
            ),
            theme.title(),
        ));
        if let Some(change) = portfolio::day_change(state.day_change, theme) {
            spans.push(change);
            spans.push(Span::raw(" "));
        }
    }
    if !state.syncing.is_empty() {
        spans.push(Span::raw(format!("· {} syncing ", state.syncing.len())));
    }
    if let Some(filter) = &state.filter {
        spans.push(Span::styled(
            format!(
                "· {} shown · /{}{} ",
                state.shown_connections(),
                filter.text,
                if filter.editing { "▏" } else { "" }
            ),
            theme.key(),
        ));
    }
    if state.demo {
        spans.push(Span::styled(
            " DEMO: simulated exchanges, nothing is saved ",
            theme.demo(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The status bar: the filter's keys while it is typed, else the Connections keys.
fn status_bar(state: &State, width: u16) -> String {
    if state.filter.as_ref().is_some_and(|f| f.editing) {
        return state.keys.context_hint(Context::Filter);
    }
    state.keys.status_bar_text(width)
}

/// A bordered window with a title and its keys at the bottom.
pub fn modal_block<'a>(title: &str, keys: &str, theme: Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .padding(ratatui::widgets::Padding::horizontal(1))
        .title(Span::styled(format!(" {title} "), theme.title()))
        .title_bottom(Line::from(Span::styled(format!(" {keys} "), theme.dim())).right_aligned())
}

/// A rectangle of at most `width` x `height`, centered, never larger than `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Word-wraps `text` to `width` columns (a longer word is cut).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let needed =
            current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if !current.is_empty() && needed > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
        while current.chars().count() > width {
            let head: String = current.chars().take(width).collect();
            let tail: String = current.chars().skip(width).collect();
            lines.push(head);
            current = tail;
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}
