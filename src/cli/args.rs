//! The command line: subcommands, their flags, and reading credentials from flags,
//! environment variables, stdin or a PEM file.

use super::*;

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
pub(super) const AFTER_HELP: &str = "\
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
    pub(super) creds: CredentialArgs,
    /// Save a key that can withdraw funds (read-only keys are recommended).
    #[arg(long)]
    pub(super) accept_withdraw_risk: bool,
}

/// Where credentials come from: never argv.
#[derive(Debug, clap::Args)]
pub struct CredentialArgs {
    /// Name of the environment variable holding the API key.
    #[arg(long, value_name = "VAR")]
    pub(super) api_key_env: Option<String>,
    /// Name of the environment variable holding the secret (HMAC secret, Ed25519 PEM, or a .pem path).
    #[arg(long, value_name = "VAR")]
    pub(super) secret_env: Option<String>,
    /// Name of the environment variable holding the OKX passphrase.
    #[arg(long, value_name = "VAR")]
    pub(super) passphrase_env: Option<String>,
    /// Any credential by CCXT's name, from an environment variable: `--cred uid=MY_UID`.
    /// Names: apiKey, secret, password (the passphrase), uid; see `keyfolio exchanges`.
    #[arg(long, value_name = "NAME=VAR")]
    pub(super) cred: Vec<String>,
    /// Read the credentials as a JSON object from standard input, under CCXT's names
    /// ({"apiKey", "secret", "password", "uid"}; "api_key" and "passphrase" also work).
    #[arg(long, conflicts_with_all = ["api_key_env", "secret_env", "passphrase_env", "cred"])]
    pub(super) stdin: bool,
    /// Base URL replacing the exchange's host (testnets, proxies, regional sites, the simulator).
    #[arg(long, value_name = "URL")]
    pub(super) endpoint: Option<String>,
    /// Use the exchange's testnet / demo-trading environment.
    #[arg(long)]
    pub(super) sandbox: bool,
}

/// A usage error: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub(super) fn usage(message: impl Into<String>) -> anyhow::Error {
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
pub(super) const MAX_STDIN_BYTES: u64 = (MAX_CREDENTIAL_CHARS * 3 * 2 + 1024) as u64;

/// Reads `--stdin`'s JSON, refusing more than [`MAX_STDIN_BYTES`] before parsing it.
pub(super) fn read_stdin_json() -> Result<serde_json::Value> {
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
    pub(super) fn named_credentials(
        &self,
    ) -> Result<std::collections::HashMap<CredentialField, String>> {
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

    pub(super) fn read(&self, exchange: ExchangeId) -> Result<(Credentials, Endpoint)> {
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
