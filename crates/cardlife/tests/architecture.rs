//! The dependency rules of docs/architecture.md, read from `cargo metadata`: a crate may only
//! depend (normally, not as a dev-dependency) on the cardlife crates its layer allows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::process::Command;

/// The bounded contexts: they may use the kernel and the ledger, never each other.
const CONTEXTS: &[&str] = &[
    "customers",
    "credit",
    "payments",
    "rewards",
    "scenes",
    "insight",
    "risk",
];

/// Which cardlife crates each layer may depend on.
fn allowed(krate: &str) -> Option<Vec<String>> {
    let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let mut contexts = names(CONTEXTS);
    match krate {
        "kernel" => Some(vec![]),
        "ledger" => Some(names(&["kernel"])),
        // Infrastructure under the store, holding its one FFI call: no cardlife crate.
        "sqlite-wait" => Some(vec![]),
        c if CONTEXTS.contains(&c) => Some(names(&["kernel", "ledger"])),
        "store" | "app" => {
            contexts.extend(names(&["kernel", "ledger"]));
            if krate == "app" {
                // The app layer holds the ledger service the store provides.
                contexts.push("store".to_owned());
            } else {
                // How the embedded store's connections wait for SQLite's write lock.
                contexts.push("sqlite-wait".to_owned());
            }
            Some(contexts)
        }
        "server" => Some(names(&["kernel", "app"])),
        "cardlife" => None, // the binary wires everything
        _ => Some(vec![]),  // an unknown crate must be placed in the map first
    }
}

/// `crate -> [cardlife crates it depends on normally]`, from cargo metadata.
fn workspace_graph() -> BTreeMap<String, Vec<String>> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let short = |name: &str| name.strip_prefix("cardlife-").unwrap_or(name).to_owned();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null()) // normal dependencies only
                .filter_map(|d| d["name"].as_str())
                .filter(|n| n.starts_with("cardlife"))
                .map(short)
                .collect();
            (short(p["name"].as_str().unwrap()), deps)
        })
        .collect()
}

/// Every edge the rules forbid, as `from -> to`.
fn forbidden_edges(graph: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut bad = Vec::new();
    for (from, deps) in graph {
        let Some(ok) = allowed(from) else { continue };
        for to in deps {
            if !ok.contains(to) {
                bad.push(format!("{from} -> {to}"));
            }
        }
    }
    bad
}

#[test]
fn no_crate_depends_on_what_its_layer_forbids() {
    let graph = workspace_graph();
    assert!(
        graph.contains_key("ledger") && graph.contains_key("cardlife"),
        "{graph:?}"
    );
    assert_eq!(forbidden_edges(&graph), Vec::<String>::new());
}

#[test]
fn the_rule_check_catches_a_server_that_reaches_into_the_store() {
    let mut graph = workspace_graph();
    graph.get_mut("server").unwrap().push("store".to_owned());
    graph.insert("credit".to_owned(), vec!["payments".to_owned()]);
    assert_eq!(
        forbidden_edges(&graph),
        ["credit -> payments", "server -> store"]
    );
}
