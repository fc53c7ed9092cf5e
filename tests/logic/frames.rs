//! Frame snapshots of every screen and state, at 80x24 and 120x40, plus small terminals.

use crate::common::*;
use keyfolio::app::state::{ConfirmDisconnect, Detail, Help, HistoryRange, Modal, PortfolioView};
use keyfolio::model::Balance;
use keyfolio::model::SyncRun;

fn snap(name: &str, state: &keyfolio::app::state::State) {
    for (w, h) in [(80, 24), (120, 40)] {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), frame_text(state, w, h));
    }
}

#[test]
fn empty_shows_only_connect_cards() {
    let state = state();
    let text = frame_text(&state, 80, 24);
    assert!(text.contains("Connect an exchange"), "{text}");
    snap("empty", &state);
}

#[test]
fn exchange_picker_lists_filters_and_says_what_each_asks_for() {
    use keyfolio::app::state::Picker;
    let mut state = state();
    state.set_connections(every_status());
    state.modal = Some(Modal::Picker(Picker::default()));
    let text = frame_text(&state, 120, 40);
    assert!(
        text.contains("Binance") && text.contains("OKX") && text.contains("Bybit"),
        "{text}"
    );
    snap("picker", &state);
    state.modal = Some(Modal::Picker(Picker {
        text: "co".into(),
        selected: 1,
    }));
    let text = frame_text(&state, 120, 40);
    assert!(
        text.contains("Coinbase") && !text.contains("Bybit"),
        "{text}"
    );
    snap("picker_filtered", &state);
    state.modal = Some(Modal::Picker(Picker {
        text: "nothing-like-it".into(),
        selected: 0,
    }));
    assert!(frame_text(&state, 80, 24).contains("No exchange in this build matches"));
}

#[test]
fn every_status_badge() {
    let mut state = state();
    state.set_connections(every_status());
    state.syncing.insert(6);
    let text = frame_text(&state, 120, 40);
    for badge in [
        "Synced",
        "Stale",
        "Not connected",
        "Error: exchange down",
        "Paused: invalid key",
        "Syncing",
    ] {
        assert!(text.contains(badge), "missing badge {badge}:\n{text}");
    }
    assert!(text.contains("••••"), "key hint shown");
    snap("every_status", &state);
}

#[test]
fn selection_scrolls_into_view() {
    let mut state = state();
    state.set_connections(every_status());
    state.selected = state.card_count() - 1;
    let text = frame_text(&state, 80, 24);
    assert!(text.contains("▶ + Connect an exchange"), "{text}");
    snap("scrolled_to_last", &state);
}

#[test]
fn help_overlay() {
    let mut state = state();
    state.set_connections(every_status());
    state.modal = Some(Modal::Help(Help::default()));
    let text = frame_text(&state, 120, 40);
    assert!(
        text.contains("last 4") && text.contains("characters."),
        "the help wraps its long lines instead of cutting them:\n{text}"
    );
    snap("help", &state);
}

#[test]
fn filtered_list_while_typing_and_kept() {
    use keyfolio::app::state::CardFilter;
    let mut state = state();
    state.set_connections(every_status());
    state.set_filter(Some(CardFilter {
        text: "okx".into(),
        editing: true,
    }));
    let text = frame_text(&state, 80, 24);
    assert!(
        text.contains("/okx▏") && !text.contains("Binance · Main"),
        "{text}"
    );
    assert!(
        text.contains("Esc clear"),
        "the filter's keys in the status bar:\n{text}"
    );
    snap("filter_typing", &state);
    state.set_filter(Some(CardFilter {
        text: "okx".into(),
        editing: false,
    }));
    snap("filter_kept", &state);
}

/// (connection id, label, [(asset, total)]).
type Held<'a> = (i64, &'a str, &'a [(&'a str, &'a str)]);

