//! The API-key form window. Draws masks only: a secret is in clear only while it is the
//! focused, revealed field.

use super::theme::{SPINNER, Theme};
use super::{centered, modal_block};
use crate::app::form::{Field, FormPhase, KeyForm};
use crate::app::keys::{Context, Intent};
use crate::model::profile::profile;
use crate::model::{AccountSnapshot, ExchangeId, Failure};
use ratatui::Frame;
use ratatui::layout::Position;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

/// Width of the field names column, marker included.
const NAME_WIDTH: usize = 14;
const MAX_WIDTH: u16 = 78;

/// Draws the form centered over whatever is on screen.
pub fn draw(frame: &mut Frame, form: &KeyForm, theme: Theme) {
    let outer = frame.area();
    // Borders and horizontal padding take 4 columns.
    let width = MAX_WIDTH.min(outer.width);
    let text_width = (width.saturating_sub(4) as usize).max(20);
    let mut cursor = None;
    let mut focus_row = 0;
    let lines = match form.phase() {
        FormPhase::WithdrawWarning(snapshot) => withdraw_lines(form, snapshot, text_width, theme),
        FormPhase::Saved {
            label,
            assets,
            permissions,
        } => {
            let perms = match permissions {
                Some(p) => p.summary(),
                None if form.exchange().is_generic() => "not known for this exchange".to_string(),
                None => "not read".to_string(),
            };
            let assets = match assets {
                1 => "1 asset".to_string(),
                n => format!("{n} assets"),
            };
            let mut lines = wrap(
                &format!("✓ Connected {label}: {assets}, permissions {perms}"),
                text_width,
                0,
                theme.ok().add_modifier(Modifier::BOLD),
            );
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                format!(
                    "keyfolio keeps it synced from now on. {} closes.",
                    shown(form, Intent::Submit)
                ),
                theme.dim(),
            )));
            lines
        }
        _ => {
            let (lines, row, at) = field_lines(form, text_width, theme);
            cursor = at;
            focus_row = row;
            lines
        }
    };
    let total = lines.len() as u16;
    let height = (total + 2).min(outer.height);
    let area = centered(outer, width, height);
    frame.render_widget(Clear, area);
    let title = match form.replacing() {
        Some(r) => format!(
            "Replace the key of {} · {}",
            form.exchange().name(),
            crate::text::for_terminal(&r.label)
        ),
        None => format!("Connect {}", form.exchange().name()),
    };
    let block = modal_block(&title, &keys_hint(form), theme);
    let inner = block.inner(area);
    // Too short a terminal: scroll so the focused row and the line under it stay visible.
    let scroll = (focus_row + 2)
        .saturating_sub(inner.height)
        .min(total.saturating_sub(inner.height));
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
    if let Some((row, col)) = cursor {
        let Some(row) = row.checked_sub(scroll) else {
            return;
        };
        let position = Position::new(inner.x + col, inner.y + row);
        if inner.contains(position) {
            frame.set_cursor_position(position);
        }
    }
}

/// The form's hint line, from the key table.
fn keys_hint(form: &KeyForm) -> String {
    let keys = form.keys();
    match form.phase() {
        FormPhase::Editing | FormPhase::Failed(_) => keys.hint(
            Context::Form,
            &[
                Intent::NextField,
                Intent::Reveal,
                Intent::Submit,
                Intent::Cancel,
            ],
        ),
        FormPhase::Validating => keys.hint(Context::Form, &[Intent::Cancel]),
        FormPhase::WithdrawWarning(_) => {
            keys.hint(Context::Form, &[Intent::SaveAnyway, Intent::GoBack])
        }
        FormPhase::Saved { .. } => keys.hint_as(Context::Form, &[(Intent::Submit, Some("close"))]),
    }
}

/// The keys of one form intent as shown, e.g. "F2/Ctrl-R".
fn shown(form: &KeyForm, intent: Intent) -> String {
    form.keys().shown(Context::Form, intent)
}

/// Word-wraps `text` to `width`, continuation lines indented by `indent` columns.
fn wrap(text: &str, width: usize, indent: usize, style: Style) -> Vec<Line<'static>> {
    let pad = " ".repeat(indent);
    super::wrap(text, width.saturating_sub(indent).max(10))
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let lead = if i == 0 { "" } else { pad.as_str() };
            Line::from(Span::styled(format!("{lead}{l}"), style))
        })
        .collect()
}

