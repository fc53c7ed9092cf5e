//! `keyfolio --version`: the package version and the commit it was built from.
//!
//! The commit comes from `KEYFOLIO_COMMIT` if set; from git when the source is a checkout;
//! from `.cargo_vcs_info.json`, which `cargo package` writes, when it is a packaged
//! tarball; else the version stands alone. Sets `KEYFOLIO_VERSION`, e.g.
//! `0.2.0 (a77a8c7 2026-12-03)`.
//!
//! Reruns only when HEAD moves (the HEAD file, the branch it names, packed-refs), not on
//! every edit: a new commit rebuilds the keyfolio crate itself and none of its
//! dependencies. Uncommitted changes are not marked (that would rerun on every edit).

use std::path::Path;
use std::process::Command;

fn main() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    println!("cargo:rerun-if-changed=build.rs");
    if Path::new(".cargo_vcs_info.json").exists() {
        println!("cargo:rerun-if-changed=.cargo_vcs_info.json");
    }
    println!("cargo:rerun-if-env-changed=KEYFOLIO_COMMIT");
    let commit = std::env::var("KEYFOLIO_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .map(|c| c.trim().to_owned())
        .or_else(from_git)
        .or_else(from_vcs_info);
    let full = match commit {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo:rustc-env=KEYFOLIO_VERSION={full}");
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// `a77a8c7 2026-12-03`, and the files whose change moves HEAD.
fn from_git() -> Option<String> {
    // Only this repository's own checkout: a crate built inside some other git tree
    // (a vendored copy) must not print that tree's commit.
    let top = git(&["rev-parse", "--show-toplevel"])?;
    let here = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    if Path::new(&top).canonicalize().ok()? != Path::new(&here).canonicalize().ok()? {
        return None;
    }
    let described = git(&["log", "-1", "--format=%h %cs", "--abbrev=7"])?;
    let mut watch = vec![git(&["rev-parse", "--git-path", "HEAD"])?];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch.push(git(&["rev-parse", "--git-path", &branch])?);
    }
    watch.push(git(&["rev-parse", "--git-path", "packed-refs"])?);
    for path in watch {
        // A path that does not exist would make Cargo rerun this script on every build.
        if Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    Some(described)
}

/// The commit `cargo package` recorded: `{"git": {"sha1": "…"}, …}`.
fn from_vcs_info() -> Option<String> {
    let text = std::fs::read_to_string(".cargo_vcs_info.json").ok()?;
    let start = text.find("\"sha1\"")? + "\"sha1\"".len();
    let rest = text[start..].trim_start().strip_prefix(':')?.trim_start();
    let sha = rest.strip_prefix('"')?.split('"').next()?;
    (sha.len() >= 7 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then(|| sha[..7].to_owned())
}
