//! The dependency rules of ARCHITECTURE.md, enforced by reading `cargo metadata`
//! rather than by review.

use gale_testsuite::workspace_root;
use serde_json::Value;
use std::collections::BTreeMap;

/// Workspace package name → (manifest path, normal dependency names).
fn workspace_packages() -> BTreeMap<String, (String, Vec<String>)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let mut map = BTreeMap::new();
    for p in meta["packages"].as_array().into_iter().flatten() {
        let deps = p["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["kind"].is_null())
            .filter_map(|d| d["name"].as_str().map(str::to_string))
            .collect();
        map.insert(
            p["name"].as_str().unwrap_or_default().to_string(),
            (
                p["manifest_path"]
                    .as_str()
                    .unwrap_or_default()
                    .replace('\\', "/"),
                deps,
            ),
        );
    }
    map
}

#[test]
fn runtime_crates_do_not_depend_on_the_compiler_or_its_libraries() {
    const FORBIDDEN: &[&str] = &[
        "salsa",
        "chumsky",
        "petgraph",
        "tower-lsp-server",
        "ls-types",
        "lsp-types",
    ];
    let packages = workspace_packages();
    let compiler: Vec<&String> = packages
        .iter()
        .filter(|(_, (m, _))| m.contains("/compiler/"))
        .map(|(n, _)| n)
        .collect();
    for (name, (manifest, deps)) in &packages {
        if !manifest.contains("/runtime/") {
            continue;
        }
        for dep in deps {
            assert!(
                !compiler.contains(&dep),
                "runtime crate {name} depends on compiler crate {dep}"
            );
            assert!(
                !FORBIDDEN.contains(&dep.as_str()),
                "runtime crate {name} depends on {dep}"
            );
        }
    }
}

#[test]
fn only_the_binary_knows_clap_and_only_gale_expr_knows_chumsky() {
    for (name, (_, deps)) in workspace_packages() {
        if deps.iter().any(|d| d == "clap") {
            assert_eq!(name, "gale", "{name} depends on clap");
        }
        if deps.iter().any(|d| d == "chumsky") {
            assert_eq!(name, "gale_expr", "{name} depends on chumsky");
        }
        if deps.iter().any(|d| d == "tower-lsp-server") {
            assert_eq!(name, "gale_lsp", "{name} depends on tower-lsp-server");
        }
    }
}

#[test]
fn compiler_crates_do_no_file_io() {
    let mut offenders = Vec::new();
    let root = workspace_root().join("compiler");
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                // Tests, benches and examples may read fixtures.
                let name = entry.file_name();
                if !matches!(name.to_str(), Some("tests" | "benches" | "examples")) {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                if code.contains("std::fs") || code.contains("File::open") {
                    offenders.push(path.display().to_string());
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "compiler crates must not do file I/O: {offenders:?}"
    );
}
