//! `cargo xtask test`: setup, then every test suite of the workspace, then a summary of how many
//! tests each suite ran.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Result, bail};

use crate::cmd;

/// The environment variable that tells the tests where PostgreSQL is (a URL; the tests make their
/// own schemas or databases from it).
const PG_URL_VAR: &str = "HELPLINE_TEST_PG_URL";

/// Runs setup (which also starts PostgreSQL if it is down), then all tests; fails if any test
/// failed or a suite did not report its results.
pub fn run() -> Result<()> {
    crate::setup::run()?;
    // src-tauri embeds the built UI, so it comes first.
    crate::app::build_ui()?;
    // Formatting, clippy and the architecture rules, before anything is tested.
    crate::tidy::run()?;
    build_binaries()?;

    let mut suites = Vec::new();
    suites.push(if nextest_available() { run_nextest()? } else { run_cargo_test()? });
    suites.push(run_doc_tests()?);
    suites.push(run_ui_tests()?);
    suites.push(run_e2e(None)?);

    println!("\n{}\ntest summary", "─".repeat(72));
    for suite in &suites {
        println!("{suite}");
    }
    let failed: Vec<&str> = suites.iter().filter(|s| !s.ok()).map(|s| s.name).collect();
    if !failed.is_empty() {
        bail!("tests failed: {}", failed.join(", "));
    }
    println!("all test suites passed");
    Ok(())
}

/// `cargo xtask e2e [FILTER]`: the end-to-end tests of the real app alone (those whose
/// name contains FILTER).
pub fn e2e(filter: Option<&str>) -> Result<()> {
    crate::setup::run()?;
    crate::app::build_ui()?;
    build_binaries()?;
    let suite = run_e2e(filter)?;
    println!("\n{suite}");
    if !suite.ok() {
        bail!("the end-to-end tests failed");
    }
    Ok(())
}

/// The UI's component tests (Vitest) and its type check (svelte-check).
fn run_ui_tests() -> Result<Suite> {
    let ui = crate::cmd::workspace_root().join("ui");
    let mut check = Command::new("npm");
    check.args(["run", "check"]).current_dir(&ui);
    let check_status = cmd::run_visible(check)?;
    let mut c = Command::new("npm");
    c.args(["test"]).current_dir(&ui);
    let mut parser = VitestParser::default();
    let status = cmd::run_tee(c, |line| parser.line(line))?;
    let mut suite = parser.finish("UI component tests", status);
    if !check_status.success() {
        suite.notes.push("svelte-check found errors (see above)".into());
        suite.broken = true;
    }
    Ok(suite)
}

/// The end-to-end tests, one at a time (each starts the app and a hub), under Xvfb with a
/// D-Bus session and an unlocked keyring. They are `#[ignore]`d in plain test runs, which
/// have no display. Bounded in time: a hung WebDriver session must not hold CI.
fn run_e2e(filter: Option<&str>) -> Result<Suite> {
    const NAME: &str = "end-to-end tests (real app)";
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let timeout = ["--signal=TERM", "--kill-after=30", "900"];
    // nextest over the workspace selects the same features as the main run, so the test
    // binary is already built; `cargo test -p` alone would rebuild shared crates.
    let nextest = nextest_available();
    let selection = match filter {
        Some(f) => format!("binary(e2e) and test(/{f}/)"),
        None => "binary(e2e)".to_owned(),
    };
    let runner: Vec<&str> = if nextest {
        vec![
            &cargo,
            "nextest",
            "run",
            "--workspace",
            "--run-ignored",
            "only",
            "-E",
            &selection,
            "--test-threads",
            "1",
            "--status-level",
            "pass",
        ]
    } else {
        let mut v =
            vec![&*cargo, "test", "-p", "helpline-tests", "--test", "e2e", "--", "--ignored", "--test-threads=1"];
        v.extend(filter);
        v
    };
    let args: Vec<&str> = timeout.iter().copied().chain(runner).collect();
    let mut c = crate::app::headless(Path::new("timeout"), &args);
    colour(&mut c);
    test_env(&mut c);
    if nextest {
        let mut parser = NextestParser::default();
        let status = cmd::run_tee(c, |line| parser.line(line))?;
        Ok(parser.finish(NAME, status))
    } else {
        let mut parser = LibtestParser::default();
        let status = cmd::run_tee(c, |line| parser.line(line))?;
        Ok(parser.finish(NAME, status))
    }
}

