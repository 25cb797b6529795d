//! `cargo xtask tidy`: formatting, clippy, and the rules of ARCHITECTURE.md's
//! "Invariants" checked as code. `cargo xtask test` runs it before the suites, so a
//! change that breaks a rule fails CI with the file and the rule named.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::cmd;

/// No source file longer than this: past it, a file is no longer read at once.
pub const MAX_LINES: usize = 800;

/// Files exempt from the length rule: generated, never edited by hand.
const GENERATED: &[&str] = &["ui/src/ipc/bindings.ts"];

/// Where the length rule applies.
const SOURCE_DIRS: &[&str] = &["crates", "src-tauri/src", "ui/src", "xtask/src"];

/// The only places with SQL (tests aside): the desktop's store and the hub's storage.
const SQL_HOMES: &[&str] = &["crates/helpline-store/src/", "crates/helpline-hub/src/storage/"];

/// Crates that talk to a database; only the SQL homes' packages (and tests) use them.
const DATABASE_CRATES: &[&str] = &["rusqlite", "rusqlite_migration", "postgres", "tokio-postgres", "sqlx"];

/// Crates that do IO; the domain is pure.
const IO_CRATES: &[&str] = &["tokio", "reqwest", "rusqlite", "postgres", "tokio-postgres", "axum", "hyper"];

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub file: String,
    pub rule: &'static str,
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.file, self.rule, self.detail)
    }
}

pub fn run() -> Result<()> {
    let root = cmd::workspace_root();
    let started = Instant::now();
    let mut failed = Vec::new();

    let mut fmt = cmd::cargo();
    fmt.args(["fmt", "--all", "--check"]);
    if !cmd::run_visible(fmt)?.success() {
        failed.push("cargo fmt --check: run `cargo fmt --all`".to_owned());
    }

    let violations = check_invariants(&root)?;
    for v in &violations {
        println!("tidy: {v}");
    }
    if !violations.is_empty() {
        failed.push(format!("{} architecture rule(s) broken (listed above)", violations.len()));
    }

    // src-tauri embeds the built UI; clippy compiles it.
    if !root.join("ui/dist/index.html").exists() {
        crate::app::build_ui()?;
    }
    let mut clippy = cmd::cargo();
    clippy.args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]);
    if !cmd::run_visible(clippy)?.success() {
        failed.push("cargo clippy found warnings (listed above)".to_owned());
    }

    println!("tidy: took {:.0} s", started.elapsed().as_secs_f64());
    if !failed.is_empty() {
        bail!("tidy failed:\n  {}", failed.join("\n  "));
    }
    println!("tidy: ok (formatting, clippy, {} architecture rules)", RULES.len());
    Ok(())
}

/// The rules, named as ARCHITECTURE.md states them.
pub const RULES: &[&str] =
    &[RULE_SQL, RULE_DATABASE_CRATES, RULE_TAURI, RULE_TAURI_API, RULE_HUB_DEPS, RULE_PURE_DOMAIN, RULE_LENGTH];
const RULE_SQL: &str = "only helpline-store and the hub's storage contain SQL";
const RULE_DATABASE_CRATES: &str = "only helpline-store and helpline-hub use database crates";
const RULE_TAURI: &str = "only src-tauri depends on tauri";
const RULE_TAURI_API: &str = "only ui/src/ipc imports @tauri-apps";
const RULE_HUB_DEPS: &str = "the hub depends on neither helpline-store nor helpline-client";
const RULE_PURE_DOMAIN: &str = "helpline-domain does no IO and depends on no other helpline crate";
const RULE_LENGTH: &str = "no source file over 800 lines";

