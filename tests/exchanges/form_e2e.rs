//! The connect form end to end: key presses and pastes through `update`, effects run by the
//! app's runner, the real CCXT client against the simulator, for both exchanges and every
//! failure kind the form can meet; a failed validation stores nothing anywhere.

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use keyfolio::app::action::Action;
use keyfolio::app::form::{Field, FormPhase};
use keyfolio::app::state::State;
use keyfolio::app::update::update;
use keyfolio::app::{Runner, run_effect};
use keyfolio::config::{Config, Paths};
use keyfolio::context::Context;
use keyfolio::exchange::sim::{Fault, SimAccount, SimHandle, Simulator};
use keyfolio::model::{ExchangeId, FailureKind};
use keyfolio::store::SecretStore;
use keyfolio::sync::Engine;

struct App {
    state: State,
    runner: Runner,
    ctx: Context,
    _home: tempfile::TempDir,
}

impl App {
    fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        let config = Config {
            request_timeout_ms: 1500,
            ..Config::default()
        };
        let ctx = Context::open(Paths::under(home.path()), config, SecretStore::memory()).unwrap();
        let runner = Runner::new(ctx.clone(), Engine::new(ctx.clone(), None));
        Self {
            state: common::state(),
            runner,
            ctx,
            _home: home,
        }
    }

    /// Applies an action and runs every effect it causes, feeding results back, to the end.
    async fn act(&mut self, action: Action) {
        let mut queue = vec![action];
        while let Some(action) = queue.pop() {
            for effect in update(&mut self.state, action) {
                queue.extend(run_effect(&self.runner, effect).await);
            }
        }
    }

    async fn key(&mut self, code: KeyCode) {
        self.act(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
            .await;
    }

    fn focus(&self) -> Field {
        self.state.form.as_ref().unwrap().focus()
    }

    async fn tab_to(&mut self, field: Field) {
        for _ in 0..12 {
            if self.focus() == field {
                return;
            }
            self.key(KeyCode::Tab).await;
        }
        panic!("no field {field:?}");
    }

    /// Moves to a field and pastes text into it.
    async fn paste_into(&mut self, field: Field, text: &str) {
        self.tab_to(field).await;
        self.act(Action::Paste(keyfolio::app::action::Pasted::new(text)))
            .await;
    }

    /// Opens the form on the exchange's Connect card and submits these credentials.
    async fn connect(
        &mut self,
        sim: &SimHandle,
        exchange: ExchangeId,
        a: &SimAccount,
        testnet: bool,
    ) -> FormPhase {
        // The Connect card opens the exchange picker; type the exchange, Enter connects.
        self.state.selected = self.state.connections.len();
        self.key(KeyCode::Enter).await;
        for c in exchange.id().chars() {
            self.key(KeyCode::Char(c)).await;
        }
        self.key(KeyCode::Enter).await;
        self.paste_into(Field::ApiKey, &a.api_key).await;
        self.paste_into(Field::Secret, &a.secret).await;
        if let Some(p) = &a.passphrase {
            self.tab_to(Field::Passphrase).await;
            self.act(Action::Paste(keyfolio::app::action::Pasted::new(p.clone())))
                .await;
        }
        self.tab_to(Field::CustomUrl).await;
        self.act(Action::Paste(keyfolio::app::action::Pasted::new(format!(
            "{}/{}",
            sim.base_url,
            exchange.id()
        ))))
        .await;
        if testnet {
            self.tab_to(Field::Testnet).await;
            self.key(KeyCode::Char(' ')).await;
        }
        self.tab_to(Field::Validate).await;
        self.key(KeyCode::Enter).await;
        self.state.form.as_ref().unwrap().phase().clone()
    }

    async fn close_form(&mut self) {
        self.key(KeyCode::Esc).await;
        if self.state.form.is_some() {
            self.key(KeyCode::Enter).await;
        }
        assert!(self.state.form.is_none());
    }
}

