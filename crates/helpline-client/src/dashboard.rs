//! The supervisor's dashboard: live queues and the support organisation's numbers,
//! computed from the tickets this desktop holds, so it opens at once and works offline.
//!
//! Every figure is defined once, in [`compute_figures`]; the window words each one and its
//! formula from the catalogue (`figure_<key>` and `figure_<key>_help`). The facts come from
//! one narrow table (`helpline_store::TicketFacts`), read in one scan and counted here.

pub use crate::dashboard_calls::{CallFigures, CallHour, add_agent_call_figures, compute_call_figures};
use crate::views::millis;
use crate::{ClientError, Desktop, HubApi, Result};
use helpline_domain::{
    AgentId, CategoryId, Channel, DepartmentId, DomainError, Level, Role, Timestamp, is_active, local_day_starts,
};
use helpline_protocol::{AgentFiguresView, OrgSettings};
use helpline_store::TicketFacts;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A ticket is "at risk" this long before its resolution is due.
pub const AT_RISK_MINUTES: i64 = 15;
/// The same view of the figures per agent (same filter) is recorded at the hub again
/// after this long; refreshes in between (as tickets sync) are not.
pub const RECORD_AGAIN_AFTER_MINUTES: i64 = 30;
/// The longest custom period, so a typo in a year cannot ask for a century of days.
pub const PERIOD_MAX_DAYS: i64 = 400;

/// Which period the figures count: tickets created in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Period {
    /// Since the start of today in the organisation's time zone (the SLA calendar's).
    Today,
    /// The last 7 days, today included.
    Days7,
    Days30,
    /// From the start of the day of `from` to the end of the day of `to` (ms).
    Custom {
        #[specta(type = i32)]
        from: i64,
        #[specta(type = i32)]
        to: i64,
    },
}

/// What the dashboard shows: a period and optional narrowing by category, expert
/// department (consulted or handed the ticket) and channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct DashboardFilter {
    pub period: Period,
    pub category_id: Option<CategoryId>,
    pub department_id: Option<DepartmentId>,
    pub channel: Option<Channel>,
}

impl DashboardFilter {
    /// Whether a ticket passes the category, department and channel filters.
    pub fn admits(&self, f: &TicketFacts) -> bool {
        self.category_id.is_none_or(|c| f.category_id == Some(c))
            && self.department_id.is_none_or(|d| f.departments.contains(&d) || f.department_id == Some(d))
            && self.channel.is_none_or(|c| f.channel == c)
    }
}

/// The figures' names: the window's catalogue has `figure_<name>` and `figure_<name>_help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum FigureKey {
    NewTickets,
    RepeatContacts,
    FirstContactResolution,
    EscalationRate,
    ExpertInvolvement,
    Consults,
    ExpertHandovers,
    HandBacks,
    ReopenRate,
    SlaCompliance,
    KbDeflection,
    FirstResponseMedian,
    FirstResponseP90,
    ResolutionMedian,
    ResolutionP90,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum FigureUnit {
    /// `value` is `count / of`, between 0 and 1.
    Share,
    /// `value` is a number of minutes over `count` tickets.
    Minutes,
    /// `value` is `count`.
    Count,
}

/// One of the organisation's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Figure {
    pub key: FigureKey,
    /// For the times by level: which level's (1, 2 or 3).
    pub level: Option<u8>,
    pub unit: FigureUnit,
    /// `None` when there is nothing to count it over (no tickets, no resolved ones).
    pub value: Option<f64>,
    /// The numerator of a share, the count of a count, the tickets a time is taken over.
    pub count: u32,
    /// The denominator of a share.
    pub of: u32,
}

