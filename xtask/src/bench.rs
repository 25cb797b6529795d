//! `cargo xtask bench [NAME] [ARGS...]`: the benchmark programs.

use anyhow::{Result, bail};

use crate::cmd;

/// A benchmark program: a binary of some package, built and run with `--release`.
#[derive(Debug)]
pub struct Bench {
    pub name: &'static str,
    package: &'static str,
    bin: &'static str,
    pub about: &'static str,
    /// Programs the benchmark starts as processes, built with `--release` first: (package,
    /// binary, the environment variable that hands the benchmark its path).
    programs: &'static [(&'static str, &'static str, &'static str)],
    /// Whether it measures PostgreSQL too (then it gets `HELPLINE_TEST_PG_URL`, setup's
    /// URL unless one is set; without a server it reports PostgreSQL as not measured).
    postgres: bool,
    /// The desktop app: needs the release bundle, an empty Tauri window to compare with,
    /// and a display, a D-Bus session and a keyring.
    app: bool,
}

/// Every known benchmark.
pub const BENCHES: &[Bench] = &[
    Bench {
        name: "store",
        package: "helpline-tests",
        bin: "bench-store",
        about: "the desktop's local store: save, search, KB suggestions, lookups, queue",
        programs: &[],
        postgres: false,
        app: false,
    },
    Bench {
        name: "kb",
        package: "helpline-tests",
        bin: "bench-kb",
        about: "KB suggestions on the labelled calls of bench/kb-eval: R@1, R@3, MRR per type, confidence, latency",
        programs: &[],
        postgres: false,
        app: false,
    },
    Bench {
        name: "sync",
        package: "helpline-tests",
        bin: "bench-sync",
        about: "sync on loopback: fresh-desktop pull, push-to-desktop latency, hub throughput, 1,000 streams",
        programs: &[("helpline-hub", "helpline-hub", "HELPLINE_HUB_BIN")],
        postgres: true,
        app: false,
    },
    Bench {
        name: "cti",
        package: "helpline-tests",
        bin: "bench-cti",
        about: "phone system events on a SQLite hub: PBX POST → the rung agent's stream (50 agents), sustained events/s while tickets sync",
        programs: &[],
        postgres: false,
        app: false,
    },
    Bench {
        name: "mail",
        package: "helpline-tests",
        bin: "bench-mail",
        about: "e-mail from a private Dovecot into a SQLite hub: 10,000 mails ingested (mails/s), mail → desktop over SMTP with IDLE (p50/p99)",
        programs: &[],
        postgres: false,
        app: false,
    },
    Bench {
        name: "app",
        package: "helpline-tests",
        bin: "bench-app",
        about: "the desktop app (release .deb build): cold start, memory against an empty window, suggestions while typing, bundle size",
        programs: &[("helpline-hub", "helpline-hub", "HELPLINE_HUB_BIN")],
        postgres: false,
        app: true,
    },
];

/// Runs one benchmark by name with `args`, or all of them when `name` is `None`.
pub fn run(name: Option<&str>, args: &[String]) -> Result<()> {
    let selected: Vec<&Bench> = match name {
        None => BENCHES.iter().collect(),
        Some(name) => match BENCHES.iter().find(|b| b.name == name) {
            Some(b) => vec![b],
            None => bail!("unknown benchmark `{name}`; known: {}", known()),
        },
    };
    for bench in selected {
        for (package, bin, _) in bench.programs {
            let mut c = cmd::cargo();
            c.args(["build", "--release", "-p", package, "--bin", bin]);
            if bench.app {
                c.env(crate::app::BUNDLE_STRIP.0, crate::app::BUNDLE_STRIP.1);
            }
            if !cmd::run_visible(c)?.success() {
                bail!("building `{bin}` for benchmark `{}` failed", bench.name);
            }
        }
        if bench.app {
            // The release app comes from the bundle build, so the figures are the shipped app's.
            crate::app::bundle()?;
            let mut c = cmd::cargo();
            // Built like the bundle (stripped), so the two share their compiled crates.
            c.args(["build", "--release", "-p", "helpline-app", "--example", "empty_window"])
                .env(crate::app::BUNDLE_STRIP.0, crate::app::BUNDLE_STRIP.1);
            if !cmd::run_visible(c)?.success() {
                bail!("building the empty window for benchmark `app` failed");
            }
            let mut c = cmd::cargo();
            c.args(["build", "--release", "-p", bench.package, "--bin", bench.bin])
                .env(crate::app::BUNDLE_STRIP.0, crate::app::BUNDLE_STRIP.1);
            if !cmd::run_visible(c)?.success() {
                bail!("building `{}` failed", bench.bin);
            }
        }
        let mut c = if bench.app {
            let program = cmd::target_dir().join("release").join(bench.bin);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            crate::app::headless(&program, &args)
        } else {
            let mut c = cmd::cargo();
            c.args(["run", "--release", "-p", bench.package, "--bin", bench.bin, "--"]).args(args);
            c
        };
        if bench.app {
            c.env("HELPLINE_APP_BIN", cmd::target_dir().join("release/helpline"));
            c.env("HELPLINE_EMPTY_BIN", cmd::target_dir().join("release/examples/empty_window"));
        }
        for (_, bin, var) in bench.programs {
            c.env(var, cmd::target_dir().join("release").join(bin));
        }
        if bench.postgres && std::env::var_os(PG_URL_VAR).is_none_or(|v| v.is_empty()) {
            c.env(PG_URL_VAR, crate::setup::test_pg_url());
        }
        let status = cmd::run_visible(c)?;
        if !status.success() {
            bail!("benchmark `{}` failed ({status})", bench.name);
        }
    }
    Ok(())
}

const PG_URL_VAR: &str = "HELPLINE_TEST_PG_URL";

fn known() -> String {
    BENCHES.iter().map(|b| b.name).collect::<Vec<_>>().join(", ")
}
