//! The CCXT adapter: configuration, URL overrides, and error classification.

/// CCXT's caught panics carry "[ErrorClass] message".
pub fn is_ccxt_error(message: &str) -> bool {
    let Some(rest) = message.strip_prefix('[') else {
        return false;
    };
    rest.split_once(']').is_some_and(|(class, _)| {
        !class.is_empty() && class.chars().all(|c| c.is_ascii_alphanumeric())
    })
}
