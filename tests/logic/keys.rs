//! The key table: README's key tables match it, and `[keys]` remapping is checked.

use keyfolio::app::keys::{Context, Intent, KeyMap, KeyNames};
use std::collections::BTreeMap;

const BEGIN: &str = "<!-- keys:begin (generated from src/app/keys.rs by tests/logic/keys.rs) -->\n";
const END: &str = "<!-- keys:end -->";

/// README's tables between the markers are the key table's; with KEYFOLIO_BLESS=1 the
/// test rewrites them.
#[test]
fn readme_key_tables_match_the_key_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme
        .find(BEGIN)
        .expect("README has the keys:begin marker")
        + BEGIN.len();
    let end = readme.find(END).expect("README has the keys:end marker");
    let generated = KeyMap::default().readme_tables();
    if readme[start..end] != generated {
        if std::env::var_os("KEYFOLIO_BLESS").is_some() {
            let updated = format!("{}{generated}{}", &readme[..start], &readme[end..]);
            std::fs::write(path, updated).unwrap();
            return;
        }
        panic!(
            "README's key tables differ from src/app/keys.rs; run \
             KEYFOLIO_BLESS=1 cargo test --test logic keys::. Expected:\n{generated}"
        );
    }
}

fn overrides(pairs: &[(&str, KeyNames)]) -> BTreeMap<String, KeyNames> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn one(s: &str) -> KeyNames {
    KeyNames::One(s.into())
}

#[test]
fn a_remapped_intent_reads_its_new_keys() {
    let map = KeyMap::with_overrides(&overrides(&[
        ("resync", one("s")),
        (
            "down",
            KeyNames::Many(vec!["n".into(), "Down".into(), "Ctrl-n".into()]),
        ),
    ]))
    .unwrap();
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let press = |c| KeyEvent::new(c, KeyModifiers::NONE);
    assert_eq!(
        map.lookup(Context::Cards, &press(KeyCode::Char('s'))),
        Some(Intent::Resync)
    );
    assert_eq!(map.lookup(Context::Cards, &press(KeyCode::Char('r'))), None);
    assert_eq!(
        map.lookup(Context::Detail, &press(KeyCode::Char('s'))),
        Some(Intent::Resync),
        "an intent is remapped in every context it appears in"
    );
    assert_eq!(
        map.lookup(
            Context::Cards,
            &KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL)
        ),
        Some(Intent::Down)
    );
    assert!(map.status_bar_text(200).contains("s resync"));
}

#[test]
fn unknown_names_and_conflicts_are_errors() {
    let err = KeyMap::with_overrides(&overrides(&[("rsync", one("r"))])).unwrap_err();
    assert!(err.contains("unknown action \"rsync\""), "{err}");
    let err = KeyMap::with_overrides(&overrides(&[("resync", one("Hyper-r"))])).unwrap_err();
    assert!(err.contains("unknown key name"), "{err}");
    let err = KeyMap::with_overrides(&overrides(&[("resync", one("d"))])).unwrap_err();
    assert!(
        err.contains("\"resync\"") && err.contains("\"disconnect\""),
        "names both actions: {err}"
    );
}

#[test]
fn defaults_have_no_conflicts() {
    KeyMap::default().check().unwrap();
}