/// A valuation of these holdings (connection id, label, assets) at the simulator's
/// listed prices: BTC 64,000, ETH 3,200, SOL 150 USDT; PEPE has no price.
fn valuation(holdings: &[Held]) -> keyfolio::portfolio::Valuation {
    use keyfolio::model::{ExchangeId, Quote, Tickers};
    let d = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
    let tickers = Tickers {
        at: Some(now()),
        pairs: [("BTC", "64000"), ("ETH", "3200"), ("SOL", "150")]
            .into_iter()
            .map(|(b, p)| ((b.to_string(), "USDT".to_string()), d(p)))
            .collect(),
        stale: false,
    };
    let holdings: Vec<keyfolio::portfolio::Holding> = holdings
        .iter()
        .map(|(id, label, assets)| keyfolio::portfolio::Holding {
            connection_id: *id,
            exchange: ExchangeId::Binance,
            label: label.to_string(),
            balances: assets
                .iter()
                .map(|(asset, total)| Balance {
                    wallet: keyfolio::model::Wallet::Spot,
                    asset: asset.to_string(),
                    free: total.to_string(),
                    used: "0".into(),
                    total: total.to_string(),
                    approximate: false,
                })
                .collect(),
            stale: *id == 2,
        })
        .collect();
    keyfolio::portfolio::value(
        &holdings,
        &std::collections::BTreeMap::from([(ExchangeId::Binance, tickers)]),
        Quote::Usdt,
    )
}

fn sample_detail() -> Detail {
    Detail {
        id: 1,
        balances: vec![
            Balance {
                wallet: keyfolio::model::Wallet::Spot,
                asset: "BTC".into(),
                free: "123456789012.12345678".into(),
                used: "0.5".into(),
                total: "123456789012.62345678".into(),
                approximate: false,
            },
            Balance {
                wallet: keyfolio::model::Wallet::Spot,
                asset: "USDT".into(),
                free: "1520.33".into(),
                used: "0".into(),
                total: "1520.33".into(),
                approximate: false,
            },
            // As Binance sends them: padded to 8 decimals.
            Balance {
                wallet: keyfolio::model::Wallet::Spot,
                asset: "ETH".into(),
                free: "0.00100000".into(),
                used: "0.00000000".into(),
                total: "0.00100000".into(),
                approximate: false,
            },
            // More digits than CCXT's f64 keeps (Blofin's recorded USDT).
            Balance {
                wallet: keyfolio::model::Wallet::Spot,
                asset: "USDC".into(),
                free: "61.33874377565181".into(),
                used: "0.000000000000000009".into(),
                total: "61.33874377565181".into(),
                approximate: true,
            },
        ],
        synced_at: Some(now() - chrono::Duration::minutes(2)),
        history: vec![
            SyncRun {
                finished_at: now() - chrono::Duration::minutes(2),
                ok: true,
                error_kind: None,
                message: None,
            },
            SyncRun {
                finished_at: now() - chrono::Duration::minutes(7),
                ok: false,
                error_kind: Some(keyfolio::model::FailureKind::RateLimited),
                message: Some("429".into()),
            },
        ],
        values: (0..=28)
            .map(|i| {
                let at = now() - chrono::Duration::hours(6 * (28 - i));
                (
                    at,
                    rust_decimal::Decimal::new(5_000_000 + (i * 7919 % 400_000), 2),
                )
            })
            .collect(),
    }
}

#[test]
fn detail_view() {
    let mut state = state();
    state.set_connections(every_status());
    state.modal = Some(Modal::Detail(sample_detail()));
    let text = frame_text(&state, 120, 40);
    assert!(
        text.contains("123456789012.12345678"),
        "exact decimal shown:\n{text}"
    );
    snap("detail", &state);
}

