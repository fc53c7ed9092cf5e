"""Cross-checks keyfolio's exchange simulator with an independent signer: Python ccxt.

Real exchanges accept the signatures Python ccxt makes (it is the reference
implementation CCXT's other ports are generated from, and what most users run). So a
simulator mount that accepts Python ccxt's correctly signed request, and refuses the same
request signed with a wrong secret or a wrong passphrase, checks signatures the way the
exchange does, and keyfolio passing against it means something.

Usage:
    keyfolio sim > listing.json        # runs until Ctrl-C
    python3 tests/python/sign_check.py listing.json     # or the listing on stdin

For every replayed exchange account of the listing (and the read-only accounts of
Binance and OKX) this builds a Python ccxt client with the account's credentials, with
every URL in `urls['api']` moved to the account's `base_url` as keyfolio moves them
(scheme and host replaced, path kept: `moved_urls` in src/exchange/ccxt.rs; Binance and
OKX as `url_overrides` there), and makes the balance request keyfolio makes, through
ccxt's implicit API methods (no market list, no time sync: `adjustForTimeDifference` off).
Three cases per account:

    correct           the listed credentials: a 2xx answer that parses as JSON
    wrong-secret      another secret of the same form: refused as AuthenticationError
    wrong-passphrase  (exchanges with a passphrase) another passphrase: the same

The wallet requests keyfolio makes after the balance call (`WALLET_REQUESTS`: Binance's
overview, funding, Simple Earn, margin and futures, OKX's funding and savings, the generic
exchanges' other wallets) get the same three cases each, reported as `correct/funding` and so on.

A wrong secret must be refused as an authentication failure, not as a nonce or timestamp
one: each case uses a fresh client and a fresh nonce, so `InvalidNonce` would mean the
simulator judged the nonce, not the signature. One exception, written out in
`refused_as_auth`: Python ccxt 4.5.90 has no class for Kraken's `EAPI:Invalid signature`
(Kraken's answer to a bad signature), so it raises a plain ExchangeError with that text.

Prints one line per account and case, `ok` or `FAIL`, then every failure again, and
exits 1 if there was one (2 on a usage error or a ccxt that is not the pinned version).
Needs nothing but ccxt, pinned: `bash .ci/run` installs it, or `pip install ccxt==4.5.90`.
"""

import base64
import json
import urllib.parse
import sys
import time

CCXT_VERSION = "4.5.90"

try:
    import ccxt
except ImportError:
    sys.exit(f"sign_check: Python ccxt is not installed: pip install ccxt=={CCXT_VERSION}")

# The balance request keyfolio makes on each exchange, as ccxt implicit API calls:
# (method name, params), in order. Each is a request of the exchange's fixture
# (tests/fixtures/replay/<id>.json: replay.requests, or replay.spot_variant.requests).
# HTX's balance is per account id: the first answer names it (see `htx_balance`).
REQUESTS = {
    "bitfinex": [("privatePostAuthRWallets", {})],  # POST /v2/auth/r/wallets
    "bitget": [("privateSpotGetV2SpotAccountAssets", {})],  # GET /api/v2/spot/account/assets
    "bitstamp": [("privatePostAccountBalances", {})],  # POST /api/v2/account_balances/
    "bitvavo": [("privateGetBalance", {})],  # GET /v2/balance
    "blofin": [("privateGetAccountBalance", {})],  # GET /api/v1/account/balance
    "bybit": [("privateGetV5AccountWalletBalance", {"accountType": "UNIFIED"})],
    "coinbase": [("v2PrivateGetAccounts", {"limit": 250})],  # GET /v2/accounts
    "cryptocom": [("v1PrivatePostPrivateUserBalance", {})],  # POST /exchange/v1/private/user-balance
    "gate": [("privateSpotGetAccounts", {})],  # GET /api/v4/spot/accounts
    "htx": None,  # GET /v1/account/accounts, then GET /v1/account/accounts/{id}/balance
    "kraken": [("privatePostBalanceEx", {})],  # POST /0/private/BalanceEx
    "kucoin": [("privateGetAccounts", {"type": "trade"})],  # GET /api/v1/accounts?type=trade
    "mexc": [("spotPrivateGetAccount", {})],  # GET /api/v3/account
    "binance": [("privateGetAccount", {})],  # GET /api/v3/account
    "okx": [("privateGetAccountBalance", {})],  # GET /api/v5/account/balance
}

