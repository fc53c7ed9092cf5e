//! The simulator's OAuth 2.0 provider, one per exchange mount: authorization endpoint
//! with a consent step, token endpoint (PKCE S256, refresh-token rotation with reuse
//! detection, device-code polling), device authorization (RFC 8628), revocation
//! (RFC 7009, or a bearer header as Binance's revoke-token takes), and the
//! bearer-authenticated account endpoints, answering in the exchanges' own shapes.
//!
//! Paths under `/binance` and `/okx`: `GET /oauth/authorize`, `POST /oauth/consent`,
//! `POST /oauth/token`, `POST /oauth/device`, `GET|POST /oauth/activate`,
//! `POST /oauth/revoke`, `GET /oauth-api/<exchange account path>`.

use super::util::{now_ms, parse_query};
use super::{Answer, Fault, Req, Shared, SimAccount, binance, okx};
use axum::http::Method;
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// How long an authorization code lives.
const CODE_TTL_MS: i64 = 60_000;
/// How long a device code lives.
const DEVICE_TTL_SECS: i64 = 600;
/// The polling interval the device endpoint asks for.
const DEVICE_INTERVAL_SECS: i64 = 1;
/// A poll this much early still counts as on time (clocks and scheduling jitter).
const POLL_SLACK_MS: i64 = 250;
/// Default access-token lifetime.
const ACCESS_TTL_SECS: i64 = 3600;

/// The client id the simulator registered for keyfolio on an exchange.
pub fn client_id(exchange: &str) -> String {
    format!("keyfolio-sim-{exchange}")
}

#[derive(Clone)]
struct AuthRequest {
    exchange: String,
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    challenge: String,
}

struct Code {
    request: AuthRequest,
    expires_ms: i64,
    used: bool,
    /// The grant issued for it, revoked if the code is replayed.
    grant: Option<u64>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DeviceStatus {
    Pending,
    Approved,
    Denied,
}

struct Device {
    exchange: String,
    user_code: String,
    client_id: String,
    expires_ms: i64,
    interval_ms: i64,
    last_poll_ms: Option<i64>,
    status: DeviceStatus,
    redeemed: bool,
}

struct Grant {
    exchange: String,
    api_key: String,
    revoked: bool,
}

struct Access {
    grant: u64,
    expires_ms: i64,
    revoked: bool,
}

struct Refresh {
    grant: u64,
    /// False once rotated away: presenting it again revokes the whole grant.
    active: bool,
}

/// Everything the provider remembers.
#[derive(Default)]
pub(super) struct OAuthState {
    /// How consent and device authorizations are answered: `None` asks the trader (HTML).
    consent: Option<bool>,
    pending: HashMap<String, AuthRequest>,
    codes: HashMap<String, Code>,
    devices: HashMap<String, Device>,
    grants: HashMap<u64, Grant>,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Refresh>,
    next_grant: u64,
    access_ttl_secs: Option<i64>,
    forced_slow_downs: u32,
    /// exchange -> API key of the account a grant reads.
    accounts: HashMap<String, String>,
    counts: HashMap<&'static str, u64>,
    /// Every `error_description` is [`super::HOSTILE_TEXT`] (see [`with_hostile_description`]).
    hostile: bool,
}

impl OAuthState {
    fn count(&mut self, name: &'static str) {
        *self.counts.entry(name).or_default() += 1;
    }

    pub(super) fn set_hostile(&mut self, hostile: bool) {
        self.hostile = hostile;
    }

    pub(super) fn count_of(&self, name: &str) -> u64 {
        self.counts.get(name).copied().unwrap_or(0)
    }

    pub(super) fn set_consent(&mut self, consent: Option<bool>) {
        self.consent = consent;
    }

    pub(super) fn set_account(&mut self, exchange: &str, api_key: &str) {
        self.accounts.insert(exchange.into(), api_key.into());
    }

    pub(super) fn set_access_ttl(&mut self, secs: i64) {
        self.access_ttl_secs = Some(secs);
    }

    pub(super) fn force_slow_down(&mut self, polls: u32) {
        self.forced_slow_downs = polls;
    }

    /// Every outstanding authorization code and device code expires now.
    pub(super) fn expire_codes(&mut self) {
        let now = now_ms();
        for c in self.codes.values_mut() {
            c.expires_ms = c.expires_ms.min(now - 1);
        }
        for d in self.devices.values_mut() {
            d.expires_ms = d.expires_ms.min(now - 1);
        }
    }

