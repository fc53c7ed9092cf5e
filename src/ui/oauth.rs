//! The OAuth sign-in window: choose the flow, then the browser URL or the device code.

use super::theme::{SPINNER, Theme};
use super::{centered, modal_block};
use crate::app::keys::{Context, Intent, KeyMap};
use crate::app::screens::oauth::{OAuthPhase, OAuthView};
use crate::app::state::State;
use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

/// A waiting step's lines and keys; the demo can approve as the simulated exchange.
fn waiting<'a>(
    mut lines: Vec<Line<'a>>,
    keys: &KeyMap,
    demo: bool,
    theme: Theme,
) -> (Vec<Line<'a>>, String) {
    if !demo {
        return (lines, keys.hint(Context::OAuth, &[Intent::Cancel]));
    }
    let approve = keys.shown(Context::OAuth, Intent::Approve);
    lines.push(Line::from(Span::styled(
        format!("Demo: press {approve} to approve as the simulated exchange."),
        theme.warning(),
    )));
    (
        lines,
        keys.hint(Context::OAuth, &[Intent::Approve, Intent::Cancel]),
    )
}

pub fn draw(frame: &mut Frame, state: &State, view: &OAuthView, theme: Theme) {
    let name = view.exchange.name();
    let title = match view.reauthorize {
        Some(_) => format!("Sign in to {name} again"),
        None => format!("Connect {name} with OAuth"),
    };
    let spinner = SPINNER[state.spinner % SPINNER.len()];
    let demo = state.demo_sim.is_some();
    let keys_in_use = &state.keys;
    let (lines, keys): (Vec<Line>, String) = match &view.phase {
        OAuthPhase::Choose => {
            let mut lines = vec![
                Line::from(format!(
                    "{name} lets you sign in instead of copying an API key."
                )),
                Line::from("keyfolio asks for read access only; tokens stay in your keyring."),
                Line::from(""),
            ];
            for flow in &view.flows {
                let chosen = *flow == view.flow;
                lines.push(Line::from(vec![
                    Span::styled(if chosen { " (•) " } else { " ( ) " }, theme.key()),
                    Span::raw(flow.label()),
                ]));
            }
            let keys = if view.reauthorize.is_some() {
                keys_in_use.hint(
                    Context::OAuth,
                    &[Intent::SwitchFlow, Intent::SignIn, Intent::Cancel],
                )
            } else {
                keys_in_use.hint(
                    Context::OAuth,
                    &[
                        Intent::SwitchFlow,
                        Intent::SignIn,
                        Intent::UseApiKey,
                        Intent::Cancel,
                    ],
                )
            };
            (lines, keys)
        }
        OAuthPhase::Starting => (
            vec![Line::from(format!("{spinner} Starting the sign-in…"))],
            keys_in_use.hint(Context::OAuth, &[Intent::Cancel]),
        ),
        OAuthPhase::Browser { url, opened } => {
            let lines = vec![
                Line::from(if *opened {
                    format!("{spinner} Your browser opened {name}'s sign-in page. Approve there.")
                } else {
                    format!("{spinner} No browser opened. Open this address to sign in:")
                }),
                Line::from(""),
                Line::from(Span::styled(url.as_str(), theme.key())),
                Line::from(""),
                Line::from(Span::styled(
                    "keyfolio waits for the browser (5 minutes at most).",
                    theme.dim(),
                )),
            ];
            waiting(lines, keys_in_use, demo, theme)
        }
        OAuthPhase::Device { uri, code } => {
            let lines = vec![
                Line::from(format!("{spinner} On any device, open:")),
                Line::from(Span::styled(uri.as_str(), theme.key())),
                Line::from("and enter the code:"),
                Line::from(Span::styled(format!("   {code}"), theme.title())),
                Line::from(""),
                Line::from(Span::styled(
                    "keyfolio checks at the interval the exchange asks for.",
                    theme.dim(),
                )),
            ];
            waiting(lines, keys_in_use, demo, theme)
        }
        OAuthPhase::Failed(why) => (
            vec![
                Line::from(Span::styled("The sign-in did not complete.", theme.error())),
                Line::from(""),
                Line::from(why.as_str()),
            ],
            keys_in_use.hint_as(
                Context::OAuth,
                &[(Intent::Retry, None), (Intent::Cancel, Some("close"))],
            ),
        ),
        OAuthPhase::Saved { label, assets } => (
            vec![Line::from(Span::styled(
                if view.reauthorize.is_some() {
                    format!("✓ Signed in again: {label} syncs again.")
                } else {
                    format!("✓ Connected {label}: {assets} assets. keyfolio keeps it synced.")
                },
                theme.ok(),
            ))],
            keys_in_use.hint_as(Context::OAuth, &[(Intent::SignIn, Some("close"))]),
        ),
    };
    let area = centered(frame.area(), 90, lines.len() as u16 + 4);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(modal_block(&title, &keys, theme)),
        area,
    );
}