/// The convergence property tests only, with `cases` random schedules per backend; writes
/// what they did to `bench/results/soak.json` and `soak.md` (the README quotes them).
pub fn soak(cases: u32) -> Result<()> {
    crate::setup::run()?;
    build_binaries()?;
    let mut c = cmd::cargo();
    c.args(["test", "-p", "helpline-tests", "--test", "sync", "--", "converge", "--nocapture"]);
    c.env("HELPLINE_PROPTEST_CASES", cases.to_string());
    test_env(&mut c);
    let started = std::time::Instant::now();
    let mut figures = Vec::new();
    let status = cmd::run_tee(c, |line| figures.extend(SoakFigures::parse(line)))?;
    if !status.success() {
        bail!("the soak run failed (proptest printed the failing case, its seed and its log above)");
    }
    if figures.len() != 2 {
        bail!("the soak run passed but reported {} of its 2 backends", figures.len());
    }
    let took = started.elapsed().as_secs_f64();
    let (json, table) = soak_report(cases, &figures, took);
    let dir = cmd::workspace_root().join("bench/results");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("soak.json"), json)?;
    std::fs::write(dir.join("soak.md"), &table)?;
    println!("\n{table}\nxtask: wrote bench/results/soak.json and soak.md");
    Ok(())
}

/// What one backend's property run did: the line it prints at its end.
#[derive(Debug, Clone, PartialEq)]
struct SoakFigures {
    backend: String,
    cases: u64,
    desktops: u64,
    faults: u64,
    cuts: u64,
    seconds: f64,
}

impl SoakFigures {
    /// `soak: backend=Sqlite cases=200 desktops=701 faults=5521 cuts=230 seconds=61.2`
    fn parse(line: &str) -> Option<SoakFigures> {
        let rest = line.trim().strip_prefix("soak: ")?;
        let field = |name: &str| {
            rest.split_whitespace().find_map(|w| w.strip_prefix(name)?.strip_prefix('=')).map(str::to_owned)
        };
        Some(SoakFigures {
            backend: field("backend")?.to_lowercase(),
            cases: field("cases")?.parse().ok()?,
            desktops: field("desktops")?.parse().ok()?,
            faults: field("faults")?.parse().ok()?,
            cuts: field("cuts")?.parse().ok()?,
            seconds: field("seconds")?.parse().ok()?,
        })
    }
}

/// The soak's figures as JSON and as a Markdown table.
fn soak_report(cases: u32, figures: &[SoakFigures], took: f64) -> (String, String) {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let rows: Vec<String> = figures
        .iter()
        .map(|f| {
            format!(
                "    {{\"backend\": \"{}\", \"cases\": {}, \"desktops\": {}, \"faults_injected\": {}, \"network_cuts\": {}, \"seconds\": {:.1}}}",
                f.backend, f.cases, f.desktops, f.faults, f.cuts, f.seconds
            )
        })
        .collect();
    let json = format!(
        "{{\n  \"cases_asked\": {cases},\n  \"cores\": {cores},\n  \"total_seconds\": {took:.1},\n  \"backends\": [\n{}\n  ]\n}}\n",
        rows.join(",\n")
    );
    let mut table = format!(
        "Soak: {cases} random schedules per backend, both backends at once on {cores} cores, {:.0} min in all.\n\n\
         | backend | cases | desktops | faults injected | network cuts | time |\n|---|---:|---:|---:|---:|---:|\n",
        took / 60.0
    );
    for f in figures {
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {:.0} min |\n",
            f.backend,
            f.cases,
            f.desktops,
            f.faults,
            f.cuts,
            f.seconds / 60.0
        ));
    }
    (json, table)
}

