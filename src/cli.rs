//! Command-line parsing and the subcommands scripts use.

use crate::context::{ConnectError, Context};
use crate::model::profile::profile;
use crate::model::{
    AccountSnapshot, CredentialField, Credentials, Endpoint, ExchangeId, Failure, display_amount,
};
use crate::store::SecretError;
use crate::text::MAX_CREDENTIAL_CHARS;
use anyhow::Result;
use clap::{Parser, Subcommand};
use serde_json::json;

/// `keyfolio --version`: the package version and the commit it was built from, e.g.
/// `0.2.0 (a77a8c7 2026-12-03)` (build.rs; the version alone when neither git nor
/// `cargo package`'s record of the commit was there at build time).
pub const VERSION: &str = env!("KEYFOLIO_VERSION");

/// keyfolio: connect exchange accounts and keep a portfolio synced, in the terminal.
#[derive(Debug, Parser)]
#[command(version = VERSION, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Run the app, or any subcommand, against the built-in exchange simulator and a
    /// throwaway data directory: the trader's own data and keyring are never touched.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Benchmarks only: open the database, build the first Connections frame at WxH
    /// (e.g. 120x40) on an in-memory backend, print it and exit. No keyring, no network.
    #[arg(long, value_name = "WxH", hide = true)]
    pub render_once: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List connections.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show which secret store is in use, whether it answers, the data paths and schema version.
    Doctor {
        #[arg(long)]
        json: bool,
    },
    /// Check credentials against the exchange; saves nothing.
    Validate {
        #[arg(ignore_case = true)]
        exchange: ExchangeId,
        #[command(flatten)]
        creds: CredentialArgs,
        #[arg(long)]
        json: bool,
    },
    /// Validate, then save a connection (secret into the secret store, metadata into SQLite).
    Connect {
        #[arg(ignore_case = true)]
        exchange: ExchangeId,
        #[arg(long)]
        label: Option<String>,
        #[command(flatten)]
        key: KeyArgs,
        #[arg(long)]
        json: bool,
    },
    /// Replace a connection's API key in place: id, label, history and balances stay. The
    /// new key is validated first and refused (nothing changed) when it is the same key,
    /// another connection's, or of another account where the exchange tells. The new
    /// secret is written under a new keyring entry before the row points at it, and the
    /// old entry is deleted only after.
    Rotate {
        id: i64,
        #[command(flatten)]
        key: KeyArgs,
        #[arg(long)]
        json: bool,
    },
    /// Sync connections now and print each outcome; exit 0 only if all succeeded.
    Sync {
        ids: Vec<i64>,
        #[arg(long, conflicts_with = "ids")]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// The last good balances, wallet by wallet, amounts as decimal strings.
    Balances {
        id: Option<i64>,
        #[arg(long)]
        json: bool,
        /// One CSV row per balance (RFC 4180), the same columns as --json.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
    },
    /// Remove a connection and delete its secret.
    Disconnect {
        id: i64,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
        /// Also delete its balance history.
        #[arg(long)]
        purge: bool,
        #[arg(long)]
        json: bool,
    },
    /// Set one connection's sync interval in seconds (at least 10), or `default` for the global one.
    Interval {
        id: i64,
        seconds: String,
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script, e.g. `keyfolio completions bash > ~/.local/share/bash-completion/completions/keyfolio`.
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), e.g. `keyfolio man > ~/.local/share/man/man1/keyfolio.1`.
    Man,
    /// What the portfolio is worth: every asset's amount, price, value and share, and the
    /// total, with prices read now from the connected exchanges' tickers.
    Portfolio {
        #[arg(long)]
        json: bool,
        /// One CSV row per asset (RFC 4180), the same columns as --json's assets.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// Count values in USDT (default: config.toml's `quote`), USD, USDC, EUR or BTC.
        #[arg(long, value_name = "Q")]
        quote: Option<String>,
    },
    /// The total value over time, oldest first (e.g. `--since 7d`; units m, h, d).
    History {
        #[arg(long)]
        json: bool,
        /// One CSV row per point (RFC 4180): at, quote, total.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
    },
    /// List the exchanges this build connects: id, name, the credentials each needs and
    /// what keyfolio reads from it.
    Exchanges {
        #[arg(long)]
        json: bool,
    },
    /// Every stored key: exchange, label, key hint, permissions, IP restriction, when its
    /// permissions were checked, age and last good sync. Exits 3 when any key can withdraw
    /// or has no IP restriction where the exchange tells it (for cron); keys whose
    /// permissions are not known are listed as such and do not fail the audit.
    Audit {
        #[arg(long)]
        json: bool,
    },
    /// Run the built-in exchange simulator until Ctrl-C; prints its accounts as JSON.
    Sim {
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Every answer waits this many milliseconds: an exchange's round trip
        #[arg(long, default_value_t = 0, value_name = "MS")]
        latency_ms: u64,
        /// This many read-only accounts more, Binance and OKX alternating, for load tests
        #[arg(long, default_value_t = 0, value_name = "N")]
        accounts: usize,
    },
}

/// The end of `--help` (and the man page): exit codes and environment variables. None of
/// the variables is a flag's default, so clap's `env` does not fit them; they are listed here.
const AFTER_HELP: &str = "\
Exit codes (the same for every subcommand):
  0  success
  1  anything else
  2  usage error
  3  credentials rejected or refused: only you can fix it
  4  network, exchange or keyring unavailable: trying again later may work

Environment:
  KEYFOLIO_HOME                 keep config.toml, the database, the secrets file and the
                                logs in this directory instead of the platform's ones
  KEYFOLIO_LOG                  what the log file records, as a tracing filter
                                (default: info; e.g. debug, keyfolio=trace)
  KEYFOLIO_SECRET_SESSION       plain: read secrets from the Secret Service without its
                                encrypted session (Linux; faster start, see README)
  KEYFOLIO_SECRETS_PASSPHRASE   the encrypted secrets file's passphrase (secret_store =
                                \"file\") for scripts; in a terminal keyfolio asks
  NO_COLOR                      draw the app without colours";