#[test]
fn detail_view_of_an_account_in_several_wallets() {
    use keyfolio::model::{ExchangeId, FailureKind, Quote, UnreadableWallet, Wallet};
    let mut state = state();
    let mut connections = every_status();
    connections[0].unreadable_wallets = vec![UnreadableWallet {
        wallet: Wallet::UsdmFutures,
        kind: FailureKind::PermissionDenied,
        detail: "-2015".into(),
    }];
    state.set_connections(connections);
    let mut detail = sample_detail();
    let in_wallet = |wallet, asset: &str, total: &str| Balance {
        wallet,
        asset: asset.into(),
        free: total.into(),
        used: "0".into(),
        total: total.into(),
        approximate: false,
    };
    detail.balances = vec![
        in_wallet(Wallet::Spot, "BTC", "0.1"),
        in_wallet(Wallet::EarnFlexible, "BTC", "0.4"),
        in_wallet(Wallet::Funding, "USDT", "250"),
        in_wallet(Wallet::CrossMargin, "USDT", "-100"),
    ];
    let holding = keyfolio::portfolio::Holding {
        connection_id: 1,
        exchange: ExchangeId::Binance,
        label: "Main".into(),
        balances: detail.balances.clone(),
        stale: false,
    };
    let tickers = keyfolio::model::Tickers {
        at: Some(now()),
        pairs: [(
            ("BTC".to_string(), "USDT".to_string()),
            rust_decimal::Decimal::new(64_000, 0),
        )]
        .into_iter()
        .collect(),
        stale: false,
    };
    state.valuation = Some(keyfolio::portfolio::value(
        &[holding],
        &std::collections::BTreeMap::from([(ExchangeId::Binance, tickers)]),
        Quote::Usdt,
    ));
    state.modal = Some(Modal::Detail(detail));
    let text = frame_text(&state, 120, 40);
    assert!(text.contains("Earn flexible 25,600.00"), "{text}");
    assert!(text.contains("not readable with this key"), "{text}");
    assert!(text.contains("-100"), "a debt is shown:\n{text}");
    snap("detail_wallets", &state);
}

#[test]
fn amounts_read_the_same_in_the_detail_and_portfolio_views() {
    let mut state = state();
    state.set_connections(every_status());
    state.modal = Some(Modal::Detail(sample_detail()));
    let detail = frame_text(&state, 120, 40);
    state.valuation = Some(valuation(&[(1, "Main", &[("ETH", "0.00100000")])]));
    state.modal = Some(Modal::Portfolio(PortfolioView {
        range: HistoryRange::Day,
        history: vec![],
        show_small: false,
    }));
    let portfolio = frame_text(&state, 120, 40);
    for text in [&detail, &portfolio] {
        assert!(text.contains(" 0.001"), "trimmed:\n{text}");
        assert!(!text.contains("0.00100000"), "no padding:\n{text}");
    }
    assert!(
        !detail
            .lines()
            .any(|l| l.contains("ETH") && l.contains("0.00000000")),
        "{detail}"
    );
    assert!(
        detail.contains("≈61.33874377565181"),
        "approximate marked:\n{detail}"
    );
}

#[test]
fn detail_of_a_failing_connection_names_the_fix() {
    let mut state = state();
    state.set_connections(every_status());
    let mut detail = sample_detail();
    detail.id = 5;
    state.modal = Some(Modal::Detail(detail));
    let text = frame_text(&state, 120, 40);
    assert!(text.contains("API Management"), "{text}");
    snap("detail_paused", &state);
}

#[test]
fn confirm_disconnect() {
    let mut state = state();
    state.set_connections(every_status());
    state.modal = Some(Modal::ConfirmDisconnect(ConfirmDisconnect {
        id: 1,
        purge: false,
    }));
    snap("confirm_disconnect", &state);
    state.modal = Some(Modal::ConfirmDisconnect(ConfirmDisconnect {
        id: 1,
        purge: true,
    }));
    snap("confirm_disconnect_purge", &state);
}