fn failed(phase: &FormPhase) -> FailureKind {
    match phase {
        FormPhase::Failed(f) => f.kind,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failure_is_named_in_the_form_and_nothing_is_saved() {
    let sim = Simulator::start(0).await.unwrap();
    let mut app = App::new();
    let b = sim.account_on("binance", "trade").unwrap();
    let o = sim.account_on("okx", "trade").unwrap();
    let wrong = |a: &SimAccount, f: &dyn Fn(&mut SimAccount)| {
        let mut a = a.clone();
        f(&mut a);
        a
    };
    let cases: Vec<(ExchangeId, SimAccount, Option<Fault>, FailureKind)> = vec![
        (
            ExchangeId::Binance,
            wrong(&b, &|a| a.api_key = "Z".repeat(64)),
            None,
            FailureKind::InvalidKey,
        ),
        (
            ExchangeId::Binance,
            wrong(&b, &|a| a.secret = "Q".repeat(64)),
            None,
            FailureKind::BadSignature,
        ),
        (
            ExchangeId::Binance,
            b.clone(),
            Some(Fault::ClockSkewMs(30_000)),
            FailureKind::ClockSkew,
        ),
        (
            ExchangeId::Binance,
            b.clone(),
            Some(Fault::RateLimitBurst),
            FailureKind::RateLimited,
        ),
        (
            ExchangeId::Binance,
            b.clone(),
            Some(Fault::Ban418),
            FailureKind::Banned,
        ),
        (
            ExchangeId::Binance,
            b.clone(),
            Some(Fault::Html5xx),
            FailureKind::ExchangeDown,
        ),
        (
            ExchangeId::Binance,
            b.clone(),
            Some(Fault::NonJson200),
            FailureKind::UnexpectedResponse,
        ),
        (
            ExchangeId::Binance,
            b.clone(),
            Some(Fault::Hang),
            FailureKind::Unreachable,
        ),
        (
            ExchangeId::Okx,
            wrong(&o, &|a| a.passphrase = Some("Wrong#Pass1".into())),
            None,
            FailureKind::WrongPassphrase,
        ),
        (
            ExchangeId::Okx,
            wrong(&o, &|a| {
                a.secret = "ABCDEF0123456789ABCDEF0123456789".into();
            }),
            None,
            FailureKind::BadSignature,
        ),
        (
            ExchangeId::Okx,
            wrong(&o, &|a| {
                a.api_key = "00000000-1111-2222-3333-444444444444".into();
            }),
            None,
            FailureKind::InvalidKey,
        ),
        (
            ExchangeId::Okx,
            o.clone(),
            Some(Fault::IpNotWhitelisted),
            FailureKind::IpNotWhitelisted,
        ),
        (
            ExchangeId::Okx,
            o.clone(),
            Some(Fault::WrongRegion),
            FailureKind::WrongRegion,
        ),
        (
            ExchangeId::Okx,
            o.clone(),
            Some(Fault::RateLimitBurst),
            FailureKind::RateLimited,
        ),
        (
            ExchangeId::Okx,
            o.clone(),
            Some(Fault::Truncated200),
            FailureKind::UnexpectedResponse,
        ),
        (
            ExchangeId::Okx,
            sim.account_on("okx", "demo").unwrap(),
            None,
            FailureKind::WrongEnvironment,
        ),
    ];
    for (exchange, account, fault, kind) in cases {
        sim.reset_counts();
        sim.set_fault(
            &b.api_key,
            fault.filter(|_| exchange == ExchangeId::Binance),
        );
        sim.set_fault(&o.api_key, fault.filter(|_| exchange == ExchangeId::Okx));
        let phase = app.connect(&sim, exchange, &account, false).await;
        assert_eq!(failed(&phase), kind, "{exchange} {fault:?}");
        let text = common::frame_text(&app.state, 120, 40);
        assert!(
            text.contains(kind.label()),
            "{exchange} {kind:?} shown:\n{text}"
        );
        app.close_form().await;
    }
    assert!(
        app.ctx.connections().await.unwrap().is_empty(),
        "no row after failures"
    );
    let SecretStore::Memory(map) = &app.ctx.secrets else {
        unreachable!()
    };
    assert!(map.lock().unwrap().is_empty(), "no secret after failures");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_withdraw_confirmation_and_demo_keys() {
    let sim = Simulator::start(0).await.unwrap();
    let mut app = App::new();
    let phase = app
        .connect(
            &sim,
            ExchangeId::Binance,
            &sim.account_on("binance", "ed25519").unwrap(),
            false,
        )
        .await;
    assert!(
        matches!(phase, FormPhase::Saved { assets, .. } if assets > 0),
        "{phase:?}"
    );
    app.close_form().await;
    assert_eq!(app.state.connections.len(), 1, "the card appears");
    assert_eq!(
        app.state.status(&app.state.connections[0]).label(),
        "Synced"
    );

    let withdraw = sim.account_on("okx", "withdraw enabled").unwrap();
    let phase = app.connect(&sim, ExchangeId::Okx, &withdraw, false).await;
    assert!(matches!(phase, FormPhase::WithdrawWarning(_)), "{phase:?}");
    assert_eq!(
        app.state.connections.len(),
        1,
        "not saved before the confirmation"
    );
    app.key(KeyCode::Char('y')).await;
    assert!(matches!(
        app.state.form.as_ref().unwrap().phase(),
        FormPhase::Saved { .. }
    ));
    app.close_form().await;
    assert_eq!(app.state.connections.len(), 2);
    assert_eq!(
        app.state.connections[1].permissions.map(|p| p.withdraw),
        Some(true)
    );

    // The OKX demo key works once the testnet/demo switch is on.
    let demo = sim.account_on("okx", "demo").unwrap();
    let phase = app.connect(&sim, ExchangeId::Okx, &demo, true).await;
    assert!(matches!(phase, FormPhase::Saved { .. }), "{phase:?}");
    app.close_form().await;
    assert!(app.state.connections[2].endpoint.sandbox);

    // The same key again is refused, and says so.
    let phase = app.connect(&sim, ExchangeId::Okx, &demo, true).await;
    assert!(matches!(phase, FormPhase::Editing), "{phase:?}");
    assert!(
        app.state
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("already connected")
    );
}

/// A second key of `first`'s exchange account, with these permissions.
fn second_key(sim: &SimHandle, first: &SimAccount, tag: char, withdraw: bool) -> SimAccount {
    let key = SimAccount {
        api_key: format!("{tag}").repeat(60) + "Rk" + &format!("{tag}{tag}"),
        secret: format!("{tag}").repeat(60) + "Sx01",
        purpose: format!("second key {tag}"),
        perms: keyfolio::exchange::sim::Perms {
            withdraw,
            ..first.perms.clone()
        },
        same_account_as: Some(first.api_key.clone()),
        ..first.clone()
    };
    sim.add_account(key.clone());
    key
}

impl App {
    /// `k` in the open detail, the new key pasted into the form in replace mode, submitted.
    async fn replace_key(&mut self, a: &SimAccount) {
        self.key(KeyCode::Char('k')).await;
        let form = self.state.form.as_ref().expect("k opens the form");
        assert!(form.replacing().is_some(), "in replace mode");
        assert!(!form.fields().contains(&Field::Label));
        self.paste_into(Field::ApiKey, &a.api_key).await;
        self.paste_into(Field::Secret, &a.secret).await;
        self.tab_to(Field::Validate).await;
        self.key(KeyCode::Enter).await;
    }
}

/// `k` in a connection's details replaces its key through the form against the
/// simulator (`Context::rotate`, as `keyfolio rotate`): the id and label stay, the card
/// shows the new key's hint; the same key again is refused in the form; a key that can
/// withdraw asks first, as connect does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn k_in_the_details_replaces_the_key_through_the_form() {
    let sim = Simulator::start(0).await.unwrap();
    let mut app = App::new();
    let first = sim.account_on("binance", "read-only").unwrap();
    let phase = app.connect(&sim, ExchangeId::Binance, &first, false).await;
    assert!(matches!(phase, FormPhase::Saved { .. }), "{phase:?}");
    app.close_form().await;
    let before = app.state.connections[0].clone();
    let hint = |k: &SimAccount| k.api_key[k.api_key.len() - 4..].to_string();
    assert_eq!(before.key_hint, hint(&first));

    app.state.selected = 0;
    app.key(KeyCode::Enter).await;
    assert!(
        matches!(&app.state.modal, Some(keyfolio::app::state::Modal::Detail(d)) if d.id == before.id)
    );
    let second = second_key(&sim, &first, 'B', false);
    app.replace_key(&second).await;
    assert!(app.state.form.is_none(), "a replaced key closes the form");
    let notice = app.state.notice.clone().expect("a notice");
    assert!(
        !notice.is_error && notice.text.starts_with("Key replaced"),
        "{notice:?}"
    );
    assert_eq!(app.state.connections.len(), 1);
    let after = &app.state.connections[0];
    assert_eq!((after.id, &after.label), (before.id, &before.label));
    assert_eq!(after.key_hint, hint(&second), "the card shows the new key");
    assert_eq!(after.endpoint, before.endpoint, "it syncs where it did");
    let stored = app.ctx.connections().await.unwrap();
    assert_eq!(stored[0].key_hint, hint(&second));

    // The same key again: refused, the form stays open and says why.
    app.replace_key(&second).await;
    let form = app.state.form.as_ref().expect("the form stays open");
    assert_eq!(*form.phase(), FormPhase::Editing);
    let notice = app.state.notice.clone().unwrap();
    assert!(
        notice.is_error && notice.text.contains("already the key"),
        "{notice:?}"
    );
    app.key(KeyCode::Esc).await;
    assert!(app.state.form.is_none());

    // A key that can withdraw: the warning first, nothing swapped; `y` swaps it.
    let third = second_key(&sim, &first, 'C', true);
    app.replace_key(&third).await;
    assert!(
        matches!(
            app.state.form.as_ref().unwrap().phase(),
            FormPhase::WithdrawWarning(_)
        ),
        "{:?}",
        app.state.form
    );
    assert_eq!(
        app.ctx.connections().await.unwrap()[0].key_hint,
        hint(&second)
    );
    app.key(KeyCode::Char('y')).await;
    assert!(app.state.form.is_none(), "{:?}", app.state.form);
    assert_eq!(app.state.connections[0].key_hint, hint(&third));
}