impl Cli {
    /// The command definition the parser, the completions and the man page share: every
    /// subcommand's `--help` ends with the same exit codes and variables as the top level.
    pub fn definition() -> clap::Command {
        use clap::CommandFactory;
        Self::command().mut_subcommands(|sub| sub.after_help(AFTER_HELP))
    }

    /// Parses the process's arguments against [`Cli::definition`]; a usage error exits 2.
    pub fn parse_args() -> Self {
        use clap::FromArgMatches;
        Self::from_arg_matches(&Self::definition().get_matches()).unwrap_or_else(|e| e.exit())
    }
}

/// A key to save (`connect`, `rotate`): its credentials, and the consent a key that can
/// withdraw needs.
#[derive(Debug, clap::Args)]
pub struct KeyArgs {
    #[command(flatten)]
    creds: CredentialArgs,
    /// Save a key that can withdraw funds (read-only keys are recommended).
    #[arg(long)]
    accept_withdraw_risk: bool,
}

/// Where credentials come from: never argv.
#[derive(Debug, clap::Args)]
pub struct CredentialArgs {
    /// Name of the environment variable holding the API key.
    #[arg(long, value_name = "VAR")]
    api_key_env: Option<String>,
    /// Name of the environment variable holding the secret (HMAC secret, Ed25519 PEM, or a .pem path).
    #[arg(long, value_name = "VAR")]
    secret_env: Option<String>,
    /// Name of the environment variable holding the OKX passphrase.
    #[arg(long, value_name = "VAR")]
    passphrase_env: Option<String>,
    /// Any credential by CCXT's name, from an environment variable: `--cred uid=MY_UID`.
    /// Names: apiKey, secret, password (the passphrase), uid; see `keyfolio exchanges`.
    #[arg(long, value_name = "NAME=VAR")]
    cred: Vec<String>,
    /// Read the credentials as a JSON object from standard input, under CCXT's names
    /// ({"apiKey", "secret", "password", "uid"}; "api_key" and "passphrase" also work).
    #[arg(long, conflicts_with_all = ["api_key_env", "secret_env", "passphrase_env", "cred"])]
    stdin: bool,
    /// Base URL replacing the exchange's host (testnets, proxies, regional sites, the simulator).
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// Use the exchange's testnet / demo-trading environment.
    #[arg(long)]
    sandbox: bool,
}

/// Prints a line on standard output through the terminal edge's sanitiser.
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", crate::text::for_terminal(&format!($($arg)*)))
    };
}

/// Prints a line on standard error through the terminal edge's sanitiser.
macro_rules! say_err {
    ($($arg:tt)*) => {
        eprintln!("{}", crate::text::for_terminal(&format!($($arg)*)))
    };
}

/// How a listing command prints.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Csv,
}

impl Format {
    fn of(json: bool, csv: bool) -> Self {
        match (json, csv) {
            (true, _) => Self::Json,
            (_, true) => Self::Csv,
            _ => Self::Text,
        }
    }
}

/// Prints CSV rows (RFC 4180, a header first), each field through the terminal
/// sanitiser like every other line keyfolio prints.
fn print_csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Result<()> {
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
fn print_json(value: &impl serde::Serialize) -> Result<()> {
    say!(
        "{}",
        crate::text::json_for_terminal(&serde_json::to_string_pretty(value)?)
    );
    Ok(())
}

/// A usage error: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn usage(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

/// A secret given as a path to a .pem file is read from that file, by the key form's rule
/// ([`crate::model::read_pem_file`]: which exchanges, and the size cap checked before reading).
pub fn resolve_secret(exchange: ExchangeId, text: &str) -> Result<String> {
    let trimmed = text.trim();
    match crate::model::read_pem_file(exchange, trimmed) {
        None => Ok(trimmed.to_string()),
        Some(Ok(key)) => Ok(key.to_string()),
        Some(Err(e @ crate::model::PemFileError::Unreadable { .. })) => Err(e.into()),
        Some(Err(e)) => Err(usage(e.to_string())),
    }
}

/// The most standard input `--stdin` reads: three credentials at their longest, and room
/// for JSON's quoting.
const MAX_STDIN_BYTES: u64 = (MAX_CREDENTIAL_CHARS * 3 * 2 + 1024) as u64;

/// Reads `--stdin`'s JSON, refusing more than [`MAX_STDIN_BYTES`] before parsing it.
fn read_stdin_json() -> Result<serde_json::Value> {
    use std::io::Read as _;
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(MAX_STDIN_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_STDIN_BYTES {
        return Err(usage(format!(
            "--stdin read more than {MAX_STDIN_BYTES} bytes; credentials are at most {MAX_CREDENTIAL_CHARS} characters each"
        )));
    }
    serde_json::from_slice(&bytes).map_err(|_| {
        usage("--stdin expects a JSON object {\"apiKey\", \"secret\", \"password\", \"uid\"}")
    })
}

impl CredentialArgs {
    /// The `--cred NAME=VAR` values, read from their environment variables.
    fn named_credentials(&self) -> Result<std::collections::HashMap<CredentialField, String>> {
        let mut named = std::collections::HashMap::new();
        for pair in &self.cred {
            let (name, var) = pair
                .split_once('=')
                .ok_or_else(|| usage(format!("--cred takes NAME=VAR, not {pair:?}")))?;
            let field = CredentialField::from_ccxt(name.trim()).ok_or_else(|| {
                usage(format!(
                    "--cred: {name:?} is not a credential keyfolio takes (apiKey, secret, password, uid)"
                ))
            })?;
            let value = std::env::var(var.trim()).map_err(|_| {
                usage(format!(
                    "--cred {name}: environment variable {var} is not set"
                ))
            })?;
            named.insert(field, value);
        }
        Ok(named)
    }

    fn read(&self, exchange: ExchangeId) -> Result<(Credentials, Endpoint)> {
        let env = |flag: &str, var: &Option<String>| -> Result<Option<String>> {
            match var {
                None => Ok(None),
                Some(name) => std::env::var(name)
                    .map(Some)
                    .map_err(|_| usage(format!("{flag}: environment variable {name} is not set"))),
            }
        };
        let (api_key, secret, passphrase, uid) = if self.stdin {
            let v = read_stdin_json()?;
            let field = |names: &[&str]| {
                names
                    .iter()
                    .find_map(|k| v.get(*k).and_then(|x| x.as_str()).map(str::to_string))
            };
            (
                field(&["apiKey", "api_key"]),
                field(&["secret"]),
                field(&["password", "passphrase"]),
                field(&["uid"]),
            )
        } else {
            let mut named = self.named_credentials()?;
            let mut take = |field: CredentialField, flag: &str, var: &Option<String>| match named
                .remove(&field)
            {
                Some(value) => Ok(Some(value)),
                None => env(flag, var),
            };
            (
                take(CredentialField::ApiKey, "--api-key-env", &self.api_key_env)?,
                take(CredentialField::Secret, "--secret-env", &self.secret_env)?,
                take(
                    CredentialField::Password,
                    "--passphrase-env",
                    &self.passphrase_env,
                )?,
                take(CredentialField::Uid, "--cred uid=VAR", &None)?,
            )
        };
        let api_key = api_key
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| usage("the API key is missing: use --api-key-env VAR or --stdin"))?;
        let secret = secret
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| usage("the secret is missing: use --secret-env VAR or --stdin"))?;
        let secret = zeroize::Zeroizing::new(resolve_secret(exchange, &secret)?);
        let passphrase = passphrase.filter(|p| !p.is_empty());
        let uid = uid.filter(|u| !u.trim().is_empty());
        let checks = [
            ("the API key", Some(api_key.trim()), false),
            ("the secret", Some(secret.as_str()), true),
            ("the passphrase", passphrase.as_deref(), false),
            ("the user id", uid.as_deref(), false),
        ];
        for (name, value, multiline) in checks {
            if let Some(value) = value {
                crate::text::check_credential(name, value, multiline).map_err(usage)?;
            }
        }
        if let Some(why) = exchange.blockers().first() {
            return Err(usage(format!(
                "{} cannot be connected yet: it needs {why}",
                exchange.name()
            )));
        }
        if exchange.needs_passphrase() && passphrase.is_none() {
            return Err(usage(format!(
                "{} keys need their passphrase: use --passphrase-env VAR, --cred password=VAR or --stdin",
                exchange.name()
            )));
        }
        if exchange.needs_uid() && uid.is_none() {
            return Err(usage(format!(
                "{} keys need the account's user id: use --cred uid=VAR or --stdin",
                exchange.name()
            )));
        }
        if let Some(url) = &self.endpoint
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(usage("--endpoint must start with http:// or https://"));
        }
        let creds = Credentials::new(api_key.trim(), &secret, passphrase.as_deref())
            .with_uid(uid.as_deref().map(str::trim));
        Ok((
            creds,
            Endpoint {
                base_url: self.endpoint.clone(),
                sandbox: self.sandbox,
            },
        ))
    }
}