    /// Every access token issued so far expires now (refresh tokens stay good).
    pub(super) fn expire_access_tokens(&mut self) {
        let now = now_ms();
        for a in self.access.values_mut() {
            a.expires_ms = a.expires_ms.min(now - 1);
        }
    }

    /// Answers a pending device authorization by its user code, as the consent setting
    /// says (approve unless it says deny). False if no such pending code.
    pub(super) fn answer_device(&mut self, user_code: &str, approve: Option<bool>) -> bool {
        let approve = approve.or(self.consent).unwrap_or(true);
        let wanted = normalize_user_code(user_code);
        match self.devices.values_mut().find(|d| {
            normalize_user_code(&d.user_code) == wanted && d.status == DeviceStatus::Pending
        }) {
            Some(d) => {
                d.status = if approve {
                    DeviceStatus::Approved
                } else {
                    DeviceStatus::Denied
                };
                true
            }
            None => false,
        }
    }

    fn new_grant(&mut self, exchange: &str, sim: &Shared) -> u64 {
        let api_key = self.accounts.get(exchange).cloned().unwrap_or_else(|| {
            sim.accounts
                .lock()
                .unwrap()
                .iter()
                .find(|a| a.exchange == exchange && a.purpose == "read-only")
                .map(|a| a.api_key.clone())
                .unwrap_or_default()
        });
        self.next_grant += 1;
        self.grants.insert(
            self.next_grant,
            Grant {
                exchange: exchange.into(),
                api_key,
                revoked: false,
            },
        );
        self.next_grant
    }

    fn revoke_grant(&mut self, grant: u64) {
        if let Some(g) = self.grants.get_mut(&grant) {
            g.revoked = true;
        }
    }

    fn issue(&mut self, grant: u64) -> serde_json::Value {
        let ttl = self.access_ttl_secs.unwrap_or(ACCESS_TTL_SECS);
        let access = format!("sim_at_{}", random_hex(24));
        let refresh = format!("sim_rt_{}", random_hex(24));
        self.access.insert(
            access.clone(),
            Access {
                grant,
                expires_ms: now_ms() + ttl * 1000,
                revoked: false,
            },
        );
        self.refresh.insert(
            refresh.clone(),
            Refresh {
                grant,
                active: true,
            },
        );
        json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ttl,
            "refresh_token": refresh,
        })
    }

    /// The grant behind a usable access token.
    fn grant_of_access(&self, token: &str) -> Result<&Grant, &'static str> {
        let a = self
            .access
            .get(token)
            .ok_or("the access token is not known")?;
        let g = self
            .grants
            .get(&a.grant)
            .ok_or("the access token is not known")?;
        if a.revoked || g.revoked {
            Err("the access token was revoked")
        } else if a.expires_ms <= now_ms() {
            Err("the access token expired")
        } else {
            Ok(g)
        }
    }
}

fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

fn new_user_code() -> String {
    // RFC 8628 §6.1: no vowels, no look-alikes.
    const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    let mut code: String = (0..8)
        .map(|_| ALPHABET[rand::random::<usize>() % ALPHABET.len()] as char)
        .collect();
    code.insert(4, '-');
    code
}

fn normalize_user_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn token_error(status: u16, error: &str, description: &str) -> Answer {
    Answer::json(
        status,
        json!({ "error": error, "error_description": description }),
    )
    .with_header("Cache-Control", "no-store")
}

fn redirect(location: String) -> Answer {
    Answer::html(302, String::new()).with_header("Location", location)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;max-width:32em;margin:4em auto\"><h1>{title}</h1>{body}</body></html>"
    )
}

fn exchange_name(exchange: &str) -> &'static str {
    if exchange == "binance" {
        "Binance (simulator)"
    } else {
        "OKX (simulator)"
    }
}

/// Answers one request under `/oauth` or `/oauth-api` (`req.path` without the mount).
pub(super) fn answer(sim: &Shared, exchange: &str, req: &Req) -> Answer {
    let answer = answer_honestly(sim, exchange, req);
    if sim.oauth.lock().unwrap().hostile {
        with_hostile_description(answer)
    } else {
        answer
    }
}

