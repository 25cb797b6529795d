//! The replay's result: per week the supervisor's dashboard figures (computed by the
//! dashboard's own code over what the supervisor's desktop synced), the articles
//! published, a table, `loop.json` and the chart `loop.svg`.

use super::play::{Played, SimDesktop};
use super::world::{Calendar, Topic};
use anyhow::{Context as _, Result};
use helpline_client::dashboard::{Dashboard, DashboardFilter, FigureKey, Period};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// One week of the replay.
#[derive(Debug, Clone, Serialize)]
pub struct WeekRow {
    /// 1-based (0 for the whole period).
    pub week: usize,
    /// The dashboard's period bounds `[from, to)` (ms).
    pub from: i64,
    pub to: i64,
    /// New tickets (every call is one).
    pub calls: u32,
    pub first_contact: u32,
    /// First-contact resolution, `first_contact / calls`.
    pub fcr: Option<f64>,
    pub escalated: u32,
    pub escalation_rate: Option<f64>,
    /// Tickets an expert was consulted on or handed.
    pub expert_involved: u32,
    pub expert_involvement: Option<f64>,
    /// Solved at first contact with a KB article used.
    pub kb_deflected: u32,
    pub kb_deflection: Option<f64>,
    pub articles_published: u32,
    /// Articles published by the end of the week.
    pub articles_total: u32,
    /// The script's own count, to check the dashboard against.
    pub script: ScriptCounts,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ScriptCounts {
    pub calls: u32,
    pub recurring_calls: u32,
    /// Recurring calls whose article existed when they came in.
    pub with_article: u32,
    pub solved_at_once: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoopResult {
    pub seed: u64,
    pub days: usize,
    pub problems: usize,
    pub one_off_problems: usize,
    /// The first-level rule: solve when the problem's article is among this many suggestions.
    pub suggestions_looked_at: usize,
    pub article_after: u32,
    pub weeks: Vec<WeekRow>,
    /// The whole period (`week` 0), as the dashboard shows it for a custom period.
    pub total: WeekRow,
    /// The dashboard's daily first-contact figures, working days only.
    pub days_fcr: Vec<DayRow>,
    pub articles: Vec<super::play::Publication>,
    pub unfinished_escalations: usize,
    pub run_seconds: f64,
}

/// The week rows and the whole period's, from the supervisor's dashboard.
pub fn weeks(
    supervisor: &SimDesktop,
    calendar: &Calendar,
    played: &Played,
) -> Result<(Vec<WeekRow>, WeekRow, Vec<DayRow>)> {
    let mut rows = Vec::new();
    let mut total_articles = 0;
    for (w, first) in (0..calendar.days).step_by(7).enumerate() {
        let last = (first + 6).min(calendar.days - 1);
        let mut row = period_row(supervisor, calendar, played, first, last)?.0;
        row.week = w + 1;
        total_articles += row.articles_published;
        row.articles_total = total_articles;
        rows.push(row);
    }
    let (mut all, dashboard) = period_row(supervisor, calendar, played, 0, calendar.days - 1)?;
    all.week = 0;
    // Articles published after the last day (work that went on into today) count in the total.
    all.articles_published = played.publications.len() as u32;
    all.articles_total = all.articles_published;
    let days = dashboard
        .days
        .iter()
        .filter(|d| d.new_tickets > 0)
        .map(|d| DayRow { day: d.day, calls: d.new_tickets, first_contact: d.first_contact, fcr: d.first_contact_rate })
        .collect();
    Ok((rows, all, days))
}

/// One working day of the dashboard's daily figures.
#[derive(Debug, Clone, Serialize)]
pub struct DayRow {
    /// The day's start (ms).
    pub day: i64,
    pub calls: u32,
    pub first_contact: u32,
    pub fcr: Option<f64>,
}

/// The figures of the days `first..=last` (0-based days of the replay).
fn period_row(
    supervisor: &SimDesktop,
    calendar: &Calendar,
    played: &Played,
    first: usize,
    last: usize,
) -> Result<(WeekRow, Dashboard)> {
    let filter = DashboardFilter {
        period: Period::Custom {
            from: calendar.day_starts[first].as_millis(),
            // Any moment of the last day: the period runs to its end.
            to: calendar.day_starts[last].as_millis() + 60 * 60 * 1000,
        },
        category_id: None,
        department_id: None,
        channel: None,
    };
    let dashboard = supervisor.dashboard(&filter).context("the supervisor's dashboard")?;
    let published = played.publications.iter().filter(|p| (first..=last).contains(&p.day)).count() as u32;
    let mut script = ScriptCounts::default();
    for c in played.calls.iter().filter(|c| (first..=last).contains(&c.day)) {
        script.calls += 1;
        script.recurring_calls += u32::from(matches!(c.topic, Topic::Recurring(_)));
        script.with_article += u32::from(c.article_existed);
        script.solved_at_once += u32::from(c.solved_at_once);
    }
    let f = |key| figure(&dashboard, key);
    let row = WeekRow {
        week: 0,
        from: dashboard.from,
        to: dashboard.to,
        calls: f(FigureKey::NewTickets).0,
        first_contact: f(FigureKey::FirstContactResolution).0,
        fcr: f(FigureKey::FirstContactResolution).1,
        escalated: f(FigureKey::EscalationRate).0,
        escalation_rate: f(FigureKey::EscalationRate).1,
        expert_involved: f(FigureKey::ExpertInvolvement).0,
        expert_involvement: f(FigureKey::ExpertInvolvement).1,
        kb_deflected: f(FigureKey::KbDeflection).0,
        kb_deflection: f(FigureKey::KbDeflection).1,
        articles_published: published,
        articles_total: 0,
        script,
    };
    Ok((row, dashboard))
}

/// A figure's count and value (the value is a share for the shares).
fn figure(d: &Dashboard, key: FigureKey) -> (u32, Option<f64>) {
    d.figures.iter().find(|f| f.key == key && f.level.is_none()).map_or((0, None), |f| (f.count, f.value))
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_owned(), |v| format!("{:.1} %", v * 100.0))
}

/// The weekly table, for people.
pub fn table(result: &LoopResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "week | calls |    FCR | escalation | L3 involved | KB deflection | articles (total)\n\
         -----|-------|--------|------------|-------------|---------------|-----------------"
    );
    for w in &result.weeks {
        let _ = writeln!(
            out,
            "{:>4} | {:>5} | {:>6} | {:>10} | {:>11} | {:>13} | {:>3} ({})",
            w.week,
            w.calls,
            percent(w.fcr),
            percent(w.escalation_rate),
            percent(w.expert_involvement),
            percent(w.kb_deflection),
            w.articles_published,
            w.articles_total
        );
    }
    let t = &result.total;
    let _ = writeln!(
        out,
        "-----|-------|--------|------------|-------------|---------------|-----------------\n\
         all  | {:>5} | {:>6} | {:>10} | {:>11} | {:>13} | {:>3}",
        t.calls,
        percent(t.fcr),
        percent(t.escalation_rate),
        percent(t.expert_involvement),
        percent(t.kb_deflection),
        t.articles_total
    );
    out
}

