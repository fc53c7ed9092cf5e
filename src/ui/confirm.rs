//! The disconnect confirmation: what goes, what stays, and what keyfolio cannot do.

use super::theme::Theme;
use super::{centered, modal_block};
use crate::app::keys::Context;
use crate::app::screens::confirm::ConfirmDisconnect;
use crate::app::state::State;
use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, state: &State, confirm: &ConfirmDisconnect, theme: Theme) {
    let ConfirmDisconnect { id, purge } = *confirm;
    let area = centered(frame.area(), 70, 11);
    frame.render_widget(Clear, area);
    let name = state.connection(id).map_or("this connection".into(), |c| {
        format!("{} · {}", c.exchange.name(), c.label)
    });
    let check = |on: bool| if on { "[x]" } else { "[ ]" };
    let lines = vec![
        Line::from(format!("Disconnect {name}?")),
        Line::from(""),
        Line::from("keyfolio stops syncing it and deletes its secret from the keyring."),
        Line::from(vec![
            Span::styled(check(!purge), theme.key()),
            Span::raw(" keep its balance history    "),
            Span::styled(check(purge), theme.key()),
            Span::raw(" delete its history"),
        ]),
        Line::from(""),
        Line::from(Span::styled(
            "Also delete or restrict the API key on the exchange: keyfolio cannot.",
            theme.warning(),
        )),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(modal_block(
                "Disconnect",
                &state.keys.context_hint(Context::Confirm),
                theme,
            )),
        area,
    );
}