/// An error answer whose `error_description` (JSON body or redirect query) is replaced
/// by [`super::HOSTILE_TEXT`].
fn with_hostile_description(mut answer: Answer) -> Answer {
    if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&answer.body)
        && let Some(d) = v.get_mut("error_description")
    {
        *d = json!(super::HOSTILE_TEXT);
        answer.body = v.to_string();
    }
    for (name, value) in &mut answer.headers {
        if !name.eq_ignore_ascii_case("location") {
            continue;
        }
        if let Ok(mut url) = url::Url::parse(value) {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| match k.as_ref() {
                    "error_description" => (k.into_owned(), super::HOSTILE_TEXT.to_string()),
                    _ => (k.into_owned(), v.into_owned()),
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
            *value = url.to_string();
        }
    }
    answer
}

fn answer_honestly(sim: &Shared, exchange: &str, req: &Req) -> Answer {
    let path = req.path.as_str();
    if let Some(api_path) = path.strip_prefix("/oauth-api") {
        return bearer_api(sim, exchange, req, api_path);
    }
    match (&req.method, path) {
        (&Method::GET, "/oauth/authorize") => authorize(sim, exchange, req),
        (&Method::POST, "/oauth/consent") => consent(sim, exchange, req),
        (&Method::POST, "/oauth/token") => token(sim, exchange, req),
        (&Method::POST, "/oauth/device") => device(sim, exchange, req),
        (&Method::GET, "/oauth/activate") => activate_page(exchange, req),
        (&Method::POST, "/oauth/activate") => activate(sim, req),
        (&Method::POST, "/oauth/revoke") => revoke(sim, exchange, req),
        _ => Answer::html(404, String::new()),
    }
}

/// Adds query parameters to the client's redirect URI.
fn redirect_with(uri: &str, params: &[(&str, &str)], state: Option<&str>) -> Answer {
    let Ok(mut url) = url::Url::parse(uri) else {
        return Answer::html(400, page("Invalid redirect_uri", ""));
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(s) = state {
            q.append_pair("state", s);
        }
    }
    redirect(url.to_string())
}

/// RFC 8252 §7.3: loopback redirects on any port, http, IP literal (or localhost).
fn is_loopback_redirect(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| {
        u.scheme() == "http" && matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"))
    })
}

fn authorize(sim: &Shared, exchange: &str, req: &Req) -> Answer {
    let q = parse_query(&req.query);
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    let mut st = sim.oauth.lock().unwrap();
    st.count("authorize");
    // Errors about the client or redirect URI are shown, never redirected (RFC 6749 §4.1.2.1).
    if get("client_id") != client_id(exchange) {
        return Answer::html(
            400,
            page("Unknown application", "<p>client_id is not registered.</p>"),
        );
    }
    let redirect_uri = get("redirect_uri");
    if !is_loopback_redirect(&redirect_uri) {
        return Answer::html(
            400,
            page(
                "Invalid redirect_uri",
                "<p>Only loopback redirects are registered.</p>",
            ),
        );
    }
    let state = q.get("state").cloned();
    if get("response_type") != "code" {
        return redirect_with(
            &redirect_uri,
            &[("error", "unsupported_response_type")],
            state.as_deref(),
        );
    }
    if get("code_challenge").is_empty() || get("code_challenge_method") != "S256" {
        return redirect_with(
            &redirect_uri,
            &[
                ("error", "invalid_request"),
                (
                    "error_description",
                    "PKCE with code_challenge_method=S256 is required",
                ),
            ],
            state.as_deref(),
        );
    }
    let request = AuthRequest {
        exchange: exchange.into(),
        client_id: get("client_id"),
        redirect_uri,
        state,
        challenge: get("code_challenge"),
    };
    match st.consent {
        Some(approve) => decide(&mut st, request, approve),
        None => {
            let id = random_hex(12);
            st.pending.insert(id.clone(), request);
            let body = format!(
                "<p><b>keyfolio</b> asks to read your balances and API permissions. \
                 It cannot trade or withdraw.</p>\
                 <form method=\"post\" action=\"/{exchange}/oauth/consent\">\
                 <input type=\"hidden\" name=\"request\" value=\"{id}\">\
                 <button name=\"decision\" value=\"approve\">Approve</button> \
                 <button name=\"decision\" value=\"deny\">Deny</button></form>"
            );
            Answer::html(
                200,
                page(&format!("{} sign-in", exchange_name(exchange)), &body),
            )
        }
    }
}