fn nextest_available() -> bool {
    cmd::cargo()
        .args(["nextest", "--version"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The programs the tests start as real processes (and kill).
const TEST_BINARIES: &[(&str, &str)] = &[
    ("helpline-hub", "HELPLINE_HUB_BIN"),
    ("helpline-sim", "HELPLINE_SIM_BIN"),
    ("helpline", "HELPLINE_APP_BIN"),
    ("pbx_sim", "HELPLINE_PBX_SIM_BIN"),
];

/// Builds the workspace's programs with the same features the test run uses, so the tests
/// can start them; their paths go to the tests in `HELPLINE_*_BIN`.
fn build_binaries() -> Result<()> {
    let mut c = cmd::cargo();
    // The same environment as the test run: helpline-tests' build script reads the
    // PostgreSQL URL, and a different one would rebuild the crate.
    test_env(&mut c);
    let status = c.args(["build", "--workspace", "--bins"]).status()?;
    if !status.success() {
        bail!("building the workspace's programs failed");
    }
    Ok(())
}

/// Hands the tests setup's PostgreSQL URL, unless the caller chose one, and the paths of the
/// programs they start.
fn test_env(cmd: &mut Command) {
    for (name, var) in TEST_BINARIES {
        cmd.env(var, cmd::target_dir().join("debug").join(name));
    }
    if std::env::var_os(PG_URL_VAR).is_none_or(|v| v.is_empty()) {
        cmd.env(PG_URL_VAR, crate::setup::test_pg_url());
    }
}

/// Asks for colour when a person is watching (our output goes through a pipe to the child).
fn colour(cmd: &mut Command) {
    if cmd::stdout_is_terminal() {
        cmd.args(["--color", "always"]);
    }
}

fn run_nextest() -> Result<Suite> {
    let mut c = cmd::cargo();
    c.args(["nextest", "run", "--workspace", "--no-fail-fast", "--status-level", "pass"]);
    colour(&mut c);
    test_env(&mut c);
    let mut parser = NextestParser::default();
    let status = cmd::run_tee(c, |line| parser.line(line))?;
    Ok(parser.finish("helpline tests", status))
}

fn run_cargo_test() -> Result<Suite> {
    println!(
        "xtask: cargo-nextest is not installed; using `cargo test` (`cargo install cargo-nextest` for a faster run)"
    );
    let mut c = cmd::cargo();
    // Unit and integration tests; the doc tests are their own suite below.
    c.args(["test", "--workspace", "--no-fail-fast", "--tests"]);
    colour(&mut c);
    test_env(&mut c);
    let mut parser = LibtestParser::default();
    let status = cmd::run_tee(c, |line| parser.line(line))?;
    Ok(parser.finish("helpline tests", status))
}

fn run_doc_tests() -> Result<Suite> {
    let mut c = cmd::cargo();
    c.args(["test", "--workspace", "--doc", "--no-fail-fast"]);
    colour(&mut c);
    test_env(&mut c);
    let mut parser = LibtestParser::default();
    let status = cmd::run_tee(c, |line| parser.line(line))?;
    Ok(parser.finish("doc tests", status))
}

// ----- results -----------------------------------------------------------------------------------

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    passed: u64,
    failed: u64,
    skipped: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.passed += o.passed;
        self.failed += o.failed;
        self.skipped += o.skipped;
    }
}

/// One test command's results.
#[derive(Debug)]
struct Suite {
    name: &'static str,
    /// What the runner calls tests that did not run ("skipped", "ignored").
    skip_word: &'static str,
    status: ExitStatus,
    totals: Option<Counts>,
    /// Per test binary / crate.
    parts: Vec<(String, Counts)>,
    /// Something about the run that is not a test failure but makes it fail (or is worth saying).
    notes: Vec<String>,
    /// Whether the notes make the suite fail.
    broken: bool,
}

impl Suite {
    fn ok(&self) -> bool {
        self.status.success() && !self.broken && self.totals.is_some_and(|t| t.failed == 0)
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.totals {
            Some(t) => {
                write!(f, "{}: {} passed, {} failed, {} {}", self.name, t.passed, t.failed, t.skipped, self.skip_word)?
            }
            None => write!(f, "{}: no results", self.name)?,
        }
        let width = self.parts.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0);
        for (name, c) in &self.parts {
            write!(f, "\n    {name:<width$}  {:>5} passed", c.passed)?;
            if c.failed > 0 {
                write!(f, ", {} failed", c.failed)?;
            }
        }
        for note in &self.notes {
            write!(f, "\n    note: {note}")?;
        }
        if !self.status.success() {
            write!(f, "\n    FAILED: the command ended with {}; see its output above", self.status)?;
        }
        Ok(())
    }
}

// ----- cargo-nextest's output --------------------------------------------------------------------

/// Reads nextest's human output: one status line per test (`PASS [ 0.004s] (3/9) crate::bin name`)
/// between `Starting ...` and the final `Summary [..] N tests run: N passed, N failed, N skipped`.
#[derive(Debug, Default)]
struct NextestParser {
    in_run: bool,
    /// (binary, test) → passed; the last status wins (retries).
    results: BTreeMap<(String, String), bool>,
    summary: Option<NextestSummary>,
}

#[derive(Debug, PartialEq, Eq)]
struct NextestSummary {
    counts: Counts,
    run: u64,
    /// `Some(total)` when the run stopped early ("3/10 tests run").
    of: Option<u64>,
}

