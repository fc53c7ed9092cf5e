//! How subcommands print: plain text through the sanitiser, JSON, CSV; and asking yes/no.

use super::*;

/// How a listing command prints.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Text,
    Json,
    Csv,
}

impl Format {
    pub(super) fn of(json: bool, csv: bool) -> Self {
        match (json, csv) {
            (true, _) => Self::Json,
            (_, true) => Self::Csv,
            _ => Self::Text,
        }
    }
}

/// Prints CSV rows (RFC 4180, a header first), each field through the terminal
/// sanitiser like every other line keyfolio prints.
pub(super) fn print_csv(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<()> {
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record(header)?;
    for row in rows {
        out.write_record(
            row.iter()
                .map(|f| crate::text::for_terminal(f).into_owned()),
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Prints JSON, pretty, with what serde_json leaves raw (DEL, C1, bidi) escaped.
pub(super) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    say!(
        "{}",
        crate::text::json_for_terminal(&serde_json::to_string_pretty(value)?)
    );
    Ok(())
}

/// Asks on standard output, or on standard error when standard output carries JSON.
pub(super) fn confirm(question: &str, on_stderr: bool) -> Result<bool> {
    use std::io::Write;
    let question = crate::text::for_terminal(question);
    if on_stderr {
        eprint!("{question}");
        std::io::stderr().flush()?;
    } else {
        print!("{question}");
        std::io::stdout().flush()?;
    }
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
