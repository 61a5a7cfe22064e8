//! The architecture's invariants, checked by `cargo test`: the domain core and the text engine
//! stay free of IO, async and other amends crates; only the store contains SQL, and it makes no
//! audit event and no wire type; only the server speaks HTTP; no two modules of a crate use
//! each other in a circle; files and functions stay small; every crate is on the code map.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on should stop right there

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
                "std::process",
                "std::env",
                "std::thread",
                "SystemTime::now",
                "Instant::now",
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

/// Every crate of the workspace.
fn crates() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(crates_dir())
        .unwrap()
        .flatten()
        .filter(|entry| entry.path().join("Cargo.toml").exists())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Production code: not a test file, not the test-support module.
fn production(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    !(name == "tests.rs" || name == "testing.rs" || name.ends_with("_tests.rs"))
}

/// The longest a production file may grow before it is split by topic.
const MOST_LINES_PER_FILE: usize = 600;
/// The longest a function may grow before it is split into steps.
const MOST_LINES_PER_FUNCTION: usize = 80;

/// Functions allowed to be longer, each with its reason. Keep this list short.
const LONG_FUNCTIONS: &[(&str, &str)] = &[
    // Deliberate: tables, read top to bottom; splitting them would only scatter the rows.
    (
        "fn parts(&self)",
        "one arm per error: its status, problem type and title",
    ),
    ("fn apply_env(", "one line per AMENDS_* variable"),
];

/// The functions of `text` as (first line's text, length in lines).
fn functions(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let head = line.trim_start();
        let head = head.strip_prefix("pub(crate) ").unwrap_or(head);
        let head = head.strip_prefix("pub ").unwrap_or(head);
        let head = head.strip_prefix("const ").unwrap_or(head);
        let head = head.strip_prefix("async ").unwrap_or(head);
        if !head.starts_with("fn ") || line.trim_end().ends_with(';') {
            continue;
        }
        let (mut opens, mut closes) = (0, 0);
        for (j, body) in lines[i..].iter().enumerate() {
            opens += body.matches('{').count();
            closes += body.matches('}').count();
            if opens > 0 && closes >= opens {
                found.push((line.trim().to_owned(), j + 1));
                break;
            }
        }
    }
    found
}

#[test]
fn files_and_functions_stay_small() {
    let mut too_long = Vec::new();
    for krate in crates() {
        for (path, text) in sources(&krate).into_iter().filter(|(p, _)| production(p)) {
            let lines = text.lines().count();
            if lines > MOST_LINES_PER_FILE {
                too_long.push(format!("{}: {lines} lines", path.display()));
            }
            for (head, length) in functions(&text) {
                let excused = LONG_FUNCTIONS.iter().any(|(name, _)| head.contains(name));
                if length > MOST_LINES_PER_FUNCTION && !excused {
                    too_long.push(format!("{}: {head} is {length} lines", path.display()));
                }
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "split by topic:\n{}",
        too_long.join("\n")
    );
}

/// The top-level modules of a crate that each module uses through `crate::`.
fn module_uses(
    krate: &str,
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let src = crates_dir().join(krate).join("src");
    let mut uses = std::collections::BTreeMap::new();
    let modules: std::collections::BTreeSet<String> = std::fs::read_dir(&src)
        .unwrap()
        .flatten()
        .map(|e| {
            e.file_name()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned()
        })
        .filter(|m| m != "lib" && m != "main")
        .collect();
    for (path, text) in sources(krate) {
        let relative = path.strip_prefix(&src).unwrap();
        let module = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if !modules.contains(&module) {
            continue;
        }
        let used: &mut std::collections::BTreeSet<String> = uses.entry(module.clone()).or_default();
        let code: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for (at, _) in code.match_indices("crate::") {
            let preceded = code[..at].chars().last();
            if preceded.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // `amends_crate::…`, not this crate
            }
            let name: String = code[at + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if modules.contains(&name) && name != module {
                used.insert(name);
            }
        }
    }
    uses
}

#[test]
fn no_module_uses_one_that_uses_it_back() {
    for krate in crates() {
        let uses = module_uses(&krate);
        // Depth-first search for a cycle, reporting the first one found in each crate.
        fn visit(
            node: &str,
            uses: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut std::collections::BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(at) = path.iter().position(|p| p == node) {
                let mut cycle = path[at..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            if !done.insert(node.to_owned()) {
                return None;
            }
            path.push(node.to_owned());
            for next in uses.get(node).into_iter().flatten() {
                if let Some(cycle) = visit(next, uses, path, done) {
                    return Some(cycle);
                }
            }
            path.pop();
            None
        }
        let mut done = std::collections::BTreeSet::new();
        for module in uses.keys() {
            let mut path = Vec::new();
            if let Some(cycle) = visit(module, &uses, &mut path, &mut done) {
                panic!(
                    "{krate}: modules use each other in a circle: {}",
                    cycle.join(" → ")
                );
            }
        }
    }
}

#[test]
fn the_store_applies_and_decides_nothing() {
    for (path, text) in sources("amends-store") {
        for needle in ["AuditEvent::new", "Change::new", "AuditEvent {"] {
            assert!(
                !text.contains(needle),
                "{} makes an audit event ({needle}): the core words every event",
                path.display()
            );
        }
        for line in text
            .lines()
            .filter(|l| l.trim_start().starts_with("#[derive("))
        {
            assert!(
                !line.contains("Serialize"),
                "{}: a store type derives Serialize ({line}); the server owns the wire format",
                path.display()
            );
        }
    }
}

/// The core's types that serialise, each a stored format rather than the wire's.
const STORED_FORMATS: &[(&str, &str)] = &[
    ("audit.rs", "Change"),     // the audit trail's `changes` column
    ("job.rs", "PromiseCheck"), // the jobs table's kind and arguments, from here down
    ("job.rs", "FollowUpCheck"),
    ("job.rs", "CaseReminder"),
    ("job.rs", "MailSend"),
    ("job.rs", "StaffMailSend"),
    ("job.rs", "SocialSend"),
    ("job.rs", "RetentionSweep"),
    ("job.rs", "UpdateCheck"),
    ("job.rs", "NoticeSend"),
    ("job.rs", "FollowUpSend"),
    ("job.rs", "Job"),
];

#[test]
fn core_types_derive_serialize_only_for_what_is_stored() {
    for (path, text) in sources("amends-core") {
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        let mut lines = text.lines().map(str::trim_start);
        while let Some(line) = lines.next() {
            if !(line.starts_with("#[derive(") && line.contains("Serialize,")
                || line.starts_with("#[derive(") && line.contains("Serialize)"))
            {
                continue;
            }
            let item = lines
                .by_ref()
                .find(|l| l.starts_with("pub "))
                .unwrap_or_default();
            let name = item
                .split_whitespace()
                .nth(2)
                .unwrap_or_default()
                .trim_end_matches(['{', '(', ';']);
            assert!(
                STORED_FORMATS.contains(&(file.as_str(), name)),
                "{file}: {name} derives Serialize; the server's wire types own the API's format \
                 (a stored format goes in STORED_FORMATS with its table)"
            );
        }
    }
}

#[test]
fn every_crate_is_in_the_code_map() {
    let map =
        std::fs::read_to_string(crates_dir().parent().unwrap().join("ARCHITECTURE.md")).unwrap();
    for krate in crates() {
        assert!(
            map.contains(&format!("| `{krate}` |")),
            "ARCHITECTURE.md's code map has no row for {krate}"
        );
    }
}