/// Writes `loop.json` and `loop.svg` into `dir`.
pub fn write(dir: &Path, result: &LoopResult) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join("loop.json"), serde_json::to_string_pretty(result)? + "\n")?;
    std::fs::write(dir.join("loop.svg"), svg(result))?;
    Ok(())
}

// Okabe-Ito colours (safe for colour-blind readers); the lines differ in dash and marker too.
const BLUE: &str = "#0072B2";
const ORANGE: &str = "#D55E00";

/// The chart: first-contact resolution and KB deflection per week, as lines.
pub fn svg(result: &LoopResult) -> String {
    let (width, height) = (760.0_f64, 440.0_f64);
    let (left, right, top, bottom) = (80.0, 730.0, 70.0, 350.0);
    let n = result.weeks.len().max(1);
    let x = |i: usize| {
        if n == 1 { (left + right) / 2.0 } else { left + 40.0 + (right - left - 80.0) * i as f64 / (n - 1) as f64 }
    };
    let y = |v: f64| bottom - (bottom - top) * v.clamp(0.0, 1.0);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r###"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">"###
    );
    let _ = writeln!(s, r###"<rect width="100%" height="100%" fill="white"/>"###);
    let _ = writeln!(
        s,
        r###"<text x="{}" y="28" text-anchor="middle" font-size="16" font-weight="bold">Knowledge loop: first level solves more as articles land</text>"###,
        width / 2.0
    );
    let _ = writeln!(
        s,
        r###"<text x="{}" y="48" text-anchor="middle" fill="#444">cargo xtask replay: {} days, seed {}, {} recurring problems; figures from the supervisor's dashboard</text>"###,
        width / 2.0,
        result.days,
        result.seed,
        result.problems
    );
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let ty = y(tick);
        let _ = writeln!(s, r###"<line x1="{left}" y1="{ty}" x2="{right}" y2="{ty}" stroke="#ddd"/>"###);
        let _ = writeln!(
            s,
            r###"<text x="{}" y="{}" text-anchor="end">{:.0} %</text>"###,
            left - 8.0,
            ty + 4.0,
            tick * 100.0
        );
    }
    let _ = writeln!(s, r###"<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#333"/>"###);
    let _ = writeln!(s, r###"<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#333"/>"###);
    let _ = writeln!(
        s,
        r###"<text transform="translate(22 {}) rotate(-90)" text-anchor="middle">share of the week's calls</text>"###,
        (top + bottom) / 2.0
    );
    for (i, w) in result.weeks.iter().enumerate() {
        let _ =
            writeln!(s, r###"<text x="{}" y="{}" text-anchor="middle">week {}</text>"###, x(i), bottom + 20.0, w.week);
        let _ = writeln!(
            s,
            r###"<text x="{}" y="{}" text-anchor="middle" fill="#444" font-size="12">{} calls, +{} article{}</text>"###,
            x(i),
            bottom + 37.0,
            w.calls,
            w.articles_published,
            if w.articles_published == 1 { "" } else { "s" }
        );
    }
    let _ = writeln!(
        s,
        r###"<text x="{}" y="{}" text-anchor="middle">week of the replay</text>"###,
        (left + right) / 2.0,
        bottom + 62.0
    );
    // The first line is drawn wide, the second thin and dashed over it: where they are
    // equal (every first-contact resolution used an article), both stay visible.
    type Series = (&'static str, &'static str, &'static str, f64, fn(&WeekRow) -> Option<f64>);
    let series: [Series; 2] = [
        ("first-contact resolution", BLUE, "", 7.0, |w| w.fcr),
        ("KB deflection (solved with an article)", ORANGE, "8 6", 3.0, |w| w.kb_deflection),
    ];
    if result.weeks.iter().all(|w| w.fcr == w.kb_deflection) {
        let _ = writeln!(
            s,
            r###"<text x="{}" y="{}" fill="#444" font-size="12">The lines coincide: every call solved at first contact was solved with an article.</text>"###,
            left + 12.0,
            bottom - 12.0
        );
    }
    for (k, (name, colour, dash, stroke, value)) in series.iter().enumerate() {
        let points: Vec<(f64, f64, f64)> =
            result.weeks.iter().enumerate().filter_map(|(i, w)| value(w).map(|v| (x(i), y(v), v))).collect();
        let path: Vec<String> = points.iter().map(|(px, py, _)| format!("{px:.1},{py:.1}")).collect();
        let _ = writeln!(
            s,
            r###"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="{stroke}" stroke-dasharray="{dash}"/>"###,
            path.join(" ")
        );
        for (px, py, v) in &points {
            if k == 0 {
                let _ = writeln!(s, r###"<circle cx="{px:.1}" cy="{py:.1}" r="7" fill="{colour}"/>"###);
            } else {
                let _ = writeln!(
                    s,
                    r###"<rect x="{:.1}" y="{:.1}" width="10" height="10" fill="{colour}"/>"###,
                    px - 5.0,
                    py - 5.0
                );
            }
            let label_y = if k == 0 { py - 10.0 } else { py + 20.0 };
            let _ = writeln!(
                s,
                r###"<text x="{px:.1}" y="{label_y:.1}" text-anchor="middle" fill="{colour}" font-weight="bold">{:.0} %</text>"###,
                v * 100.0
            );
        }
        // The legend, top left inside the plot.
        let ly = top + 14.0 + 20.0 * k as f64;
        let _ = writeln!(
            s,
            r###"<line x1="{}" y1="{ly}" x2="{}" y2="{ly}" stroke="{colour}" stroke-width="{stroke}" stroke-dasharray="{dash}"/>"###,
            left + 12.0,
            left + 44.0
        );
        let _ = writeln!(s, r###"<text x="{}" y="{}">{name}</text>"###, left + 52.0, ly + 4.0);
    }
    s.push_str("</svg>\n");
    s
}
