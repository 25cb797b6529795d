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
}

/// Every known benchmark. Later issues add theirs (sync, hub, app).
pub const BENCHES: &[Bench] = &[Bench {
    name: "store",
    package: "helpline-tests",
    bin: "bench-store",
    about: "the desktop's local store: save, search, KB suggestions, lookups, queue",
}];

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
        let mut c = cmd::cargo();
        c.args(["run", "--release", "-p", bench.package, "--bin", bench.bin, "--"]).args(args);
        let status = cmd::run_visible(c)?;
        if !status.success() {
            bail!("benchmark `{}` failed ({status})", bench.name);
        }
    }
    Ok(())
}

fn known() -> String {
    BENCHES.iter().map(|b| b.name).collect::<Vec<_>>().join(", ")
}