# The wallet requests keyfolio makes after the balance call (src/exchange/wallets/), as
# (label, ccxt implicit API method, params): each is checked on its own, in the same three
# cases as the balance, and reported as `<case>/<label>`.
WALLET_REQUESTS = {
    # The generic exchanges' wallets (src/exchange/wallets/generic.rs), as CCXT's
    # fetch_balance sends them with their `type` / `marginMode`. Bitfinex's margin and
    # funding wallets are the balance request itself.
    "bitget": [
        # GET /api/v2/mix/account/accounts?productType=USDT-FUTURES
        ("usdm", "privateMixGetV2MixAccountAccounts", {"productType": "USDT-FUTURES"}),
    ],
    "blofin": [
        # GET /api/v1/asset/balances?accountType=funding
        ("funding", "privateGetAssetBalances", {"accountType": "funding"}),
    ],
    "bybit": [
        # GET /v5/asset/transfer/query-account-coins-balance?accountType=FUND
        ("funding", "privateGetV5AssetTransferQueryAccountCoinsBalance", {"accountType": "FUND"}),
    ],
    "gate": [("usdm", "privateFuturesGetSettleAccounts", {"settle": "usdt"})],  # GET /futures/usdt/accounts
    "htx": [("usdm", "contractPrivateGetV5AccountBalance", {})],  # GET /v5/account/balance
    "kucoin": [
        ("main", "privateGetAccounts", {"type": "main"}),  # GET /api/v1/accounts?type=main
        ("cross", "privateGetMarginAccount", {}),  # GET /api/v1/margin/account
        ("isolated", "privateGetIsolatedAccounts", {}),  # GET /api/v3/isolated/accounts
    ],
    # Binance's wallets (src/exchange/wallets/binance.rs): SAPI, USDⓈ-M (fapi) and COIN-M
    # (dapi) futures, each signed as CCXT signs it (the funding read is a signed POST body).
    "binance": [
        ("overview", "sapiGetAssetWalletBalance", {}),  # GET /sapi/v1/asset/wallet/balance
        ("funding", "sapiPostAssetGetFundingAsset", {}),  # POST /sapi/v1/asset/get-funding-asset
        # GET /sapi/v1/simple-earn/flexible/position, locked/position
        ("earn-flexible", "sapiGetSimpleEarnFlexiblePosition", {"size": 100}),
        ("earn-locked", "sapiGetSimpleEarnLockedPosition", {"size": 100}),
        ("cross", "sapiGetMarginAccount", {}),  # GET /sapi/v1/margin/account
        ("isolated", "sapiGetMarginIsolatedAccount", {}),  # GET /sapi/v1/margin/isolated/account
        ("usdm", "fapiPrivateV3GetAccount", {}),  # GET /fapi/v3/account
        ("coinm", "dapiPrivateGetBalance", {}),  # GET /dapi/v1/balance
    ],
    "okx": [
        ("funding", "privateGetAssetBalances", {}),  # GET /api/v5/asset/balances
        ("savings", "privateGetFinanceSavingsBalance", {}),  # GET /api/v5/finance/savings/balance
    ],
}

# Binance and OKX have their own simulator front-ends; only these accounts are checked
# (the others carry faults on purpose: IP lists, clock skew, regions).
OWN_FRONT_ENDS = {"binance": "read-only", "okx": "read-only"}

# Another key of the same form, for a wrong secret that still signs: a PEM secret cannot
# be changed one character at a time. Made for this check; it opens nothing.
OTHER_PEM = {
    "-----BEGIN EC PRIVATE KEY-----": (
        "-----BEGIN EC PRIVATE KEY-----\n"
        "MHcCAQEEIMDNtRfvqh2d946h/uyIhR1Z86UPWmjNF1m8tbfX/tssoAoGCCqGSM49\n"
        "AwEHoUQDQgAEaxsbzIyM23LwPqcZ/6VVFjgDsFCzSITMN0/nwe11tsNtfsCmlcPT\n"
        "U0zgkkg/0yk9tXGUPCvGB8gdTrMLeTa/Ow==\n"
        "-----END EC PRIVATE KEY-----\n"
    ),
}


def moved_urls(api, base):
    """Every URL in `api` with its scheme and host replaced by `base`, its path kept."""
    base = base.rstrip("/")
    if isinstance(api, dict):
        return {k: moved_urls(v, base) for k, v in api.items()}
    if isinstance(api, str) and "://" in api:
        rest = api.split("://", 1)[1]
        at = rest.find("/")
        return base + (rest[at:] if at >= 0 else "")
    return api