#[test]
fn portfolio_view() {
    let mut state = state();
    state.set_connections(every_status());
    state.valuation = Some(valuation(&[
        (
            1,
            "Main",
            &[
                ("BTC", "1.00000001"),
                ("SOL", "0.00100000"),
                ("PEPE", "123456789"),
            ],
        ),
        (
            2,
            "Savings",
            &[("BTC", "0.5"), ("ETH", "12"), ("USDT", "1520.33")],
        ),
    ]));
    // Both connections were valued a day ago at 110,000 together.
    let then = std::collections::HashMap::from([
        (1, rust_decimal::Decimal::new(6_000_000, 2)),
        (2, rust_decimal::Decimal::new(5_000_000, 2)),
    ]);
    state.day_change = keyfolio::portfolio::DayChange::of(state.valuation.as_ref().unwrap(), &then);
    let history: Vec<_> = (0..=48)
        .map(|i| {
            let at = now() - chrono::Duration::minutes(30 * (48 - i));
            let swing = rust_decimal::Decimal::new(((i * 37) % 23) * 150, 0);
            (at, rust_decimal::Decimal::new(13_000_000, 2) + swing)
        })
        .collect();
    state.modal = Some(Modal::Portfolio(PortfolioView {
        range: HistoryRange::Day,
        history,
        show_small: false,
    }));
    let text = frame_text(&state, 120, 40);
    for shown in [
        "Total",
        "USDT",
        "no price",
        "PEPE",
        "Held on",
        "Total value · 24 h",
        "in 24 h",
    ] {
        assert!(text.contains(shown), "{shown}:\n{text}");
    }
    snap("portfolio", &state);
}

#[test]
fn small_terminals_stay_readable() {
    let mut state = state();
    state.set_connections(every_status());
    let text = frame_text(&state, 60, 16);
    assert!(
        text.contains("Binance") && text.contains("Synced"),
        "{text}"
    );
    insta::assert_snapshot!("every_status_60x16", text);
    state.modal = Some(Modal::Help(Help::default()));
    insta::assert_snapshot!("help_60x16", frame_text(&state, 60, 16));
    state.modal = Some(Modal::Help(Help { scroll: 100 }));
    let text = frame_text(&state, 60, 16);
    assert!(text.contains("characters."), "scrolled to the end:\n{text}");
    insta::assert_snapshot!("help_scrolled_60x16", text);
}

#[test]
fn demo_banner() {
    let mut state = state();
    state.demo = true;
    assert!(frame_text(&state, 80, 24).contains("DEMO"));
}

#[test]
fn no_color_drops_colors() {
    let mut state = state();
    state.set_connections(every_status());
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    terminal
        .draw(|f| keyfolio::ui::draw(f, &state, keyfolio::ui::theme::Theme { color: false }))
        .unwrap();
    let buffer = terminal.backend().buffer();
    assert!(
        buffer
            .content
            .iter()
            .all(|c| c.fg == ratatui::style::Color::Reset)
    );
    let colored = render(&state, 80, 24);
    assert!(
        colored
            .backend()
            .buffer()
            .content
            .iter()
            .any(|c| c.fg != ratatui::style::Color::Reset)
    );
}

fn oauth_view(phase: keyfolio::app::state::OAuthPhase) -> Modal {
    use keyfolio::oauth::FlowKind;
    Modal::OAuth(keyfolio::app::state::OAuthView {
        exchange: keyfolio::model::ExchangeId::Okx,
        flows: vec![FlowKind::Device, FlowKind::Pkce],
        flow: FlowKind::Device,
        phase,
        reauthorize: None,
    })
}

