//! The layers of `src/`: which top-level module names which (`crate::<module>` outside
//! comments and unit tests), and no circle among them beyond the two still known
//! (README, Development). A new circle, or a known one that grows, fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The circles that remain, each as the set of modules it joins: the event loop in `app`
/// draws with `ui`, which renders `app`'s state; `model`'s exchange ids read the compiled-in
/// exchanges from `exchange::catalog`, and so `config` (which names exchange ids, and which
/// the exchange boundary reads) is inside that circle too.
const KNOWN: [&[&str]; 2] = [&["app", "ui"], &["config", "exchange", "model"]];

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Top-level module → the top-level modules its code names.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        let named = graph.entry(module.clone()).or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (at, _) in line.match_indices("crate::") {
                let rest = &line[at + "crate::".len()..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                let target = &rest[..end];
                if !target.is_empty() && target != module {
                    named.insert(target.to_string());
                }
            }
        }
    }
    graph
}

/// The modules reachable from `from`.
fn reach(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(m) = todo.pop() {
        for next in graph.get(&m).into_iter().flatten() {
            if seen.insert(next.clone()) {
                todo.push(next.clone());
            }
        }
    }
    seen
}

#[test]
fn no_import_circle_beyond_the_known_ones() {
    let graph = imports();
    assert!(graph.len() > 10, "src/ read: {:?}", graph.keys());
    // Each module's circle: the modules it reaches that reach it back.
    let mut circles: BTreeSet<BTreeSet<String>> = BTreeSet::new();
    for module in graph.keys() {
        let mut circle: BTreeSet<String> = reach(&graph, module)
            .into_iter()
            .filter(|other| reach(&graph, other).contains(module))
            .collect();
        if !circle.is_empty() {
            circle.insert(module.clone());
            circles.insert(circle);
        }
    }
    let known: BTreeSet<BTreeSet<String>> = KNOWN
        .iter()
        .map(|c| c.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(
        circles, known,
        "import circles among src/'s modules: {graph:#?}"
    );
}

#[test]
fn the_reader_sees_a_circle_where_there_is_one() {
    let mut graph = imports();
    graph.get_mut("model").unwrap().insert("store".into());
    assert!(
        reach(&graph, "store").contains("store"),
        "store -> model -> store"
    );
}