def url_overrides(exchange, base):
    """keyfolio's `urls.api` for its own Binance and OKX front-ends."""
    base = base.rstrip("/")
    if exchange == "binance":
        return {
            "public": base + "/api/v3",
            "private": base + "/api/v3",
            "v1": base + "/api/v1",
            "sapi": base + "/sapi/v1",
            "sapiV2": base + "/sapi/v2",
            "sapiV3": base + "/sapi/v3",
            "sapiV4": base + "/sapi/v4",
            "fapiPrivate": base + "/fapi/v1",
            "fapiPrivateV2": base + "/fapi/v2",
            "fapiPrivateV3": base + "/fapi/v3",
            "dapiPrivate": base + "/dapi/v1",
            "dapiPrivateV2": base + "/dapi/v2",
        }
    return {"rest": base}


def other_char(c):
    """A different character of the same kind (a hex digit stays a hex digit)."""
    for alphabet in ("0123456789", "abcdef", "ABCDEF", "abcdefghijklmnopqrstuvwxyz",
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
        if c in alphabet:
            return alphabet[(alphabet.index(c) + 1) % len(alphabet)]
    return "x" if c != "x" else "y"


def wrong_secret(exchange, secret):
    """A secret of the same form as `secret` that is not it."""
    for header, other in OTHER_PEM.items():
        if secret.startswith(header):
            return other
    if secret.startswith("-----BEGIN"):
        raise ValueError("no other key of this PEM form: add one to OTHER_PEM")
    if exchange in ("kraken", "coinbase"):
        # Base64 secrets (Kraken's HMAC key, Coinbase's Ed25519 seed + public key): other
        # bytes, still base64. The first byte changes: Coinbase signs with the first 32.
        raw = bytearray(base64.b64decode(secret))
        raw[0] ^= 0x01
        return base64.b64encode(bytes(raw)).decode()
    return secret[:-1] + other_char(secret[-1])


def with_strings_as(value, text):
    """`value` with every string in it replaced by `text` (ccxt's nested `urls.hostnames`)."""
    if isinstance(value, str):
        return text
    if isinstance(value, dict):
        return {k: with_strings_as(v, text) for k, v in value.items()}
    return value


def client(account, secret=None, password=None):
    """A Python ccxt client for the account, its URLs moved to the account's mount."""
    exchange = account["exchange"]
    credentials = dict(account["credentials"])
    if secret is not None:
        credentials["secret"] = secret
    if password is not None:
        credentials["password"] = password
    ex = getattr(ccxt, exchange)({
        **credentials,
        "enableRateLimit": False,
        "timeout": 10000,
        "options": {"adjustForTimeDifference": False, "timeDifference": 0},
    })
    if exchange in OWN_FRONT_ENDS:
        ex.urls["api"] = url_overrides(exchange, account["base_url"])
    else:
        ex.urls["api"] = moved_urls(ex.urls["api"], account["base_url"])
        # Exchanges that sign the host they are reached at (HTX) sign the mount's host,
        # as keyfolio does (`host_of` in src/exchange/ccxt.rs).
        host = urllib.parse.urlsplit(account["base_url"]).netloc
        ex.hostname = host
        if isinstance(ex.urls.get("hostnames"), dict):
            ex.urls["hostnames"] = with_strings_as(ex.urls["hostnames"], host)
    # What went on the wire, for the report.
    ex.sent = []
    fetch = ex.fetch

    def recording_fetch(url, method="GET", headers=None, body=None):
        ex.sent.append((method, url))
        return fetch(url, method, headers, body)

    ex.fetch = recording_fetch
    return ex


def htx_balance(ex):
    """HTX: the key's accounts first, then the spot account's balance."""
    accounts = ex.spotPrivateGetV1AccountAccounts()
    spot = [a for a in accounts.get("data") or [] if a.get("type") == "spot"]
    if not spot:
        raise ccxt.BadResponse(f"htx lists no spot account: {json.dumps(accounts)[:200]}")
    return ex.spotPrivateGetV1AccountAccountsAccountIdBalance({"account-id": spot[0]["id"]})


def balance(ex):
    """The balance request(s) keyfolio makes; the last answer."""
    if ex.id == "htx":
        return htx_balance(ex)
    answer = None
    for method, params in REQUESTS[ex.id]:
        answer = getattr(ex, method)(dict(params))
    return answer


def refused_as_auth(exchange, err):
    """Whether `err` is an authentication refusal (see the top of this file)."""
    if isinstance(err, ccxt.AuthenticationError):
        return True
    return (exchange == "kraken" and type(err) is ccxt.ExchangeError
            and "EAPI:Invalid signature" in str(err))


def sent(ex, base):
    """The requests the client made: paths relative to the mount, query keys without values."""
    described = []
    for method, url in ex.sent:
        path, _, query = (url[len(base):] if url.startswith(base) else url).partition("?")
        keys = "&".join(pair.split("=", 1)[0] for pair in query.split("&") if pair)
        described.append(f"{method} {path}" + (f"?{keys}" if keys else ""))
    return ", ".join(described)


def short(err):
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:160]}"


