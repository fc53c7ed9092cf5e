//! The TUI loop: terminal events, timers and task results become actions; `update`
//! changes the state; effects run as tokio tasks; the screen redraws on change only.

pub mod action;
pub mod clock;
pub mod form;
pub mod keys;
pub mod screens;
pub mod state;
pub mod throttle;
pub mod update;

use crate::context::ConnectError;
use crate::context::Context;
use crate::exchange::sim::SimHandle;
use crate::model::ExchangeId;
use crate::model::{Credentials, Endpoint};
use crate::oauth::{self, FlowKind};
use crate::sync::{Engine, SyncEvent};
use crate::ui::{self, theme::Theme};
use action::{Action, ConnectOutcome, Effect};
use anyhow::Context as _;
use anyhow::Result;
use chrono::{DateTime, Local, Utc};
use crossterm::event::{Event, EventStream, KeyEventKind, MouseEventKind};
use form::ConnectRequest;
use futures::StreamExt;
use ratatui::backend::Backend;
use ratatui::{DefaultTerminal, Terminal};
use state::OAuthPhase;
use state::{Detail, State};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Runs the Connections screen until the trader quits.
/// With `demo`, the screen says DEMO and the connect form offers the simulator's keys.
pub async fn run(ctx: Context, demo: Option<SimHandle>) -> Result<()> {
    let mut state = State::new(
        Utc::now(),
        *Local::now().offset(),
        ctx.config.sync_interval(),
    );
    state.demo = demo.is_some();
    state.oauth = oauth_offers(&ctx.config);
    state.keys = Arc::new(keys::KeyMap::of_config(&ctx.config)?);
    state.dust = ctx.config.dust();
    state.key_max_age_days = ctx.config.key_max_age_days;
    state.demo_sim = demo;
    state.set_connections(ctx.connections().await?);
    let theme = Theme::from_env();

    let (sync_tx, sync_rx) = mpsc::unbounded_channel();
    let engine = Engine::new(ctx.clone(), Some(sync_tx));

    let mut terminal = enter_terminal()?;
    if let Ok(size) = terminal.size() {
        state.screen = (size.width, size.height);
    }
    let (tx, rx) = mpsc::unbounded_channel::<Action>();
    let runner = Runner::new(ctx, engine)
        .with_progress(tx.clone())
        .with_demo(state.demo_sim.clone());
    let inbox = Inbox {
        terminal: EventStream::new(),
        sync_events: sync_rx,
        actions: (tx.clone(), rx),
        terminate: Some(Terminate::listen()?),
    };
    // The first frame never waits for the keyring or the network.
    let start = {
        let runner = runner.clone();
        move || {
            tokio::spawn(runner.engine.clone().run_forever());
            tokio::spawn(warn_if_no_secret_store(runner.ctx.clone(), tx));
        }
    };
    let mut screen = Screen {
        terminal: &mut terminal,
        theme,
        clock: Utc::now,
        frames: 0,
    };
    let result = event_loop(&mut screen, &runner, inbox, &mut state, start).await;
    restore_terminal();
    result
}

/// `config.toml` with its `[keys]` checked against the key table: an unknown action or
/// key name, or two actions of one screen on one key, stops keyfolio at start-up with the
/// reason, whichever subcommand it was to run.
pub fn load_config(paths: &crate::config::Paths) -> Result<crate::config::Config> {
    let config = crate::config::Config::load(paths)?;
    keys::KeyMap::of_config(&config).with_context(|| {
        format!(
            "{} is not valid: fix or delete it",
            paths.config_file().display()
        )
    })?;
    Ok(config)
}

/// OAuth is offered where a client id is configured, with the flow that suits this session.
pub fn oauth_offers(config: &crate::config::Config) -> Vec<state::OAuthOffer> {
    crate::model::profile::FIRST_CLASS
        .into_iter()
        .filter(|exchange| crate::model::profile::profile(*exchange).oauth.is_some())
        .filter_map(|exchange| {
            let provider = config.provider(exchange);
            provider.is_configured().then(|| state::OAuthOffer {
                exchange,
                flows: oauth::available_flows(&provider),
                preferred: oauth::preferred_flow(&provider),
            })
        })
        .collect()
}

/// Raw mode, the alternate screen and bracketed paste. Not `ratatui::init()`: it wraps the
/// panic hook with one that restores the terminal on every panic, and CCXT panics (and
/// catches the panic) on every exchange error, which would drop the screen mid-session.
/// keyfolio's own hook (`panic_hook`) restores the terminal for real bugs.
fn enter_terminal() -> Result<DefaultTerminal> {
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::event::EnableBracketedPaste,
        crossterm::event::EnableMouseCapture
    )?;
    Ok(Terminal::new(ratatui::backend::CrosstermBackend::new(
        std::io::stdout(),
    ))?)
}

/// Leaves the alternate screen and raw mode; safe to call twice.
pub fn restore_terminal() {
    let _ = crossterm::execute!(
        std::io::stdout(),
        crossterm::event::DisableMouseCapture,
        crossterm::event::DisableBracketedPaste
    );
    ratatui::restore();
}