/// What is open now (the filters apply, the period does not).
#[derive(Debug, Clone, Default, PartialEq, Serialize, specta::Type)]
pub struct LiveFigures {
    /// Open tickets at level 1, 2 and 3.
    pub open_by_level: Vec<u32>,
    /// Open tickets with an expert department, per department.
    pub open_by_department: Vec<DepartmentCount>,
    /// Escalated tickets at level 2 nobody has claimed.
    pub unclaimed_escalations: u32,
    /// Tickets waiting for an expert: handed over, or with an open consult.
    pub waiting_for_expert: u32,
    /// Since when the longest of them waits (ms).
    #[specta(type = Option<i32>)]
    pub longest_expert_wait_since: Option<i64>,
    /// Open tickets whose resolution is due within `AT_RISK_MINUTES`.
    pub sla_at_risk: u32,
    /// Open tickets whose resolution was due already.
    pub sla_breached: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct DepartmentCount {
    pub department_id: DepartmentId,
    pub open: u32,
}

/// One local day of the period.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct DayFigures {
    /// The day's start (ms).
    #[specta(type = i32)]
    pub day: i64,
    pub new_tickets: u32,
    pub first_contact: u32,
    pub escalated: u32,
    /// `first_contact / new_tickets`.
    pub first_contact_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct CategoryFigures {
    /// `None`: tickets logged without a category.
    pub category_id: Option<CategoryId>,
    pub tickets: u32,
    pub escalated: u32,
    pub escalation_rate: Option<f64>,
}

/// The suggestion funnel over the period's tickets: how many were shown an article,
/// opened one, used one, and of those used, were resolved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, specta::Type)]
pub struct Funnel {
    pub suggested: u32,
    pub opened: u32,
    pub used: u32,
    pub resolved: u32,
}

/// Resolved tickets whose time to resolution is below `below_minutes` (and at or above
/// the bucket before); `None` is the open-ended last bucket.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct TimeBucket {
    pub below_minutes: Option<u32>,
    pub tickets: u32,
}

/// What the figures are computed from.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Coverage {
    /// Every ticket this desktop holds.
    pub cached_tickets: u32,
    /// The oldest of them (ms).
    #[specta(type = Option<i32>)]
    pub oldest_ticket: Option<i64>,
    /// The hub's cache window at the last complete sync: resolved tickets last changed
    /// before it are not held here, so older periods count only what was still open (ms).
    #[specta(type = Option<i32>)]
    pub window_start: Option<i64>,
    /// The time zone days are counted in.
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Dashboard {
    /// The period's bounds, `[from, to)` (ms).
    #[specta(type = i32)]
    pub from: i64,
    #[specta(type = i32)]
    pub to: i64,
    #[specta(type = i32)]
    pub computed_at: i64,
    pub coverage: Coverage,
    pub live: LiveFigures,
    pub figures: Vec<Figure>,
    pub days: Vec<DayFigures>,
    /// By volume, largest first.
    pub categories: Vec<CategoryFigures>,
    pub funnel: Funnel,
    pub resolution_times: Vec<TimeBucket>,
    /// The phone system's calls in the period (`dashboard_calls.rs`).
    pub calls: CallFigures,
}

/// One agent's numbers over the period (shown only where the organisation allows it).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct AgentFigures {
    pub agent_id: AgentId,
    /// Tickets the agent logged.
    pub calls: u32,
    pub first_contact: u32,
    pub first_contact_rate: Option<f64>,
    /// Of the agent's tickets, those escalated.
    pub escalations: u32,
    /// The call timer's mean over the agent's tickets (seconds).
    pub average_handling_seconds: Option<f64>,
    /// Phone calls the agent answered (from the phone system's records).
    pub calls_answered: u32,
    /// Calls that rang the agent and that nobody answered.
    pub calls_missed: u32,
    /// The phone system's talk time, averaged over the calls the agent answered (seconds).
    pub average_talk_seconds: Option<f64>,
}

impl AgentFigures {
    /// An agent with nothing counted yet.
    pub fn empty(agent_id: AgentId) -> Self {
        AgentFigures {
            agent_id,
            calls: 0,
            first_contact: 0,
            first_contact_rate: None,
            escalations: 0,
            average_handling_seconds: None,
            calls_answered: 0,
            calls_missed: 0,
            average_talk_seconds: None,
        }
    }
}

/// The organisation's settings as the window sees them (`helpline_protocol::OrgSettings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct OrgSettingsView {
    /// Supervisors may see figures per agent (each view is recorded at the hub).
    pub agent_figures: bool,
}

impl From<OrgSettings> for OrgSettingsView {
    fn from(s: OrgSettings) -> Self {
        OrgSettingsView { agent_figures: s.agent_figures }
    }
}

