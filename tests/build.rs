//! Sets `cfg(helpline_pg)` when a PostgreSQL database is configured for the tests
//! (HELPLINE_TEST_PG_URL, which `cargo xtask test` sets) or when CI=true (where a missing
//! database must fail). Without it the PostgreSQL tests are `#[ignore]`d with the reason,
//! so plain `cargo test` reports them as ignored, never as passed.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(helpline_pg)");
    println!("cargo::rerun-if-env-changed=HELPLINE_TEST_PG_URL");
    println!("cargo::rerun-if-env-changed=CI");
    let configured = std::env::var("HELPLINE_TEST_PG_URL").is_ok_and(|url| !url.trim().is_empty());
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if configured || ci {
        println!("cargo::rustc-cfg=helpline_pg");
    }
}