/// What effects run with.
#[derive(Clone)]
pub struct Runner {
    ctx: Context,
    engine: Engine,
    /// The connect being validated (or sign-in running), so Esc can abort it.
    connecting: Arc<Mutex<Option<tokio::task::AbortHandle>>>,
    /// Where long effects report progress before they end (the OAuth URL or code).
    progress: Option<mpsc::UnboundedSender<Action>>,
    /// The demo's simulator, which can play the trader's browser.
    demo: Option<SimHandle>,
    reloader: Reloader,
}

/// Where the loop draws, in what style, and what time it is (a real terminal and the
/// system clock, or in tests an in-memory terminal and tokio's paused clock).
struct Screen<'a, B: Backend, C: Fn() -> DateTime<Utc>> {
    terminal: &'a mut Terminal<B>,
    theme: Theme,
    clock: C,
    /// Frames drawn so far.
    frames: u64,
}

/// What the loop listens to.
struct Inbox<E> {
    /// The terminal's events (keys, paste, mouse, resize).
    terminal: E,
    sync_events: mpsc::UnboundedReceiver<SyncEvent>,
    /// Effects' results come back here; the sender is handed to every effect.
    actions: (
        mpsc::UnboundedSender<Action>,
        mpsc::UnboundedReceiver<Action>,
    ),
    /// The operating system's request to stop (none in tests).
    terminate: Option<Terminate>,
}

/// Runs until the trader quits: turns every input into an action, applies it, runs its
/// effects and redraws. `start` runs once, after the first frame is on screen.
async fn event_loop<B, C, E>(
    screen: &mut Screen<'_, B, C>,
    runner: &Runner,
    inbox: Inbox<E>,
    state: &mut State,
    start: impl FnOnce(),
) -> Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    C: Fn() -> DateTime<Utc>,
    E: futures::Stream<Item = std::io::Result<Event>> + Unpin,
{
    let Inbox {
        terminal: mut events,
        mut sync_events,
        actions: (tx, mut rx),
        mut terminate,
    } = inbox;
    let mut start = Some(start);
    // The next tick is a deadline that the other inputs never push back: a steady stream
    // of them (sync events faster than the spinner's tick) cannot stop the clock on screen.
    let mut tick_at = Instant::now() + next_tick(state);
    // When the frame owed for the changes so far is drawn (`None`: nothing owed).
    let mut frame_at = Some(Instant::now());
    // A change waits for the next tick, due within [`WITH_TICK`] (see [`Redraw::WithTick`]).
    let mut owed = false;
    let mut last_frame: Option<Instant> = None;
    let mut stats = LoopStats::new(Instant::now());
    while !state.quit {
        let now = Instant::now();
        if frame_at.is_some_and(|at| at <= now) {
            screen.terminal.draw(|f| ui::draw(f, state, screen.theme))?;
            screen.frames += 1;
            stats.frames += 1;
            (frame_at, last_frame, owed) = (None, Some(now), false);
            if let Some(start) = start.take() {
                start();
            }
        }
        let action = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => Action::Key(key),
                Some(Ok(Event::Paste(text))) => Action::Paste(action::Pasted::new(text)),
                // Only clicks and the wheel: mouse moves would redraw for nothing.
                Some(Ok(Event::Mouse(mouse))) if matches!(
                    mouse.kind,
                    MouseEventKind::Down(_) | MouseEventKind::ScrollUp | MouseEventKind::ScrollDown
                ) => Action::Mouse(mouse),
                Some(Ok(Event::Resize(width, height))) => Action::Resize { width, height },
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(action) = rx.recv() => action,
            Some(event) = sync_events.recv() => match event {
                SyncEvent::Started(id) => Action::SyncStarted(id),
                SyncEvent::Finished(id, outcome, record) => Action::SyncFinished {
                    id,
                    outcome: outcome.map_err(|f| f.to_string()),
                    record,
                },
            },
            () = tokio::time::sleep_until(tick_at) => Action::Tick((screen.clock)()),
            () = tokio::time::sleep_until(frame_at.unwrap_or(tick_at)), if frame_at.is_some() => continue,
            () = Terminate::recv_some(terminate.as_mut()) => break,
        };
        let ticked = matches!(action, Action::Tick(_));
        let when = match redraw(&action, state) {
            Redraw::Nothing if ticked && owed => Redraw::Soon,
            when => when,
        };
        // Whatever the action changes is drawn as of now, whether or not a tick came.
        state.now = (screen.clock)();
        for effect in update::update(state, action) {
            spawn_effect(runner.clone(), effect, tx.clone());
        }
        // After a tick, the next one; after any other action, the next tick may come
        // sooner (a sync started: the spinner turns), never later.
        let next = Instant::now() + next_tick(state);
        tick_at = if ticked { next } else { tick_at.min(next) };
        let now = Instant::now();
        if when == Redraw::WithTick {
            owed = true;
            tick_at = tick_at.min(now + WITH_TICK);
        }
        let due = match when {
            Redraw::Now => Some(now),
            Redraw::Soon => Some(last_frame.map_or(now, |last| (last + FRAME_GAP).max(now))),
            Redraw::WithTick | Redraw::Nothing => None,
        };
        frame_at = match (frame_at, due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        stats.actions += 1;
        stats.log_every_minute(&runner.reloader);
    }
    Ok(())
}

/// The least time between two frames drawn for changes the trader did not make (ticks,
/// sync events, list loads): 10 frames a second at most, which the spinner (150 ms) and
/// the clock (1 s) never reach. Keys, the mouse and results the trader waits for are
/// drawn at once.
const FRAME_GAP: Duration = Duration::from_millis(100);

/// The longest a change drawn "with the tick" waits for its frame.
const WITH_TICK: Duration = Duration::from_secs(1);

/// The longest sleep between two ticks, though nothing on screen would change sooner:
/// the wall clock can jump (a suspended laptop wakes, the time is set) while tokio's
/// monotonic clock does not, and the "ago" texts then catch up within this.
const LONGEST_TICK: Duration = Duration::from_secs(10);

/// How soon the change an action makes is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Redraw {
    /// At once: the trader did something, or waits for this.
    Now,
    /// Within [`FRAME_GAP`] of the last frame.
    Soon,
    /// With the next tick, at most [`WITH_TICK`] away: only the header's count of syncs
    /// changes.
    WithTick,
    /// Not at all: nothing on screen changed (a tick between two changes of the clock's
    /// texts).
    Nothing,
}

/// How soon `action`'s change is drawn, judged on the state before it applies.
fn redraw(action: &Action, state: &State) -> Redraw {
    match action {
        Action::Key(_) | Action::Paste(_) | Action::Mouse(_) | Action::Resize { .. } => Redraw::Now,
        // A sync of a connection out of view: its card is not drawn, only the count of
        // syncs in the header moves. A failure is drawn (on the notice line).
        Action::SyncStarted(id)
        | Action::SyncFinished {
            id,
            outcome: Ok(()),
            ..
        } if !state.shows(*id) => Redraw::WithTick,
        Action::Tick(now) if !clock::tick_changes_screen(state, *now) => Redraw::Nothing,
        Action::Tick(_)
        | Action::Connections(_)
        | Action::SyncStarted(_)
        | Action::SyncFinished { .. } => Redraw::Soon,
        // Values that did not change need no frame of their own.
        Action::Valued {
            valuation,
            day_change,
        } if state.valuation.as_ref() == Some(valuation) && state.day_change == *day_change => {
            Redraw::WithTick
        }
        Action::Valued { .. } => Redraw::Soon,
        Action::DetailLoaded(_)
        | Action::HistoryLoaded { .. }
        | Action::Disconnected { .. }
        | Action::ConnectFinished(_)
        | Action::RotateFinished(_)
        | Action::OAuthProgress(_)
        | Action::OAuthFinished(_)
        | Action::Notice(_) => Redraw::Now,
    }
}

/// The next moment the screen changes by itself: the spinner while something in view
/// spins, else the next change of a time-dependent text in view ([`clock::next_change`]),
/// within a second while a valuation waits for its gap, and [`LONGEST_TICK`] at most.
fn next_tick(state: &State) -> Duration {
    if state.spinning() {
        return Duration::from_millis(150);
    }
    let longest = if state.throttle.valuation_wanted() {
        Duration::from_secs(1)
    } else {
        LONGEST_TICK
    };
    clock::next_change(state)
        .map_or(longest, |at| (at - state.now).to_std().unwrap_or_default())
        .min(longest)
}

/// The operating system asking keyfolio to stop (not Ctrl-C, which is a key in raw
/// mode): SIGTERM on unix; Ctrl-Break or the console window closing on Windows. The loop
/// ends as for `q`, so the terminal is restored.
struct Terminate {
    #[cfg(unix)]
    sigterm: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_break: tokio::signal::windows::CtrlBreak,
    #[cfg(windows)]
    ctrl_close: tokio::signal::windows::CtrlClose,
}

impl Terminate {
    fn listen() -> Result<Self> {
        Ok(Self {
            #[cfg(unix)]
            sigterm: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?,
            #[cfg(windows)]
            ctrl_break: tokio::signal::windows::ctrl_break()?,
            #[cfg(windows)]
            ctrl_close: tokio::signal::windows::ctrl_close()?,
        })
    }

    /// Resolves when the request comes (never without a listener, or on a platform that
    /// has none).
    async fn recv_some(terminate: Option<&mut Self>) {
        match terminate {
            Some(t) => t.recv().await,
            None => std::future::pending().await,
        }
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        self.sigterm.recv().await;
        #[cfg(windows)]
        tokio::select! {
            _ = self.ctrl_break.recv() => {}
            _ = self.ctrl_close.recv() => {}
        }
        #[cfg(not(any(unix, windows)))]
        std::future::pending::<()>().await;
    }
}

/// Says at once, on the notice line, when the secret store does not answer (say, over SSH
/// without a keyring), rather than at the first connect or sync.
async fn warn_if_no_secret_store(ctx: Context, tx: mpsc::UnboundedSender<Action>) {
    if let Err(e) = ctx.secrets.check_reachable().await {
        let _ = tx.send(Action::Notice(format!("Secret store: {e}")));
    }
}

/// What the loop did, logged once a minute at debug level (`KEYFOLIO_LOG=keyfolio::app=debug`):
/// the soak benchmark reads these lines to tell frames and list loads per sync.
struct LoopStats {
    since: Instant,
    actions: u64,
    frames: u64,
}