/// The bucket bounds of the resolution-time chart (minutes).
const RESOLUTION_BUCKETS: [u32; 6] = [15, 60, 4 * 60, 8 * 60, 24 * 60, 3 * 24 * 60];

/// The period's bounds for `now` in `time_zone`.
pub fn period_bounds(period: &Period, now: Timestamp, time_zone: &str) -> Result<(Timestamp, Timestamp)> {
    let day_start = |t: Timestamp| local_day_starts(t, t, time_zone)[0];
    let days_back = |n: i64| {
        let today = day_start(now);
        // Step back by civil days: one day before a day's start is inside the day before.
        (0..n - 1).fold(today, |start, _| day_start(start.plus_minutes(-1)))
    };
    let end = Timestamp::from_millis(now.as_millis() + 1);
    match *period {
        Period::Today => Ok((day_start(now), end)),
        Period::Days7 => Ok((days_back(7), end)),
        Period::Days30 => Ok((days_back(30), end)),
        Period::Custom { from, to } => {
            let (from, to) = (Timestamp::from_millis(from), Timestamp::from_millis(to));
            if to < from {
                return Err(invalid_period("the period ends before it starts".into()));
            }
            if to.as_millis() - from.as_millis() > PERIOD_MAX_DAYS * 24 * 60 * 60 * 1000 {
                return Err(invalid_period(format!("a period is at most {PERIOD_MAX_DAYS} days")));
            }
            let last_day = day_start(to);
            let next = local_day_starts(last_day, last_day.plus_minutes(25 * 60), time_zone);
            let to_end = next.get(1).copied().unwrap_or(last_day.plus_minutes(24 * 60));
            Ok((day_start(from), to_end))
        }
    }
}

fn invalid_period(problem: String) -> ClientError {
    ClientError::from_domain(DomainError::invalid("period", problem))
}

/// A first-contact resolution: the rules' flag (level 1, never escalated, one contact),
/// and never reopened, which a customer calling back about the same matter shows.
fn first_contact(f: &TicketFacts) -> bool {
    f.first_contact && f.reopens == 0
}

