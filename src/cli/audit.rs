//! Checks of the setup and of every key: `doctor`, `audit`.

use super::*;

pub(super) async fn doctor(ctx: &Context, as_json: bool) -> Result<i32> {
    let schema = ctx.with_db(|db| db.schema_version()).await?;
    let integrity = ctx.with_db(|db| db.integrity_check()).await?;
    let probe = ctx.secrets.probe().await;
    let cleaned = match &probe {
        Ok(()) => Some(ctx.clean_orphans().await?),
        Err(_) => None,
    };
    let absent = absent_exchanges(&ctx.connections().await?);
    if as_json {
        print_json(&json!({
            "config_file": ctx.paths.config_file(),
            "database": ctx.paths.database(),
            "logs": ctx.paths.log_dir,
            "schema_version": schema,
            "integrity": integrity,
            "secret_store": ctx.secrets.describe(),
            "secret_store_answers": probe.is_ok(),
            "secret_store_error": probe.as_ref().err().map(ToString::to_string),
            "orphaned_secrets_removed": cleaned,
            "exchanges_not_in_build": absent.iter().map(|(id, feature, n)| json!({
                "exchange": id, "cargo_feature": feature, "connections": n,
            })).collect::<Vec<_>>(),
        }))?;
    } else {
        say!("config file:   {}", ctx.paths.config_file().display());
        say!("database:      {}", ctx.paths.database().display());
        say!("logs:          {}", ctx.paths.log_dir.display());
        say!("schema:        version {schema}");
        say!("integrity:     {integrity}");
        say!("secret store:  {}", ctx.secrets.describe());
        match (&probe, cleaned) {
            (Err(e), _) => say!("secret store answers: NO: {e}"),
            (Ok(()), cleaned) => {
                say!("secret store answers: yes");
                say!("orphaned secrets removed: {}", cleaned.unwrap_or(0));
            }
        }
        for (id, feature, n) in &absent {
            let build = match feature {
                Some(feature) => format!("build keyfolio with `--features {feature}`"),
                None => "no build of keyfolio has it".to_string(),
            };
            say!(
                "not in this build: {id} ({n} connection(s), never synced): {build}, or disconnect"
            );
        }
        say!("keys: `keyfolio audit` lists each key's permissions, IP restriction and age");
    }
    Ok(if probe.is_ok() {
        exit::OK
    } else {
        exit::UNAVAILABLE
    })
}

/// Why the audit flags a key (each one makes `audit` exit 3).
pub(super) const CAN_WITHDRAW: &str = "can withdraw";
pub(super) const NO_IP_RESTRICTION: &str = "no IP restriction";
pub(super) const EXPIRES_SOON: &str = "expires soon or expired";
pub(super) const OLDER_THAN_MAX_AGE: &str = "older than key_max_age_days";

/// One key as `keyfolio audit` sees it: whether it is IP-restricted (`None`: not known) and
/// why it is flagged.
pub(super) fn audit_key(
    c: &crate::model::ConnectionRecord,
    now: chrono::DateTime<chrono::Utc>,
    max_age_days: Option<u32>,
) -> (Option<bool>, Vec<&'static str>) {
    let ip_restricted = c
        .permissions
        // Where the exchange does not say, "not known" rather than a flag it cannot see.
        .filter(|_| crate::exchange::key_info::tells_ip_restriction(c.exchange))
        .map(|p| p.ip_restricted);
    let mut flags = Vec::new();
    if c.permissions.is_some_and(|p| p.withdraw) {
        flags.push(CAN_WITHDRAW);
    }
    if ip_restricted == Some(false) {
        flags.push(NO_IP_RESTRICTION);
    }
    if c.expiry_notice(now).is_some_and(|(_, warn)| warn) {
        flags.push(EXPIRES_SOON);
    }
    if crate::model::key_too_old(c.created_at, now, max_age_days).is_some() {
        flags.push(OLDER_THAN_MAX_AGE);
    }
    (ip_restricted, flags)
}

