//! The CCXT exchanges compiled into this build besides Binance and OKX, and how to build
//! a client for one by id: one line per exchange, each behind a cargo feature of the same
//! name (`--features all-exchanges` compiles them all).

use crate::model::CredentialField;
use ccxt::Value;
use ccxt::exchange_generated::ExchangeBase;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock};

/// A CCXT client of any exchange behind one object-safe face: its shared state
/// (keys, URLs, options, markets) and its methods by name.
pub trait AnyCore: Send {
    fn exchange(&mut self) -> &mut ccxt::Exchange;
    /// Calls a method by its snake_case name; CCXT reports errors by panicking.
    fn call<'a>(
        &'a mut self,
        method: &'a str,
        args: Vec<Value>,
    ) -> Pin<Box<dyn Future<Output = Value> + Send + 'a>>;
}

impl<T: ExchangeBase> AnyCore for T {
    fn exchange(&mut self) -> &mut ccxt::Exchange {
        self
    }
    fn call<'a>(
        &'a mut self,
        method: &'a str,
        args: Vec<Value>,
    ) -> Pin<Box<dyn Future<Output = Value> + Send + 'a>> {
        self.call_dynamic(method, args)
    }
}

/// What keyfolio needs to know of an exchange, read once from CCXT's description of it.
#[derive(Debug)]
pub struct Facts {
    /// The credentials its keys are made of, in the order a form asks them.
    pub fields: Vec<CredentialField>,
    /// Credentials it needs that keyfolio does not take (CCXT's names).
    pub unsupported: Vec<&'static str>,
    /// CCXT's least gap between two requests, in ms (KuCoin's is 7.5).
    pub rate_limit_ms: f64,
    /// It has a unified `fetchBalance`.
    pub fetches_balance: bool,
    /// CCXT's `commonCurrencies`: the exchange's id of an asset → the code CCXT (and so
    /// the balance call) names it by (Kraken `XXBT` → `BTC`, Bitfinex `UST` → `USDT`).
    pub common_currencies: HashMap<String, String>,
}

/// The facts of a compiled-in exchange, read from a client built once per process.
pub fn facts(id: &str) -> &'static Facts {
    static KNOWN: OnceLock<Mutex<HashMap<String, &'static Facts>>> = OnceLock::new();
    let known = KNOWN.get_or_init(Mutex::default);
    if let Some(facts) = known.lock().unwrap().get(id) {
        return facts;
    }
    let read = match build(id, None) {
        Some(mut core) => read_facts(core.exchange()),
        None => Facts {
            fields: Vec::new(),
            unsupported: vec!["an exchange this build does not have"],
            rate_limit_ms: 1000.0,
            fetches_balance: false,
            common_currencies: HashMap::new(),
        },
    };
    // At most one small record per compiled-in exchange, kept for the process.
    let facts: &'static Facts = Box::leak(Box::new(read));
    known.lock().unwrap().insert(id.to_string(), facts);
    facts
}