fn share(count: u32, of: u32) -> Option<f64> {
    (of > 0).then(|| f64::from(count) / f64::from(of))
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The value below which `q` of the sorted `values` lie (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn minutes_between(from: Timestamp, to: Timestamp) -> f64 {
    (to.as_millis() - from.as_millis()).max(0) as f64 / 60_000.0
}

/// What is open now among `facts`.
pub fn compute_live(facts: &[&TicketFacts], now: Timestamp) -> LiveFigures {
    let mut live = LiveFigures { open_by_level: vec![0; 3], ..LiveFigures::default() };
    let mut departments: BTreeMap<DepartmentId, u32> = BTreeMap::new();
    let risk_until = now.plus_minutes(AT_RISK_MINUTES);
    for f in facts.iter().filter(|f| is_active(f.status)) {
        live.open_by_level[usize::from(f.level.number() - 1)] += 1;
        if let (Level::Third, Some(d)) = (f.level, f.department_id) {
            *departments.entry(d).or_default() += 1;
        }
        if f.level == Level::Second && !f.assigned {
            live.unclaimed_escalations += 1;
        }
        if let Some(since) = f.waiting_expert_since {
            live.waiting_for_expert += 1;
            let since = millis(since);
            live.longest_expert_wait_since = Some(live.longest_expert_wait_since.map_or(since, |o| o.min(since)));
        }
        match f.resolution_due {
            Some(due) if due <= now => live.sla_breached += 1,
            Some(due) if due <= risk_until => live.sla_at_risk += 1,
            _ => {}
        }
    }
    live.open_by_department =
        departments.into_iter().map(|(department_id, open)| DepartmentCount { department_id, open }).collect();
    live
}

/// The organisation's numbers over the period's tickets (`facts` are those created in it).
/// This is the one place each figure is defined; the catalogue's `figure_<key>_help`
/// states the same formula in words.
pub fn compute_figures(facts: &[&TicketFacts]) -> Vec<Figure> {
    let n = count(facts.len());
    let how_many = |p: &dyn Fn(&TicketFacts) -> bool| count(facts.iter().filter(|f| p(f)).count());
    let share_of = |key, count: u32, of: u32| Figure {
        key,
        level: None,
        unit: FigureUnit::Share,
        value: share(count, of),
        count,
        of,
    };
    let total = |key, count: u32| Figure {
        key,
        level: None,
        unit: FigureUnit::Count,
        value: Some(f64::from(count)),
        count,
        of: 0,
    };
    let escalated = how_many(&|f| f.escalated_at.is_some());
    let ever_resolved = how_many(&|f| f.resolved_at.is_some() || f.reopens > 0);
    let with_sla = facts.iter().filter(|f| f.resolved_at.is_some() && f.resolution_due.is_some());
    let sla_met = count(with_sla.clone().filter(|f| f.resolved_at <= f.resolution_due).count());
    let mut out = vec![
        total(FigureKey::NewTickets, n),
        total(FigureKey::RepeatContacts, facts.iter().map(|f| f.repeat_contacts).sum()),
        // Solved during the contact that opened the ticket, and not reopened since.
        share_of(FigureKey::FirstContactResolution, how_many(&first_contact), n),
        share_of(FigureKey::EscalationRate, escalated, n),
        share_of(FigureKey::ExpertInvolvement, how_many(&|f| f.consults > 0 || f.expert_handovers > 0), n),
        total(FigureKey::Consults, facts.iter().map(|f| f.consults).sum()),
        total(FigureKey::ExpertHandovers, facts.iter().map(|f| f.expert_handovers).sum()),
        share_of(FigureKey::HandBacks, how_many(&|f| f.hand_backs > 0), escalated),
        share_of(FigureKey::ReopenRate, how_many(&|f| f.reopens > 0), ever_resolved),
        share_of(FigureKey::SlaCompliance, sla_met, count(with_sla.count())),
        share_of(FigureKey::KbDeflection, how_many(&|f| first_contact(f) && f.kb_used > 0), n),
    ];
    for level in [Level::First, Level::Second, Level::Third] {
        let response = |f: &TicketFacts| match level {
            Level::First => f.first_response_at.map(|at| minutes_between(f.created_at, at)),
            Level::Second => f.escalated_at.zip(f.claimed_at).map(|(a, b)| minutes_between(a, b)),
            Level::Third => f.expert_asked_at.zip(f.expert_answered_at).map(|(a, b)| minutes_between(a, b)),
        };
        let resolution = |f: &TicketFacts| {
            f.resolved_at.filter(|_| f.resolved_level == Some(level)).map(|at| minutes_between(f.created_at, at))
        };
        for (median, p90, time) in [
            (
                FigureKey::FirstResponseMedian,
                FigureKey::FirstResponseP90,
                &response as &dyn Fn(&TicketFacts) -> Option<f64>,
            ),
            (FigureKey::ResolutionMedian, FigureKey::ResolutionP90, &resolution),
        ] {
            let mut values: Vec<f64> = facts.iter().filter_map(|f| time(f)).collect();
            values.sort_by(f64::total_cmp);
            let figure = |key, q| Figure {
                key,
                level: Some(level.number()),
                unit: FigureUnit::Minutes,
                value: quantile(&values, q),
                count: count(values.len()),
                of: 0,
            };
            out.push(figure(median, 0.5));
            out.push(figure(p90, 0.9));
        }
    }
    out
}

/// Per local day of `days` (their starts; the last runs to `to`).
pub fn compute_days(facts: &[&TicketFacts], days: &[Timestamp]) -> Vec<DayFigures> {
    let mut out: Vec<DayFigures> = days
        .iter()
        .map(|d| DayFigures {
            day: millis(*d),
            new_tickets: 0,
            first_contact: 0,
            escalated: 0,
            first_contact_rate: None,
        })
        .collect();
    for f in facts {
        let Some(i) = days.partition_point(|d| *d <= f.created_at).checked_sub(1) else { continue };
        let day = &mut out[i];
        day.new_tickets += 1;
        day.first_contact += u32::from(first_contact(f));
        day.escalated += u32::from(f.escalated_at.is_some());
    }
    for day in &mut out {
        day.first_contact_rate = share(day.first_contact, day.new_tickets);
    }
    out
}

pub fn compute_categories(facts: &[&TicketFacts]) -> Vec<CategoryFigures> {
    let mut by: BTreeMap<Option<CategoryId>, (u32, u32)> = BTreeMap::new();
    for f in facts {
        let e = by.entry(f.category_id).or_default();
        e.0 += 1;
        e.1 += u32::from(f.escalated_at.is_some());
    }
    let mut out: Vec<CategoryFigures> = by
        .into_iter()
        .map(|(category_id, (tickets, escalated))| CategoryFigures {
            category_id,
            tickets,
            escalated,
            escalation_rate: share(escalated, tickets),
        })
        .collect();
    out.sort_by(|a, b| b.tickets.cmp(&a.tickets).then(a.category_id.cmp(&b.category_id)));
    out
}

pub fn compute_funnel(facts: &[&TicketFacts]) -> Funnel {
    let mut funnel = Funnel::default();
    for f in facts {
        funnel.suggested += u32::from(f.kb_suggested > 0);
        funnel.opened += u32::from(f.kb_opened > 0);
        funnel.used += u32::from(f.kb_used > 0);
        funnel.resolved += u32::from(f.kb_used > 0 && f.resolved_at.is_some());
    }
    funnel
}

pub fn compute_resolution_times(facts: &[&TicketFacts]) -> Vec<TimeBucket> {
    let mut out: Vec<TimeBucket> = RESOLUTION_BUCKETS
        .iter()
        .map(|b| TimeBucket { below_minutes: Some(*b), tickets: 0 })
        .chain([TimeBucket { below_minutes: None, tickets: 0 }])
        .collect();
    for f in facts {
        let Some(at) = f.resolved_at else { continue };
        let minutes = minutes_between(f.created_at, at);
        let i = RESOLUTION_BUCKETS.partition_point(|b| f64::from(*b) <= minutes);
        out[i].tickets += 1;
    }
    out
}

pub fn compute_agents(facts: &[&TicketFacts]) -> Vec<AgentFigures> {
    let mut by: BTreeMap<AgentId, (u32, u32, u32, u64)> = BTreeMap::new();
    for f in facts {
        let e = by.entry(f.created_by).or_default();
        e.0 += 1;
        e.1 += u32::from(first_contact(f));
        e.2 += u32::from(f.escalated_at.is_some());
        e.3 += u64::from(f.handling_seconds);
    }
    let mut out: Vec<AgentFigures> = by
        .into_iter()
        .map(|(agent_id, (calls, first_contact, escalations, seconds))| AgentFigures {
            agent_id,
            calls,
            first_contact,
            first_contact_rate: share(first_contact, calls),
            escalations,
            average_handling_seconds: (calls > 0).then(|| seconds as f64 / f64::from(calls)),
            ..AgentFigures::empty(agent_id)
        })
        .collect();
    out.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.agent_id.cmp(&b.agent_id)));
    out
}

