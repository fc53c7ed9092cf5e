//! Subcommands that print what the build knows (completions, man page, exchanges) and
//! open no data directory, log or keyring.

use super::*;

/// `completions` and `man` print what clap_complete and clap_mangen make of the command
/// definition, `exchanges` what this build connects; they open no data directory, log or
/// keyring. `None` for other subcommands.
pub fn print_docs(command: &Command) -> Option<Result<i32>> {
    use std::io::Write as _;
    // Made in memory first: clap_complete panics on a failed write, and a reader that
    // stops early (`keyfolio man | head`) is no error.
    let mut text = Vec::new();
    match command {
        Command::Exchanges { json } => return Some(list_exchanges(*json)),
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::definition(), "keyfolio", &mut text);
        }
        Command::Man => {
            if let Err(e) = clap_mangen::Man::new(Cli::definition()).render(&mut text) {
                return Some(Err(e.into()));
            }
        }
        _ => return None,
    }
    let mut out = std::io::stdout().lock();
    Some(match out.write_all(&text).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(exit::OK),
    })
}

/// What keyfolio reads from an exchange, as `keyfolio exchanges` lists it.
pub(super) fn reads(exchange: ExchangeId) -> serde_json::Value {
    let own = !exchange.is_generic();
    let key_info = crate::exchange::ccxt::reads_permissions(exchange);
    json!({
        "balances": true,
        "permissions": key_info,
        "account_id": key_info,
        // Binance and OKX: the exchange's own strings. Others: the exchange's strings where
        // CCXT's f64 matches one, else marked approximate when digits may be lost.
        "decimals_exact": if own { "always" } else { "where the exchange's strings survive CCXT's f64; otherwise marked ≈" },
    })
}

/// `keyfolio exchanges`: every exchange compiled in, Binance and OKX first.
pub(super) fn list_exchanges(as_json: bool) -> Result<i32> {
    let rows: Vec<serde_json::Value> = ExchangeId::all()
        .iter()
        .map(|&e| {
            json!({
                "id": e.id(),
                "name": e.name(),
                "credentials": e.credential_fields().iter().map(|f| json!({
                    "name": f.ccxt_name(), "label": f.word(e),
                })).collect::<Vec<_>>(),
                "connectable": e.is_connectable(),
                "needs_unsupported": e.blockers(),
                "reads": reads(e),
            })
        })
        .collect();
    if as_json {
        print_json(&rows)?;
        return Ok(exit::OK);
    }
    say!(
        "{:<12} {:<20} {:<34} reads",
        "id",
        "name",
        "credentials (--cred NAME=VAR)"
    );
    for &e in ExchangeId::all() {
        let creds = e
            .credential_fields()
            .iter()
            .map(|f| f.ccxt_name())
            .collect::<Vec<_>>()
            .join(", ");
        let reads = if !e.is_connectable() {
            format!("cannot connect yet: needs {}", e.blockers().join(", "))
        } else if e.is_generic() {
            "balances (permissions and account id not known)".to_string()
        } else {
            "balances, permissions, account id; exact decimals".to_string()
        };
        say!("{:<12} {:<20} {:<34} {reads}", e.id(), e.name(), creds);
    }
    Ok(exit::OK)
}
