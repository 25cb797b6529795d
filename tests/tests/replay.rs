//! `helpline-sim replay` against a real hub process: a week of scripted agents, the
//! figures from the supervisor's dashboard per week, and the same seed giving the same
//! figures. (`cargo xtask replay` runs the full month.)

// A test's unwrap is its assertion (clippy allows it in #[test] functions, not in their helpers).
#![allow(clippy::unwrap_used)]

use helpline_tests::replay::replay;
use serde_json::Value;

fn share(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

#[test]
fn a_replayed_week_reports_consistent_figures_from_the_dashboard() {
    let (result, dir) = replay(7, 42).unwrap();
    let weeks = result["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 1, "7 days are one week");
    let total = &result["total"];
    let calls = total["calls"].as_u64().unwrap();
    assert!(calls > 100, "five working days of calls, got {calls}");
    for row in weeks.iter().chain([total]) {
        let (fcr, deflection) = (share(&row["fcr"]), share(&row["kb_deflection"]));
        assert!((0.0..=1.0).contains(&fcr), "{row}");
        assert!(deflection <= fcr, "a deflected call is solved at first contact: {row}");
        assert!(share(&row["escalation_rate"]) + fcr <= 1.0 + 1e-9, "{row}");
        // The dashboard counts what the script did: every call a ticket, every call the
        // script solved at once a first-contact resolution, every other one escalated.
        let script = &row["script"];
        assert_eq!(row["calls"], script["calls"], "{row}");
        assert_eq!(row["first_contact"], script["solved_at_once"], "{row}");
        assert_eq!(
            row["first_contact"].as_u64().unwrap() + row["escalated"].as_u64().unwrap(),
            row["calls"].as_u64().unwrap(),
            "{row}"
        );
    }
    // Second level wrote articles and first level solved with them.
    assert!(total["articles_total"].as_u64().unwrap() >= 3, "{total}");
    assert!(total["kb_deflected"].as_u64().unwrap() > 0, "{total}");
    assert_eq!(result["unfinished_escalations"], 0, "second level finished its work");
    let days = result["days_fcr"].as_array().unwrap();
    assert_eq!(days.len(), 5, "five working days");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results/loop.json")).unwrap()).unwrap();
    assert_eq!(json["weeks"], result["weeks"], "loop.json holds what was printed");
    let svg = std::fs::read_to_string(dir.path().join("results/loop.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("first-contact resolution") && svg.contains("KB deflection"));
}

#[test]
fn the_same_seed_replays_the_same_figures() {
    // Three days always hold a working day; short, so two runs stay cheap.
    let (a, _a) = replay(3, 7).unwrap();
    let (b, _b) = replay(3, 7).unwrap();
    assert!(a["total"]["calls"].as_u64().unwrap() > 0);
    for key in ["weeks", "total", "days_fcr"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    let articles = |r: &Value| -> Vec<(Value, Value)> {
        r["articles"].as_array().unwrap().iter().map(|p| (p["problem"].clone(), p["day"].clone())).collect()
    };
    assert_eq!(articles(&a), articles(&b));
}