/// The exchanges as clap's listed values, from [`ExchangeId::all`]: `--help` and the
/// completions list them, and any other name is a usage error (exit 2).
impl clap::ValueEnum for ExchangeId {
    fn value_variants<'a>() -> &'a [Self] {
        Self::all()
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.id()).help(self.name()))
    }
}

/// The exit code for an exchange failure, the same in validate, connect and sync: 3 when
/// only the trader can fix it (a rejected key, a missing secret), else 4 (the network,
/// the exchange or the keyring is unavailable; trying again later may work).
fn failure_code(f: &Failure) -> i32 {
    if f.kind.needs_trader() {
        exit::REJECTED
    } else {
        exit::UNAVAILABLE
    }
}

fn explain(exchange: ExchangeId, f: &Failure) -> String {
    format!("{f}\n{}", f.kind.fix(exchange))
}

/// The exit code for a secret store that failed: unavailable (no keyring, locked,
/// silent) is 4 like the exchange being down; a missing entry needs the trader (3).
fn secret_code(e: &SecretError) -> i32 {
    match e {
        SecretError::Timeout(_) | SecretError::Unavailable(_) | SecretError::Locked(_) => {
            exit::UNAVAILABLE
        }
        SecretError::Missing => exit::REJECTED,
        SecretError::File(_) => exit::OTHER,
    }
}

/// The exit code for a sync that did not fully succeed: 3 when any failure needs the
/// trader (a rejected key, a missing secret), else 4 (network, exchange, keyring).
fn sync_code<'a>(failures: impl IntoIterator<Item = &'a Failure>) -> i32 {
    failures
        .into_iter()
        .map(failure_code)
        .min_by_key(|&code| code != exit::REJECTED)
        .unwrap_or(exit::OK)
}

/// The exit code for an error that ended a subcommand: every subcommand maps the same
/// cause to the same code (see [`exit`]).
pub fn error_code(e: &anyhow::Error) -> i32 {
    if e.downcast_ref::<UsageError>().is_some() {
        return exit::USAGE;
    }
    for cause in e.chain() {
        if let Some(s) = cause.downcast_ref::<SecretError>() {
            return secret_code(s);
        }
        if let Some(ConnectError::Secrets(s)) = cause.downcast_ref::<ConnectError>() {
            return secret_code(s);
        }
    }
    exit::OTHER
}

/// Exit codes scripts can rely on, the same for every subcommand.
pub mod exit {
    pub const OK: i32 = 0;
    pub const OTHER: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const REJECTED: i32 = 3;
    pub const UNAVAILABLE: i32 = 4;
}

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

