//! Connections: `sync`, `list`, and what validate, connect and rotate print.

use super::*;

/// A failed validation: the failure and its fix on standard error, and with `--json` the
/// same as `{"ok": false, "error": {kind, message, fix}}` on standard output.
pub(super) fn report_failure(exchange: ExchangeId, f: &Failure, as_json: bool) -> Result<i32> {
    if as_json {
        print_json(&json!({
            "ok": false,
            "error": {"kind": f.kind.code(), "message": f.detail, "fix": f.kind.fix(exchange)},
        }))?;
    }
    say_err!("{}", explain(exchange, f));
    Ok(failure_code(f))
}

/// A connect or rotate that saved nothing: a rejected key exits as validate does, a
/// refusal (withdraw risk, duplicate, another account, the same key) exits 3; anything
/// else is an error of its own.
pub(super) fn report_refusal(exchange: ExchangeId, e: ConnectError, as_json: bool) -> Result<i32> {
    let kind = match &e {
        ConnectError::Rejected(f) => return report_failure(exchange, f, as_json),
        ConnectError::WithdrawRisk(_) => "withdraw_risk",
        ConnectError::Duplicate(_) => "duplicate",
        ConnectError::OtherAccount(_) => "other_account",
        ConnectError::Unchanged(_) => "unchanged",
        ConnectError::Secrets(_) | ConnectError::Storage(_) => return Err(e.into()),
    };
    if as_json {
        print_json(&json!({
            "ok": false,
            "error": {"kind": kind, "message": e.to_string()},
        }))?;
    }
    say_err!("refused: {e}");
    if matches!(e, ConnectError::WithdrawRisk(_)) {
        say_err!("(pass --accept-withdraw-risk to save it anyway)");
    }
    Ok(exit::REJECTED)
}

/// What `validate --json` prints (and `connect --json`, with the id and label added).
pub(super) fn validated_json(
    exchange: ExchangeId,
    creds: &Credentials,
    snapshot: &AccountSnapshot,
) -> serde_json::Value {
    json!({
        "ok": true,
        "exchange": exchange.id(),
        "key_hint": creds.key_hint(),
        "key_type": profile(exchange).key_types.then(|| creds.key_type().label()),
        "permissions": snapshot.permissions.map(|p| json!({
            "read": p.read, "trade": p.trade, "withdraw": p.withdraw, "ip_restricted": p.ip_restricted
        })),
        "assets": snapshot.balances.len(),
    })
}

pub(super) fn print_validated(
    exchange: ExchangeId,
    creds: &Credentials,
    snapshot: &AccountSnapshot,
) {
    say!("{} key ••••{} is valid", exchange.name(), creds.key_hint());
    if profile(exchange).key_types {
        say!("key type: {}", creds.key_type().label());
    }
    if let Some(p) = snapshot.permissions {
        say!("permissions: {}", p.summary());
        if p.withdraw {
            say!("warning: this key can withdraw funds; keyfolio only needs read access");
        }
    } else if exchange.is_generic() {
        say!(
            "permissions: not known (keyfolio does not read them for {}); give the key read access only",
            exchange.name()
        );
    }
    say!("{} assets with a balance", snapshot.balances.len());
}

pub(super) async fn sync(ctx: Context, ids: Vec<i64>, all: bool, as_json: bool) -> Result<i32> {
    let ids = if all || ids.is_empty() {
        ctx.connections().await?.iter().map(|c| c.id).collect()
    } else {
        ids
    };
    let unpause = ids.clone();
    ctx.with_db(move |db| db.set_paused_many(&unpause, false))
        .await?;
    let engine = crate::sync::Engine::new(ctx.clone(), None);
    let outcomes = engine.sync_many(&ids).await;
    let code = sync_code(outcomes.iter().filter_map(|(_, o)| o.as_ref().err()));
    if as_json {
        let rows: Vec<_> = outcomes
            .iter()
            .map(|(id, o)| match o {
                Ok(()) => json!({"id": id, "ok": true}),
                Err(f) => json!({"id": id, "ok": false, "error": {"kind": f.kind.code(), "message": f.detail}}),
            })
            .collect();
        print_json(&rows)?;
    } else {
        for (id, o) in &outcomes {
            match o {
                Ok(()) => say!("{id}: synced"),
                Err(f) => say!("{id}: {f}"),
            }
        }
    }
    Ok(code)
}

pub(super) async fn list(ctx: &Context, as_json: bool) -> Result<i32> {
    let connections = ctx.connections().await?;
    if as_json {
        let rows: Vec<_> = connections
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "exchange": c.exchange.id(),
                    "label": c.label,
                    "status": status_now(ctx, c).label(),
                    "key_hint": c.key_hint,
                    "last_synced_at": c.last_synced_at.map(|t| t.to_rfc3339()),
                    "last_attempt_at": c.last_attempt_at.map(|t| t.to_rfc3339()),
                    "last_error": c.last_error.as_ref().map(|e| json!({"kind": e.kind.code(), "message": e.message})),
                    "failure_streak": c.failure_streak,
                    "endpoint": c.endpoint.base_url,
                    "sandbox": c.endpoint.sandbox,
                    "permissions": c.permissions.map(|p| json!({
                        "read": p.read, "trade": p.trade, "withdraw": p.withdraw, "ip_restricted": p.ip_restricted
                    })),
                    "key_expires_at": c.expiry.key_expires_at.map(|t| t.to_rfc3339()),
                    "trading_ends_at": c.expiry.trading_ends_at.map(|t| t.to_rfc3339()),
                    "unreadable_wallets": c.unreadable_wallets,
                })
            })
            .collect();
        print_json(&rows)?;
    } else if connections.is_empty() {
        say!(
            "No connections. Connect one with `keyfolio connect <exchange>` (see `keyfolio exchanges`) or in the app."
        );
    } else {
        for c in &connections {
            say!(
                "{:>4}  {:<8} {:<20} {:<28} ••••{}  last sync {}",
                c.id,
                c.exchange.name(),
                c.label,
                status_now(ctx, c).label(),
                c.key_hint,
                c.last_synced_at.map_or("never".into(), |t| t.to_rfc3339()),
            );
        }
    }
    Ok(exit::OK)
}