fn read_facts(ex: &ccxt::Exchange) -> Facts {
    const OTHERS: [&str; 6] = [
        "login",
        "twofa",
        "privateKey",
        "walletAddress",
        "token",
        "accountId",
    ];
    let required = |name: &str| {
        matches!(
            ccxt::get_value(&ex.requiredCredentials, &Value::from(name)),
            Value::Bool(true)
        )
    };
    let fields = [
        CredentialField::ApiKey,
        CredentialField::Secret,
        CredentialField::Password,
        CredentialField::Uid,
    ]
    .into_iter()
    .filter(|f| required(f.ccxt_name()))
    .collect();
    let unsupported = OTHERS.into_iter().filter(|name| required(name)).collect();
    let has = ccxt::get_value(&ex.has, &Value::from("fetchBalance"));
    Facts {
        fields,
        unsupported,
        rate_limit_ms: ex.rateLimit.as_f64().unwrap_or(1000.0),
        fetches_balance: matches!(has, Value::Bool(true)),
        common_currencies: ex
            .commonCurrencies
            .as_map()
            .map(|map| {
                map.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The display name of any exchange a build can have, compiled in or not.
pub fn known_name(id: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, name)| *name)
}

/// The credentials a compiled-in exchange's keys are made of.
pub fn credential_fields(id: &str) -> &'static [CredentialField] {
    &facts(id).fields
}

/// Exchanges whose balance call keyfolio cannot make right through CCXT's Rust port,
/// whatever keys it is given, and why, as what it would need (read after "needs").
/// Audited against ccxt 4.5.91: each exchange's `fetch_balance` and `sign()` and the
/// runtime primitives they reach (vendor/ccxt-common). Remove a line when the port or
/// keyfolio gains what it names.
pub const SIGNING_BLOCKED: &[(&str, &str)] = &[
    // fetch_balance → handle_token → sign_in keeps the session token in the client
    // (`self.token`) and the trading account in its options; keyfolio's pooled clients
    // would send one key's session with the next key's request.
    (
        "bullish",
        "its sign-in session kept apart per key (keyfolio's shared CCXT clients would reuse one key's session for another)",
    ),
    // fetch_balance → authenticate_v2 keeps the access token in the client
    // (`options.v2AccessToken`, `self.token`) and the route in its options, as Bullish.
    (
        "coinbaseinternational",
        "its access token kept apart per key (keyfolio's shared CCXT clients would reuse one key's token for another)",
    ),
    // No credentials at all: fetch_balance reads a wallet address's subaccount.
    (
        "dydx",
        "a wallet address (dYdX reads balances by address; keyfolio takes API keys only)",
    ),
    // Secrets longer than 32 characters are RSA keys, wrapped as PKCS#8; the port's
    // `rsa` reads PKCS#1 only and sends an empty signature.
    (
        "lbank",
        "RSA signing of LBank's RSA keys, which CCXT's Rust port lacks (it reads PKCS#1 keys only)",
    ),
];

/// Why an exchange cannot be connected yet: the credentials it needs that keyfolio does
/// not take, a missing balance call, or a signature keyfolio cannot make right
/// ([`SIGNING_BLOCKED`]); empty when it can.
pub fn blockers(id: &str) -> Vec<&'static str> {
    let facts = facts(id);
    let mut missing = facts.unsupported.clone();
    if !facts.fetches_balance {
        missing.push("a balance call (CCXT has none for it)");
    }
    missing.extend(
        SIGNING_BLOCKED
            .iter()
            .filter(|(blocked, _)| *blocked == id)
            .map(|(_, why)| *why),
    );
    missing
}

macro_rules! catalog {
    ($($module:ident $feature:literal $core:ident $name:literal;)*) => {
        /// Id and CCXT display name of every exchange compiled in, besides Binance and OKX.
        pub const COMPILED: &[(&str, &str)] = &[
            $( #[cfg(feature = $feature)] ($feature, $name), )*
        ];

        /// Id (= cargo feature) and display name of every exchange a build can have.
        pub const KNOWN: &[(&str, &str)] = &[ $( ($feature, $name), )* ];

        /// A new client of a compiled-in exchange; `None` for any other id.
        #[allow(unused_variables)]
        pub fn build(id: &str, config: Option<Value>) -> Option<Box<dyn AnyCore>> {
            match id {
                $( #[cfg(feature = $feature)]
                $feature => Some(Box::new(ccxt::exchanges::$module::$core::new(config))), )*
                _ => None,
            }
        }
    };
}

catalog! {
    alpaca "alpaca" AlpacaCore "Alpaca";
    apex "apex" ApexCore "Apex";
    aster "aster" AsterCore "Aster";
    backpack "backpack" BackpackCore "Backpack";
    bequant "bequant" BequantCore "Bequant";
    bigone "bigone" BigoneCore "BigONE";
    binancecoinm "binancecoinm" BinancecoinmCore "Binance COIN-M";
    binanceus "binanceus" BinanceusCore "Binance US";
    binanceusdm "binanceusdm" BinanceusdmCore "Binance USDⓈ-M";
    bingx "bingx" BingxCore "BingX";
    bit2c "bit2c" Bit2cCore "Bit2C";
    bitbank "bitbank" BitbankCore "bitbank";
    bitbns "bitbns" BitbnsCore "Bitbns";
    bitfinex "bitfinex" BitfinexCore "Bitfinex";
    bitflyer "bitflyer" BitflyerCore "bitFlyer";
    bitget "bitget" BitgetCore "Bitget";
    bithumb "bithumb" BithumbCore "Bithumb";
    bitopro "bitopro" BitoproCore "BitoPro";
    bitrue "bitrue" BitrueCore "Bitrue";
    bitso "bitso" BitsoCore "Bitso";
    bitstamp "bitstamp" BitstampCore "Bitstamp";
    bitteam "bitteam" BitteamCore "BIT.TEAM";
    bittrade "bittrade" BittradeCore "BitTrade";
    bitvavo "bitvavo" BitvavoCore "Bitvavo";
    blockchaincom "blockchaincom" BlockchaincomCore "Blockchain.com";
    blofin "blofin" BlofinCore "BloFin";
    btcbox "btcbox" BtcboxCore "BtcBox";
    btcmarkets "btcmarkets" BtcmarketsCore "BTC Markets";
    btcturk "btcturk" BtcturkCore "BTCTurk";
    btse "btse" BtseCore "BTSE";
    bullish "bullish" BullishCore "Bullish";
    bybit "bybit" BybitCore "Bybit";
    bybiteu "bybiteu" BybiteuCore "Bybit EU";
    bybitid "bybitid" BybitidCore "Bybit Indonesia";
    bydfi "bydfi" BydfiCore "BYDFi";
    cex "cex" CexCore "CEX.IO";
    coinbase "coinbase" CoinbaseCore "Coinbase Advanced";
    coinbaseexchange "coinbaseexchange" CoinbaseexchangeCore "Coinbase Exchange";
    coinbaseinternational "coinbaseinternational" CoinbaseinternationalCore "Coinbase International";
    coincheck "coincheck" CoincheckCore "Coincheck";
    coinmate "coinmate" CoinmateCore "CoinMate";
    coinone "coinone" CoinoneCore "CoinOne";
    coinsph "coinsph" CoinsphCore "Coins.ph";
    coinspot "coinspot" CoinspotCore "CoinSpot";
    cryptocom "cryptocom" CryptocomCore "Crypto.com";
    cryptomus "cryptomus" CryptomusCore "Cryptomus";
    deepcoin "deepcoin" DeepcoinCore "DeepCoin";
    delta "delta" DeltaCore "Delta Exchange";
    deribit "deribit" DeribitCore "Deribit";
    derive "derive" DeriveCore "Derive";
    digifinex "digifinex" DigifinexCore "DigiFinex";
    dydx "dydx" DydxCore "dYdX";
    extended "extended" ExtendedCore "Extended";
    fmfwio "fmfwio" FmfwioCore "FMFW.io";
    foxbit "foxbit" FoxbitCore "Foxbit";
    gate "gate" GateCore "Gate";
    gateeu "gateeu" GateeuCore "Gate EU";
    gemini "gemini" GeminiCore "Gemini";
    grvt "grvt" GrvtCore "GRVT";
    hashkey "hashkey" HashkeyCore "HashKey Global";
    hibachi "hibachi" HibachiCore "Hibachi";
    hitbtc "hitbtc" HitbtcCore "HitBTC";
    hollaex "hollaex" HollaexCore "HollaEx";
    htx "htx" HtxCore "HTX";
    hyperliquid "hyperliquid" HyperliquidCore "Hyperliquid";
    independentreserve "independentreserve" IndependentreserveCore "Independent Reserve";
    indodax "indodax" IndodaxCore "INDODAX";
    kraken "kraken" KrakenCore "Kraken";
    krakenfutures "krakenfutures" KrakenfuturesCore "Kraken Futures";
    kucoin "kucoin" KucoinCore "KuCoin";
    kucoinfutures "kucoinfutures" KucoinfuturesCore "KuCoin Futures";
    latoken "latoken" LatokenCore "Latoken";
    lbank "lbank" LbankCore "LBank";
    lighter "lighter" LighterCore "Lighter";
    luno "luno" LunoCore "Luno";
    mercado "mercado" MercadoCore "Mercado Bitcoin";
    mexc "mexc" MexcCore "MEXC Global";
    modetrade "modetrade" ModetradeCore "Mode Trade";
    mudrex "mudrex" MudrexCore "Mudrex";
    myokx "myokx" MyokxCore "MyOKX (EEA)";
    nado "nado" NadoCore "Nado";
    ndax "ndax" NdaxCore "NDAX";
    okxus "okxus" OkxusCore "OKX (US)";
    onetrading "onetrading" OnetradingCore "One Trading";
    p2b "p2b" P2bCore "p2b";
    pacifica "pacifica" PacificaCore "Pacifica";
    paradex "paradex" ParadexCore "Paradex";
    paymium "paymium" PaymiumCore "Paymium";
    phemex "phemex" PhemexCore "Phemex";
    poloniex "poloniex" PoloniexCore "Poloniex";
    polymarket "polymarket" PolymarketCore "Polymarket";
    revolutx "revolutx" RevolutxCore "Revolut X";
    tokocrypto "tokocrypto" TokocryptoCore "Tokocrypto";
    toobit "toobit" ToobitCore "Toobit";
    upbit "upbit" UpbitCore "Upbit";
    weex "weex" WeexCore "Weex";
    whitebit "whitebit" WhitebitCore "WhiteBit";
    woo "woo" WooCore "WOO X";
    woofipro "woofipro" WoofiproCore "WOOFI PRO";
    xt "xt" XtCore "XT";
    zaif "zaif" ZaifCore "Zaif";
    zebpay "zebpay" ZebpayCore "Zebpay";
}

/// Options set before the first call, so that the balance call makes only the request
/// the recorded answers describe: no account-mode look-ups (Bybit, KuCoin, Gate, Bitget).
pub fn preset_options(id: &str) -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::json;
    match id {
        "bybit" => vec![
            ("enableUnifiedAccount", json!(true)),
            ("enableUnifiedMargin", json!(false)),
        ],
        "kucoin" => vec![("uta", json!(false)), ("hf", json!(false))],
        "gate" => vec![("unifiedAccount", json!(false))],
        "bitget" => vec![("uta", json!(false))],
        _ => Vec::new(),
    }
}

