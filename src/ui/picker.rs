//! The exchange picker: a filter line and the exchanges it lets through, each with the
//! credentials its keys are made of.

use super::theme::Theme;
use super::{centered, modal_block};
use crate::app::keys::Context;
use crate::app::screens::picker::Picker;
use crate::app::state::State;
use crate::model::ExchangeId;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, List, ListItem, ListState, Paragraph};

pub fn draw(frame: &mut Frame, state: &State, picker: &Picker, theme: Theme) {
    let area = centered(frame.area(), 64, 20);
    frame.render_widget(Clear, area);
    let block = modal_block(
        "Connect an exchange",
        &state.keys.context_hint(Context::Picker),
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [filter, list] = Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(inner);
    let typed = if picker.text.is_empty() {
        Span::styled("type to filter", theme.dim())
    } else {
        Span::raw(picker.text.as_str())
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" Exchange: ", theme.key()),
            typed,
            Span::raw("▏"),
        ])),
        filter,
    );
    let matches = picker.matches();
    if matches.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!(" No exchange in this build matches “{}”", picker.text),
                theme.dim(),
            )),
            list,
        );
        return;
    }
    let items: Vec<ListItem> = matches
        .iter()
        .map(|&exchange| {
            let oauth = state.oauth_offer(exchange).is_some();
            ListItem::new(row(exchange, oauth, theme))
        })
        .collect();
    let mut selection = ListState::default().with_selected(Some(picker.selected));
    frame.render_stateful_widget(
        List::new(items)
            .highlight_symbol("▶ ")
            .highlight_style(theme.title()),
        list,
        &mut selection,
    );
}

/// "Crypto.com   API key · Secret", "OAuth sign-in, or …" where a sign-in is offered, or
/// why it cannot be connected yet.
fn row(exchange: ExchangeId, oauth: bool, theme: Theme) -> Line<'static> {
    let blockers = exchange.blockers();
    let what = if blockers.is_empty() {
        let fields = exchange
            .credential_fields()
            .iter()
            .map(|f| f.word(exchange))
            .collect::<Vec<_>>()
            .join(" · ");
        let oauth = if oauth { "OAuth sign-in, or " } else { "" };
        Span::styled(format!("{oauth}{fields}"), theme.dim())
    } else {
        Span::styled(
            format!("not yet: needs {}", blockers.join(", ")),
            theme.dim(),
        )
    };
    Line::from(vec![Span::raw(format!("{:<22}", exchange.name())), what])
}
