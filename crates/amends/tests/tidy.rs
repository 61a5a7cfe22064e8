//! The architecture's invariants, checked by `cargo test`: the domain core and the text engine
//! stay free of IO, async and other amends crates; only the store contains SQL; only the
//! server speaks HTTP.

#![allow(clippy::unwrap_used)] // a test that cannot go on should stop right there

use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn dependencies(krate: &str) -> Vec<String> {
    let manifest = std::fs::read_to_string(crates_dir().join(krate).join("Cargo.toml")).unwrap();
    let mut names = Vec::new();
    let mut in_dependencies = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
        } else if in_dependencies {
            if let Some((name, _)) = line.split_once('=') {
                names.push(name.trim().trim_end_matches(".workspace").to_owned());
            }
        }
    }
    names
}

fn sources(krate: &str) -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(&crates_dir().join(krate).join("src"), &mut out);
    out
}

#[test]
fn the_core_is_free_of_io_and_frameworks() {
    let forbidden = [
        "tokio",
        "sqlx",
        "axum",
        "reqwest",
        "hyper",
        "tower",
        "lettre",
        "amends-store",
        "amends-server",
    ];
    for krate in ["amends-core", "amends-analysis"] {
        if !crates_dir().join(krate).exists() {
            continue;
        }
        let deps = dependencies(krate);
        for name in forbidden {
            assert!(
                !deps.iter().any(|d| d == name),
                "{krate} must not depend on {name}"
            );
        }
        for (path, text) in sources(krate) {
            for needle in [
                "std::fs",
                "std::net",
                "SystemTime::now",
                "OffsetDateTime::now",
                "async fn",
            ] {
                assert!(!text.contains(needle), "{} uses {needle}", path.display());
            }
        }
    }
}

#[test]
fn the_analysis_engine_depends_on_no_other_amends_crate() {
    if crates_dir().join("amends-analysis").exists() {
        assert!(dependencies("amends-analysis")
            .iter()
            .all(|d| !d.starts_with("amends")));
    }
}

#[test]
fn only_the_store_writes_sql() {
    for krate in [
        "amends-core",
        "amends-server",
        "amends",
        "amends-demo",
        "amends-mail",
    ] {
        for (path, text) in sources(krate) {
            for needle in ["sqlx::query", "insert into", "update cases"] {
                assert!(
                    !text.contains(needle),
                    "{} contains SQL ({needle:?})",
                    path.display()
                );
            }
            // `select` is also an HTML element in the console's templates: SQL is a select
            // with a from on the same line.
            for line in text.lines().map(str::to_lowercase) {
                let sql = line
                    .find("select ")
                    .is_some_and(|at| line[at..].contains(" from "));
                assert!(!sql, "{} contains SQL: {line}", path.display());
            }
        }
    }
}

#[test]
fn only_the_server_and_the_binary_speak_http() {
    for krate in ["amends-core", "amends-store", "amends-demo", "amends-mail"] {
        let deps = dependencies(krate);
        for name in ["axum", "reqwest", "hyper", "tower-http"] {
            assert!(
                !deps.iter().any(|d| d == name),
                "{krate} must not depend on {name}"
            );
        }
    }
}

#[test]
fn the_mail_crate_knows_no_database_and_no_other_amends_crate() {
    let deps = dependencies("amends-mail");
    assert!(
        deps.iter().all(|d| !d.starts_with("amends") && d != "sqlx"),
        "amends-mail depends on {deps:?}"
    );
    for (path, text) in sources("amends-mail") {
        if path.ends_with("testing.rs") || path.ends_with("tests.rs") {
            continue; // test servers and test files read files and run processes
        }
        for needle in ["std::fs", "SystemTime::now"] {
            assert!(!text.contains(needle), "{} uses {needle}", path.display());
        }
    }
}