/// Every architecture rule over the tree at `root`.
pub fn check_invariants(root: &Path) -> Result<Vec<Violation>> {
    let mut out = Vec::new();
    for (package, manifest) in manifests(root)? {
        let text = std::fs::read_to_string(root.join(&manifest)).with_context(|| manifest.clone())?;
        out.extend(check_manifest(&package, &manifest, &text)?);
    }
    for dir in SOURCE_DIRS {
        for file in source_files(root, dir)? {
            let rel = relative(root, &file);
            let Some(ext) = file.extension().and_then(|e| e.to_str()) else { continue };
            if !matches!(ext, "rs" | "ts" | "svelte" | "js")
                || rel.contains("/tests/")
                || rel.contains("/node_modules/")
            {
                continue;
            }
            let text = std::fs::read_to_string(&file).with_context(|| rel.clone())?;
            out.extend(check_source(&rel, &text));
        }
    }
    out.sort_by(|a, b| (&a.file, a.rule).cmp(&(&b.file, b.rule)));
    Ok(out)
}

/// The rules one source file can break, given its path from the workspace root.
pub fn check_source(rel: &str, text: &str) -> Vec<Violation> {
    let mut out = Vec::new();
    let lines = text.lines().count();
    // In the crates, their `src/` (a crate's integration tests are not read at once either).
    let in_source_dir =
        SOURCE_DIRS.iter().any(|d| rel.starts_with(d)) && (!rel.starts_with("crates/") || rel.contains("/src/"));
    if in_source_dir && lines > MAX_LINES && !GENERATED.contains(&rel) {
        out.push(Violation {
            file: rel.to_owned(),
            rule: RULE_LENGTH,
            detail: format!("{lines} lines; split it by what its parts are about"),
        });
    }
    if rel.ends_with(".rs") && !SQL_HOMES.iter().any(|home| rel.starts_with(home)) && is_product_code(rel) {
        // Unit tests may set up what they test with SQL.
        let product = text.split("#[cfg(test)]").next().unwrap_or(text);
        if let Some((n, line)) = product.lines().enumerate().find(|(_, l)| looks_like_sql(l)) {
            out.push(Violation {
                file: rel.to_owned(),
                rule: RULE_SQL,
                detail: format!("line {}: {}", n + 1, line.trim()),
            });
        }
    }
    if rel.starts_with("ui/src/")
        && !rel.starts_with("ui/src/ipc/")
        && let Some((n, _)) = text.lines().enumerate().find(|(_, l)| imports_tauri_api(l))
    {
        out.push(Violation {
            file: rel.to_owned(),
            rule: RULE_TAURI_API,
            detail: format!("line {}: the window reaches the backend through ui/src/ipc only", n + 1),
        });
    }
    out
}

/// The app's own code: the crates and src-tauri (xtask provisions the test database with SQL).
fn is_product_code(rel: &str) -> bool {
    (rel.starts_with("crates/") && rel.contains("/src/")) || rel.starts_with("src-tauri/src/")
}

/// A statement in a string: SQL keywords in capitals, the way our SQL is written.
pub fn looks_like_sql(line: &str) -> bool {
    const STATEMENTS: &[&str] =
        &["INSERT INTO", "DELETE FROM", "CREATE TABLE", "CREATE INDEX", "ALTER TABLE", "DROP TABLE", "DROP SCHEMA"];
    let has = |w: &str| line.contains(w);
    STATEMENTS.iter().any(|s| has(s))
        || (has("SELECT ") && (has(" FROM ") || line.trim_end().ends_with("FROM")))
        || (has("UPDATE ") && has(" SET "))
        || has("PRAGMA ")
}

fn imports_tauri_api(line: &str) -> bool {
    let l = line.trim_start();
    (l.starts_with("import") || l.contains("from ") || l.contains("import(")) && l.contains("@tauri-apps/")
}

/// The rules a package's manifest can break.
pub fn check_manifest(package: &str, manifest: &str, text: &str) -> Result<Vec<Violation>> {
    let deps = dependency_names(text).with_context(|| format!("{manifest} is not valid TOML"))?;
    let mut out = Vec::new();
    let mut broken = |rule: &'static str, detail: String| {
        out.push(Violation { file: manifest.to_owned(), rule, detail });
    };
    let is_tests = package == "helpline-tests" || package == "xtask";
    for dep in &deps {
        if dep.starts_with("tauri") && package != "helpline-app" && !is_tests {
            broken(RULE_TAURI, format!("{package} depends on {dep}"));
        }
        if DATABASE_CRATES.contains(&dep.as_str()) && !matches!(package, "helpline-store" | "helpline-hub") && !is_tests
        {
            broken(RULE_DATABASE_CRATES, format!("{package} depends on {dep}"));
        }
    }
    if package == "helpline-hub" {
        for dep in deps.iter().filter(|d| matches!(d.as_str(), "helpline-store" | "helpline-client")) {
            broken(RULE_HUB_DEPS, format!("helpline-hub depends on {dep}"));
        }
    }
    if package == "helpline-domain" {
        for dep in deps.iter().filter(|d| d.starts_with("helpline-") || IO_CRATES.contains(&d.as_str())) {
            broken(RULE_PURE_DOMAIN, format!("helpline-domain depends on {dep}"));
        }
    }
    Ok(out)
}