/// What a field shows of `text` in `width` columns with the cursor at character `at`:
/// the part around the cursor, `…` where text is cut; and the shown text before the
/// cursor, to place it.
fn window(text: &str, at: usize, width: usize) -> (String, String) {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let at = at.min(n);
    let width = width.max(4);
    if n < width {
        return (text.to_string(), chars[..at].iter().collect());
    }
    // Characters between the two marks; the cursor stays at or before the right one.
    let room = width - 2;
    let start = at.saturating_sub(room);
    let end = (start + room).min(n);
    let lead = if start > 0 { "…" } else { "" };
    let trail = if end < n { "…" } else { "" };
    let body: String = chars[start..end].iter().collect();
    let before: String = chars[start..at].iter().collect();
    (format!("{lead}{body}{trail}"), format!("{lead}{before}"))
}

/// The failure block shown above the fields after the exchange refused.
fn failure_lines(
    failure: &Failure,
    exchange: ExchangeId,
    width: usize,
    theme: Theme,
) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(vec![
        Span::styled("✗ ", theme.error()),
        Span::styled(
            failure.kind.label().to_string(),
            theme.error().add_modifier(Modifier::BOLD),
        ),
    ])];
    if !failure.detail.is_empty() {
        lines.extend(
            wrap(&failure.detail, width.saturating_sub(2), 0, Style::new())
                .into_iter()
                .map(|mut l| {
                    l.spans.insert(0, Span::raw("  "));
                    l
                }),
        );
    }
    lines.extend(
        wrap(
            failure.kind.fix(exchange),
            width.saturating_sub(2),
            0,
            theme.warning(),
        )
        .into_iter()
        .map(|mut l| {
            l.spans.insert(0, Span::raw("  "));
            l
        }),
    );
    if let Some(offset) = failure.clock_offset_ms {
        lines.push(Line::from(vec![
            Span::styled("  Clock offset ", theme.dim()),
            Span::raw(format!(
                "{offset:+} ms between {} and this computer",
                exchange.name()
            )),
        ]));
    }
    if let Some(wait) = failure.retry_after {
        let secs = wait.as_secs();
        let text = if secs >= 60 {
            format!("{}m {}s", secs / 60, secs % 60)
        } else {
            format!("{secs}s")
        };
        lines.push(Line::from(vec![
            Span::styled("  Wait ", theme.dim()),
            Span::raw(format!("{text} before trying again")),
        ]));
    }
    lines
}

