//! OAuth against the simulator's provider: the PKCE flow through the loopback listener
//! (the test plays the browser), the device flow, refresh rotation, revocation, and the
//! bearer balance fetch.

use keyfolio::config::OAuthProvider;
use keyfolio::exchange::oauth_api;
use keyfolio::exchange::sim::{Fault, SimHandle, Simulator};
use keyfolio::model::{Balance, ExchangeId, FailureKind};
use keyfolio::oauth::{self, OAuthError, Tokens};
use std::time::{Duration, Instant};

async fn sim() -> SimHandle {
    Simulator::start(0).await.expect("simulator starts")
}

/// A browser that does not follow redirects, so each hop is visible.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// GETs the authorize URL (consent answered by the sim's hook) and returns the redirect.
async fn authorize(url: &str) -> String {
    let response = browser().get(url).send().await.unwrap();
    assert_eq!(response.status(), 302, "authorize should redirect");
    response.headers()["location"].to_str().unwrap().to_string()
}

/// Follows the redirect to the loopback listener: (status, page).
async fn follow(location: &str) -> (u16, String) {
    let response = browser().get(location).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

/// Runs a whole approved PKCE flow and returns the tokens.
async fn pkce_tokens(h: &SimHandle, p: &OAuthProvider) -> Tokens {
    h.set_consent(true);
    let start = oauth::start_pkce(p).await.unwrap();
    let url = start.authorize_url.clone();
    let finish = tokio::spawn(start.finish(Duration::from_secs(10)));
    let location = authorize(&url).await;
    let (status, page) = follow(&location).await;
    assert_eq!(status, 200);
    assert!(page.contains("Connected"), "{page}");
    finish.await.unwrap().expect("tokens")
}

fn balance(asset: &str, free: &str, used: &str, total: &str) -> Balance {
    Balance {
        wallet: keyfolio::model::Wallet::Spot,
        asset: asset.into(),
        free: free.into(),
        used: used.into(),
        total: total.into(),
        approximate: false,
    }
}

#[tokio::test]
async fn pkce_flow_through_the_loopback_listener_then_bearer_balances() {
    let h = sim().await;
    let p = h.oauth_provider(ExchangeId::Binance);
    h.set_consent(true);
    let start = oauth::start_pkce(&p).await.unwrap();
    let url = start.authorize_url.clone();
    assert!(url.starts_with(&p.authorize_url));
    assert_eq!(
        query_param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(query_param(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(
        query_param(&url, "redirect_uri").as_deref(),
        Some(start.redirect_uri.as_str())
    );
    assert!(start.redirect_uri.starts_with("http://127.0.0.1:"));
    let state = query_param(&url, "state").unwrap();
    assert!(state.len() >= 16, "state is random and long: {state}");
    assert!(!format!("{start:?}").contains("verifier"));

    let finish = tokio::spawn(start.finish(Duration::from_secs(10)));
    let location = authorize(&url).await;
    assert_eq!(query_param(&location, "state"), Some(state));
    assert!(query_param(&location, "code").is_some());
    // A stray request (favicon) does not end the flow.
    let stray = location.split("/callback").next().unwrap().to_string() + "/favicon.ico";
    assert_eq!(follow(&stray).await.0, 404);
    let (status, page) = follow(&location).await;
    assert_eq!(status, 200);
    assert!(page.contains("Connected"));
    let tokens = finish.await.unwrap().unwrap();
    assert!(tokens.refresh.is_some());
    assert!(tokens.expires_at.is_some());

    let snapshot = oauth_api::fetch(ExchangeId::Binance, &p.api_base, &tokens.access, true)
        .await
        .unwrap();
    let usdt = snapshot
        .balances
        .iter()
        .find(|b| b.asset == "USDT")
        .unwrap();
    assert_eq!(
        usdt,
        &balance(
            "USDT",
            "123456789012.12345678",
            "1500.00000000",
            "123456790512.12345678"
        )
    );
    let bnb = snapshot.balances.iter().find(|b| b.asset == "BNB").unwrap();
    assert_eq!(bnb.free, "0.00000012");
    assert!(snapshot.balances.iter().all(|b| b.asset != "LTC"));
    let perms = snapshot.permissions.unwrap();
    assert!(perms.read && !perms.trade && !perms.withdraw);
    assert_eq!(h.oauth_count("api"), 2);
}

#[tokio::test]
async fn html_consent_page_approve_button() {
    let h = sim().await;
    let p = h.oauth_provider(ExchangeId::Okx);
    let start = oauth::start_pkce(&p).await.unwrap();
    let url = start.authorize_url.clone();
    let finish = tokio::spawn(start.finish(Duration::from_secs(10)));
    let page = browser().get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Approve") && html.contains("Deny"));
    let id = html
        .split("name=\"request\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let response = browser()
        .post(format!("{}/okx/oauth/consent", h.base_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("request={id}&decision=approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(follow(&location).await.0, 200);
    let tokens = finish.await.unwrap().unwrap();
    let snapshot = oauth_api::fetch(ExchangeId::Okx, &p.api_base, &tokens.access, false)
        .await
        .unwrap();
    assert_eq!(
        snapshot
            .balances
            .iter()
            .find(|b| b.asset == "USDT")
            .unwrap(),
        &balance(
            "USDT",
            "123456789012.12345678",
            "2500.5",
            "123456791512.62345678"
        )
    );
    assert_eq!(snapshot.permissions, None);
}

#[tokio::test]
async fn wrong_state_is_refused() {
    let h = sim().await;
    let p = h.oauth_provider(ExchangeId::Binance);
    h.set_consent(true);
    let start = oauth::start_pkce(&p).await.unwrap();
    let url = start.authorize_url.clone();
    let finish = tokio::spawn(start.finish(Duration::from_secs(10)));
    let location = authorize(&url).await;
    let forged = with_param(&location, "state", "forged-state-value");
    let (status, page) = follow(&forged).await;
    assert_eq!(status, 400);
    assert!(page.contains("state mismatch"));
    assert_eq!(
        finish.await.unwrap().unwrap_err(),
        OAuthError::StateMismatch
    );
    // The code was never exchanged.
    assert_eq!(h.oauth_count("token"), 0);
}

#[tokio::test]
async fn wrong_code_verifier_is_refused() {
    let h = sim().await;
    let p = h.oauth_provider(ExchangeId::Binance);
    h.set_consent(true);
    let start = oauth::start_pkce(&p).await.unwrap();
    // The authorization request carries someone else's challenge (RFC 7636 Appendix B),
    // so keyfolio's verifier does not match it at the token endpoint.
    let url = with_param(
        &start.authorize_url,
        "code_challenge",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
    let finish = tokio::spawn(start.finish(Duration::from_secs(10)));
    let location = authorize(&url).await;
    let (_, page) = follow(&location).await;
    assert!(page.contains("Not connected"));
    match finish.await.unwrap().unwrap_err() {
        OAuthError::Provider(text) => assert!(text.contains("PKCE"), "{text}"),
        other => panic!("expected a PKCE refusal, got {other:?}"),
    }
    assert_eq!(h.oauth_count("token"), 1);
}

#[tokio::test]
async fn denied_consent() {
    let h = sim().await;
    let p = h.oauth_provider(ExchangeId::Okx);
    h.set_consent(false);
    let start = oauth::start_pkce(&p).await.unwrap();
    let url = start.authorize_url.clone();
    let finish = tokio::spawn(start.finish(Duration::from_secs(10)));
    let location = authorize(&url).await;
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    let (_, page) = follow(&location).await;
    assert!(page.contains("denied"));
    assert_eq!(finish.await.unwrap().unwrap_err(), OAuthError::Denied);
}

#[tokio::test]
async fn expired_code() {
    let h = sim().await;
    let p = h.oauth_provider(ExchangeId::Binance);
    h.set_consent(true);
    let start = oauth::start_pkce(&p).await.unwrap();
    let url = start.authorize_url.clone();
    let finish = tokio::spawn(start.finish(Duration::from_secs(10)));
    let location = authorize(&url).await;
    h.expire_codes();
    follow(&location).await;
    assert_eq!(finish.await.unwrap().unwrap_err(), OAuthError::Expired);
}

#[tokio::test]
async fn no_redirect_times_out() {
    let h = sim().await;
    let start = oauth::start_pkce(&h.oauth_provider(ExchangeId::Binance))
        .await
        .unwrap();
    let err = start.finish(Duration::from_millis(300)).await.unwrap_err();
    assert_eq!(err, OAuthError::Timeout);
    assert!(!err.needs_reauthorize());
}

#[tokio::test]
async fn without_a_client_id_oauth_is_not_offered() {
    let h = sim().await;
    let mut p = h.oauth_provider(ExchangeId::Okx);
    p.client_id = None;
    assert!(!p.is_configured());
    assert_eq!(
        oauth::start_pkce(&p).await.unwrap_err(),
        OAuthError::NotConfigured
    );
    assert_eq!(
        oauth::start_device(&p).await.unwrap_err(),
        OAuthError::NotConfigured
    );
    // A client id the provider does not know.
    p.client_id = Some("someone-else".into());
    match oauth::start_device(&p).await.unwrap_err() {
        OAuthError::Provider(text) => assert!(text.contains("client id"), "{text}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn sim_authorize_refuses_unknown_clients_and_non_loopback_redirects() {
    let h = sim().await;
    let base = format!("{}/binance/oauth/authorize", h.base_url);
    let unknown = format!(
        "{base}?response_type=code&client_id=nope&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback&code_challenge=x&code_challenge_method=S256"
    );
    assert_eq!(browser().get(&unknown).send().await.unwrap().status(), 400);
    let remote = format!(
        "{base}?response_type=code&client_id=keyfolio-sim-binance&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&code_challenge=x&code_challenge_method=S256"
    );
    assert_eq!(browser().get(&remote).send().await.unwrap().status(), 400);
    h.set_consent(true);
    let plain = format!(
        "{base}?response_type=code&client_id=keyfolio-sim-binance&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback&code_challenge=x&code_challenge_method=plain&state=s"
    );
    let location = authorize(&plain).await;
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("invalid_request")
    );
}

async fn device_start(h: &SimHandle) -> (OAuthProvider, oauth::DeviceStart) {
    let p = h.oauth_provider(ExchangeId::Okx);
    assert!(p.supports_device());
    let start = oauth::start_device(&p).await.unwrap();
    (p, start)
}

async fn wait_for_polls(h: &SimHandle, polls: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.oauth_count("device_poll") < polls {
        assert!(Instant::now() < deadline, "keyfolio stopped polling");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn device_flow_polls_while_pending_then_gets_tokens() {
    let h = sim().await;
    let (p, start) = device_start(&h).await;
    assert_eq!(start.user_code.len(), 9);
    assert!(start.verification_uri.ends_with("/okx/oauth/activate"));
    assert_eq!(start.interval, Duration::from_secs(1));
    assert!(start.expires_at > chrono::Utc::now());
    let code = start.user_code.clone();
    let finish = tokio::spawn(start.finish());
    // authorization_pending twice, then the trader approves.
    wait_for_polls(&h, 2).await;
    assert!(h.approve_device(&code));
    let tokens = finish.await.unwrap().unwrap();
    assert_eq!(h.oauth_count("slow_down"), 0);
    assert!(h.oauth_count("device_poll") >= 3);
    let snapshot = oauth_api::fetch(ExchangeId::Okx, &p.api_base, &tokens.access, true)
        .await
        .unwrap();
    assert_eq!(
        snapshot
            .balances
            .iter()
            .find(|b| b.asset == "PEPE")
            .unwrap(),
        &balance("PEPE", "0.00000012", "0", "0.00000012")
    );
}

#[tokio::test]
async fn device_flow_honours_slow_down() {
    let h = sim().await;
    let (_, start) = device_start(&h).await;
    h.force_slow_down(1);
    assert!(h.approve_device(&start.user_code));
    let began = Instant::now();
    let tokens = start.finish().await.unwrap();
    // First poll after 1 s gets slow_down; the interval becomes 1 + 5 s. The simulator
    // would answer slow_down again to a poll that came sooner.
    assert!(
        began.elapsed() >= Duration::from_secs(6),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(h.oauth_count("slow_down"), 1);
    assert_eq!(h.oauth_count("device_poll"), 2);
    assert!(tokens.refresh.is_some());
}

#[tokio::test]
async fn device_flow_access_denied() {
    let h = sim().await;
    let (_, start) = device_start(&h).await;
    h.set_consent(false);
    assert!(h.approve_device(&start.user_code));
    assert_eq!(start.finish().await.unwrap_err(), OAuthError::Denied);
}

#[tokio::test]
async fn device_flow_expired_token() {
    let h = sim().await;
    let (_, start) = device_start(&h).await;
    h.expire_codes();
    assert_eq!(start.finish().await.unwrap_err(), OAuthError::Expired);
}

#[tokio::test]
async fn refresh_rotates_and_the_old_refresh_token_is_refused() {
    let h = sim().await;
    let p = h.oauth_provider(ExchangeId::Binance);
    let first = pkce_tokens(&h, &p).await;
    let second = oauth::refresh(&p, &first).await.unwrap();
    assert_ne!(second, first);
    let old = first
        .refresh
        .as_ref()
        .map(|r| keyfolio::exchange::reveal(r).to_string());
    let new = second
        .refresh
        .as_ref()
        .map(|r| keyfolio::exchange::reveal(r).to_string());
    assert_ne!(old, new, "the refresh token rotates");
    // The new access token works.
    oauth_api::fetch(ExchangeId::Binance, &p.api_base, &second.access, false)
        .await
        .unwrap();
    // The old refresh token is refused: reauthorize. Its reuse also ends the grant.
    let err = oauth::refresh(&p, &first).await.unwrap_err();
    assert_eq!(err, OAuthError::Expired);
    assert!(err.needs_reauthorize());
    assert_eq!(
        oauth::refresh(&p, &second).await.unwrap_err(),
        OAuthError::Expired
    );
}

#[tokio::test]
async fn tokens_are_refreshed_before_they_expire() {
    let h = sim().await;
    let p = h.oauth_provider(ExchangeId::Okx);
    h.set_access_ttl(Duration::from_secs(60));
    let tokens = pkce_tokens(&h, &p).await;
    assert!(tokens.needs_refresh(chrono::Utc::now()));
    h.set_access_ttl(Duration::from_secs(3600));
    let fresh = oauth::ensure_fresh(&p, &tokens)
        .await
        .unwrap()
        .expect("refreshed");
    assert!(!fresh.needs_refresh(chrono::Utc::now()));
    assert_eq!(oauth::ensure_fresh(&p, &fresh).await.unwrap(), None);
    // An expired access token reads as an invalid key: the lead shows "Reauthorize" only if
    // the refresh fails too.
    h.expire_access_tokens();
    let failure = oauth_api::fetch(ExchangeId::Okx, &p.api_base, &fresh.access, false)
        .await
        .unwrap_err();
    assert_eq!(failure.kind, FailureKind::InvalidKey);
    assert!(failure.detail.contains("expired"), "{}", failure.detail);
    let again = oauth::refresh(&p, &fresh).await.unwrap();
    oauth_api::fetch(ExchangeId::Okx, &p.api_base, &again.access, false)
        .await
        .unwrap();
}

#[tokio::test]
async fn revocation_ends_the_grant() {
    let h = sim().await;
    let p = h.oauth_provider(ExchangeId::Binance);
    let tokens = pkce_tokens(&h, &p).await;
    oauth::revoke(&p, &tokens).await.unwrap();
    assert_eq!(h.oauth_count("revoke"), 1);
    let failure = oauth_api::fetch(ExchangeId::Binance, &p.api_base, &tokens.access, false)
        .await
        .unwrap_err();
    assert_eq!(failure.kind, FailureKind::InvalidKey);
    assert_eq!(
        oauth::refresh(&p, &tokens).await.unwrap_err(),
        OAuthError::Expired
    );
    // Without a revocation endpoint there is nothing to call.
    let mut none = p.clone();
    none.revoke_url = None;
    oauth::revoke(&none, &tokens).await.unwrap();
    assert_eq!(h.oauth_count("revoke"), 1);
}

#[tokio::test]
async fn bearer_failures_map_to_failure_kinds() {
    let h = sim().await;
    let p = h.oauth_provider(ExchangeId::Binance);
    let tokens = pkce_tokens(&h, &p).await;
    let key = h.account_on("binance", "read-only").unwrap().api_key;
    let fetch = || oauth_api::fetch(ExchangeId::Binance, &p.api_base, &tokens.access, false);

    h.set_fault(&key, Some(Fault::RateLimitBurst));
    let f = fetch().await.unwrap_err();
    assert_eq!(f.kind, FailureKind::RateLimited);
    assert_eq!(f.retry_after, Some(Duration::from_secs(7)));

    h.set_fault(&key, Some(Fault::Html5xx));
    let f = fetch().await.unwrap_err();
    assert_eq!(f.kind, FailureKind::ExchangeDown);
    assert!(!f.detail.contains("<html"), "{}", f.detail);

    h.set_fault(&key, Some(Fault::NonJson200));
    assert_eq!(
        fetch().await.unwrap_err().kind,
        FailureKind::UnexpectedResponse
    );
    h.set_fault(&key, Some(Fault::Truncated200));
    assert_eq!(
        fetch().await.unwrap_err().kind,
        FailureKind::UnexpectedResponse
    );

    h.set_fault(&key, None);
    fetch().await.unwrap();
    let bogus = secrecy::SecretString::from("sim_at_bogus".to_string());
    let f = oauth_api::fetch(ExchangeId::Binance, &p.api_base, &bogus, false)
        .await
        .unwrap_err();
    assert_eq!(f.kind, FailureKind::InvalidKey);

    h.shutdown();
    let unreachable = oauth_api::fetch(
        ExchangeId::Binance,
        "http://127.0.0.1:9",
        &tokens.access,
        false,
    )
    .await
    .unwrap_err();
    assert_eq!(unreachable.kind, FailureKind::Unreachable);
}

#[test]
fn flow_futures_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let p = OAuthProvider::builtin(ExchangeId::Okx);
    let tokens = Tokens {
        access: secrecy::SecretString::from("a".to_string()),
        refresh: None,
        expires_at: None,
    };
    assert_send(&oauth::start_pkce(&p));
    assert_send(&oauth::start_device(&p));
    assert_send(&oauth::refresh(&p, &tokens));
    assert_send(&oauth::revoke(&p, &tokens));
    assert_send(&oauth_api::fetch(ExchangeId::Okx, "", &tokens.access, true));
}

#[tokio::test]
async fn sync_fetch_refreshes_and_reports_reauthorize() {
    let h = sim().await;
    let p = h.oauth_provider(ExchangeId::Okx);
    let tokens = pkce_tokens(&h, &p).await;

    // Still fresh: no refresh, no new tokens.
    let fetched = oauth::fetch_account(ExchangeId::Okx, &p, &tokens, true).await;
    assert!(fetched.result.unwrap().permissions.is_some());
    assert!(fetched.new_tokens.is_none());
    assert_eq!(h.oauth_count("refresh"), 0);

    // The server expired the token early: refreshed once, retried, new tokens to store.
    h.expire_access_tokens();
    let fetched = oauth::fetch_account(ExchangeId::Okx, &p, &tokens, false).await;
    fetched.result.unwrap();
    let rotated = fetched.new_tokens.expect("new tokens");
    assert_eq!(h.oauth_count("refresh"), 1);

    // Revoked elsewhere: the refresh fails too, which reads as an invalid key (Reauthorize).
    oauth::revoke(&p, &rotated).await.unwrap();
    let fetched = oauth::fetch_account(ExchangeId::Okx, &p, &rotated, false).await;
    let failure = fetched.result.unwrap_err();
    assert_eq!(failure.kind, FailureKind::InvalidKey);
    assert!(failure.detail.contains("reauthorize"), "{}", failure.detail);
    assert!(fetched.new_tokens.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_account_signed_in_twice_is_refused_and_reauthorize_keeps_the_account() {
    use keyfolio::config::{Config, Paths};
    use keyfolio::context::{ConnectError, Context};
    use keyfolio::store::SecretStore;
    let h = sim().await;
    let home = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.oauth.binance = h.oauth_provider(ExchangeId::Binance).into();
    config.oauth.okx = h.oauth_provider(ExchangeId::Okx).into();
    let ctx = Context::open(Paths::under(home.path()), config, SecretStore::memory()).unwrap();
    for exchange in [ExchangeId::Binance, ExchangeId::Okx] {
        let p = h.oauth_provider(exchange);
        let first = pkce_tokens(&h, &p).await;
        let (id, snapshot) = ctx.connect_oauth(exchange, "main", first).await.unwrap();
        assert!(snapshot.account_id.is_some(), "{exchange}: the uid is read");

        let revoked = h.oauth_count("revoke");
        let again = pkce_tokens(&h, &p).await;
        let refused = ctx
            .connect_oauth(exchange, "again", again)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, ConnectError::Duplicate(m) if m.contains("main")),
            "{exchange}: {refused}"
        );
        assert_eq!(
            h.oauth_count("revoke"),
            revoked + 1,
            "the spare grant is revoked"
        );

        // Signing in again to the same account is fine; to another account is refused.
        ctx.reauthorize(id, pkce_tokens(&h, &p).await)
            .await
            .unwrap();
        let other = h.account_on(exchange.id(), "trade").unwrap();
        h.set_oauth_account(exchange, &other.api_key);
        let wrong = ctx
            .reauthorize(id, pkce_tokens(&h, &p).await)
            .await
            .unwrap_err();
        assert!(wrong.to_string().contains("another"), "{exchange}: {wrong}");
        // ... and that account can be connected on its own.
        ctx.connect_oauth(exchange, "other", pkce_tokens(&h, &p).await)
            .await
            .unwrap();
    }
    assert_eq!(ctx.connections().await.unwrap().len(), 4);
}

#[tokio::test]
async fn hostile_error_descriptions_arrive_marked() {
    let h = sim().await;
    h.set_hostile_oauth(true);
    let assert_clean = |e: &OAuthError| {
        let text = e.to_string();
        assert!(
            text.contains("pwned") && text.contains('\u{FFFD}'),
            "{text}"
        );
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "{text:?}"
        );
    };
    // The token endpoint's JSON answer (device flow, unknown client).
    let mut p = h.oauth_provider(ExchangeId::Okx);
    p.client_id = Some("nope".into());
    let err = oauth::start_device(&p).await.unwrap_err();
    assert_clean(&err);

    // The redirect back to the loopback listener (PKCE).
    let p = h.oauth_provider(ExchangeId::Okx);
    h.set_consent(false);
    let start = oauth::start_pkce(&p).await.unwrap();
    let url = start.authorize_url.clone();
    let finish = tokio::spawn(start.finish(Duration::from_secs(10)));
    let location = authorize(&url).await;
    follow(&with_param(&location, "error", "temporarily_unavailable")).await;
    assert_clean(&finish.await.unwrap().unwrap_err());
}