/// Every dependency a manifest names: normal, dev, build and per-target.
pub fn dependency_names(text: &str) -> Result<Vec<String>> {
    let doc: toml::Table = text.parse()?;
    let mut names = Vec::new();
    let mut collect = |table: &toml::Table| {
        for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
            if let Some(deps) = table.get(section).and_then(|d| d.as_table()) {
                names.extend(deps.iter().map(|(name, spec)| {
                    // `alias = { package = "real-name" }`
                    spec.get("package").and_then(|p| p.as_str()).unwrap_or(name).to_owned()
                }));
            }
        }
    };
    collect(&doc);
    if let Some(targets) = doc.get("target").and_then(|t| t.as_table()) {
        for target in targets.values().filter_map(|t| t.as_table()) {
            collect(target);
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// (package name, manifest path) of every workspace member.
fn manifests(root: &Path) -> Result<Vec<(String, String)>> {
    let workspace: toml::Table = std::fs::read_to_string(root.join("Cargo.toml"))?.parse()?;
    let members = workspace
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .context("Cargo.toml lists no workspace members")?;
    let mut out = Vec::new();
    for member in members.iter().filter_map(|m| m.as_str()) {
        let dirs: Vec<PathBuf> = match member.strip_suffix("/*") {
            Some(parent) => {
                files_in(&root.join(parent))?.into_iter().filter(|d| d.join("Cargo.toml").exists()).collect()
            }
            None => vec![root.join(member)],
        };
        for dir in dirs {
            let manifest = dir.join("Cargo.toml");
            let table: toml::Table = std::fs::read_to_string(&manifest)?.parse()?;
            let name = table
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(|n| n.as_str())
                .with_context(|| format!("{} has no package name", manifest.display()))?
                .to_owned();
            out.push((name, relative(root, &manifest)));
        }
    }
    Ok(out)
}

fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    out.sort();
    Ok(out)
}

/// The files under `dir` that git keeps or would keep: what `.gitignore` names (build
/// output, dependencies, generated code such as paraglide's messages) is not ours to
/// check. Without git (an unpacked archive), every file but the usual build output.
fn source_files(root: &Path, dir: &str) -> Result<Vec<PathBuf>> {
    let listed = std::process::Command::new("git")
        .args(["ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", dir])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .output();
    match listed {
        Ok(out) if out.status.success() => Ok(out
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| root.join(String::from_utf8_lossy(p).as_ref()))
            .filter(|p| p.is_file())
            .collect()),
        _ => files_under(&root.join(dir)),
    }
}