/// Exchanges whose balance call needs the key's account list first (HTX's and BitTrade's
/// spot balance is per account id): one more request per sync. CCXT's Rust port does not
/// reach their own `fetchAccounts` from the balance call (its base `loadAccounts` calls
/// the base `fetchAccounts`, which panics NotSupported), so keyfolio lists them first.
pub fn lists_accounts_first(id: &str) -> bool {
    matches!(id, "htx" | "bittrade")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_blocked_ids_are_known_and_report_their_reason() {
        for (id, why) in SIGNING_BLOCKED {
            assert!(
                KNOWN.iter().any(|(known, _)| known == id),
                "SIGNING_BLOCKED names {id}, which is not in the catalog (a typo?)"
            );
            assert!(!why.is_empty(), "{id} is blocked without a reason");
            assert!(
                blockers(id).contains(why),
                "{id} is blocked but its blockers do not say why: {:?}",
                blockers(id)
            );
        }
    }

    #[test]
    fn a_blocked_compiled_in_exchange_cannot_connect_and_says_why() {
        for (id, _) in COMPILED {
            let signing: Vec<_> = SIGNING_BLOCKED
                .iter()
                .filter(|(blocked, _)| blocked == id)
                .map(|(_, why)| *why)
                .collect();
            let blockers = blockers(id);
            for why in &signing {
                assert!(blockers.contains(why), "{id}: {blockers:?} lacks {why}");
            }
            if signing.is_empty() {
                // Only its credentials or a missing balance call may block it.
                assert!(
                    blockers
                        .iter()
                        .all(|b| !SIGNING_BLOCKED.iter().any(|(_, why)| why == b))
                );
            }
        }
    }

    #[test]
    fn the_default_exchanges_are_not_signing_blocked() {
        for id in [
            "bitfinex",
            "bitget",
            "bitstamp",
            "bitvavo",
            "blofin",
            "bybit",
            "coinbase",
            "cryptocom",
            "gate",
            "htx",
            "kraken",
            "kucoin",
            "mexc",
        ] {
            assert!(
                !SIGNING_BLOCKED.iter().any(|(blocked, _)| *blocked == id),
                "{id} is a default exchange"
            );
        }
    }
}
