//! Which sign-in flow suits this machine (browser or device), and opening the browser.

use crate::config::OAuthProvider;

/// The two ways to sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowKind {
    /// Browser on this machine, loopback redirect, PKCE.
    Pkce,
    /// A code typed on another device (SSH, headless).
    Device,
}

impl FlowKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Pkce => "Sign in with the browser",
            Self::Device => "Sign in on another device",
        }
    }
}

/// The flows a provider offers, the preferred one first.
pub fn available_flows(p: &OAuthProvider) -> Vec<FlowKind> {
    let mut flows = vec![preferred_flow(p)];
    for f in [FlowKind::Pkce, FlowKind::Device] {
        if !flows.contains(&f) && (f == FlowKind::Pkce || p.supports_device()) {
            flows.push(f);
        }
    }
    flows
}

/// The device flow where there is no display (no DISPLAY/WAYLAND_DISPLAY, or an SSH
/// session) and the provider has one; the browser flow otherwise.
pub fn preferred_flow(p: &OAuthProvider) -> FlowKind {
    preferred_flow_in(p, |name| {
        std::env::var_os(name).is_some_and(|v| !v.is_empty())
    })
}

/// [`preferred_flow`] with the environment given as "is this variable set".
pub fn preferred_flow_in(p: &OAuthProvider, is_set: impl Fn(&str) -> bool) -> FlowKind {
    if p.supports_device() && is_headless(is_set) {
        FlowKind::Device
    } else {
        FlowKind::Pkce
    }
}

fn is_headless(is_set: impl Fn(&str) -> bool) -> bool {
    let ssh = is_set("SSH_CONNECTION") || is_set("SSH_TTY");
    // macOS and Windows have a display without DISPLAY.
    let x11_like = cfg!(all(unix, not(target_os = "macos")));
    ssh || (x11_like && !is_set("DISPLAY") && !is_set("WAYLAND_DISPLAY"))
}

/// Opens `url` in the trader's browser, best effort: returns whether a browser was
/// launched, never waits for it. The caller shows (and lets the trader copy) the URL anyway.
pub fn open_browser(url: &str) -> bool {
    if url.is_empty() || !(url.starts_with("http://") || url.starts_with("https://")) {
        return false;
    }
    let is_set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if cfg!(all(unix, not(target_os = "macos"))) && is_headless(is_set) {
        return false;
    }
    let (program, args): (&str, Vec<&str>) = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("rundll32", vec!["url.dll,FileProtocolHandler", url])
    } else {
        ("xdg-open", vec![url])
    };
    // The browser and its helpers inherit keyfolio's environment: not the secrets
    // file's passphrase.
    let child = std::process::Command::new(program)
        .env_remove("KEYFOLIO_SECRETS_PASSPHRASE")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match child {
        Ok(mut child) => {
            // Reap it in the background; keyfolio never waits for the browser.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
            true
        }
        Err(_) => false,
    }
}