/// `keyfolio portfolio`: prices read now, values in decimals, JSON amounts as strings.
async fn portfolio(ctx: &Context, format: Format, quote: Option<&str>) -> Result<i32> {
    let quote = match quote {
        None => ctx.config.quote,
        Some(q) => crate::model::Quote::parse(q)
            .ok_or_else(|| usage(format!("--quote {q:?}: use USDT, USD, USDC, EUR or BTC")))?,
    };
    // Through the engine, so the request is spent from the exchange's budget as in the TUI.
    crate::sync::Engine::new(ctx.clone(), None)
        .read_prices()
        .await?;
    let v = ctx.valuation(quote).await?;
    let code = quote.code();
    let decimal = |d: Option<rust_decimal::Decimal>| d.map(|d| d.normalize().to_string());
    if format == Format::Csv {
        let rows = v.assets.iter().map(|a| {
            vec![
                a.asset.clone(),
                a.amount.normalize().to_string(),
                decimal(a.price).unwrap_or_default(),
                decimal(a.value).unwrap_or_default(),
                a.share.map(|s| s.to_string()).unwrap_or_default(),
                code.to_string(),
                a.holders.join("; "),
                a.stale.to_string(),
            ]
        });
        let header = [
            "asset",
            "amount",
            "price",
            "value",
            "share_percent",
            "quote",
            "held_on",
            "stale",
        ];
        print_csv(&header, rows)?;
        return Ok(exit::OK);
    }
    if format == Format::Json {
        let assets: Vec<serde_json::Value> = v
            .assets
            .iter()
            .map(|a| {
                json!({
                    "asset": a.asset, "amount": a.amount.normalize().to_string(),
                    "price": decimal(a.price),
                    "value": decimal(a.value),
                    "share_percent": a.share.map(|s| s.to_string()),
                    "held_on": a.holders, "stale": a.stale,
                    "wallets": a.places.iter().map(|(id, wallet, amount)| json!({
                        "id": id, "wallet": wallet, "amount": amount.normalize().to_string(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        print_json(&json!({
            "quote": code,
            "total": v.total.normalize().to_string(),
            "unpriced": v.unpriced,
            "prices_stale": v.prices_stale,
            "assets": assets,
        }))?;
        return Ok(exit::OK);
    }
    say!(
        "{:<10} {:>24} {:>16} {:>18} {:>8}  held on",
        "asset",
        "amount",
        format!("price {code}"),
        format!("value {code}"),
        "share"
    );
    for a in &v.assets {
        say!(
            "{:<10} {:>24} {:>16} {:>18} {:>8}  {}",
            format!("{}{}", a.asset, if a.stale { "*" } else { "" }),
            display_amount(&a.amount.normalize().to_string()),
            a.price
                .map_or("no price".into(), crate::portfolio::display_price),
            a.value
                .map_or("-".into(), |x| crate::portfolio::display_value(x, quote)),
            a.share.map_or(String::new(), |s| format!("{s:.2}%")),
            a.holders.join(", ")
        );
    }
    say!(
        "total ≈ {} {code}",
        crate::portfolio::display_value(v.total, quote)
    );
    if !v.unpriced.is_empty() {
        say!(
            "no price for {} (left out of the total)",
            v.unpriced.join(", ")
        );
    }
    if v.prices_stale {
        say!("warning: some prices are from before a failed update");
    }
    Ok(exit::OK)
}

/// A duration such as `90m`, `24h` or `7d`.
fn parse_duration(text: &str) -> Option<chrono::Duration> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = number.parse().ok()?;
    match unit {
        "m" => Some(chrono::Duration::minutes(n)),
        "h" => Some(chrono::Duration::hours(n)),
        "d" => Some(chrono::Duration::days(n)),
        _ => None,
    }
}

/// `keyfolio history`: the total value series in the configured quote.
async fn history(ctx: &Context, format: Format, since: Option<&str>) -> Result<i32> {
    let since = match since {
        None => None,
        Some(s) => Some(
            chrono::Utc::now()
                - parse_duration(s)
                    .ok_or_else(|| usage(format!("--since {s:?}: use e.g. 90m, 24h or 7d")))?,
        ),
    };
    let points = ctx.total_history(since).await?;
    let quote = ctx.config.quote;
    if format == Format::Csv {
        let rows = points.iter().map(|(at, total)| {
            vec![
                at.to_rfc3339(),
                quote.code().to_string(),
                total.normalize().to_string(),
            ]
        });
        print_csv(&["at", "quote", "total"], rows)?;
    } else if format == Format::Json {
        let points: Vec<serde_json::Value> = points
            .iter()
            .map(|(at, total)| json!({ "at": at.to_rfc3339(), "total": total.normalize().to_string() }))
            .collect();
        print_json(&json!({ "quote": quote.code(), "points": points }))?;
    } else if points.is_empty() {
        say!("No value history yet: it is recorded after each good sync.");
    } else {
        for (at, total) in &points {
            say!(
                "{}  {} {}",
                at.to_rfc3339(),
                crate::portfolio::display_value(*total, quote),
                quote.code()
            );
        }
    }
    Ok(exit::OK)
}

/// What keyfolio reads from an exchange, as `keyfolio exchanges` lists it.
fn reads(exchange: ExchangeId) -> serde_json::Value {
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
fn list_exchanges(as_json: bool) -> Result<i32> {
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

/// Runs one subcommand; returns the process exit code.
pub async fn run(ctx: Context, command: Command) -> Result<i32> {
    if matches!(
        command,
        Command::Connect { .. }
            | Command::Rotate { .. }
            | Command::Sync { .. }
            | Command::Disconnect { .. }
    ) {
        // Finish what an interrupted connect or rotate left: a secret whose row was never
        // written, or a replaced key's entry not yet deleted.
        if let Err(e) = ctx.clean_orphans().await {
            tracing::warn!("could not check for orphaned secrets: {e:#}");
        }
    }
    match command {
        Command::List { json } => list(&ctx, json).await,
        Command::Portfolio { json, csv, quote } => {
            portfolio(&ctx, Format::of(json, csv), quote.as_deref()).await
        }
        Command::History { json, csv, since } => {
            history(&ctx, Format::of(json, csv), since.as_deref()).await
        }
        Command::Doctor { json } => doctor(&ctx, json).await,
        Command::Audit { json } => audit(&ctx, json).await,
        Command::Validate {
            exchange,
            creds,
            json,
        } => {
            let (creds, endpoint) = creds.read(exchange)?;
            match ctx.validate(exchange, &endpoint, &creds).await {
                Ok(snapshot) if json => {
                    print_json(&validated_json(exchange, &creds, &snapshot))?;
                    Ok(exit::OK)
                }
                Ok(snapshot) => {
                    print_validated(exchange, &creds, &snapshot);
                    Ok(exit::OK)
                }
                Err(f) => report_failure(exchange, &f, json),
            }
        }
        Command::Connect {
            exchange,
            label,
            key,
            json,
        } => {
            let (creds, endpoint) = key.creds.read(exchange)?;
            let label = match label {
                Some(l) if !l.trim().is_empty() => {
                    crate::text::check_label(l.trim()).map_err(usage)?;
                    l.trim().to_string()
                }
                _ => ctx.suggest_label(exchange).await?,
            };
            match ctx
                .connect(
                    exchange,
                    &label,
                    &endpoint,
                    &creds,
                    key.accept_withdraw_risk,
                )
                .await
            {
                Ok((id, snapshot)) if json => {
                    let mut out = validated_json(exchange, &creds, &snapshot);
                    out["id"] = json!(id);
                    out["label"] = json!(label);
                    print_json(&out)?;
                    Ok(exit::OK)
                }
                Ok((id, snapshot)) => {
                    print_validated(exchange, &creds, &snapshot);
                    say!("connected {label} as connection {id}");
                    Ok(exit::OK)
                }
                Err(e) => report_refusal(exchange, e, json),
            }
        }
        Command::Rotate { id, key, json } => {
            let record = ctx.with_db(move |db| db.connection(id)).await?;
            let exchange = record.exchange;
            let (creds, endpoint) = key.creds.read(exchange)?;
            // Without --endpoint or --sandbox the new key goes where the old one went.
            let endpoint = (endpoint.base_url.is_some() || endpoint.sandbox).then_some(endpoint);
            match ctx
                .rotate(id, endpoint.as_ref(), &creds, key.accept_withdraw_risk)
                .await
            {
                Ok((stored, snapshot)) if json => {
                    let mut out = validated_json(exchange, &creds, &snapshot);
                    out["id"] = json!(id);
                    out["label"] = json!(stored.label);
                    out["old_key_hint"] = json!(record.key_hint);
                    print_json(&out)?;
                    Ok(exit::OK)
                }
                Ok((stored, snapshot)) => {
                    print_validated(exchange, &creds, &snapshot);
                    say!(
                        "replaced the key of {} (connection {id}): ••••{} → ••••{}; also delete the old key on {}",
                        stored.label,
                        record.key_hint,
                        stored.key_hint,
                        exchange.name()
                    );
                    Ok(exit::OK)
                }
                Err(e) => report_refusal(exchange, e, json),
            }
        }
        Command::Sync { ids, all, json } => sync(ctx, ids, all, json).await,
        Command::Balances { id, json, csv } => balances(&ctx, id, Format::of(json, csv)).await,
        Command::Disconnect {
            id,
            yes,
            purge,
            json,
        } => {
            let record = ctx.with_db(move |db| db.connection(id)).await?;
            let result = |disconnected: bool| {
                json!({
                    "id": id,
                    "exchange": record.exchange.id(),
                    "label": record.label,
                    "disconnected": disconnected,
                    "purged": disconnected && purge,
                })
            };
            // With --json the question goes to standard error, so standard output stays JSON.
            if !yes
                && !confirm(
                    &format!(
                        "Disconnect {} · {}{}? [y/N] ",
                        record.exchange.name(),
                        record.label,
                        if purge { " and delete its history" } else { "" }
                    ),
                    json,
                )?
            {
                if json {
                    print_json(&result(false))?;
                } else {
                    say!("nothing changed");
                }
                return Ok(exit::OK);
            }
            ctx.disconnect(id, purge).await?;
            if json {
                print_json(&result(true))?;
            } else {
                say!(
                    "disconnected {}; also delete or restrict the key on {}",
                    record.label,
                    record.exchange.name()
                );
            }
            Ok(exit::OK)
        }
        Command::Interval { id, seconds, json } => {
            let secs = match seconds.as_str() {
                "default" => None,
                text => match text.parse::<u64>() {
                    Ok(n) if n >= 10 => Some(n),
                    _ => {
                        return Err(usage(
                            "the interval is a number of seconds (at least 10) or `default`",
                        ));
                    }
                },
            };
            ctx.with_db(move |db| db.set_interval(id, secs)).await?;
            let global = ctx.config.sync_interval().as_secs();
            if json {
                print_json(&json!({
                    "id": id,
                    "interval_secs": secs,
                    "effective_secs": secs.unwrap_or(global),
                }))?;
                return Ok(exit::OK);
            }
            match secs {
                Some(n) => say!("connection {id} syncs every {n} s"),
                None => say!("connection {id} follows the global interval ({global} s)"),
            }
            Ok(exit::OK)
        }
        Command::Completions { .. } | Command::Man | Command::Exchanges { .. } => {
            print_docs(&command).unwrap_or(Ok(exit::OK))
        }
        Command::Sim {
            port,
            latency_ms,
            accounts,
        } => {
            let sim = crate::exchange::sim::Simulator::start(port).await?;
            sim.set_latency_ms(latency_ms);
            for account in crate::exchange::sim::generated_accounts(accounts) {
                sim.add_account(account);
            }
            print_json(&crate::exchange::sim::listing_json(&sim))?;
            tokio::signal::ctrl_c().await?;
            sim.shutdown();
            Ok(exit::OK)
        }
    }
}

/// The badge a connection shows now (no sync of it runs in this process).
fn status_now(ctx: &Context, c: &crate::model::ConnectionRecord) -> crate::model::Status {
    c.status(chrono::Utc::now(), ctx.config.sync_interval(), false)
}

/// Asks on standard output, or on standard error when standard output carries JSON.
fn confirm(question: &str, on_stderr: bool) -> Result<bool> {
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

/// A failed validation: the failure and its fix on standard error, and with `--json` the
/// same as `{"ok": false, "error": {kind, message, fix}}` on standard output.
fn report_failure(exchange: ExchangeId, f: &Failure, as_json: bool) -> Result<i32> {
    if as_json {
        print_json(&json!({
            "ok": false,
            "error": {"kind": f.kind.code(), "message": f.detail, "fix": f.kind.fix(exchange)},
        }))?;
    }
    say_err!("{}", explain(exchange, f));
    Ok(failure_code(f))
}

/// A connect or rotate that saved nothing: a rejected key exits as validate does, a
/// refusal (withdraw risk, duplicate, another account, the same key) exits 3; anything
/// else is an error of its own.
fn report_refusal(exchange: ExchangeId, e: ConnectError, as_json: bool) -> Result<i32> {
    let kind = match &e {
        ConnectError::Rejected(f) => return report_failure(exchange, f, as_json),
        ConnectError::WithdrawRisk(_) => "withdraw_risk",
        ConnectError::Duplicate(_) => "duplicate",
        ConnectError::OtherAccount(_) => "other_account",
        ConnectError::Unchanged(_) => "unchanged",
        ConnectError::Secrets(_) | ConnectError::Storage(_) => return Err(e.into()),
    };
    if as_json {
        print_json(&json!({
            "ok": false,
            "error": {"kind": kind, "message": e.to_string()},
        }))?;
    }
    say_err!("refused: {e}");
    if matches!(e, ConnectError::WithdrawRisk(_)) {
        say_err!("(pass --accept-withdraw-risk to save it anyway)");
    }
    Ok(exit::REJECTED)
}

/// What `validate --json` prints (and `connect --json`, with the id and label added).
fn validated_json(
    exchange: ExchangeId,
    creds: &Credentials,
    snapshot: &AccountSnapshot,
) -> serde_json::Value {
    json!({
        "ok": true,
        "exchange": exchange.id(),
        "key_hint": creds.key_hint(),
        "key_type": profile(exchange).key_types.then(|| creds.key_type().label()),
        "permissions": snapshot.permissions.map(|p| json!({
            "read": p.read, "trade": p.trade, "withdraw": p.withdraw, "ip_restricted": p.ip_restricted
        })),
        "assets": snapshot.balances.len(),
    })
}

fn print_validated(exchange: ExchangeId, creds: &Credentials, snapshot: &AccountSnapshot) {
    say!("{} key ••••{} is valid", exchange.name(), creds.key_hint());
    if profile(exchange).key_types {
        say!("key type: {}", creds.key_type().label());
    }
    if let Some(p) = snapshot.permissions {
        say!("permissions: {}", p.summary());
        if p.withdraw {
            say!("warning: this key can withdraw funds; keyfolio only needs read access");
        }
    } else if exchange.is_generic() {
        say!(
            "permissions: not known (keyfolio does not read them for {}); give the key read access only",
            exchange.name()
        );
    }
    say!("{} assets with a balance", snapshot.balances.len());
}

async fn sync(ctx: Context, ids: Vec<i64>, all: bool, as_json: bool) -> Result<i32> {
    let ids = if all || ids.is_empty() {
        ctx.connections().await?.iter().map(|c| c.id).collect()
    } else {
        ids
    };
    let unpause = ids.clone();
    ctx.with_db(move |db| db.set_paused_many(&unpause, false))
        .await?;
    let engine = crate::sync::Engine::new(ctx.clone(), None);
    let outcomes = engine.sync_many(&ids).await;
    let code = sync_code(outcomes.iter().filter_map(|(_, o)| o.as_ref().err()));
    if as_json {
        let rows: Vec<_> = outcomes
            .iter()
            .map(|(id, o)| match o {
                Ok(()) => json!({"id": id, "ok": true}),
                Err(f) => json!({"id": id, "ok": false, "error": {"kind": f.kind.code(), "message": f.detail}}),
            })
            .collect();
        print_json(&rows)?;
    } else {
        for (id, o) in &outcomes {
            match o {
                Ok(()) => say!("{id}: synced"),
                Err(f) => say!("{id}: {f}"),
            }
        }
    }
    Ok(code)
}

async fn balances(ctx: &Context, id: Option<i64>, format: Format) -> Result<i32> {
    let connections = ctx.connections().await?;
    let chosen: Vec<_> = connections
        .into_iter()
        .filter(|c| id.is_none_or(|i| c.id == i))
        .collect();
    if let Some(i) = id.filter(|_| chosen.is_empty()) {
        return Err(usage(format!(
            "no connection with id {i}: run `keyfolio list`"
        )));
    }
    let mut out = Vec::new();
    let mut csv_rows = Vec::new();
    for c in &chosen {
        let cid = c.id;
        let (rows, at) = ctx.with_db(move |db| db.latest_balances(cid)).await?;
        let stale = !matches!(status_now(ctx, c), crate::model::Status::Synced);
        if format == Format::Csv {
            csv_rows.extend(rows.iter().map(|b| {
                vec![
                    c.id.to_string(),
                    c.exchange.id().to_string(),
                    c.label.clone(),
                    at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    stale.to_string(),
                    b.wallet.code().to_string(),
                    b.asset.clone(),
                    b.free.clone(),
                    b.used.clone(),
                    b.total.clone(),
                    b.approximate.to_string(),
                ]
            }));
        } else if format == Format::Json {
            out.push(json!({
                "id": c.id, "exchange": c.exchange.id(), "label": c.label,
                "synced_at": at.map(|t| t.to_rfc3339()),
                "stale": stale,
                "balances": rows,
                "unreadable_wallets": c.unreadable_wallets,
            }));
        } else {
            say!(
                "{} · {} (synced {})",
                c.exchange.name(),
                c.label,
                at.map_or("never".into(), |t| t.to_rfc3339())
            );
            for u in &c.unreadable_wallets {
                say!("  {}: not readable with this key", u.wallet.label());
            }
            for b in rows {
                // "≈": more digits were sent than CCXT's f64 amounts keep.
                let mark = if b.approximate { "≈" } else { "" };
                say!(
                    "  {:<10} {:<16} free {:>24}  used {:>20}  total {:>24}",
                    b.asset,
                    b.wallet.label(),
                    format!("{mark}{}", display_amount(&b.free)),
                    format!("{mark}{}", display_amount(&b.used)),
                    format!("{mark}{}", display_amount(&b.total))
                );
            }
        }
    }
    match format {
        Format::Json => print_json(&out)?,
        Format::Csv => {
            let header = [
                "id",
                "exchange",
                "label",
                "synced_at",
                "stale",
                "wallet",
                "asset",
                "free",
                "used",
                "total",
                "approximate",
            ];
            print_csv(&header, csv_rows)?;
        }
        Format::Text => {}
    }
    Ok(exit::OK)
}

async fn list(ctx: &Context, as_json: bool) -> Result<i32> {
    let connections = ctx.connections().await?;
    if as_json {
        let rows: Vec<_> = connections
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "exchange": c.exchange.id(),
                    "label": c.label,
                    "status": status_now(ctx, c).label(),
                    "key_hint": c.key_hint,
                    "last_synced_at": c.last_synced_at.map(|t| t.to_rfc3339()),
                    "last_attempt_at": c.last_attempt_at.map(|t| t.to_rfc3339()),
                    "last_error": c.last_error.as_ref().map(|e| json!({"kind": e.kind.code(), "message": e.message})),
                    "failure_streak": c.failure_streak,
                    "endpoint": c.endpoint.base_url,
                    "sandbox": c.endpoint.sandbox,
                    "permissions": c.permissions.map(|p| json!({
                        "read": p.read, "trade": p.trade, "withdraw": p.withdraw, "ip_restricted": p.ip_restricted
                    })),
                    "key_expires_at": c.expiry.key_expires_at.map(|t| t.to_rfc3339()),
                    "trading_ends_at": c.expiry.trading_ends_at.map(|t| t.to_rfc3339()),
                    "unreadable_wallets": c.unreadable_wallets,
                })
            })
            .collect();
        print_json(&rows)?;
    } else if connections.is_empty() {
        say!(
            "No connections. Connect one with `keyfolio connect <exchange>` (see `keyfolio exchanges`) or in the app."
        );
    } else {
        for c in &connections {
            say!(
                "{:>4}  {:<8} {:<20} {:<28} ••••{}  last sync {}",
                c.id,
                c.exchange.name(),
                c.label,
                status_now(ctx, c).label(),
                c.key_hint,
                c.last_synced_at.map_or("never".into(), |t| t.to_rfc3339()),
            );
        }
    }
    Ok(exit::OK)
}

async fn doctor(ctx: &Context, as_json: bool) -> Result<i32> {
    let schema = ctx.with_db(|db| db.schema_version()).await?;
    let integrity = ctx.with_db(|db| db.integrity_check()).await?;
    let probe = ctx.secrets.probe().await;
    let cleaned = match &probe {
        Ok(()) => Some(ctx.clean_orphans().await?),
        Err(_) => None,
    };
    let absent = absent_exchanges(&ctx.connections().await?);
    if as_json {
        print_json(&json!({
            "config_file": ctx.paths.config_file(),
            "database": ctx.paths.database(),
            "logs": ctx.paths.log_dir,
            "schema_version": schema,
            "integrity": integrity,
            "secret_store": ctx.secrets.describe(),
            "secret_store_answers": probe.is_ok(),
            "secret_store_error": probe.as_ref().err().map(ToString::to_string),
            "orphaned_secrets_removed": cleaned,
            "exchanges_not_in_build": absent.iter().map(|(id, feature, n)| json!({
                "exchange": id, "cargo_feature": feature, "connections": n,
            })).collect::<Vec<_>>(),
        }))?;
    } else {
        say!("config file:   {}", ctx.paths.config_file().display());
        say!("database:      {}", ctx.paths.database().display());
        say!("logs:          {}", ctx.paths.log_dir.display());
        say!("schema:        version {schema}");
        say!("integrity:     {integrity}");
        say!("secret store:  {}", ctx.secrets.describe());
        match (&probe, cleaned) {
            (Err(e), _) => say!("secret store answers: NO: {e}"),
            (Ok(()), cleaned) => {
                say!("secret store answers: yes");
                say!("orphaned secrets removed: {}", cleaned.unwrap_or(0));
            }
        }
        for (id, feature, n) in &absent {
            let build = match feature {
                Some(feature) => format!("build keyfolio with `--features {feature}`"),
                None => "no build of keyfolio has it".to_string(),
            };
            say!(
                "not in this build: {id} ({n} connection(s), never synced): {build}, or disconnect"
            );
        }
        say!("keys: `keyfolio audit` lists each key's permissions, IP restriction and age");
    }
    Ok(if probe.is_ok() {
        exit::OK
    } else {
        exit::UNAVAILABLE
    })
}

/// Why the audit flags a key (each one makes `audit` exit 3).
const CAN_WITHDRAW: &str = "can withdraw";
const NO_IP_RESTRICTION: &str = "no IP restriction";
const EXPIRES_SOON: &str = "expires soon or expired";
const OLDER_THAN_MAX_AGE: &str = "older than key_max_age_days";

/// One key as `keyfolio audit` sees it: whether it is IP-restricted (`None`: not known) and
/// why it is flagged.
fn audit_key(
    c: &crate::model::ConnectionRecord,
    now: chrono::DateTime<chrono::Utc>,
    max_age_days: Option<u32>,
) -> (Option<bool>, Vec<&'static str>) {
    let ip_restricted = c
        .permissions
        // Where the exchange does not say, "not known" rather than a flag it cannot see.
        .filter(|_| crate::exchange::key_info::tells_ip_restriction(c.exchange))
        .map(|p| p.ip_restricted);
    let mut flags = Vec::new();
    if c.permissions.is_some_and(|p| p.withdraw) {
        flags.push(CAN_WITHDRAW);
    }
    if ip_restricted == Some(false) {
        flags.push(NO_IP_RESTRICTION);
    }
    if c.expiry_notice(now).is_some_and(|(_, warn)| warn) {
        flags.push(EXPIRES_SOON);
    }
    if crate::model::key_too_old(c.created_at, now, max_age_days).is_some() {
        flags.push(OLDER_THAN_MAX_AGE);
    }
    (ip_restricted, flags)
}

/// `keyfolio audit`: every stored key, what it may do and how old it is; exit 3 when any
/// key is flagged (see [`audit_key`]), else 0.
async fn audit(ctx: &Context, as_json: bool) -> Result<i32> {
    let connections = ctx.connections().await?;
    let now = chrono::Utc::now();
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("never".to_string(), |t| {
            t.format("%Y-%m-%d %H:%M UTC").to_string()
        })
    };
    let mut flagged = 0;
    let mut not_known = 0;
    let mut rows = Vec::new();
    for c in &connections {
        let (ip_restricted, flags) = audit_key(c, now, ctx.config.key_max_age_days);
        flagged += usize::from(!flags.is_empty());
        not_known += usize::from(c.permissions.is_none());
        let age_days = (now - c.created_at).num_days().max(0);
        if as_json {
            rows.push(json!({
                "id": c.id,
                "exchange": c.exchange.id(),
                "label": c.label,
                "key_hint": c.key_hint,
                "in_build": c.exchange.in_build(),
                "permissions": c.permissions.map(|p| json!({
                    "read": p.read, "trade": p.trade, "withdraw": p.withdraw,
                })),
                "ip_restricted": ip_restricted,
                "permissions_checked_at": c.permissions_checked_at.map(|t| t.to_rfc3339()),
                "created_at": c.created_at.to_rfc3339(),
                "age_days": age_days,
                "key_expires_at": c.expiry.key_expires_at.map(|t| t.to_rfc3339()),
                "trading_ends_at": c.expiry.trading_ends_at.map(|t| t.to_rfc3339()),
                "last_synced_at": c.last_synced_at.map(|t| t.to_rfc3339()),
                "flags": flags,
            }));
            continue;
        }
        let permissions = match c.permissions {
            None => "permissions not known".to_string(),
            // The withdraw right in capitals: the one a trader must see.
            Some(p) => p.abilities().replace("withdraw", "WITHDRAW"),
        };
        let ip = match ip_restricted {
            Some(true) => "IP-restricted",
            Some(false) => "any IP",
            None => "IP restriction not known",
        };
        say!(
            "{:>4}  {:<8} {:<20} ••••{}  {} · {} · checked {} · age {} d · last good sync {}{}{}",
            c.id,
            c.exchange.name(),
            c.label,
            c.key_hint,
            permissions,
            ip,
            when(c.permissions_checked_at),
            age_days,
            when(c.last_synced_at),
            if c.exchange.in_build() {
                ""
            } else {
                " · not in this build"
            },
            if flags.is_empty() {
                String::new()
            } else {
                format!("  FLAGGED: {}", flags.join(", "))
            },
        );
    }
    if as_json {
        print_json(&rows)?;
    } else if connections.is_empty() {
        say!("No connections: no keys to audit.");
    } else {
        if not_known > 0 {
            say!(
                "{not_known} key(s) with permissions not known: the exchange does not tell them; \
                 they do not fail the audit (check on the exchange that each is read-only and IP-restricted)"
            );
        }
        match flagged {
            0 => say!("no key flagged"),
            n => say!(
                "{n} of {} key(s) flagged: read-only keys restricted to your IP are recommended",
                connections.len()
            ),
        }
    }
    Ok(if flagged > 0 {
        exit::REJECTED
    } else {
        exit::OK
    })
}

/// The exchanges of stored connections that this build lacks: id, the cargo feature that
/// compiles it in (if any build has it) and how many connections name it.
fn absent_exchanges(
    connections: &[crate::model::ConnectionRecord],
) -> Vec<(&'static str, Option<&'static str>, usize)> {
    let mut absent: Vec<(&'static str, Option<&'static str>, usize)> = Vec::new();
    for c in connections.iter().filter(|c| !c.exchange.in_build()) {
        let id = c.exchange.id();
        match absent.iter_mut().find(|(known, _, _)| *known == id) {
            Some((_, _, n)) => *n += 1,
            None => {
                let feature = crate::exchange::catalog::known_name(id).map(|_| id);
                absent.push((id, feature, 1));
            }
        }
    }
    absent
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FailureKind;

    fn failure(kind: FailureKind) -> Failure {
        Failure::new(kind, "test")
    }

    #[test]
    fn every_subcommands_help_ends_with_the_exit_codes() {
        let mut cli = Cli::definition();
        for sub in cli.get_subcommands_mut() {
            let help = sub.render_long_help().to_string();
            assert!(help.contains("Exit codes"), "{}: {help}", sub.get_name());
            assert!(help.contains("KEYFOLIO_HOME"), "{}", sub.get_name());
        }
    }

    #[test]
    fn sync_exits_3_when_a_failure_needs_the_trader_else_4() {
        assert_eq!(sync_code([]), exit::OK);
        let down = failure(FailureKind::ExchangeDown);
        let keyring = failure(FailureKind::KeyringUnavailable);
        let invalid = failure(FailureKind::InvalidKey);
        let missing = failure(FailureKind::SecretMissing);
        assert_eq!(sync_code([&down, &keyring]), exit::UNAVAILABLE);
        assert_eq!(sync_code([&down, &invalid, &keyring]), exit::REJECTED);
        assert_eq!(sync_code([&missing]), exit::REJECTED);
        for kind in FailureKind::ALL {
            let code = failure_code(&failure(kind));
            assert_eq!(code == exit::REJECTED, kind.needs_trader(), "{kind:?}");
        }
    }

    #[test]
    fn an_unavailable_secret_store_exits_4_from_any_subcommand() {
        let unavailable: anyhow::Error =
            ConnectError::Secrets(SecretError::Unavailable("no bus".into())).into();
        assert_eq!(error_code(&unavailable), exit::UNAVAILABLE);
        let locked =
            anyhow::Error::from(SecretError::Locked("locked".into())).context("disconnect");
        assert_eq!(error_code(&locked), exit::UNAVAILABLE);
        assert_eq!(error_code(&usage("bad")), exit::USAGE);
        assert_eq!(error_code(&anyhow::anyhow!("other")), exit::OTHER);
    }
}