impl LoopStats {
    fn new(now: Instant) -> Self {
        Self {
            since: now,
            actions: 0,
            frames: 0,
        }
    }

    fn log_every_minute(&mut self, reloader: &Reloader) {
        let now = Instant::now();
        if now - self.since < Duration::from_secs(60) {
            return;
        }
        tracing::debug!(
            actions = self.actions,
            frames = self.frames,
            lists = reloader.take_loads(),
            secs = (now - self.since).as_secs(),
            "loop stats"
        );
        *self = Self::new(now);
    }
}

/// Reloads the connection list ([`Effect::LoadConnections`]), one load at a time: the
/// requests that arrive while a load runs are covered by one more load, not one load each.
#[derive(Clone, Default)]
struct Reloader {
    /// (a load is running, another is wanted after it)
    state: Arc<Mutex<(bool, bool)>>,
    /// Loads since the last [`Reloader::take_loads`].
    loads: Arc<std::sync::atomic::AtomicU64>,
}

impl Reloader {
    /// The loads since the last call.
    fn take_loads(&self) -> u64 {
        self.loads.swap(0, std::sync::atomic::Ordering::Relaxed)
    }

    fn request(&self, ctx: &Context, tx: &mpsc::UnboundedSender<Action>) {
        {
            let mut state = self.state.lock().unwrap();
            if state.0 {
                state.1 = true;
                return;
            }
            state.0 = true;
        }
        let (reloader, ctx, tx) = (self.clone(), ctx.clone(), tx.clone());
        tokio::spawn(async move {
            loop {
                reloader
                    .loads
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let _ = match ctx.connections().await {
                    Ok(list) => tx.send(Action::Connections(list)),
                    Err(e) => tx.send(Action::Notice(format!("{e:#}"))),
                };
                let again = {
                    let mut state = reloader.state.lock().unwrap();
                    let again = std::mem::take(&mut state.1);
                    state.0 = again;
                    again
                };
                if !again {
                    break;
                }
            }
        });
    }
}

/// Runs one effect as a task; its result comes back as an action.
fn spawn_effect(runner: Runner, effect: Effect, tx: mpsc::UnboundedSender<Action>) {
    if effect == Effect::LoadConnections {
        runner.reloader.request(&runner.ctx, &tx);
        return;
    }
    let is_connect = matches!(
        effect,
        Effect::Connect { .. } | Effect::Rotate { .. } | Effect::StartOAuth { .. }
    );
    if matches!(effect, Effect::CancelConnect) {
        if let Some(task) = runner.connecting.lock().unwrap().take() {
            task.abort();
        }
        return;
    }
    let slot = runner.connecting.clone();
    let task = tokio::spawn(async move {
        let actions = run_effect(&runner, effect).await;
        for action in actions {
            let _ = tx.send(action);
        }
    });
    if is_connect {
        *slot.lock().unwrap() = Some(task.abort_handle());
    }
}

/// Validates and saves a key from the form; the outcome goes back to the form.
async fn connect(
    runner: &Runner,
    request: ConnectRequest,
    accept_withdraw_risk: bool,
) -> Vec<Action> {
    let ConnectRequest {
        exchange,
        label,
        creds,
        endpoint,
    } = request;
    let result = runner
        .ctx
        .connect(exchange, &label, &endpoint, &creds, accept_withdraw_risk)
        .await
        .map(|(id, snapshot)| {
            tracing::info!(id, exchange = exchange.id(), "connected");
            (label, snapshot)
        });
    let outcome = form_outcome(runner, result, "Not saved");
    with_fresh_list(runner, Action::ConnectFinished(outcome)).await
}

/// Validates a connection's new key and swaps it in (the same `Context::rotate` as
/// `keyfolio rotate`); the outcome goes back to the form in replace mode.
async fn rotate(
    runner: &Runner,
    id: i64,
    creds: Credentials,
    endpoint: Option<Endpoint>,
    accept_withdraw_risk: bool,
) -> Vec<Action> {
    let result = runner
        .ctx
        .rotate(id, endpoint.as_ref(), &creds, accept_withdraw_risk)
        .await
        .map(|(stored, snapshot)| {
            tracing::info!(id, exchange = stored.exchange.id(), "key replaced");
            (stored.label, snapshot)
        });
    let outcome = form_outcome(runner, result, "Not replaced");
    with_fresh_list(runner, Action::RotateFinished(outcome)).await
}

/// What the form shows of a connect's or rotate's result (the saved label and what the
/// key read); a saved key wakes the sync engine. `refused` leads a refusal's message.
fn form_outcome(
    runner: &Runner,
    result: Result<(String, crate::model::AccountSnapshot), ConnectError>,
    refused: &str,
) -> ConnectOutcome {
    match result {
        Ok((label, snapshot)) => {
            runner.engine.wake();
            ConnectOutcome::Saved {
                label,
                assets: snapshot.balances.len(),
                permissions: snapshot.permissions,
            }
        }
        Err(ConnectError::Rejected(f)) => ConnectOutcome::Rejected(f),
        Err(ConnectError::WithdrawRisk(snapshot)) => ConnectOutcome::WithdrawRisk(snapshot),
        Err(other) => ConnectOutcome::Refused(format!("{refused}: {other}")),
    }
}