#[test]
fn oauth_sign_in_phases() {
    use keyfolio::app::state::{OAuthOffer, OAuthPhase};
    use keyfolio::model::ExchangeId;
    use keyfolio::oauth::FlowKind;
    let mut state = state();
    state.oauth = vec![OAuthOffer {
        exchange: ExchangeId::Okx,
        flows: vec![FlowKind::Device, FlowKind::Pkce],
        preferred: FlowKind::Device,
    }];
    state.modal = Some(Modal::Picker(keyfolio::app::state::Picker::default()));
    let text = frame_text(&state, 80, 24);
    let row = |name: &str| {
        text.lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        row("OKX").contains("OAuth"),
        "the picker offers OKX OAuth:\n{text}"
    );
    assert!(
        !row("Binance").contains("OAuth"),
        "Binance has no client id:\n{text}"
    );
    snap("oauth_offered", &state);
    state.modal = None;
    let phases = [
        ("oauth_choose", OAuthPhase::Choose),
        (
            "oauth_browser",
            OAuthPhase::Browser {
                url: "https://www.okx.com/account/oauth?client_id=abc&state=xyz".into(),
                opened: false,
            },
        ),
        (
            "oauth_device",
            OAuthPhase::Device {
                uri: "https://www.okx.com/device".into(),
                code: "WDJB-MJHT".into(),
            },
        ),
        (
            "oauth_failed",
            OAuthPhase::Failed(
                "The exchange refused the sign-in (access_denied): approve it to connect.".into(),
            ),
        ),
        (
            "oauth_saved",
            OAuthPhase::Saved {
                label: "OKX".into(),
                assets: 5,
            },
        ),
    ];
    for (name, phase) in phases {
        state.modal = Some(oauth_view(phase));
        snap(name, &state);
    }
    state.modal = Some(oauth_view(OAuthPhase::Device {
        uri: "https://www.okx.com/device".into(),
        code: "WDJB-MJHT".into(),
    }));
    assert!(frame_text(&state, 80, 24).contains("WDJB-MJHT"));
}

#[test]
fn an_expired_oauth_sign_in_asks_to_reauthorize() {
    let mut state = state();
    let mut list = every_status();
    list[0].auth_kind = keyfolio::model::AuthKind::OAuth;
    list[0].paused = true;
    list[0].last_error = Some(keyfolio::model::StoredError {
        kind: keyfolio::model::FailureKind::InvalidKey,
        message: "the refresh token was refused".into(),
        since: now(),
    });
    state.set_connections(list);
    let text = frame_text(&state, 80, 24);
    assert!(
        text.contains("Reauthorize") && text.contains("Press a to sign in again"),
        "{text}"
    );
    assert!(text.contains("OAuth sign-in"), "{text}");
    snap("reauthorize", &state);
}

#[test]
fn no_frame_carries_a_control_character_from_outside() {
    use keyfolio::app::state::{Notice, OAuthPhase};
    use keyfolio::exchange::sim::HOSTILE_TEXT;
    let hostile = |prefix: &str| format!("{prefix} {HOSTILE_TEXT}");
    let mut connections = every_status();
    for c in &mut connections {
        c.label = hostile("label");
        if let Some(e) = &mut c.last_error {
            e.message = hostile("message");
        }
    }
    let mut detail = sample_detail();
    detail.balances[0].asset = HOSTILE_TEXT.into();
    detail.history[1].message = Some(hostile("history"));
    let modals = [
        None,
        Some(Modal::Help(Help::default())),
        Some(Modal::Detail(detail)),
        Some(Modal::Detail(Detail {
            id: 4,
            ..sample_detail()
        })),
        Some(Modal::ConfirmDisconnect(ConfirmDisconnect {
            id: 1,
            purge: true,
        })),
        Some(Modal::Portfolio(PortfolioView {
            range: HistoryRange::All,
            history: vec![],
            show_small: false,
        })),
        Some(oauth_view(OAuthPhase::Failed(hostile("failed")))),
        Some(oauth_view(OAuthPhase::Saved {
            label: hostile("saved"),
            assets: 1,
        })),
    ];
    for modal in modals {
        let mut state = state();
        state.set_connections(connections.clone());
        state.notice = Some(Notice {
            text: hostile("notice"),
            is_error: true,
        });
        let label = hostile("label");
        state.valuation = Some(valuation(&[(
            1,
            &label,
            &[(HOSTILE_TEXT, "1"), ("BTC", "1")],
        )]));
        state.modal = modal;
        for (w, h) in [(80, 24), (120, 40)] {
            let text = frame_text(&state, w, h);
            let found = terminal_controls(&text);
            assert!(found.is_empty(), "{:?}: {found:?}\n{text}", state.modal);
            assert!(text.contains("pwned"), "the text itself shows:\n{text}");
        }
    }
}

