//! OAuth through the app: the sign-in window driven by keys, the runner's effects, the
//! simulator's provider; tokens in the secret store only; refresh, Reauthorize, revoke.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use keyfolio::app::action::Action;
use keyfolio::app::state::{Modal, OAuthPhase, Picker, State};
use keyfolio::app::update::update;
use keyfolio::app::{Runner, oauth_offers, run_effect};
use keyfolio::config::{Config, Paths};
use keyfolio::context::Context;
use keyfolio::exchange::sim::{SimHandle, Simulator};
use keyfolio::model::AuthKind;
use keyfolio::model::ExchangeId;
use keyfolio::model::Status;
use keyfolio::store::SecretStore;
use keyfolio::sync::Engine;
use tokio::sync::mpsc;

struct App {
    state: State,
    runner: Runner,
    ctx: Context,
    progress: mpsc::UnboundedReceiver<Action>,
    home: tempfile::TempDir,
}

impl App {
    fn new(sim: &SimHandle) -> Self {
        let home = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.oauth.binance = sim.oauth_provider(ExchangeId::Binance).into();
        config.oauth.okx = sim.oauth_provider(ExchangeId::Okx).into();
        let ctx = Context::open(Paths::under(home.path()), config, SecretStore::memory()).unwrap();
        let (tx, progress) = mpsc::unbounded_channel();
        let runner = Runner::new(ctx.clone(), Engine::new(ctx.clone(), None))
            .with_progress(tx)
            .with_demo(Some(sim.clone()));
        let mut state = common::state();
        state.oauth = oauth_offers(&ctx.config);
        state.demo_sim = Some(sim.clone());
        Self {
            state,
            runner,
            ctx,
            progress,
            home,
        }
    }

    /// Applies an action; effects run in tasks, results and progress come back until quiet.
    async fn act(&mut self, action: Action) {
        let effects = update(&mut self.state, action);
        let (tx, mut done) = mpsc::unbounded_channel();
        let mut running = 0;
        for effect in effects {
            let runner = self.runner.clone();
            let tx = tx.clone();
            running += 1;
            tokio::spawn(async move {
                let _ = tx.send(run_effect(&runner, effect).await);
            });
        }
        while running > 0 {
            tokio::select! {
                Some(actions) = done.recv() => {
                    running -= 1;
                    for a in actions {
                        Box::pin(self.act(a)).await;
                    }
                }
                Some(p) = self.progress.recv() => {
                    update(&mut self.state, p);
                    // Progress means the flow waits for the trader: answer like the trader.
                    Box::pin(self.act(key(KeyCode::Char('a')))).await;
                }
            }
        }
    }

    fn phase(&self) -> OAuthPhase {
        match &self.state.modal {
            Some(Modal::OAuth(v)) => v.phase.clone(),
            other => panic!("no OAuth window: {other:?}"),
        }
    }

    /// The exchange picker, open with this exchange typed: Enter connects it.
    fn select_connect(&mut self, exchange: ExchangeId) {
        self.state.selected = self.state.connections.len();
        self.state.modal = Some(Modal::Picker(Picker {
            text: exchange.id().into(),
            selected: 0,
        }));
    }
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_with_the_browser_and_on_another_device() {
    let sim = Simulator::start(0).await.unwrap();
    let mut app = App::new(&sim);
    for (exchange, flow) in [
        (ExchangeId::Binance, keyfolio::oauth::FlowKind::Pkce),
        (ExchangeId::Okx, keyfolio::oauth::FlowKind::Device),
    ] {
        app.select_connect(exchange);
        app.act(key(KeyCode::Enter)).await;
        assert_eq!(app.phase(), OAuthPhase::Choose);
        while !matches!(&app.state.modal, Some(Modal::OAuth(v)) if v.flow == flow) {
            app.act(key(KeyCode::Tab)).await;
        }
        app.act(key(KeyCode::Enter)).await;
        assert!(
            matches!(app.phase(), OAuthPhase::Saved { assets, .. } if assets > 0),
            "{exchange}: {:?}",
            app.phase()
        );
        app.act(key(KeyCode::Enter)).await;
    }
    let connections = app.ctx.connections().await.unwrap();
    assert_eq!(connections.len(), 2);
    assert!(connections.iter().all(|c| c.auth_kind == AuthKind::OAuth));
    assert!(
        connections
            .iter()
            .all(|c| app.state.status(c) == Status::Synced)
    );

    // The tokens live in the secret store and nowhere in the data directory.
    for c in &connections {
        let text = app.ctx.secrets.get_raw(&c.secret_ref).await.unwrap();
        let tokens = keyfolio::oauth::Tokens::from_secret_json(&text).unwrap();
        let access = keyfolio::exchange::reveal(&tokens.access).to_string();
        for entry in std::fs::read_dir(app.home.path())
            .unwrap()
            .flatten()
            .filter(|e| e.path().is_file())
        {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(&access),
                "token in {}",
                entry.path().display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_refresh_asks_to_reauthorize_and_a_sign_in_fixes_it() {
    let sim = Simulator::start(0).await.unwrap();
    let mut app = App::new(&sim);
    app.select_connect(ExchangeId::Binance);
    app.act(key(KeyCode::Enter)).await;
    app.act(key(KeyCode::Enter)).await;
    app.act(key(KeyCode::Enter)).await;
    let c = app.ctx.connections().await.unwrap().remove(0);

    // The grant is revoked behind keyfolio's back, and the access token expires.
    let provider = app.ctx.config.provider(ExchangeId::Binance);
    let tokens = keyfolio::oauth::Tokens::from_secret_json(
        &app.ctx.secrets.get_raw(&c.secret_ref).await.unwrap(),
    )
    .unwrap();
    keyfolio::oauth::revoke(&provider, &tokens).await.unwrap();
    sim.expire_access_tokens();
    let engine = Engine::new(app.ctx.clone(), None);
    let failure = engine.sync(c.id).await.unwrap_err();
    assert_eq!(failure.kind, keyfolio::model::FailureKind::InvalidKey);
    app.state
        .set_connections(app.ctx.connections().await.unwrap());
    assert_eq!(
        app.state.status(&app.state.connections[0]),
        Status::Reauthorize
    );

    // One key: sign in again; the connection syncs again under the same id.
    app.state.selected = 0;
    app.act(key(KeyCode::Char('a'))).await;
    assert!(matches!(&app.state.modal, Some(Modal::OAuth(v)) if v.reauthorize == Some(c.id)));
    app.act(key(KeyCode::Enter)).await;
    assert!(
        matches!(app.phase(), OAuthPhase::Saved { .. }),
        "{:?}",
        app.phase()
    );
    let again = app
        .ctx
        .with_db(move |db| db.connection(c.id))
        .await
        .unwrap();
    app.state.set_connections(vec![again.clone()]);
    assert_eq!(app.state.status(&again), Status::Synced);

    // Disconnect revokes the grant at the provider.
    let revokes = sim.oauth_count("revoke");
    app.ctx.disconnect(c.id, true).await.unwrap();
    assert_eq!(sim.oauth_count("revoke"), revokes + 1);
    assert!(app.ctx.secrets.get_raw(&c.secret_ref).await.is_err());
}