/// The fields, their messages, and the button or spinner; plus the focused row and where
/// the cursor goes.
fn field_lines(
    form: &KeyForm,
    width: usize,
    theme: Theme,
) -> (Vec<Line<'static>>, u16, Option<(u16, u16)>) {
    let mut lines = Vec::new();
    let exchange = form.exchange();
    if let FormPhase::Failed(failure) = form.phase() {
        lines.extend(failure_lines(failure, exchange, width, theme));
        lines.push(Line::from(""));
    }
    let editable = matches!(form.phase(), FormPhase::Editing | FormPhase::Failed(_));
    let value_width = width.saturating_sub(NAME_WIDTH + 1);
    let pad = " ".repeat(NAME_WIDTH);
    let mut cursor = None;
    let mut focus_row = 0;
    for field in form.fields() {
        if field == Field::Region {
            lines.push(Line::from(Span::styled("Advanced", theme.title())));
        }
        let focused = editable && form.focus() == field;
        if focused || (field == Field::Validate && !editable) {
            focus_row = lines.len() as u16;
        }
        let name = format!(
            "{}{:<w$}",
            if focused { "▶ " } else { "  " },
            form.label(field),
            w = NAME_WIDTH - 2
        );
        let name = if field == Field::Validate {
            Span::raw(pad.clone())
        } else if focused {
            Span::styled(name, theme.key())
        } else {
            Span::styled(name, theme.dim())
        };
        let mut spans = vec![name];
        match field {
            Field::Region => {
                let region = form.region().name;
                spans.push(Span::raw(format!("◂ {region} ▸")));
                if focused {
                    spans.push(Span::styled(
                        format!(
                            "  {}/{} change",
                            shown(form, Intent::CyclePrev),
                            shown(form, Intent::CycleNext)
                        ),
                        theme.dim(),
                    ));
                }
            }
            Field::Testnet => {
                let what = profile(exchange).sandbox_label(exchange);
                let mark = if form.testnet() { "[x]" } else { "[ ]" };
                spans.push(Span::styled(mark, theme.key()));
                spans.push(Span::raw(format!(" {what}")));
                if focused {
                    spans.push(Span::styled(
                        format!("  {} toggles", shown(form, Intent::Toggle)),
                        theme.dim(),
                    ));
                }
            }
            Field::Validate => {
                if form.phase() == &FormPhase::Validating {
                    let frame = SPINNER[form.spinner() % SPINNER.len()];
                    spans.push(Span::styled(
                        format!("{frame} Checking the key with {}…", exchange.name()),
                        theme.title(),
                    ));
                    spans.push(Span::styled(
                        format!("  {} cancels", shown(form, Intent::Cancel)),
                        theme.dim(),
                    ));
                } else {
                    let style = if focused {
                        theme.key().add_modifier(Modifier::REVERSED)
                    } else {
                        theme.key()
                    };
                    spans.push(Span::styled("[ Validate ]", style));
                }
            }
            Field::CustomUrl if form.is_empty(field) && !form.region().custom => {
                spans.push(Span::styled("used with Custom URL", theme.dim()));
            }
            _ => {
                let display = form.display(field);
                let at = form
                    .cursor()
                    .filter(|_| focused)
                    .unwrap_or(display.chars().count());
                let (shown, before) = window(&display, at, value_width);
                if focused {
                    let col = NAME_WIDTH + Span::raw(before).width();
                    cursor = Some((lines.len() as u16, col.min(width) as u16));
                }
                spans.push(Span::raw(shown));
                if focused && field.is_masked() && !form.is_empty(field) {
                    let hint = if form.revealed() { "  shown" } else { "" };
                    spans.push(Span::styled(hint, theme.warning()));
                }
            }
        }
        lines.push(Line::from(spans));
        if let Some(message) = form.error(field) {
            for mut line in wrap(message, value_width, 0, theme.error()) {
                line.spans.insert(0, Span::raw(pad.clone()));
                lines.push(line);
            }
        } else if field == Field::Secret
            && let Some(note) = form.secret_note()
        {
            for mut line in wrap(&note, value_width, 0, theme.dim()) {
                line.spans.insert(0, Span::raw(pad.clone()));
                lines.push(line);
            }
        }
    }
    (lines, focus_row, cursor)
}

/// The key can withdraw: say why that matters and ask.
fn withdraw_lines(
    form: &KeyForm,
    snapshot: &AccountSnapshot,
    width: usize,
    theme: Theme,
) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(
        "⚠ This key can withdraw funds",
        theme.warning(),
    ))];
    lines.extend(wrap(
        &format!(
            "keyfolio only reads balances. If this computer or its keyring were ever \
             compromised, a key that can withdraw could empty the account. We recommend a \
             read-only key: create one on {} with reading enabled and nothing else, \
             ideally restricted to this machine's IP.",
            form.exchange().name()
        ),
        width,
        0,
        Style::new(),
    ));
    lines.push(Line::from(""));
    let (perms, ip) = match snapshot.permissions {
        Some(p) => (
            p.summary(),
            if p.ip_restricted {
                "restricted to whitelisted IPs"
            } else {
                "none: the key works from any IP"
            },
        ),
        None => ("not read".to_string(), "unknown"),
    };
    lines.push(Line::from(vec![
        Span::styled("Permissions     ", theme.dim()),
        Span::raw(perms),
    ]));
    lines.push(Line::from(vec![
        Span::styled("IP restriction  ", theme.dim()),
        Span::raw(ip),
    ]));
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled("y", theme.key()),
        Span::raw(" save anyway   "),
        Span::styled("n", theme.key()),
        Span::raw(" go back"),
    ]));
    lines
}

#[cfg(test)]
mod tests {
    use super::window;

    #[test]
    fn a_long_value_shows_the_part_around_the_cursor() {
        let text = "abcdefghijklmnopqrstuvwxyz";
        assert_eq!(window("short", 2, 10), ("short".into(), "sh".into()));
        let (shown, before) = window(text, 26, 10);
        assert_eq!(
            (shown.as_str(), before.as_str()),
            ("…stuvwxyz", "…stuvwxyz")
        );
        let (shown, before) = window(text, 0, 10);
        assert_eq!((shown.as_str(), before.as_str()), ("abcdefgh…", ""));
        let (shown, before) = window(text, 12, 10);
        assert_eq!(
            (shown.as_str(), before.as_str()),
            ("…efghijkl…", "…efghijkl")
        );
        assert!(shown.chars().count() <= 10);
    }
}