#[test]
fn remapped_keys_show_in_every_hint() {
    use keyfolio::app::keys::{KeyMap, KeyNames};
    let mut state = state();
    state.set_connections(every_status());
    let mut overrides = std::collections::BTreeMap::new();
    overrides.insert("resync".to_string(), KeyNames::One("s".into()));
    overrides.insert("close".to_string(), KeyNames::One("x".into()));
    state.keys = std::sync::Arc::new(KeyMap::with_overrides(&overrides).unwrap());
    let text = frame_text(&state, 120, 40);
    assert!(text.contains("s resync"), "status bar:\n{text}");
    assert!(text.contains("paused: press s"), "paused card:\n{text}");
    state.modal = Some(Modal::Detail(sample_detail()));
    let text = frame_text(&state, 120, 40);
    assert!(
        text.contains("s resync  k replace key  x close"),
        "detail hint:\n{text}"
    );
    state.modal = Some(Modal::Help(Help::default()));
    let text = frame_text(&state, 120, 40);
    assert!(
        text.contains("s         Sync the selected"),
        "help:\n{text}"
    );
}

#[test]
fn cards_say_when_a_key_stops_working_and_when_it_is_old() {
    use keyfolio::model::{ExchangeId, FailureKind, KeyExpiry, StoredError};
    let mut state = state();
    state.key_max_age_days = Some(180);
    let mut soon = connection(1, ExchangeId::parse("bybit").unwrap(), "Bybit main");
    soon.expiry = KeyExpiry {
        key_expires_at: Some(now() + chrono::Duration::days(12) + chrono::Duration::hours(1)),
        trading_ends_at: None,
    };
    let mut trading = connection(2, ExchangeId::Binance, "No IP");
    trading.permissions = trading.permissions.map(|p| keyfolio::model::Permissions {
        trade: true,
        ip_restricted: false,
        ..p
    });
    trading.expiry = KeyExpiry {
        key_expires_at: None,
        trading_ends_at: Some(now() + chrono::Duration::days(40)),
    };
    let mut old = connection(3, ExchangeId::Okx, "Old");
    old.created_at = now() - chrono::Duration::days(200);
    let mut expired = connection(4, ExchangeId::parse("kraken").unwrap(), "Gone");
    expired.expiry.key_expires_at = Some(now() - chrono::Duration::days(2));
    expired.last_error = Some(StoredError {
        kind: FailureKind::InvalidKey,
        message: "EAPI:Invalid key".into(),
        since: now() - chrono::Duration::days(1),
    });
    expired.failure_streak = 2;
    // Its last good sync was before the end: the refusals since are the expiry.
    expired.last_synced_at = Some(now() - chrono::Duration::days(3));
    state.set_connections(vec![soon, trading, old, expired]);
    let text = frame_text(&state, 120, 40);
    assert!(text.contains("key expires in 12 days"), "{text}");
    assert!(
        text.contains("trading on this key ends") && text.contains("(no IP restriction)"),
        "{text}"
    );
    assert!(text.contains("key 200 days old: rotate it"), "{text}");
    assert!(text.contains("key expired"), "{text}");
    snap("cards_expiry", &state);
    // A key that synced after the date the exchange gave evidently did not end then.
    let mut working = connection(5, ExchangeId::parse("bybit").unwrap(), "Still works");
    working.expiry.key_expires_at = Some(now() - chrono::Duration::days(200));
    state.set_connections(vec![working]);
    let text = frame_text(&state, 120, 40);
    assert!(!text.contains("expired"), "{text}");
}