/// The whole dashboard over `all` cached tickets' facts, at `now`.
pub fn compute_dashboard(
    all: &[TicketFacts],
    filter: &DashboardFilter,
    now: Timestamp,
    time_zone: &str,
    window_start: Option<Timestamp>,
) -> Result<Dashboard> {
    let (from, to) = period_bounds(&filter.period, now, time_zone)?;
    let admitted: Vec<&TicketFacts> = all.iter().filter(|f| filter.admits(f)).collect();
    let period: Vec<&TicketFacts> =
        admitted.iter().copied().filter(|f| f.created_at >= from && f.created_at < to).collect();
    let days = local_day_starts(from, to, time_zone);
    Ok(Dashboard {
        from: millis(from),
        to: millis(to),
        computed_at: millis(now),
        coverage: Coverage {
            cached_tickets: count(all.len()),
            oldest_ticket: all.iter().map(|f| f.created_at).min().map(millis),
            window_start: window_start.map(millis),
            time_zone: time_zone.to_owned(),
        },
        live: compute_live(&admitted, now),
        figures: compute_figures(&period),
        days: compute_days(&period, &days),
        categories: compute_categories(&period),
        funnel: compute_funnel(&period),
        resolution_times: compute_resolution_times(&period),
        calls: CallFigures::default(),
    })
}