def check(account, case, request=None):
    """Runs one case of the balance request, or of one wallet `request` (method, params);
    returns (passed, detail)."""
    exchange = account["exchange"]
    base = account["base_url"].rstrip("/")
    if case == "correct":
        ex = client(account)
    elif case == "wrong-secret":
        ex = client(account, secret=wrong_secret(exchange, account["secret"]))
    else:
        ex = client(account, password=account["passphrase"][:-1]
                    + other_char(account["passphrase"][-1]))
    try:
        if request is None:
            answer = balance(ex)
        else:
            method, params = request
            answer = getattr(ex, method)(dict(params))
    except ccxt.BaseError as err:
        if case != "correct" and refused_as_auth(exchange, err):
            return True, f"{sent(ex, base)} -> refused, {short(err)}"
        want = "a 2xx JSON answer" if case == "correct" else "AuthenticationError"
        return False, f"{sent(ex, base)} -> {short(err)} (expected {want})"
    if case != "correct":
        return False, f"{sent(ex, base)} -> ACCEPTED (expected AuthenticationError)"
    if not isinstance(answer, (dict, list)) or not answer:
        return False, f"{sent(ex, base)} -> {str(answer)[:120]!r} (expected a JSON answer)"
    return True, f"{sent(ex, base)} -> {type(answer).__name__} answer"


def main():
    if ccxt.__version__ != CCXT_VERSION:
        sys.stderr.write(
            f"sign_check: Python ccxt {ccxt.__version__} found; this check is pinned to "
            f"{CCXT_VERSION}: bash .ci/run installs it, or pip install ccxt=={CCXT_VERSION}\n")
        return 2
    if len(sys.argv) > 2:
        sys.stderr.write("usage: sign_check.py [LISTING.json | -]\n")
        return 2
    if len(sys.argv) == 2 and sys.argv[1] != "-":
        with open(sys.argv[1], encoding="utf-8") as f:
            listing = json.load(f)
    else:
        listing = json.load(sys.stdin)

    failures = []
    checked = 0
    for account in listing["accounts"]:
        exchange = account["exchange"]
        if exchange in OWN_FRONT_ENDS and account["purpose"] != OWN_FRONT_ENDS[exchange]:
            continue
        name = f"{exchange}/{account['purpose']}"
        if exchange not in REQUESTS:
            failures.append(f"{name}: this check does not know {exchange}'s balance request")
            print(f"FAIL  {name:<26} all: no request known for {exchange}", flush=True)
            continue
        cases = ["correct", "wrong-secret"]
        if account.get("passphrase"):
            cases.append("wrong-passphrase")
        requests = [("", None)] + [
            (f"/{label}", (method, params))
            for label, method, params in WALLET_REQUESTS.get(exchange, [])
        ]
        for suffix, request in requests:
            for case in cases:
                try:
                    passed, detail = check(account, case, request)
                except Exception as err:  # a bug here, or in ccxt's signing: still a failure
                    passed, detail = False, f"crashed: {short(err)}"
                checked += 1
                label = case + suffix
                print(f"{'ok  ' if passed else 'FAIL'}  {name:<26} {label:<16} {detail}",
                      flush=True)
                if not passed:
                    failures.append(f"{name} {label}: {detail}")
                # Millisecond nonces (Kraken, Bitfinex) must grow from one request to the next.
                time.sleep(0.005)

    if checked == 0:
        failures.append("the listing has no account to check")
    if failures:
        print(f"\n{len(failures)} of {checked} checks failed (Python ccxt {ccxt.__version__}):")
        for failure in failures:
            print(f"  {failure}")
        return 1
    print(f"\nall {checked} checks passed (Python ccxt {ccxt.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