impl NextestParser {
    fn line(&mut self, line: &str) {
        let t = line.trim_start();
        if t.starts_with("Starting ") && t.contains(" across ") {
            self.in_run = true;
        } else if t.starts_with("Summary ") {
            self.in_run = false;
            if let Some(s) = parse_nextest_summary(t) {
                self.summary = Some(s);
            }
        } else if self.in_run
            && let Some((status, binary, test)) = parse_nextest_status(t)
            && let Some(passed) = classify_nextest_status(status)
        {
            self.results.insert((binary.to_owned(), test.to_owned()), passed);
        }
    }

    fn finish(self, name: &'static str, status: ExitStatus) -> Suite {
        let mut per_binary: BTreeMap<String, Counts> = BTreeMap::new();
        for ((binary, _), passed) in self.results {
            let c = per_binary.entry(binary).or_default();
            if passed {
                c.passed += 1;
            } else {
                c.failed += 1;
            }
        }
        let mut parts: Vec<(String, Counts)> = per_binary.into_iter().collect();
        let mut notes = Vec::new();
        let mut broken = false;
        let totals = match self.summary {
            Some(s) => {
                let mut sum = Counts::default();
                for (_, c) in &parts {
                    sum += *c;
                }
                if (sum.passed, sum.failed) != (s.counts.passed, s.counts.failed) {
                    parts.clear();
                    notes.push("the per-binary counts could not be read from nextest's output".to_owned());
                }
                if let Some(of) = s.of.filter(|&of| of != s.run) {
                    notes.push(format!("only {} of {of} tests ran", s.run));
                    broken = true;
                }
                Some(s.counts)
            }
            None => {
                notes.push("nextest printed no summary line (did it compile?)".to_owned());
                broken = true;
                None
            }
        };
        Suite { name, skip_word: "skipped", status, totals, parts, notes, broken }
    }
}

/// `PASS [   0.013s] (1/6) crate::binary test::name` → ("PASS", "crate::binary", "test::name").
fn parse_nextest_status(t: &str) -> Option<(&str, &str, &str)> {
    let (status, rest) = t.split_once('[')?;
    let status = status.trim();
    if status.is_empty() || !status.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || " -".contains(c)) {
        return None;
    }
    let (_, rest) = rest.split_once("] ")?;
    let rest = rest.trim_start();
    let rest = if rest.starts_with('(') { rest.split_once(") ")?.1 } else { rest };
    let (binary, test) = rest.trim().split_once(' ')?;
    Some((status, binary, test.trim()))
}

/// Whether a status line is a final pass (`Some(true)`), a final failure (`Some(false)`), or
/// progress such as `SLOW` or `START` (`None`).
fn classify_nextest_status(status: &str) -> Option<bool> {
    // "TRY 2 PASS", "TRY 1 FAIL" with retries.
    let status = match status.strip_prefix("TRY ") {
        Some(rest) => rest.split_once(' ').map_or(rest, |(_, s)| s),
        None => status,
    };
    match status {
        "PASS" | "LEAK" | "FLAKY" => Some(true),
        "FAIL" | "TIMEOUT" | "ABORT" | "LEAK-FAIL" | "EXEC FAIL" | "ERROR" => Some(false),
        s if s.starts_with("SIG") => Some(false),
        _ => None,
    }
}

/// `Summary [   0.154s] 6 tests run: 5 passed (1 slow), 1 failed, 2 timed out, 1 skipped`.
fn parse_nextest_summary(t: &str) -> Option<NextestSummary> {
    let rest = t.strip_prefix("Summary")?;
    let (head, tail) = rest.split_once(" run:")?;
    let count = head.rsplit(']').next()?.split_whitespace().next()?;
    let (run, of) = match count.split_once('/') {
        Some((run, of)) => (run.parse().ok()?, Some(of.parse().ok()?)),
        None => (count.parse().ok()?, None),
    };
    let mut counts = Counts::default();
    for item in split_top_level(tail) {
        let (n, label) = item.trim().split_once(' ')?;
        let n: u64 = n.parse().ok()?;
        let label = label.split('(').next().unwrap_or("").trim();
        match label {
            "passed" => counts.passed += n,
            "skipped" => counts.skipped += n,
            // failed, timed out, exec failed, ...
            _ => counts.failed += n,
        }
    }
    Some(NextestSummary { counts, run, of })
}