/// Every file under `dir`, skipping build output and dependencies.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if !d.exists() {
            continue;
        }
        for path in files_in(&d)? {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if path.is_dir() {
                if !matches!(name, "target" | "node_modules" | "gen" | "dist") {
                    stack.push(path);
                }
            } else {
                out.push(path);
            }
        }
    }
    Ok(out)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(v: &[Violation]) -> Vec<&'static str> {
        v.iter().map(|v| v.rule).collect()
    }

    #[test]
    fn sql_outside_its_homes_is_named_with_its_line() {
        let code = "fn f() {}\nconst Q: &str = \"SELECT id FROM tickets WHERE x = ?1\";\n";
        let found = check_source("crates/helpline-client/src/views.rs", code);
        assert_eq!(rules(&found), [RULE_SQL]);
        assert!(found[0].detail.starts_with("line 2:"), "{}", found[0].detail);
        assert!(check_source("crates/helpline-store/src/tables/tickets.rs", code).is_empty());
        assert!(check_source("crates/helpline-hub/src/storage/sqlite.rs", code).is_empty());
        assert_eq!(rules(&check_source("crates/helpline-hub/src/http.rs", code)), [RULE_SQL]);
        // A unit test may use SQL; prose that merely mentions a select does not count.
        let test_only = "fn f() {}\n#[cfg(test)]\nmod tests { const Q: &str = \"DELETE FROM x\"; }\n";
        assert!(check_source("crates/helpline-client/src/lib.rs", test_only).is_empty());
        assert!(!looks_like_sql("// select the ticket from the queue"));
        assert!(looks_like_sql("    \"UPDATE meta SET head = $1\","));
    }

    #[test]
    fn the_window_reaches_tauri_only_through_ipc() {
        let ui = "<script lang=\"ts\">\n  import { invoke } from '@tauri-apps/api/core';\n</script>\n";
        assert_eq!(rules(&check_source("ui/src/screens/CallForm.svelte", ui)), [RULE_TAURI_API]);
        assert!(check_source("ui/src/ipc/index.ts", ui).is_empty());
    }

    #[test]
    fn long_files_are_named_unless_generated() {
        let long = "x\n".repeat(MAX_LINES + 1);
        assert_eq!(rules(&check_source("crates/helpline-client/src/views.rs", &long)), [RULE_LENGTH]);
        assert_eq!(rules(&check_source("ui/src/screens/TicketView.svelte", &long)), [RULE_LENGTH]);
        assert!(check_source("ui/src/ipc/bindings.ts", &long).is_empty());
        assert!(check_source("crates/helpline-client/src/views.rs", &"x\n".repeat(MAX_LINES)).is_empty());
    }

    #[test]
    fn manifests_keep_the_layers_apart() -> Result<()> {
        let client =
            "[package]\nname = \"helpline-client\"\n[dependencies]\ntauri = \"2\"\nrusqlite.workspace = true\n";
        let found = check_manifest("helpline-client", "crates/helpline-client/Cargo.toml", client)?;
        assert_eq!(rules(&found), [RULE_DATABASE_CRATES, RULE_TAURI]);
        let hub = "[package]\nname = \"helpline-hub\"\n[dev-dependencies]\nstore = { package = \"helpline-store\", path = \"x\" }\n";
        assert_eq!(rules(&check_manifest("helpline-hub", "crates/helpline-hub/Cargo.toml", hub)?), [RULE_HUB_DEPS]);
        let domain = "[package]\nname = \"helpline-domain\"\n[target.'cfg(unix)'.dependencies]\ntokio = \"1\"\n";
        assert_eq!(rules(&check_manifest("helpline-domain", "d/Cargo.toml", domain)?), [RULE_PURE_DOMAIN]);
        let app = "[package]\nname = \"helpline-app\"\n[build-dependencies]\ntauri-build = \"2\"\n";
        assert!(check_manifest("helpline-app", "src-tauri/Cargo.toml", app)?.is_empty());
        Ok(())
    }

    /// What git ignores (generated code) is not checked; what it keeps is.
    #[test]
    fn ignored_files_are_not_ours_to_check() -> Result<()> {
        let root = cmd::workspace_root();
        let generated = root.join("ui/src/lib/i18n/paraglide/tidy-probe.js");
        std::fs::create_dir_all(generated.parent().context("a parent")?)?;
        std::fs::write(&generated, "x\n".repeat(MAX_LINES + 1))?;
        let listed = source_files(&root, "ui/src");
        std::fs::remove_file(&generated)?;
        let listed = listed?;
        assert!(!listed.contains(&generated), "an ignored file was listed");
        assert!(listed.contains(&root.join("ui/src/ipc/index.ts")), "a kept file was not listed");
        Ok(())
    }

    /// The tree as it is keeps every rule (tidy itself says which one when not).
    #[test]
    fn this_tree_keeps_the_rules() -> Result<()> {
        let found = check_invariants(&cmd::workspace_root())?;
        let listed: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert!(found.is_empty(), "{}", listed.join("\n"));
        Ok(())
    }
}