/// Who may see the dashboard: supervisors and admins.
fn require_lead(role: Role) -> Result<()> {
    match role {
        Role::Supervisor | Role::Admin => Ok(()),
        _ => Err(ClientError::from_domain(DomainError::Forbidden { role, action: "see the supervisor's dashboard" })),
    }
}

impl<H: HubApi> Desktop<H> {
    /// The dashboard over the tickets this desktop holds.
    pub fn dashboard(&self, filter: &DashboardFilter) -> Result<Dashboard> {
        require_lead(self.actor()?.role)?;
        let now = self.now();
        let (all, time_zone, window_start) = self.with_store(|s| {
            let zone = s.sla_settings()?.unwrap_or_default().calendar.time_zone;
            Ok((s.list_ticket_facts()?, zone, s.cache_window_start()?))
        })?;
        let mut dashboard = compute_dashboard(&all, filter, now, &time_zone, window_start)?;
        let (from, to) = (Timestamp::from_millis(dashboard.from), Timestamp::from_millis(dashboard.to));
        let calls = self.calls_between(from, to)?;
        dashboard.calls = compute_call_figures(&calls, from, to);
        Ok(dashboard)
    }

    fn calls_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<helpline_domain::CallRecord>> {
        Ok(self.with_store(|s| Ok(s.list_calls_between(from, to)?))?.into_iter().map(|c| c.call).collect())
    }

    /// The organisation's settings as this desktop last pulled them (leads only).
    pub fn org_settings(&self) -> Result<OrgSettingsView> {
        require_lead(self.actor()?.role)?;
        Ok(self.with_store(|s| Ok(s.org_settings()?))?.into())
    }

    /// Each agent's numbers over the period: for supervisors, only while the organisation
    /// allows it, and only once the hub recorded the view (who, when, which period) — so
    /// offline there are none. The same filter again within `RECORD_AGAIN_AFTER_MINUTES`
    /// (the table refreshing as tickets sync) is the same view and not recorded again.
    pub async fn agent_figures(&self, filter: &DashboardFilter) -> Result<Vec<AgentFigures>> {
        let role = self.actor()?.role;
        if role != Role::Supervisor {
            return Err(ClientError::from_domain(DomainError::Forbidden { role, action: "see figures per agent" }));
        }
        let now = self.now();
        let (all, time_zone, allowed) = self.with_store(|s| {
            let zone = s.sla_settings()?.unwrap_or_default().calendar.time_zone;
            Ok((s.list_ticket_facts()?, zone, s.org_settings()?.agent_figures))
        })?;
        if !allowed {
            return Err(ClientError::from_domain(DomainError::coded(
                helpline_domain::ErrorCode::NotPossibleNow,
                "agent_figures",
                "figures per agent are switched off for this organisation",
            )));
        }
        let (from, to) = period_bounds(&filter.period, now, &time_zone)?;
        let recorded = |d: &Self| {
            d.agent_figures_recorded
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
                .is_some_and(|(f, at)| f == *filter && now < at.plus_minutes(RECORD_AGAIN_AFTER_MINUTES))
        };
        if !recorded(self) {
            let token = self.token()?;
            self.hub().record_agent_figures_view(&token, &AgentFiguresView { from, to }).await?;
            *self.agent_figures_recorded.lock().unwrap_or_else(|e| e.into_inner()) = Some((filter.clone(), now));
        }
        let period: Vec<&TicketFacts> =
            all.iter().filter(|f| filter.admits(f) && f.created_at >= from && f.created_at < to).collect();
        let mut rows = compute_agents(&period);
        let calls = self.calls_between(from, to)?;
        add_agent_call_figures(&mut rows, &calls.iter().collect::<Vec<_>>());
        Ok(rows)
    }

    /// The organisation's settings at the hub (admins).
    pub async fn admin_get_settings(&self) -> Result<OrgSettingsView> {
        Ok(self.hub().admin_get_settings(&self.token()?).await?.into())
    }

    /// Switches figures per agent on or off for every desktop (admins; recorded at the hub).
    pub async fn admin_put_settings(&self, settings: OrgSettingsView) -> Result<OrgSettingsView> {
        let settings = OrgSettings { agent_figures: settings.agent_figures };
        Ok(self.hub().admin_put_settings(&self.token()?, &settings).await?.into())
    }
}