/// Splits at commas outside parentheses.
fn split_top_level(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

// ----- libtest's output (cargo test, doc tests) --------------------------------------------------

/// Reads `cargo test` output: `Running unittests src/lib.rs (target/debug/deps/name-hash)` or
/// `Doc-tests name`, then libtest's `test result: ok. N passed; N failed; N ignored; ...`.
#[derive(Debug, Default)]
struct LibtestParser {
    current: Option<String>,
    parts: Vec<(String, Counts)>,
}

impl LibtestParser {
    fn line(&mut self, line: &str) {
        let t = line.trim_start();
        if let Some(name) = t.strip_prefix("Doc-tests ") {
            self.current = Some(name.trim().to_owned());
        } else if let Some(rest) = t.strip_prefix("Running ") {
            self.current = Some(running_label(rest.trim()));
        } else if let Some(result) = line.strip_prefix("test result: ") {
            let counts = parse_libtest_result(result);
            let name = self.current.take().unwrap_or_else(|| "(unnamed)".to_owned());
            self.parts.push((name, counts));
        }
    }

    fn finish(self, name: &'static str, status: ExitStatus) -> Suite {
        let mut notes = Vec::new();
        let totals = if self.parts.is_empty() && !status.success() {
            notes.push("no test results were printed (did it compile?)".to_owned());
            None
        } else {
            let mut t = Counts::default();
            for (_, c) in &self.parts {
                t += *c;
            }
            Some(t)
        };
        // Crates without doc tests report "0 passed"; leave them out of the list.
        let parts = self.parts.into_iter().filter(|(_, c)| *c != Counts::default()).collect();
        Suite { name, skip_word: "ignored", status, totals, parts, notes, broken: false }
    }
}

/// Reads Vitest's summary line: ` Tests  1 failed | 11 passed (12)`.
#[derive(Default)]
struct VitestParser {
    totals: Option<Counts>,
}

impl VitestParser {
    fn line(&mut self, line: &str) {
        let t = cmd::strip_ansi(line);
        let Some(rest) = t.trim_start().strip_prefix("Tests ") else { return };
        let mut counts = Counts::default();
        for part in rest.split('|') {
            let mut words = part.split_whitespace();
            let (Some(n), Some(what)) = (words.next().and_then(|n| n.parse::<u64>().ok()), words.next()) else {
                continue;
            };
            match what {
                "passed" => counts.passed += n,
                "failed" => counts.failed += n,
                "skipped" | "todo" => counts.skipped += n,
                _ => {}
            }
        }
        self.totals = Some(counts);
    }

    fn finish(self, name: &'static str, status: ExitStatus) -> Suite {
        let mut notes = Vec::new();
        if self.totals.is_none() {
            notes.push("Vitest printed no summary line".to_owned());
        }
        Suite { name, skip_word: "skipped", status, totals: self.totals, parts: vec![], notes, broken: false }
    }
}

/// `unittests src/lib.rs (target/debug/deps/helpline_store-1a2b)` → `helpline_store (unittests src/lib.rs)`.
fn running_label(rest: &str) -> String {
    let Some((source, path)) = rest.rsplit_once(" (") else {
        return rest.to_owned();
    };
    let file = path.trim_end_matches(')').rsplit('/').next().unwrap_or(path);
    let binary = match file.rsplit_once('-') {
        Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => name,
        _ => file,
    };
    format!("{binary} ({source})")
}

/// `ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s`.
fn parse_libtest_result(result: &str) -> Counts {
    let mut counts = Counts::default();
    let result = result.split_once(". ").map_or(result, |(_, r)| r);
    for item in result.split(';') {
        let mut words = item.split_whitespace();
        let (Some(n), Some(label)) = (words.next(), words.next()) else { continue };
        let Ok(n) = n.parse::<u64>() else { continue };
        match label {
            "passed" => counts.passed += n,
            "failed" => counts.failed += n,
            "ignored" => counts.skipped += n,
            _ => {}
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn soak_lines_are_read_and_others_ignored() {
        let line = "soak: backend=Postgres cases=2000 desktops=7012 faults=51234 cuts=1800 seconds=1234.5";
        let figures = SoakFigures::parse(line).expect("a soak line");
        assert_eq!(
            figures,
            SoakFigures {
                backend: "postgres".into(),
                cases: 2000,
                desktops: 7012,
                faults: 51234,
                cuts: 1800,
                seconds: 1234.5
            }
        );
        assert_eq!(SoakFigures::parse("test sync::convergence ... ok"), None);
        assert_eq!(SoakFigures::parse("soak: backend=Sqlite cases=x"), None);
        let (json, table) = soak_report(2000, &[figures], 1300.0);
        assert!(json.contains("\"faults_injected\": 51234"), "{json}");
        assert!(table.contains("| postgres | 2000 | 7012 | 51234 | 1800 | 21 min |"), "{table}");
    }

    const NEXTEST: &str = "\
    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.86s
────────────
 Nextest run ID b781c950 with nextest profile: default
    Starting 6 tests across 4 binaries (1 test skipped)
        PASS [   0.013s] (1/6) a tests::ok2
        PASS [   0.016s] (2/6) a tests::ok
        SLOW [> 60.000s] (3/6) a::integ passes
        PASS [  61.024s] (3/6) a::integ passes
        PASS [   0.011s] (4/6) b one
        PASS [   0.021s] (5/6) b::bin/tool in_bin
        FAIL [   0.139s] (6/6) a::integ fails
  stdout ───

    running 1 test
    test fails ... FAILED

    test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 1 filtered out; finished in 0.13s

────────────
     Summary [   0.154s] 6 tests run: 5 passed (1 slow), 1 failed, 1 skipped
        FAIL [   0.139s] (6/6) a::integ fails
error: test run failed";

    fn exit(code: i32) -> ExitStatus {
        ExitStatus::from_raw(code << 8)
    }

    #[test]
    fn reads_nextest_output() {
        let mut p = NextestParser::default();
        NEXTEST.lines().for_each(|l| p.line(l));
        let suite = p.finish("helpline tests", exit(100));
        assert_eq!(suite.totals, Some(Counts { passed: 5, failed: 1, skipped: 1 }));
        let parts: Vec<(&str, u64, u64)> = suite.parts.iter().map(|(n, c)| (n.as_str(), c.passed, c.failed)).collect();
        assert_eq!(parts, [("a", 2, 0), ("a::integ", 1, 1), ("b", 1, 0), ("b::bin/tool", 1, 0)]);
        assert!(!suite.ok());
        assert!(suite.to_string().starts_with("helpline tests: 5 passed, 1 failed, 1 skipped\n"));
    }

    #[test]
    fn nextest_summary_variants() {
        let s = parse_nextest_summary("Summary [   1.000s] 1 test run: 1 passed, 0 skipped");
        assert_eq!(s, Some(NextestSummary { counts: Counts { passed: 1, failed: 0, skipped: 0 }, run: 1, of: None }));
        let s = parse_nextest_summary(
            "Summary [   9.000s] 7/10 tests run: 4 passed (1 leaky, 2 flaky), 1 failed, 2 timed out, 3 skipped",
        );
        assert_eq!(
            s,
            Some(NextestSummary { counts: Counts { passed: 4, failed: 3, skipped: 3 }, run: 7, of: Some(10) })
        );
    }

    #[test]
    fn nextest_without_summary_is_a_failure() {
        let mut p = NextestParser::default();
        p.line("error: could not compile `helpline-store`");
        let suite = p.finish("helpline tests", exit(0));
        assert!(!suite.ok());
        assert!(suite.to_string().starts_with("helpline tests: no results"));
    }

    #[test]
    fn nextest_statuses() {
        assert_eq!(classify_nextest_status("TRY 2 PASS"), Some(true));
        assert_eq!(classify_nextest_status("TRY 1 FAIL"), Some(false));
        assert_eq!(classify_nextest_status("SIGSEGV"), Some(false));
        assert_eq!(classify_nextest_status("SLOW"), None);
        assert_eq!(
            parse_nextest_status("PASS [   0.004s] helpline-domain rules::x"),
            Some(("PASS", "helpline-domain", "rules::x"))
        );
        assert_eq!(parse_nextest_status("test result: FAILED. 0 passed"), None);
    }

    #[test]
    fn reads_libtest_output() {
        let out = "\
     Running unittests src/lib.rs (target/debug/deps/a-3110576fc3c3c96d)
test result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s
     Running tests/integ.rs (target/debug/deps/integ-67f8b1f0f4fc4363)
test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.09s
   Doc-tests b
test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s";
        let mut p = LibtestParser::default();
        out.lines().for_each(|l| p.line(l));
        let suite = p.finish("doc tests", exit(101));
        assert_eq!(suite.totals, Some(Counts { passed: 3, failed: 1, skipped: 1 }));
        let names: Vec<&str> = suite.parts.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a (unittests src/lib.rs)", "integ (tests/integ.rs)"]);
        assert!(!suite.ok());
    }
}