#[test]
fn replace_key_form() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use keyfolio::app::action::Action;
    use keyfolio::app::update::update;
    let mut state = state();
    let mut list = every_status();
    // A connection that syncs through a custom URL: replace mode shows where it syncs.
    list[1].endpoint.base_url = Some("https://okx.example.net".into());
    state.set_connections(list);
    state.modal = Some(Modal::Detail(Detail {
        id: 2,
        ..sample_detail()
    }));
    let mut press = |code| {
        update(
            &mut state,
            Action::Key(KeyEvent::new(code, KeyModifiers::NONE)),
        )
    };
    press(KeyCode::Char('k'));
    for c in "NEWKEY".chars() {
        press(KeyCode::Char(c));
    }
    let form = state.form.as_ref().expect("k opens the form");
    assert!(form.replacing().is_some());
    let text = frame_text(&state, 80, 24);
    assert!(
        text.contains("Replace the key of OKX · Savings"),
        "the title names the connection:\n{text}"
    );
    assert!(!text.contains("Label"), "the label is not asked:\n{text}");
    snap("replace_key_form", &state);
}

/// The loop sleeps until `clock::next_change`: the frame must not change before it.
/// From several points in time (seconds, minutes, hours and days after the sample's
/// now), each predicted change is checked: the frame at the previous one, half way and
/// a nanosecond before it all read the same.
#[test]
fn the_frame_holds_until_the_next_change_the_clock_predicts() {
    use chrono::Duration;
    use keyfolio::app::clock::next_change;
    use keyfolio::model::{ExchangeId, KeyExpiry};
    let mut expiring = connection(7, ExchangeId::parse("bybit").unwrap(), "Expiring");
    expiring.expiry = KeyExpiry {
        key_expires_at: Some(now() + Duration::days(15) + Duration::seconds(30)),
        trading_ends_at: Some(now() + Duration::hours(30)),
    };
    let mut old = connection(8, ExchangeId::Okx, "Old key");
    old.created_at = now() - Duration::days(179) - Duration::seconds(50);
    let mut list = every_status();
    list.extend([expiring, old]);
    let cards = || {
        let mut state = state();
        state.key_max_age_days = Some(180);
        state.set_connections(list.clone());
        state
    };
    let mut detail = cards();
    detail.modal = Some(Modal::Detail(sample_detail()));
    let mut scrolled = cards();
    scrolled.selected = 7;
    let frame = |state: &keyfolio::app::state::State, (w, h): (u16, u16)| {
        render(state, w, h).backend().buffer().clone()
    };
    let offsets = [
        Duration::zero(),
        Duration::seconds(4),
        Duration::seconds(58),
        Duration::minutes(59) + Duration::seconds(59),
        Duration::hours(3),
        Duration::hours(23) + Duration::minutes(59),
        Duration::days(2),
        Duration::days(40),
    ];
    for (name, mut state, size) in [
        ("cards", cards(), (120, 40)),
        ("detail", detail, (120, 40)),
        ("scrolled", scrolled, (80, 24)),
    ] {
        state.screen = size;
        for offset in offsets {
            state.now = now() + offset;
            for _ in 0..6 {
                let start = state.now;
                let shown = frame(&state, size);
                let Some(next) = next_change(&state) else {
                    break;
                };
                assert!(next > start, "{name}: {next} is not after {start}");
                let span = next - start;
                for at in [span / 2, span - Duration::nanoseconds(1)] {
                    state.now = start + at;
                    let now = frame(&state, size);
                    let (before, after) = (buffer_text(&shown), buffer_text(&now));
                    let changed: Vec<_> = before
                        .lines()
                        .zip(after.lines())
                        .filter(|(a, b)| a != b)
                        .collect();
                    assert!(
                        now == shown,
                        "{name} {size:?}: the frame changed between {start} and {}, before the predicted {next}: {changed:#?}",
                        state.now,
                    );
                }
                state.now = next;
            }
        }
    }
}
