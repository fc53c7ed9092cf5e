#!/usr/bin/env python3
"""The peer a trader would otherwise use: Python ccxt (async) fetching every balance.

Usage: ccxt_peer.py BASE_URL ACCOUNTS_JSON [--checkpoints | --keyring]

ACCOUNTS_JSON is a list of {"exchange", "api_key", "secret", "passphrase"}. The script
points ccxt.async_support's binance/okx at the keyfolio simulator at BASE_URL and
fetches every account's balance with fetch_balance, all at once with asyncio.gather.

How it uses ccxt (the efficient way a careful trader's script does it):
- one exchange instance per account, because ccxt instances carry one set of keys;
- markets are loaded once per exchange (on the first account's instance) and shared
  with the other instances through set_markets_from_exchange, so fetch_balance costs
  one request per account;
- ccxt's defaults otherwise (enableRateLimit on, its own aiohttp session per instance).

With --checkpoints it prints "phase NAME" after the markets and after each round and waits
for a line on stdin (outside the timed parts), so the caller can count the requests
of each phase on the simulator.

With --keyring, ACCOUNTS_JSON is a list of {"exchange", "secret_ref"}: each account's keys
are read first with Python's `keyring` package from the Secret Service entries keyfolio
wrote (service "keyfolio", user secret_ref, the entry a JSON object), the way a script
that keeps its keys in the OS keyring starts; then one round, as `keyfolio sync --all`
does. The output gains "keyring": the reads' wall and CPU time.

It runs two rounds over the same instances: round 1 is cold (new HTTP connections),
round 2 is warm (keep-alive), like a long-running script. It prints one JSON object
with the timings (seconds), CPU time (process_time) per phase, errors and peak RSS.
"""

import json
import resource
import sys
import time

T_START = time.perf_counter()
CPU_START = time.process_time()

import asyncio  # noqa: E402

import ccxt  # noqa: E402
import ccxt.async_support as ccxta  # noqa: E402

T_IMPORTED = time.perf_counter()
CPU_IMPORTED = time.process_time()


CHECKPOINTS = "--checkpoints" in sys.argv


def checkpoint(name):
    if CHECKPOINTS:
        print("phase " + name, flush=True)
        sys.stdin.readline()


def make(exchange, account, base):
    config = {
        "apiKey": account["api_key"],
        "secret": account["secret"],
        "options": {"fetchMarkets": {"types": ["spot"]}},
    }
    if exchange == "okx":
        config["password"] = account["passphrase"]
        ex = ccxta.okx(config)
        ex.urls["api"] = {"rest": base + "/okx"}
    else:
        ex = ccxta.binance(config)
        api = dict(ex.urls["api"])
        api["public"] = base + "/binance/api/v3"
        api["private"] = base + "/binance/api/v3"
        api["sapi"] = base + "/binance/sapi/v1"
        ex.urls["api"] = api
    return ex


async def fetch(ex, done_at):
    try:
        balance = await ex.fetch_balance()
        ok = isinstance(balance.get("total"), dict) and len(balance["total"]) > 0
        return None if ok else "empty balance"
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        return f"{type(e).__name__}: {str(e)[:120]}"
    finally:
        done_at[ex.id] = max(done_at.get(ex.id, 0.0), time.perf_counter())


async def round_of(instances):
    started = time.perf_counter()
    cpu = time.process_time()
    done_at = {}
    results = await asyncio.gather(*(fetch(ex, done_at) for ex in instances))
    errors = [r for r in results if r]
    return {
        "wall_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "finished_s": {k: v - started for k, v in done_at.items()},
    }


def read_keyring(refs):
    """Each account's keys from the OS keyring, the way keyfolio stored them."""
    import keyring

    started = time.perf_counter()
    cpu = time.process_time()
    accounts = []
    for ref in refs:
        stored = json.loads(keyring.get_password("keyfolio", ref["secret_ref"]))
        accounts.append(
            {
                "exchange": ref["exchange"],
                "api_key": stored["api_key"],
                "secret": stored["secret"],
                "passphrase": stored.get("passphrase"),
            }
        )
    return accounts, {
        "wall_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "backend": type(keyring.get_keyring()).__module__,
    }


async def main(base, accounts, rounds=2):
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    instances = [make(a["exchange"], a, base) for a in accounts]
    t_created = time.perf_counter()
    # Markets once per exchange, shared with the other instances of that exchange.
    loaders = {}
    for ex in instances:
        if ex.id not in loaders:
            await ex.load_markets()
            loaders[ex.id] = ex
        else:
            ex.set_markets_from_exchange(loaders[ex.id])
    setup = {
        "create_s": t_created - t0,
        "markets_s": time.perf_counter() - t_created,
        "cpu_s": time.process_time() - cpu0,
    }
    checkpoint("markets")
    try:
        cold = await round_of(instances)
        checkpoint("cold")
        warm = await round_of(instances) if rounds > 1 else None
        checkpoint("warm")
    finally:
        await asyncio.gather(*(ex.close() for ex in instances), return_exceptions=True)
    return setup, cold, warm


if __name__ == "__main__":
    base, path = sys.argv[1].rstrip("/"), sys.argv[2]
    with open(path) as f:
        accounts = json.load(f)
    from_keyring = None
    if "--keyring" in sys.argv:
        accounts, from_keyring = read_keyring(accounts)
    setup, cold, warm = asyncio.run(main(base, accounts, 1 if from_keyring else 2))
    print(
        json.dumps(
            {
                "keyring": from_keyring,
                "ccxt_version": ccxt.__version__,
                "python": sys.version.split()[0],
                "accounts": len(accounts),
                "import_s": T_IMPORTED - T_START,
                "import_cpu_s": CPU_IMPORTED - CPU_START,
                "setup": setup,
                "cold": cold,
                "warm": warm,
                "total_s": time.perf_counter() - T_START,
                "total_cpu_s": time.process_time() - CPU_START,
                "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )
