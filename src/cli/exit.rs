//! Exit codes scripts can rely on, the same for every subcommand, and the cause each
//! error maps to.

use super::*;

pub const OK: i32 = 0;
pub const OTHER: i32 = 1;
pub const USAGE: i32 = 2;
pub const REJECTED: i32 = 3;
pub const UNAVAILABLE: i32 = 4;

/// The exit code for an exchange failure, the same in validate, connect and sync: 3 when
/// only the trader can fix it (a rejected key, a missing secret), else 4 (the network,
/// the exchange or the keyring is unavailable; trying again later may work).
pub(super) fn failure_code(f: &Failure) -> i32 {
    if f.kind.needs_trader() {
        REJECTED
    } else {
        UNAVAILABLE
    }
}

pub(super) fn explain(exchange: ExchangeId, f: &Failure) -> String {
    format!("{f}\n{}", f.kind.fix(exchange))
}

/// The exit code for a secret store that failed: unavailable (no keyring, locked,
/// silent) is 4 like the exchange being down; a missing entry needs the trader (3).
pub(super) fn secret_code(e: &SecretError) -> i32 {
    match e {
        SecretError::Timeout(_) | SecretError::Unavailable(_) | SecretError::Locked(_) => {
            UNAVAILABLE
        }
        SecretError::Missing => REJECTED,
        SecretError::File(_) => OTHER,
    }
}

/// The exit code for a sync that did not fully succeed: 3 when any failure needs the
/// trader (a rejected key, a missing secret), else 4 (network, exchange, keyring).
pub(super) fn sync_code<'a>(failures: impl IntoIterator<Item = &'a Failure>) -> i32 {
    failures
        .into_iter()
        .map(failure_code)
        .min_by_key(|&code| code != REJECTED)
        .unwrap_or(OK)
}

/// The exit code for an error that ended a subcommand: every subcommand maps the same
/// cause to the same code (see [`exit`]).
pub fn error_code(e: &anyhow::Error) -> i32 {
    if e.downcast_ref::<UsageError>().is_some() {
        return USAGE;
    }
    for cause in e.chain() {
        if let Some(s) = cause.downcast_ref::<SecretError>() {
            return secret_code(s);
        }
        if let Some(ConnectError::Secrets(s)) = cause.downcast_ref::<ConnectError>() {
            return secret_code(s);
        }
    }
    OTHER
}