/// The consent answer: a code, or access_denied, sent back to the client's redirect URI.
fn decide(st: &mut OAuthState, request: AuthRequest, approve: bool) -> Answer {
    let state = request.state.clone();
    let uri = request.redirect_uri.clone();
    if !approve {
        return redirect_with(
            &uri,
            &[
                ("error", "access_denied"),
                ("error_description", "the user denied access"),
            ],
            state.as_deref(),
        );
    }
    let code = random_hex(16);
    st.codes.insert(
        code.clone(),
        Code {
            request,
            expires_ms: now_ms() + CODE_TTL_MS,
            used: false,
            grant: None,
        },
    );
    redirect_with(&uri, &[("code", &code)], state.as_deref())
}

fn consent(sim: &Shared, exchange: &str, req: &Req) -> Answer {
    let form = parse_query(&req.body);
    let mut st = sim.oauth.lock().unwrap();
    let Some(request) = form
        .get("request")
        .and_then(|id| st.pending.remove(id))
        .filter(|r| r.exchange == exchange)
    else {
        return Answer::html(400, page("This sign-in is no longer pending", ""));
    };
    let approve = form.get("decision").is_some_and(|d| d == "approve");
    decide(&mut st, request, approve)
}

fn token(sim: &Shared, exchange: &str, req: &Req) -> Answer {
    let form = parse_query(&req.body);
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let mut st = sim.oauth.lock().unwrap();
    st.count("token");
    if get("client_id") != client_id(exchange) {
        return token_error(401, "invalid_client", "unknown client_id");
    }
    match get("grant_type").as_str() {
        "authorization_code" => {
            let code = get("code");
            let now = now_ms();
            let Some(c) = st.codes.get_mut(&code) else {
                return token_error(400, "invalid_grant", "the authorization code is not known");
            };
            if c.used {
                // RFC 6749 §4.1.2: a replayed code revokes what it issued.
                let grant = c.grant;
                if let Some(g) = grant {
                    st.revoke_grant(g);
                }
                return token_error(
                    400,
                    "invalid_grant",
                    "the authorization code was already used",
                );
            }
            if c.expires_ms <= now {
                return token_error(400, "invalid_grant", "the authorization code expired");
            }
            if c.request.client_id != get("client_id") {
                return token_error(
                    400,
                    "invalid_grant",
                    "the code was issued to another client",
                );
            }
            if c.request.redirect_uri != get("redirect_uri") {
                return token_error(
                    400,
                    "invalid_grant",
                    "redirect_uri does not match the authorization request",
                );
            }
            let verifier = get("code_verifier");
            if !(43..=128).contains(&verifier.len()) {
                return token_error(
                    400,
                    "invalid_request",
                    "code_verifier is missing or malformed",
                );
            }
            if s256(&verifier) != c.request.challenge {
                return token_error(
                    400,
                    "invalid_grant",
                    "PKCE verification failed: code_verifier does not match code_challenge",
                );
            }
            c.used = true;
            let grant = st.new_grant(exchange, sim);
            if let Some(c) = st.codes.get_mut(&code) {
                c.grant = Some(grant);
            }
            Answer::json(200, st.issue(grant)).with_header("Cache-Control", "no-store")
        }
        "refresh_token" => {
            st.count("refresh");
            let presented = get("refresh_token");
            let Some(r) = st.refresh.get(&presented) else {
                return token_error(400, "invalid_grant", "the refresh token is not known");
            };
            let (grant, active) = (r.grant, r.active);
            let Some(g) = st.grants.get(&grant) else {
                return token_error(400, "invalid_grant", "the refresh token is not known");
            };
            if g.revoked || g.exchange != exchange {
                return token_error(400, "invalid_grant", "the refresh token was revoked");
            }
            if !active {
                // Reuse of a rotated refresh token: someone else may hold it. End the grant.
                st.revoke_grant(grant);
                return token_error(
                    400,
                    "invalid_grant",
                    "the refresh token was already used; the authorization is revoked",
                );
            }
            if let Some(r) = st.refresh.get_mut(&presented) {
                r.active = false;
            }
            Answer::json(200, st.issue(grant)).with_header("Cache-Control", "no-store")
        }
        "urn:ietf:params:oauth:grant-type:device_code" => {
            device_poll(sim, &mut st, exchange, &get("device_code"))
        }
        _ => token_error(400, "unsupported_grant_type", "grant_type is not supported"),
    }
}

