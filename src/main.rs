//! The keyfolio binary: CLI parsing, logging to a file, the panic hook, then the TUI or a subcommand.

#![forbid(unsafe_code)]

use anyhow::{Result, bail};
use keyfolio::cli::{self, Cli};
use keyfolio::config::{Config, Paths, SecretStoreKind};
use keyfolio::context::Context;
use keyfolio::store::SecretStore;
use secrecy::{ExposeSecret, SecretString};
use std::io::IsTerminal;
use std::time::Duration;

fn main() {
    let cli = Cli::parse_args();
    // A one-shot command runs on this thread alone: its tasks mostly wait for the network,
    // and handing each wake-up between worker threads cost more CPU than the work (#28).
    // The app and the simulator keep their worker threads.
    let one_shot = !matches!(cli.command, None | Some(cli::Command::Sim { .. }));
    let runtime = if one_shot {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    }
    .enable_all()
    .build()
    .expect("tokio runtime");
    let code = match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", keyfolio::text::for_terminal(&format!("{e:#}")));
            cli::error_code(&e)
        }
    };
    runtime.shutdown_timeout(Duration::from_millis(200));
    std::process::exit(code);
}

async fn run(cli: Cli) -> Result<i32> {
    if let Some(code) = cli.command.as_ref().and_then(cli::print_docs) {
        return code;
    }
    if let Some(size) = &cli.render_once {
        return render_once(size).await;
    }
    if cli.demo {
        return run_demo(cli.command).await;
    }
    let paths = Paths::discover()?;
    let config = keyfolio::app::load_config(&paths)?;
    let _log = init_logging(&paths)?;
    keyfolio::panic_hook::install();
    let secrets = secret_store(&paths, &config).await?;
    let ctx = Context::open(paths, config, secrets)?;
    match cli.command {
        Some(command) => {
            // The process ends with the command: its CCXT clients (large maps each) are
            // left to the OS instead of freed one by one.
            std::mem::forget(ctx.exchange.clone());
            cli::run(ctx.storage_in_place(), command).await
        }
        None => keyfolio::app::run(ctx, None).await.map(|()| cli::exit::OK),
    }
}

/// The demo (see `keyfolio::demo`), the app or one subcommand: it runs against a
/// throwaway directory and the simulator, so nothing of the trader's is touched.
async fn run_demo(command: Option<cli::Command>) -> Result<i32> {
    let home = keyfolio::demo::home()?;
    let _log = init_logging(&Paths::under(home.path()))?;
    keyfolio::panic_hook::install();
    let demo = keyfolio::demo::start(home).await?;
    match command {
        Some(command) => cli::run(demo.ctx.clone(), command).await,
        None => keyfolio::app::run(demo.ctx.clone(), Some(demo.sim.clone()))
            .await
            .map(|()| cli::exit::OK),
    }
}

/// `--render-once WxH` (the start-up benchmark): the TUI's start-up path up to its first
/// frame (paths, config, log file, database, connection list, one draw), drawn on an
/// in-memory backend and printed as text. It uses an in-memory secret store and starts no
/// sync, so it never touches the keyring or the network.
async fn render_once(size: &str) -> Result<i32> {
    let (width, height) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u16>().ok()?, h.parse::<u16>().ok()?)))
        .filter(|&(w, h)| w > 0 && h > 0)
        .ok_or_else(|| cli::UsageError(format!("--render-once wants WxH, got {size}")))?;
    let paths = Paths::discover()?;
    let config = keyfolio::app::load_config(&paths)?;
    let _log = init_logging(&paths)?;
    let ctx = Context::open(paths, config, SecretStore::memory())?;
    let mut state = keyfolio::app::state::State::new(
        chrono::Utc::now(),
        *chrono::Local::now().offset(),
        ctx.config.sync_interval(),
    );
    state.set_connections(ctx.connections().await?);
    let theme = keyfolio::ui::theme::Theme::from_env();
    let backend = ratatui::backend::TestBackend::new(width, height);
    let mut terminal = ratatui::Terminal::new(backend)?;
    terminal.draw(|f| keyfolio::ui::draw(f, &state, theme))?;
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(cli::exit::OK)
}

/// The configured secret store, opened: the encrypted file is decrypted once here, so a
/// wrong passphrase is reported now and not at the first sync.
async fn secret_store(paths: &Paths, config: &Config) -> Result<SecretStore> {
    let path = paths.secrets_file();
    match config.secret_store {
        SecretStoreKind::Keyring => Ok(SecretStore::keyring(Duration::from_millis(
            config.secret_timeout_ms,
        ))),
        SecretStoreKind::File => match std::env::var(PASSPHRASE_ENV) {
            Ok(passphrase) => {
                let store = SecretStore::file(path, SecretString::from(passphrase));
                store.unlock().await?;
                Ok(store)
            }
            Err(_) if std::io::stdin().is_terminal() || std::io::stderr().is_terminal() => {
                ask_passphrase(path).await
            }
            Err(_) => bail!(
                "secret_store = \"file\": keyfolio asks for the file's passphrase when it runs in a terminal; scripts set {PASSPHRASE_ENV}"
            ),
        },
    }
}

