//! Project automation for Helpline: `cargo xtask <command>` (see `cargo xtask help`).

mod app;
mod bench;
mod cmd;
mod dictionary;
mod replay;
mod setup;
mod test;
mod tidy;

use std::process::ExitCode;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  setup                   check what building and testing Helpline needs (system packages,
                          Node.js >= 20.19, a running PostgreSQL with the test role); on
                          Debian/Ubuntu install what is missing with apt-get
  test                    setup, then all tests (cargo-nextest if installed, else cargo test),
                          then the doc tests; prints how many tests each suite ran
  soak [CASES]            the sync convergence property tests with CASES random schedules per
                          backend (default 2000) instead of CI's 200 (SQLite) and 50 (PostgreSQL)
  tidy                    cargo fmt --check, clippy -D warnings, and ARCHITECTURE.md's rules
                          checked as code (test runs it first)
  bench [NAME] [ARGS...]  run a benchmark program in release mode, or all of them without NAME;
                          ARGS go to the program (for all of them: bench -- ARGS...)
  replay [--days N] [--seed S]
                          the knowledge loop: a seeded month (default 28 days, seed 42) of
                          scripted agents against a private hub; prints FCR, escalation, L3
                          involvement and KB deflection per week from the supervisor's
                          dashboard, writes bench/results/loop.json and loop.svg (copied to
                          docs/screenshots/loop.svg)
  run [ARGS...]           build the UI and the app and start it; without HELPLINE_HUB_URL it
                          also starts a local hub (target/helpline-run/) with demo agents and
                          data and signs in as the first-level agent anna (password
                          helpline-demo); ARGS go to the app
  e2e [FILTER]            the end-to-end tests of the real app (tauri-driver, WebKitWebDriver,
                          Xvfb, D-Bus, gnome-keyring); screenshots in target/e2e/screenshots
  bundle                  the release app as a .deb in target/release/bundle/deb
  kb-dictionary           rebuild the German-English word mapping of the KB suggestions
                          (crates/helpline-store/data/de-en.tsv) from Debian's FreeDict packages
  bindings                regenerate ui/src/ipc/bindings.ts and src-tauri/capabilities/main.json
                          from the app's commands (src-tauri/src/commands.rs)
  help                    this text

environment:
  CI=true                 setup fails when any component is missing or cannot be installed;
                          nothing is skipped";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("\nxtask: error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> Result<ExitCode> {
    let Some((command, rest)) = args.split_first() else {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    };
    let wants_help = rest.iter().any(|a| a == "-h" || a == "--help");
    match command.as_str() {
        "help" | "-h" | "--help" => println!("{USAGE}"),
        "setup" | "test" if wants_help => println!("{USAGE}"),
        "setup" => {
            no_more(command, rest)?;
            setup::run()?;
        }
        "test" => {
            no_more(command, rest)?;
            test::run()?;
        }
        "tidy" => tidy::run()?,
        "soak" => {
            let cases = match rest {
                [] => 2000,
                [n] => n.parse().map_err(|_| anyhow::anyhow!("soak takes a number of cases, not {n:?}"))?,
                _ => bail!("usage: cargo xtask soak [CASES]"),
            };
            test::soak(cases)?;
        }
        "bench" => match rest.split_first() {
            Some((first, _)) if first == "-h" || first == "--help" => print_benches(),
            None => bench::run(None, &[])?,
            Some((first, args)) if first == "--" => bench::run(None, args)?,
            Some((first, _)) if first.starts_with('-') => {
                bail!("`cargo xtask bench` takes the benchmark's name first; for all of them: bench -- {first} ...")
            }
            Some((name, args)) => {
                let args = args.strip_prefix(&["--".to_owned()]).unwrap_or(args);
                bench::run(Some(name), args)?;
            }
        },
        "run" => app::run(rest)?,
        "replay" if wants_help => println!("{USAGE}"),
        "replay" => replay::run(rest)?,
        "e2e" => match rest {
            [] => test::e2e(None)?,
            [filter] => test::e2e(Some(filter))?,
            _ => bail!("`cargo xtask e2e` takes at most one test name filter\n\n{USAGE}"),
        },
        "bundle" => {
            no_more(command, rest)?;
            app::bundle()?;
        }
        "kb-dictionary" => {
            no_more(command, rest)?;
            dictionary::run()?;
        }
        "bindings" => {
            no_more(command, rest)?;
            app::bindings()?;
        }
        other => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn no_more(command: &str, rest: &[String]) -> Result<()> {
    if !rest.is_empty() {
        bail!("`cargo xtask {command}` takes no arguments (got: {})", rest.join(" "));
    }
    Ok(())
}

fn print_benches() {
    println!("usage: cargo xtask bench [NAME] [ARGS...]\n\nbenchmarks:");
    for b in bench::BENCHES {
        println!("  {:<8} {}", b.name, b.about);
    }
}