fn device_poll(sim: &Shared, st: &mut OAuthState, exchange: &str, device_code: &str) -> Answer {
    st.count("device_poll");
    let now = now_ms();
    let forced = st.forced_slow_downs > 0;
    if forced {
        st.forced_slow_downs -= 1;
    }
    let Some(d) = st.devices.get_mut(device_code) else {
        return token_error(400, "invalid_grant", "the device code is not known");
    };
    if d.exchange != exchange || d.client_id != client_id(exchange) {
        return token_error(
            400,
            "invalid_grant",
            "the device code was issued to another client",
        );
    }
    if d.expires_ms <= now {
        return token_error(400, "expired_token", "the device code expired");
    }
    let early = d
        .last_poll_ms
        .is_some_and(|last| now - last < d.interval_ms - POLL_SLACK_MS);
    d.last_poll_ms = Some(now);
    if forced || early {
        // RFC 8628 §3.5: the interval grows by 5 seconds for this and later polls.
        d.interval_ms += 5000;
        st.count("slow_down");
        return token_error(400, "slow_down", "polling too fast");
    }
    match (d.status, d.redeemed) {
        (DeviceStatus::Pending, _) => token_error(
            400,
            "authorization_pending",
            "the user has not answered yet",
        ),
        (DeviceStatus::Denied, _) => token_error(400, "access_denied", "the user denied access"),
        (DeviceStatus::Approved, true) => {
            token_error(400, "invalid_grant", "the device code was already used")
        }
        (DeviceStatus::Approved, false) => {
            d.redeemed = true;
            let grant = st.new_grant(exchange, sim);
            Answer::json(200, st.issue(grant)).with_header("Cache-Control", "no-store")
        }
    }
}

fn device(sim: &Shared, exchange: &str, req: &Req) -> Answer {
    let form = parse_query(&req.body);
    let mut st = sim.oauth.lock().unwrap();
    st.count("device");
    if form.get("client_id").map(String::as_str) != Some(client_id(exchange).as_str()) {
        return token_error(401, "invalid_client", "unknown client_id");
    }
    let device_code = random_hex(20);
    let user_code = new_user_code();
    st.devices.insert(
        device_code.clone(),
        Device {
            exchange: exchange.into(),
            user_code: user_code.clone(),
            client_id: client_id(exchange),
            expires_ms: now_ms() + DEVICE_TTL_SECS * 1000,
            interval_ms: DEVICE_INTERVAL_SECS * 1000,
            last_poll_ms: None,
            status: DeviceStatus::Pending,
            redeemed: false,
        },
    );
    let host = req.header("host").unwrap_or("127.0.0.1");
    let verification_uri = format!("http://{host}/{exchange}/oauth/activate");
    Answer::json(
        200,
        json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": format!("{verification_uri}?user_code={user_code}"),
            "expires_in": DEVICE_TTL_SECS,
            "interval": DEVICE_INTERVAL_SECS,
        }),
    )
    .with_header("Cache-Control", "no-store")
}

fn activate_page(exchange: &str, req: &Req) -> Answer {
    let q = parse_query(&req.query);
    let code = escape(q.get("user_code").map_or("", String::as_str));
    let body = format!(
        "<p>Enter the code keyfolio shows to let it read your balances.</p>\
         <form method=\"post\" action=\"/{exchange}/oauth/activate\">\
         <input name=\"user_code\" value=\"{code}\" autofocus> \
         <button name=\"decision\" value=\"approve\">Approve</button> \
         <button name=\"decision\" value=\"deny\">Deny</button></form>"
    );
    Answer::html(
        200,
        page(
            &format!("{} device sign-in", exchange_name(exchange)),
            &body,
        ),
    )
}

fn activate(sim: &Shared, req: &Req) -> Answer {
    let form = parse_query(&req.body);
    let approve = form.get("decision").is_some_and(|d| d == "approve");
    let code = form.get("user_code").cloned().unwrap_or_default();
    let found = sim
        .oauth
        .lock()
        .unwrap()
        .answer_device(&code, Some(approve));
    if !found {
        return Answer::html(
            400,
            page(
                "Unknown or expired code",
                "<p>Check the code keyfolio shows.</p>",
            ),
        );
    }
    let text = if approve {
        "keyfolio may now read your balances. Return to the terminal."
    } else {
        "Access denied. Return to the terminal."
    };
    Answer::html(200, page("Done", &format!("<p>{text}</p>")))
}

fn bearer(req: &Req) -> Option<&str> {
    let value = req.header("authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn revoke(sim: &Shared, exchange: &str, req: &Req) -> Answer {
    let form = parse_query(&req.body);
    let mut st = sim.oauth.lock().unwrap();
    st.count("revoke");
    if form
        .get("client_id")
        .is_some_and(|id| *id != client_id(exchange))
    {
        return token_error(401, "invalid_client", "unknown client_id");
    }
    let mut tokens: Vec<String> = form.get("token").cloned().into_iter().collect();
    tokens.extend(bearer(req).map(str::to_string));
    if tokens.is_empty() {
        return token_error(400, "invalid_request", "token is missing");
    }
    for token in tokens {
        if let Some(grant) = st.refresh.get(&token).map(|r| r.grant) {
            // Revoking a refresh token ends the grant and its access tokens (RFC 7009 §2.1).
            st.revoke_grant(grant);
        } else if let Some(a) = st.access.get_mut(&token) {
            a.revoked = true;
        }
        // Unknown tokens are not an error (RFC 7009 §2.2).
    }
    Answer::json(200, json!({}))
}

fn invalid_token(description: &str) -> Answer {
    Answer::json(
        401,
        json!({ "error": "invalid_token", "error_description": description }),
    )
    .with_header(
        "WWW-Authenticate",
        format!("Bearer error=\"invalid_token\", error_description=\"{description}\""),
    )
}

fn bearer_api(sim: &Shared, exchange: &str, req: &Req, api_path: &str) -> Answer {
    if req.method != Method::GET {
        return Answer::html(404, String::new());
    }
    let Some(token) = bearer(req) else {
        return Answer::json(
            401,
            json!({ "error": "invalid_request", "error_description": "no bearer token" }),
        )
        .with_header("WWW-Authenticate", "Bearer");
    };
    let api_key = {
        let mut st = sim.oauth.lock().unwrap();
        st.count("api");
        match st.grant_of_access(token) {
            Ok(g) if g.exchange == exchange => g.api_key.clone(),
            Ok(_) => return invalid_token("the access token belongs to another exchange"),
            Err(why) => return invalid_token(why),
        }
    };
    let Some(acct) = sim.account(exchange, &api_key) else {
        return invalid_token("the account of this authorization is gone");
    };
    let mut answer = match acct.fault {
        Some(Fault::RateLimitBurst | Fault::Ban418) => {
            let body = if exchange == "binance" {
                json!({ "code": -1003, "msg": "Too many requests; please use the websocket for live updates." })
            } else {
                json!({ "msg": "Too Many Requests", "code": "50011", "data": [] })
            };
            return Answer::json(429, body).with_header("Retry-After", 7);
        }
        Some(Fault::Html5xx) => {
            let status = if exchange == "binance" { 502 } else { 503 };
            return Answer::html(status, super::gateway_error_page(status));
        }
        _ => account_body(sim, exchange, req, api_path, &acct),
    };
    if answer.status == 200 {
        match acct.fault {
            Some(Fault::Truncated200) => {
                let cut = answer.body.len() / 2;
                answer.body.truncate(cut);
            }
            Some(Fault::NonJson200) => {
                answer.content_type = "text/html";
                answer.body = "<!DOCTYPE html><html><body>Maintenance</body></html>".into();
            }
            _ => {}
        }
    }
    answer
}

/// The same bodies as the exchange's key-signed account endpoints.
fn account_body(
    sim: &Shared,
    exchange: &str,
    req: &Req,
    api_path: &str,
    acct: &SimAccount,
) -> Answer {
    let ok = |data| Answer::json(200, json!({ "code": "0", "msg": "", "data": data }));
    match (exchange, api_path) {
        ("binance", "/api/v3/account") => Answer::json(200, binance::account(sim, req, Some(acct))),
        ("binance", "/sapi/v1/account/apiRestrictions") => {
            Answer::json(200, binance::api_restrictions(sim, req, Some(acct)))
        }
        ("okx", "/api/v5/account/balance") => match okx::balance(sim, req, Some(acct)) {
            Ok(data) => ok(data),
            Err(refusal) => refusal,
        },
        ("okx", "/api/v5/account/config") => match okx::config(sim, req, Some(acct)) {
            Ok(data) => ok(data),
            Err(refusal) => refusal,
        },
        _ => Answer::html(404, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn user_codes_are_readable() {
        let code = new_user_code();
        assert_eq!(code.len(), 9);
        assert_eq!(&code[4..5], "-");
        assert_eq!(normalize_user_code("bcdf-ghjk"), "BCDFGHJK");
    }
}