/// `keyfolio audit`: every stored key, what it may do and how old it is; exit 3 when any
/// key is flagged (see [`audit_key`]), else 0.
pub(super) async fn audit(ctx: &Context, as_json: bool) -> Result<i32> {
    let connections = ctx.connections().await?;
    let now = chrono::Utc::now();
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("never".to_string(), |t| {
            t.format("%Y-%m-%d %H:%M UTC").to_string()
        })
    };
    let mut flagged = 0;
    let mut not_known = 0;
    let mut rows = Vec::new();
    for c in &connections {
        let (ip_restricted, flags) = audit_key(c, now, ctx.config.key_max_age_days);
        flagged += usize::from(!flags.is_empty());
        not_known += usize::from(c.permissions.is_none());
        let age_days = (now - c.created_at).num_days().max(0);
        if as_json {
            rows.push(json!({
                "id": c.id,
                "exchange": c.exchange.id(),
                "label": c.label,
                "key_hint": c.key_hint,
                "in_build": c.exchange.in_build(),
                "permissions": c.permissions.map(|p| json!({
                    "read": p.read, "trade": p.trade, "withdraw": p.withdraw,
                })),
                "ip_restricted": ip_restricted,
                "permissions_checked_at": c.permissions_checked_at.map(|t| t.to_rfc3339()),
                "created_at": c.created_at.to_rfc3339(),
                "age_days": age_days,
                "key_expires_at": c.expiry.key_expires_at.map(|t| t.to_rfc3339()),
                "trading_ends_at": c.expiry.trading_ends_at.map(|t| t.to_rfc3339()),
                "last_synced_at": c.last_synced_at.map(|t| t.to_rfc3339()),
                "flags": flags,
            }));
            continue;
        }
        let permissions = match c.permissions {
            None => "permissions not known".to_string(),
            // The withdraw right in capitals: the one a trader must see.
            Some(p) => p.abilities().replace("withdraw", "WITHDRAW"),
        };
        let ip = match ip_restricted {
            Some(true) => "IP-restricted",
            Some(false) => "any IP",
            None => "IP restriction not known",
        };
        say!(
            "{:>4}  {:<8} {:<20} ••••{}  {} · {} · checked {} · age {} d · last good sync {}{}{}",
            c.id,
            c.exchange.name(),
            c.label,
            c.key_hint,
            permissions,
            ip,
            when(c.permissions_checked_at),
            age_days,
            when(c.last_synced_at),
            if c.exchange.in_build() {
                ""
            } else {
                " · not in this build"
            },
            if flags.is_empty() {
                String::new()
            } else {
                format!("  FLAGGED: {}", flags.join(", "))
            },
        );
    }
    if as_json {
        print_json(&rows)?;
    } else if connections.is_empty() {
        say!("No connections: no keys to audit.");
    } else {
        if not_known > 0 {
            say!(
                "{not_known} key(s) with permissions not known: the exchange does not tell them; \
                 they do not fail the audit (check on the exchange that each is read-only and IP-restricted)"
            );
        }
        match flagged {
            0 => say!("no key flagged"),
            n => say!(
                "{n} of {} key(s) flagged: read-only keys restricted to your IP are recommended",
                connections.len()
            ),
        }
    }
    Ok(if flagged > 0 {
        exit::REJECTED
    } else {
        exit::OK
    })
}

/// The exchanges of stored connections that this build lacks: id, the cargo feature that
/// compiles it in (if any build has it) and how many connections name it.
pub(super) fn absent_exchanges(
    connections: &[crate::model::ConnectionRecord],
) -> Vec<(&'static str, Option<&'static str>, usize)> {
    let mut absent: Vec<(&'static str, Option<&'static str>, usize)> = Vec::new();
    for c in connections.iter().filter(|c| !c.exchange.in_build()) {
        let id = c.exchange.id();
        match absent.iter_mut().find(|(known, _, _)| *known == id) {
            Some((_, _, n)) => *n += 1,
            None => {
                let feature = crate::exchange::catalog::known_name(id).map(|_| id);
                absent.push((id, feature, 1));
            }
        }
    }
    absent
}