/// Runs an OAuth sign-in: the browser (PKCE) or device flow, then saves the connection,
/// or replaces the tokens of the one being reauthorized.
async fn sign_in(
    runner: &Runner,
    exchange: ExchangeId,
    flow: FlowKind,
    label: &str,
    reauthorize: Option<i64>,
) -> Vec<Action> {
    if let Err(e) = runner.ctx.secrets.check_reachable().await {
        // Before the browser opens: the tokens would have nowhere to go.
        return vec![Action::OAuthFinished(ConnectOutcome::Refused(format!(
            "Not started: {e}"
        )))];
    }
    let provider = runner.ctx.config.provider(exchange);
    let tokens = match flow {
        FlowKind::Pkce => match oauth::start_pkce(&provider).await {
            Ok(start) => {
                let opened = oauth::open_browser(&start.authorize_url);
                runner.report(Action::OAuthProgress(OAuthPhase::Browser {
                    url: start.authorize_url.clone(),
                    opened,
                }));
                start.finish(Duration::from_secs(300)).await
            }
            Err(e) => Err(e),
        },
        FlowKind::Device => match oauth::start_device(&provider).await {
            Ok(start) => {
                runner.report(Action::OAuthProgress(OAuthPhase::Device {
                    uri: start.verification_uri.clone(),
                    code: start.user_code.clone(),
                }));
                start.finish().await
            }
            Err(e) => Err(e),
        },
    };
    let outcome = match tokens {
        Err(e) => ConnectOutcome::Refused(e.to_string()),
        Ok(tokens) => match reauthorize {
            Some(id) => match runner.ctx.reauthorize(id, tokens).await {
                Ok(()) => {
                    let _ = runner.engine.sync(id).await;
                    ConnectOutcome::Saved {
                        label: label.to_string(),
                        assets: 0,
                        permissions: None,
                    }
                }
                Err(e) => ConnectOutcome::Refused(format!("Not saved: {e}")),
            },
            None => match runner.ctx.connect_oauth(exchange, label, tokens).await {
                Ok((_, snapshot)) => {
                    runner.engine.wake();
                    ConnectOutcome::Saved {
                        label: label.to_string(),
                        assets: snapshot.balances.len(),
                        permissions: snapshot.permissions,
                    }
                }
                Err(ConnectError::Rejected(f)) => ConnectOutcome::Rejected(f),
                Err(e) => ConnectOutcome::Refused(format!("Not saved: {e}")),
            },
        },
    };
    with_fresh_list(runner, Action::OAuthFinished(outcome)).await
}

/// A connect's outcome, followed by the connection list it may have changed.
async fn with_fresh_list(runner: &Runner, finished: Action) -> Vec<Action> {
    let mut actions = vec![finished];
    if let Ok(list) = runner.ctx.connections().await {
        actions.push(Action::Connections(list));
    }
    actions
}

/// Demo only: approves on the simulator's consent page and follows its redirect to
/// keyfolio's loopback listener, as the trader's browser would.
async fn demo_approve(runner: &Runner, url: &str) -> Result<()> {
    let Some(sim) = &runner.demo else {
        return Ok(());
    };
    sim.set_consent(true);
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let answer = browser.get(url).send().await?;
    let location = answer
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .context("the simulator did not redirect")?
        .to_string();
    browser.get(location).send().await?;
    Ok(())
}

impl Runner {
    /// Effects run against this context; syncs go through `engine`.
    pub fn new(ctx: Context, engine: Engine) -> Self {
        Self {
            ctx,
            engine,
            connecting: Arc::default(),
            progress: None,
            demo: None,
            reloader: Reloader::default(),
        }
    }

    /// Sends progress actions (before an effect ends) to `tx`.
    pub fn with_progress(mut self, tx: mpsc::UnboundedSender<Action>) -> Self {
        self.progress = Some(tx);
        self
    }

    /// Lets the demo's simulator answer consent pages.
    pub fn with_demo(mut self, sim: Option<SimHandle>) -> Self {
        self.demo = sim;
        self
    }

    fn report(&self, action: Action) {
        if let Some(tx) = &self.progress {
            let _ = tx.send(action);
        }
    }
}

/// Runs one effect to completion and returns the actions it produced (headless drivers
/// and tests use this; the TUI runs effects as tasks).
pub async fn run_effect(runner: &Runner, effect: Effect) -> Vec<Action> {
    let ctx = &runner.ctx;
    let result: Result<Vec<Action>> = async {
        Ok(match effect {
            Effect::LoadConnections => vec![Action::Connections(ctx.connections().await?)],
            Effect::LoadDetail(id) => {
                let (balances, synced_at, history) = ctx.detail(id).await?;
                let values = ctx
                    .value_history(id, Utc::now() - chrono::Duration::days(7))
                    .await?;
                vec![Action::DetailLoaded(Detail {
                    id,
                    balances,
                    synced_at,
                    history,
                    values,
                })]
            }
            Effect::LoadValuation => {
                // Prices too, when a round old (at start, they are never read yet).
                runner.engine.refresh_prices().await;
                let valuation = ctx.valuation(ctx.config.quote).await?;
                let day_change = ctx.day_change(&valuation).await?;
                vec![Action::Valued {
                    valuation,
                    day_change,
                }]
            }
            Effect::LoadHistory(range) => {
                let points = ctx.total_history(range.since(Utc::now())).await?;
                vec![Action::HistoryLoaded { range, points }]
            }
            Effect::Disconnect { id, purge } => {
                runner.engine.forget(id);
                let outcome = ctx
                    .disconnect(id, purge)
                    .await
                    .map_err(|e| format!("{e:#}"));
                vec![
                    Action::Disconnected { id, outcome },
                    Action::Connections(ctx.connections().await?),
                ]
            }
            Effect::Connect {
                request,
                accept_withdraw_risk,
            } => connect(runner, request, accept_withdraw_risk).await,
            Effect::Rotate {
                id,
                creds,
                endpoint,
                accept_withdraw_risk,
            } => rotate(runner, id, creds, endpoint, accept_withdraw_risk).await,
            Effect::CancelConnect => vec![],
            Effect::StartOAuth {
                exchange,
                flow,
                label,
                reauthorize,
            } => sign_in(runner, exchange, flow, &label, reauthorize).await,
            Effect::DemoApprove { url } => {
                demo_approve(runner, &url).await?;
                vec![]
            }
            Effect::DemoApproveDevice { code } => {
                if let Some(sim) = &runner.demo {
                    sim.approve_device(&code);
                }
                vec![]
            }
            Effect::Sync(ids) => {
                // A resync clears a pause; the outcome arrives through the engine's events.
                let clear = ids.clone();
                ctx.with_db(move |db| clear.iter().try_for_each(|id| db.set_paused(*id, false)))
                    .await?;
                runner.engine.sync_many(&ids).await;
                vec![]
            }
        })
    }
    .await;
    result.unwrap_or_else(|e| vec![Action::Notice(format!("{e:#}"))])
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_remapped_and_checked_at_load() {
        let home = tempfile::tempdir().unwrap();
        let paths = Paths::under(home.path());
        paths.create().unwrap();
        let write = |text: &str| std::fs::write(paths.config_file(), text).unwrap();
        write("[keys]\nresync = \"s\"\ndown = [\"n\", \"Down\"]\n");
        let map = keys::KeyMap::of_config(&load_config(&paths).unwrap()).unwrap();
        let intents = |ctx| {
            map.in_context(ctx)
                .map(|b| (b.intent.name(), b.shown()))
                .collect::<Vec<_>>()
        };
        let cards = intents(keys::Context::Cards);
        assert!(cards.contains(&("resync", "s".into())), "{cards:?}");
        assert!(cards.contains(&("down", "n/↓".into())), "{cards:?}");

        write("[keys]\nresync = \"d\"\n");
        let err = format!("{:#}", load_config(&paths).unwrap_err());
        assert!(
            err.contains("\"resync\"") && err.contains("\"disconnect\""),
            "a conflict names both actions: {err}"
        );
        write("[keys]\nfly = \"f\"\n");
        let err = format!("{:#}", load_config(&paths).unwrap_err());
        assert!(err.contains("unknown action \"fly\""), "{err}");
        write("[keys]\nresync = \"Ctrl-Nope\"\n");
        let err = format!("{:#}", load_config(&paths).unwrap_err());
        assert!(err.contains("unknown key name \"Ctrl-Nope\""), "{err}");
    }

    use super::*;
    use crate::config::{Config, Paths};
    use crate::store::SecretStore;
    use chrono::Offset as _;
    use ratatui::backend::TestBackend;

    /// A context on a fresh directory (kept while the guard lives) and an in-memory store.
    fn context() -> (tempfile::TempDir, Context) {
        let home = tempfile::tempdir().unwrap();
        let paths = Paths::under(home.path());
        let ctx = Context::open(paths, Config::default(), SecretStore::memory()).unwrap();
        (home, ctx)
    }

    /// `n` stored connections, last synced at `at` and not due for an hour.
    async fn connections(ctx: &Context, at: DateTime<Utc>, n: usize) {
        use crate::model::{AccountSnapshot, AuthKind, Endpoint, NewConnection};
        for i in 1..=n {
            let new = NewConnection {
                exchange: ExchangeId::Binance,
                label: format!("Account {i}"),
                auth_kind: AuthKind::ApiKey,
                endpoint: Endpoint::default(),
                key_hint: "abcd".into(),
                key_hash: None,
                account_hash: None,
                key_type: None,
                secret_ref: format!("loop-test-{i}"),
            };
            let snapshot = AccountSnapshot {
                balances: vec![],
                permissions: None,
                account_id: None,
                ..Default::default()
            };
            ctx.with_db(move |db| {
                let id = db.insert_connection(&new, &snapshot, at)?;
                db.set_next_sync(id, Some(at + chrono::Duration::hours(1)))
            })
            .await
            .unwrap();
        }
    }

    /// The screen's text, row after row.
    fn screen_text(terminal: &Terminal<TestBackend>) -> String {
        let buffer = terminal.backend().buffer();
        buffer
            .content
            .iter()
            .map(ratatui::buffer::Cell::symbol)
            .collect()
    }

    /// The seconds of the first "Last sync 12s ago" on screen.
    fn first_ago_secs(terminal: &Terminal<TestBackend>) -> Option<i64> {
        let text = screen_text(terminal);
        let rest = &text[text.find("Last sync ")? + "Last sync ".len()..];
        if rest.starts_with("just now") {
            return Some(0);
        }
        rest.split_once("s ago")?.0.parse().ok()
    }

    /// What the loop did in [`drive`].
    struct Driven {
        /// How far the state's clock moved.
        moved: chrono::Duration,
        /// The first card's "Last sync 12s ago" in the last frame.
        shown_secs: Option<i64>,
        frames: u64,
    }

    /// Runs the loop on a `rows`-row in-memory terminal with `n` connections for 20 s of
    /// tokio's paused time, while connection `syncing` starts or finishes a sync every
    /// 50 ms (much faster than the spinner's tick); then presses q.
    /// What the loop runs with in these tests.
    struct Rig {
        /// The stored connections on a 120-column screen.
        state: State,
        runner: Runner,
        /// No terminal and no signal: only the two senders below feed it.
        inbox: Inbox<futures::stream::Pending<std::io::Result<Event>>>,
        sync_tx: mpsc::UnboundedSender<SyncEvent>,
        quit: mpsc::UnboundedSender<Action>,
    }

    async fn rig(ctx: Context, base: DateTime<Utc>, rows: u16) -> Rig {
        let mut state = State::new(base, Utc.fix(), Duration::from_secs(300));
        state.screen = (120, rows);
        state.set_connections(ctx.connections().await.unwrap());
        let (sync_tx, sync_rx) = mpsc::unbounded_channel();
        let (tx, rx) = mpsc::unbounded_channel();
        Rig {
            state,
            runner: Runner::new(ctx.clone(), Engine::new(ctx, None)),
            quit: tx.clone(),
            inbox: Inbox {
                terminal: futures::stream::pending(),
                sync_events: sync_rx,
                actions: (tx, rx),
                terminate: None,
            },
            sync_tx,
        }
    }

    async fn drive(n: usize, rows: u16, syncing: i64) -> Driven {
        let (_home, ctx) = context();
        let base = Utc::now();
        connections(&ctx, base, n).await;
        let Rig {
            mut state,
            runner,
            inbox,
            sync_tx,
            quit,
        } = rig(ctx, base, rows).await;
        let record = state.connection(syncing).cloned().map(Box::new);
        let started = Instant::now();
        let mut terminal = Terminal::new(TestBackend::new(120, rows)).unwrap();
        let mut screen = Screen {
            terminal: &mut terminal,
            theme: Theme { color: false },
            clock: move || base + chrono::Duration::from_std(started.elapsed()).unwrap(),
            frames: 0,
        };
        let stream = tokio::spawn(async move {
            for i in 0..400 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _ = sync_tx.send(if i % 2 == 0 {
                    SyncEvent::Started(syncing)
                } else {
                    SyncEvent::Finished(syncing, Ok(()), record.clone())
                });
            }
            let q = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('q'));
            let _ = quit.send(Action::Key(q));
        });
        event_loop(&mut screen, &runner, inbox, &mut state, || {})
            .await
            .unwrap();
        stream.await.unwrap();
        let frames = screen.frames;
        Driven {
            moved: state.now - base,
            shown_secs: first_ago_secs(&terminal),
            frames,
        }
    }

    impl Driven {
        /// Time moved on screen through the 20 s, in at most `frames` frames.
        fn assert_clock_moved_in(&self, frames: u64) {
            let moved = self.moved.num_seconds();
            assert!(moved >= 19, "the state's clock moved {moved} s of 20");
            assert!(
                self.shown_secs.is_some_and(|s| s >= 19),
                "20 s after the last sync, the screen says {:?} s ago",
                self.shown_secs
            );
            assert!(
                self.frames <= frames,
                "{} frames in 20 s for 400 sync events",
                self.frames
            );
        }
    }

    /// The screen's clock under a stream of sync events faster than the spinner's tick:
    /// time must still move on screen (it froze when each event restarted the tick's sleep).
    /// The events of a card in view are drawn at most every 100 ms, not one frame each.
    #[tokio::test(start_paused = true)]
    async fn the_clock_on_screen_moves_while_actions_arrive_faster_than_the_tick() {
        drive(2, 40, 2).await.assert_clock_moved_in(205);
    }

    /// Syncs of a connection out of view change only the header's count: they are drawn
    /// with the clock's tick, about once a second.
    #[tokio::test(start_paused = true)]
    async fn syncs_out_of_view_are_drawn_with_the_clock_not_one_frame_each() {
        // 12 rows: the first two of four connection cards show.
        drive(4, 12, 4).await.assert_clock_moved_in(25);
    }

    /// The loop left alone for `minutes` of tokio's paused time with `n` connections last
    /// synced 150 s before it starts and not due for an hour: the frames it drew, the
    /// ticks it woke for and the last frame's first "Last sync ... ago".
    async fn idle(n: usize, minutes: u64) -> (u64, u64, String) {
        let (_home, ctx) = context();
        let base = Utc::now();
        connections(&ctx, base - chrono::Duration::seconds(150), n).await;
        let Rig {
            mut state,
            runner,
            inbox,
            quit,
            ..
        } = rig(ctx, base, 40).await;
        let started = Instant::now();
        let ticks = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counted = ticks.clone();
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        let mut screen = Screen {
            terminal: &mut terminal,
            theme: Theme { color: false },
            clock: move || {
                counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                base + chrono::Duration::from_std(started.elapsed()).unwrap()
            },
            frames: 0,
        };
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(minutes * 60)).await;
            let q = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('q'));
            let _ = quit.send(Action::Key(q));
        });
        event_loop(&mut screen, &runner, inbox, &mut state, || {})
            .await
            .unwrap();
        let frames = screen.frames;
        let ago = screen_text(&terminal)
            .split_once("Last sync ")
            .and_then(|(_, rest)| rest.split_once(" ago"))
            .map_or(String::new(), |(ago, _)| ago.to_string());
        // The clock is read twice per action (the tick's time, then the state's).
        (
            frames,
            ticks.load(std::sync::atomic::Ordering::Relaxed) / 2,
            ago,
        )
    }

    /// Left alone, the screen is drawn when a text on it changes ("2m ago" turning "3m
    /// ago", "in 57m", the badge turning Stale), not once a second; the loop wakes at most
    /// every 10 s in between; the same with 1,000 connections as with 10.
    #[tokio::test(start_paused = true)]
    async fn an_idle_screen_is_drawn_when_its_texts_change_not_every_second() {
        for n in [10, 1000] {
            let (frames, ticks, ago) = idle(n, 10).await;
            // 10 minutes: the first frame, each minute's "ago" and "in" (1 ns apart, drawn
            // as one or two frames), and Stale.
            assert!(
                frames <= 25,
                "{frames} frames in 10 idle minutes, {n} connections"
            );
            assert!(
                ticks <= 90,
                "{ticks} ticks in 10 idle minutes, {n} connections"
            );
            assert_eq!(ago, "12m", "the last frame, {n} connections");
        }
    }

    /// A state of `n` cards last synced 150 s before `state.now`, due in an hour.
    fn quiet_state(n: i64) -> State {
        let now = Utc::now();
        let mut state = State::new(now, Utc.fix(), Duration::from_secs(300));
        state.screen = (120, 40);
        let synced = now - chrono::Duration::seconds(150);
        let list = (1..=n)
            .map(|id| crate::model::ConnectionRecord {
                id,
                exchange: ExchangeId::Binance,
                label: format!("Account {id}"),
                auth_kind: crate::model::AuthKind::ApiKey,
                endpoint: Endpoint::default(),
                key_hint: "abcd".into(),
                key_type: None,
                secret_ref: format!("ref-{id}"),
                permissions: None,
                permissions_checked_at: None,
                created_at: synced,
                last_synced_at: Some(synced),
                last_attempt_at: Some(synced),
                last_error: None,
                failure_streak: 0,
                paused: false,
                next_sync_at: Some(synced + chrono::Duration::hours(1)),
                sync_interval_secs: None,
                unreadable_wallets: Vec::new(),
                expiry: Default::default(),
            })
            .collect();
        state.set_connections(list);
        state
    }

    #[test]
    fn a_tick_that_changes_nothing_on_screen_draws_nothing() {
        let state = quiet_state(3);
        let tick = Action::Tick(state.now + chrono::Duration::seconds(20));
        assert_eq!(redraw(&tick, &state), Redraw::Nothing);
        // "2m ago" holds until 180 s after the sync, 30 s from now.
        assert_eq!(
            next_tick(&state),
            LONGEST_TICK,
            "a sleep of at most {LONGEST_TICK:?}"
        );
    }

    #[test]
    fn a_card_crossing_a_minute_boundary_is_redrawn() {
        let mut state = quiet_state(3);
        let at = clock::next_change(&state).unwrap();
        let synced = state.connections[0].last_synced_at.unwrap();
        assert_eq!(
            at,
            synced + chrono::Duration::seconds(180),
            "2m ago turns 3m ago"
        );
        assert_eq!(redraw(&Action::Tick(at), &state), Redraw::Soon);
        let before = frame(&state);
        state.now = at;
        assert_ne!(frame(&state), before);
        assert!(frame(&state).contains("Last sync 3m ago"));
    }

    /// The frame's text at 120x40.
    fn frame(state: &State) -> String {
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        terminal
            .draw(|f| ui::draw(f, state, Theme { color: false }))
            .unwrap();
        screen_text(&terminal)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_finished_syncs_reloads_the_list_a_few_times_not_once_each() {
        let (_home, ctx) = context();
        // Hold the database so the first load is still running while the burst arrives,
        // whatever the speed of the machine.
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let holder = tokio::spawn({
            let ctx = ctx.clone();
            async move {
                ctx.with_db(move |_| {
                    held_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                    Ok(())
                })
                .await
            }
        });
        held_rx.recv().unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let reloader = Reloader::default();
        for _ in 0..100 {
            reloader.request(&ctx, &tx);
        }
        release_tx.send(()).unwrap();
        holder.await.unwrap().unwrap();
        let mut loads = 0;
        while loads < 2 {
            let action = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
            assert!(matches!(action, Ok(Some(Action::Connections(_)))));
            loads += 1;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            rx.try_recv().is_err(),
            "100 requests during one load cost 2 loads"
        );
        // Once idle, a new request loads again.
        reloader.request(&ctx, &tx);
        let action = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        assert!(matches!(action, Ok(Some(Action::Connections(_)))));
    }
}