/// Where scripts give the encrypted file's passphrase.
const PASSPHRASE_ENV: &str = "KEYFOLIO_SECRETS_PASSPHRASE";

/// Asks for the encrypted file's passphrase on the terminal, without echo: three tries
/// to open an existing file; a new file's passphrase is typed twice.
async fn ask_passphrase(path: std::path::PathBuf) -> Result<SecretStore> {
    let ask = |prompt: &str| -> Result<SecretString> {
        Ok(SecretString::from(rpassword::prompt_password(prompt)?))
    };
    for _ in 0..3 {
        let store = if path.exists() {
            let prompt = format!("Passphrase for {}: ", path.display());
            let passphrase = ask(&keyfolio::text::for_terminal(&prompt))?;
            SecretStore::file(path.clone(), passphrase)
        } else {
            eprintln!(
                "keyfolio keeps secrets in an encrypted file: {}",
                keyfolio::text::for_terminal(&path.display().to_string())
            );
            let passphrase = ask("Choose its passphrase (at least 8 characters): ")?;
            if passphrase.expose_secret().chars().count() < 8 {
                eprintln!("Too short: at least 8 characters.");
                continue;
            }
            if ask("Type it again: ")?.expose_secret() != passphrase.expose_secret() {
                eprintln!("The two passphrases differ.");
                continue;
            }
            SecretStore::file(path.clone(), passphrase)
        };
        match store.unlock().await {
            Ok(()) => return Ok(store),
            Err(e) => eprintln!("{}", keyfolio::text::for_terminal(&e.to_string())),
        }
    }
    bail!("the encrypted secrets file stays closed after three tries")
}

/// Logs go to a file in the log directory, never to the terminal the TUI draws on: one
/// file a day (UTC), `keyfolio.YYYY-MM-DD.log`, the last [`LOG_FILES_KEPT`] kept, each 0600.
fn init_logging(paths: &Paths) -> Result<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_appender::rolling::{RollingFileAppender, Rotation};
    for warning in paths.create()? {
        eprintln!("warning: {}", keyfolio::text::for_terminal(&warning));
    }
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("keyfolio")
        .filename_suffix("log")
        .max_log_files(LOG_FILES_KEPT)
        .build(&paths.log_dir)?;
    let writer = OwnerOnlyLog::new(appender, paths.log_dir.clone(), || {
        chrono::Utc::now().date_naive()
    });
    let (writer, guard) = tracing_appender::non_blocking(writer);
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KEYFOLIO_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    Ok(guard)
}

/// Log files kept: today's and the six days before it.
const LOG_FILES_KEPT: usize = 7;

/// The rolling appender creates each day's file with the process's default mode; this
/// writer narrows it to 0600 when it is opened and again when the day (UTC, like the
/// appender's) changes, so the file of a long-running app that rolls at midnight is as
/// private as the first.
struct OwnerOnlyLog<W> {
    inner: W,
    dir: std::path::PathBuf,
    today: fn() -> chrono::NaiveDate,
    narrowed: Option<chrono::NaiveDate>,
}

impl<W: std::io::Write> OwnerOnlyLog<W> {
    fn new(inner: W, dir: std::path::PathBuf, today: fn() -> chrono::NaiveDate) -> Self {
        let mut log = Self {
            inner,
            dir,
            today,
            narrowed: None,
        };
        log.narrow();
        log
    }

    /// Narrows today's file once it exists.
    fn narrow(&mut self) {
        let day = (self.today)();
        if self.narrowed == Some(day) {
            return;
        }
        let path = self
            .dir
            .join(format!("keyfolio.{}.log", day.format("%Y-%m-%d")));
        if path.is_file() {
            keyfolio::config::restrict_permissions(&path, 0o600);
            self.narrowed = Some(day);
        }
    }
}

impl<W: std::io::Write> std::io::Write for OwnerOnlyLog<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.narrow();
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_next_days_log_file_is_narrowed_to_0600_too() {
        use std::sync::atomic::{AtomicU32, Ordering};
        static DAY: AtomicU32 = AtomicU32::new(1);
        let today =
            || chrono::NaiveDate::from_ymd_opt(2026, 1, DAY.load(Ordering::SeqCst)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = |day: u32| dir.path().join(format!("keyfolio.2026-01-0{day}.log"));
        let wide = |day: u32| {
            std::fs::write(file(day), "").unwrap();
            std::fs::set_permissions(file(day), std::fs::Permissions::from_mode(0o644)).unwrap();
        };
        wide(1);
        let mut log = OwnerOnlyLog::new(Vec::new(), dir.path().to_path_buf(), today);
        assert_eq!(mode(&file(1)), 0o600, "narrowed when opened");
        DAY.store(2, Ordering::SeqCst);
        wide(2); // what the appender does at midnight
        log.write_all(b"a line\n").unwrap();
        assert_eq!(mode(&file(2)), 0o600, "narrowed after the day changed");
    }
}
