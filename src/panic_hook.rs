//! The panic hook. CCXT reports exchange errors by panicking and catching the panic, so
//! those panics ("[AuthenticationError] ...") stay silent. Any other panic is a bug:
//! restore the terminal, log it, tell the trader, and exit with code 101.

/// Installs the hook for the whole process.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("panic");
        if crate::exchange::ccxt::is_ccxt_error(message) {
            return;
        }
        crate::app::restore_terminal();
        let location = info
            .location()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        tracing::error!("bug: {message}{location}");
        eprintln!(
            "{}",
            crate::text::for_terminal(&format!(
                "keyfolio hit a bug and stopped{location}: {message}\nPlease report it; your data is safe."
            ))
        );
        std::process::exit(101);
    }));
}
