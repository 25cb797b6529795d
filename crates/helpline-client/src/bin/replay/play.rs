//! The office at work: scripted desktops, one per agent, each with its own store, all
//! talking HTTP to the hub, on one simulated clock. Their rules:
//!
//! - first level types the caller's words, asks the suggestion engine, and solves at once
//!   only when the problem's article is among the first three suggestions; otherwise it
//!   escalates. It syncs before each call, so new articles arrive.
//! - second level claims escalated tickets, asks the expert department where the problem
//!   needs it, resolves, and once it has solved a recurring problem `article_after` times
//!   and there is no article yet, writes it from the ticket and publishes it.
//! - the expert answers the consults of their department.
//!
//! Nothing here knows about first-contact resolution: it comes out of these rules and the
//! real engine, or it does not.

use super::world::{Calendar, PlannedCall, Topic, WorldFile};
use anyhow::{Context as _, Result, bail};
use helpline_client::calls::{ContactForm, Outcome};
use helpline_client::kb::{DraftHeadings, KbSaveResult};
use helpline_client::work::Delivery;
use helpline_client::{Desktop, HttpHub, ManualClock};
use helpline_domain::{
    CategoryId, Channel, Contact, DepartmentId, Direction, KbArticleId, Priority, TicketId, Timestamp,
};
use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::Duration;

pub type SimDesktop = Desktop<HttpHub>;

const MINUTE_MS: i64 = 60_000;
/// How many suggestions a first-level agent reads before deciding.
pub const LOOKS_AT: usize = 3;

/// The agents' desktops and the clock they share.
pub struct Office {
    pub clock: Arc<ManualClock>,
    pub first: Vec<Arc<SimDesktop>>,
    pub second: Vec<Arc<SimDesktop>>,
    pub expert: Arc<SimDesktop>,
    pub categories: BTreeMap<String, CategoryId>,
    pub expert_department: DepartmentId,
}

/// What happened to one call, as the script saw it (the figures come from the
/// supervisor's dashboard; these are kept to check them against).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CallRecord {
    pub day: usize,
    pub topic: Topic,
    pub solved_at_once: bool,
    /// The problem's article existed when the call came in.
    pub article_existed: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Publication {
    pub problem: String,
    pub title: String,
    /// When it was published (ms).
    pub at: i64,
    /// The replayed day (0-based).
    pub day: usize,
}

#[derive(Debug, Default)]
pub struct Played {
    pub calls: Vec<CallRecord>,
    pub publications: Vec<Publication>,
    /// Second-level tickets still unresolved when the replay stopped.
    pub unfinished: usize,
}

#[derive(Debug)]
enum Step {
    Call(Box<PlannedCall>),
    Claim(TicketId),
    Consult(TicketId),
    Answer(TicketId),
    Resolve(TicketId),
}

/// An escalated ticket second level works on.
#[derive(Debug)]
struct Case {
    topic: Topic,
    subject: String,
    agent: usize,
}

struct Replay<'a> {
    office: &'a Office,
    world: &'a WorldFile,
    calendar: &'a Calendar,
    rng: SmallRng,
    queue: BinaryHeap<Reverse<(i64, u64)>>,
    steps: HashMap<u64, Step>,
    next_seq: u64,
    /// No step happens after this (the hub's now caps event times).
    latest: i64,
    second_free: Vec<i64>,
    cases: HashMap<TicketId, Case>,
    solved_by_second: HashMap<usize, u32>,
    articles: HashMap<usize, KbArticleId>,
    played: Played,
    headings: DraftHeadings,
}

/// Plays `calls` and all the work they cause, in time order, up to `latest`.
pub async fn play(
    office: &Office,
    world: &WorldFile,
    calendar: &Calendar,
    calls: Vec<PlannedCall>,
    seed: u64,
    latest: Timestamp,
) -> Result<Played> {
    let mut replay = Replay {
        office,
        world,
        calendar,
        // The script's own choices (how long work takes) come from a stream apart from
        // the calls', so the calls of a seed do not depend on the agents' rules.
        rng: SmallRng::seed_from_u64(seed ^ 0x5eed_0ff1_ce00_0000),
        queue: BinaryHeap::new(),
        steps: HashMap::new(),
        next_seq: 0,
        latest: latest.as_millis(),
        second_free: vec![0; office.second.len()],
        cases: HashMap::new(),
        solved_by_second: HashMap::new(),
        articles: HashMap::new(),
        played: Played::default(),
        headings: DraftHeadings {
            problem: "Problem".into(),
            solution: "Lösung".into(),
            expert_answers: "Antworten der Experten".into(),
            question: "Frage".into(),
            answer: "Antwort".into(),
        },
    };
    for call in calls {
        replay.schedule(call.at.as_millis(), Step::Call(Box::new(call)));
    }
    let mut reported = 0;
    while let Some(Reverse((at, seq))) = replay.queue.pop() {
        let step = replay.steps.remove(&seq).context("a scheduled step vanished")?;
        office.clock.set(Timestamp::from_millis(at));
        let day = calendar.day_of(Timestamp::from_millis(at)).min(calendar.days);
        for done in reported..day {
            replay.report_progress(done);
        }
        reported = reported.max(day);
        replay.take(step).await?;
    }
    for done in reported..calendar.days {
        replay.report_progress(done);
    }
    replay.played.unfinished = replay.cases.len();
    Ok(replay.played)
}

impl Replay<'_> {
    fn schedule(&mut self, at: i64, step: Step) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.steps.insert(seq, step);
        self.queue.push(Reverse((at.min(self.latest), seq)));
    }

    /// `minutes` (a range) after `at`, moved into working hours.
    fn later(&mut self, at: i64, minutes: std::ops::Range<i64>) -> i64 {
        let t = at + self.rng.random_range(minutes) * MINUTE_MS;
        self.calendar.in_working_hours(Timestamp::from_millis(t)).as_millis()
    }

    fn now(&self) -> i64 {
        helpline_client::Clock::now(&*self.office.clock).as_millis()
    }

    /// A line for a day gone by (days without calls say nothing).
    fn report_progress(&self, day: usize) {
        let calls = self.played.calls.iter().filter(|c| c.day == day).collect::<Vec<_>>();
        if !calls.is_empty() {
            let solved = calls.iter().filter(|c| c.solved_at_once).count();
            eprintln!(
                "replay: day {:>2}/{}: {} calls, {} solved at once, {} articles so far",
                day + 1,
                self.calendar.days,
                calls.len(),
                solved,
                self.articles.len()
            );
        }
    }

    async fn take(&mut self, step: Step) -> Result<()> {
        match step {
            Step::Call(call) => self.answer_call(*call).await,
            Step::Claim(ticket) => self.claim(ticket).await,
            Step::Consult(ticket) => self.consult(ticket).await,
            Step::Answer(ticket) => self.expert_answers(ticket).await,
            Step::Resolve(ticket) => self.resolve(ticket).await,
        }
    }

    /// First level: the caller's words, the engine's suggestions, and the decision.
    async fn answer_call(&mut self, call: PlannedCall) -> Result<()> {
        let desk = self.office.first[call.agent].clone();
        sync(&desk).await?;
        // What the call form sends to the engine (ui/src/lib/callForm.ts, kbQuery).
        let text = format!("{}\n{}", call.subject, call.description).trim().to_owned();
        let shown: Vec<KbArticleId> = desk.suggest_kb(&text)?.suggestions.into_iter().map(|s| s.id).collect();
        let article = match call.topic {
            Topic::Recurring(p) => self.articles.get(&p).copied(),
            Topic::OneOff(_) => None,
        };
        let found = article.filter(|a| shown.iter().take(LOOKS_AT).any(|s| s == a));
        let contact = Contact {
            channel: Channel::Phone,
            direction: Direction::Inbound,
            customer_id: None,
            category_id: self.office.categories.get(&call.category).copied(),
            subject: call.subject.clone(),
            description: call.description.clone(),
            priority: Priority::Normal,
            duration_seconds: call.duration_seconds,
            caller: None,
            call_id: None,
        };
        let (form, outcome) = match found {
            Some(a) => (
                ContactForm { contact, suggested_kb: shown, used_kb: vec![a], opened_kb: vec![a], call_id: None },
                Outcome::Solved { summary: "Mit dem Anrufer nach dem KB-Artikel gelöst.".into() },
            ),
            None => (
                ContactForm { contact, suggested_kb: shown, used_kb: vec![], opened_kb: vec![], call_id: None },
                Outcome::Escalate {
                    reason: "Am Telefon nicht lösbar, kein passender Artikel.".into(),
                    steps_tried: "KB-Vorschläge geprüft, Neustart empfohlen.".into(),
                    handover_summary: call.description.clone(),
                },
            ),
        };
        let logged = desk.submit_contact(form, outcome)?;
        sync(&desk).await?;
        self.played.calls.push(CallRecord {
            day: call.day,
            topic: call.topic,
            solved_at_once: found.is_some(),
            article_existed: article.is_some(),
        });
        if found.is_none() {
            // The second-level agent free first takes it from the escalated queue.
            let agent = (0..self.second_free.len()).min_by_key(|k| self.second_free[*k]).unwrap_or(0);
            let now = self.now();
            let picked = self.later(now, 5..45).max(self.second_free[agent]);
            let picked = self.calendar.in_working_hours(Timestamp::from_millis(picked)).as_millis();
            self.second_free[agent] = picked + self.rng.random_range(15..40) * MINUTE_MS;
            self.cases.insert(logged.ticket_id, Case { topic: call.topic, subject: call.subject, agent });
            self.schedule(picked, Step::Claim(logged.ticket_id));
        }
        Ok(())
    }

    fn case(&self, ticket: TicketId) -> Result<&Case> {
        self.cases.get(&ticket).context("a step for a ticket nobody works on")
    }

    fn needs_expert(&self, topic: Topic) -> bool {
        matches!(topic, Topic::Recurring(p) if self.world.problems[p].consult)
    }

    async fn claim(&mut self, ticket: TicketId) -> Result<()> {
        let case = self.case(ticket)?;
        let (desk, topic) = (self.office.second[case.agent].clone(), case.topic);
        sync(&desk).await?;
        if desk.get_ticket(ticket)?.is_none() {
            bail!("second level does not see escalated ticket {ticket} after syncing");
        }
        let (verdict, synced) = tokio::join!(desk.claim_with_verdict(ticket), desk.sync_once());
        synced?;
        match verdict? {
            Delivery::Confirmed => {}
            other => bail!("the claim of {ticket} was not confirmed: {other:?}"),
        }
        let now = self.now();
        if self.needs_expert(topic) {
            let at = self.later(now, 5..20);
            self.schedule(at, Step::Consult(ticket));
        } else {
            let at = self.later(now, 15..60);
            self.schedule(at, Step::Resolve(ticket));
        }
        Ok(())
    }

    async fn consult(&mut self, ticket: TicketId) -> Result<()> {
        let case = self.case(ticket)?;
        let desk = self.office.second[case.agent].clone();
        let Topic::Recurring(p) = case.topic else { bail!("a one-off is never consulted") };
        let question = self.world.problems[p].consult_question.clone().unwrap_or_default();
        sync(&desk).await?;
        desk.request_consult(ticket, self.office.expert_department, &question)?;
        sync(&desk).await?;
        let now = self.now();
        let at = self.later(now, 20..150);
        self.schedule(at, Step::Answer(ticket));
        Ok(())
    }

    async fn expert_answers(&mut self, ticket: TicketId) -> Result<()> {
        let case = self.case(ticket)?;
        let Topic::Recurring(p) = case.topic else { bail!("a one-off is never consulted") };
        let answer = self.world.problems[p].consult_answer.clone().unwrap_or_default();
        let desk = self.office.expert.clone();
        sync(&desk).await?;
        let open = desk.open_consults()?.into_iter().find(|c| c.ticket.id == ticket);
        let consult = open.with_context(|| format!("the expert does not see the consult on {ticket}"))?;
        desk.answer_consult(ticket, consult.consult_id, &answer)?;
        sync(&desk).await?;
        let now = self.now();
        let at = self.later(now, 10..40);
        self.schedule(at, Step::Resolve(ticket));
        Ok(())
    }

    async fn resolve(&mut self, ticket: TicketId) -> Result<()> {
        let case = self.cases.remove(&ticket).context("resolving a ticket nobody works on")?;
        let desk = self.office.second[case.agent].clone();
        sync(&desk).await?;
        let summary = match case.topic {
            Topic::Recurring(p) => self.world.problems[p].resolution.clone(),
            Topic::OneOff(_) => format!("Mit dem Anrufer geklärt: {}", case.subject),
        };
        desk.resolve(ticket, &summary)?;
        sync(&desk).await?;
        let Topic::Recurring(p) = case.topic else { return Ok(()) };
        let solved = self.solved_by_second.entry(p).or_default();
        *solved += 1;
        if *solved >= self.world.world.article_after && !self.articles.contains_key(&p) {
            self.write_article(&desk, ticket, p).await?;
        }
        Ok(())
    }

    /// Second level writes the problem's article from the ticket just solved (so it
    /// names its source) and publishes it.
    async fn write_article(&mut self, desk: &Arc<SimDesktop>, ticket: TicketId, p: usize) -> Result<()> {
        let problem = &self.world.problems[p];
        let mut edit = desk.kb_draft_from_ticket(ticket, &self.headings)?;
        edit.title = problem.article.title.clone();
        edit.body = problem.article.body.trim().to_owned();
        edit.tags = problem.article.tags.clone();
        edit.category_id = self.office.categories.get(&problem.category).copied();
        let (saved, synced) = tokio::join!(desk.save_kb(edit, true), desk.sync_once());
        synced?;
        let article_id = match saved? {
            KbSaveResult::Saved { article_id, delivery: Delivery::Confirmed, published: true } => article_id,
            other => bail!("publishing the article on {} failed: {other:?}", problem.key),
        };
        sync(desk).await?;
        self.articles.insert(p, article_id);
        let at = Timestamp::from_millis(self.now());
        self.played.publications.push(Publication {
            problem: problem.key.clone(),
            title: problem.article.title.clone(),
            at: at.as_millis(),
            day: self.calendar.day_of(at),
        });
        Ok(())
    }
}

/// One sync round, retried briefly when the hub is busy; every change goes out.
pub async fn sync(desk: &SimDesktop) -> Result<()> {
    let mut tries = 0;
    loop {
        match desk.sync_once().await {
            Ok(report) if report.rejected > 0 => {
                bail!("the hub refused {} change(s): {:?}", report.rejected, desk.status().last_error)
            }
            Ok(_) if desk.status().pending == 0 => return Ok(()),
            Ok(_) => {}
            Err(e) if e.is_transient() && tries < 20 => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e).context("sync failed"),
        }
        tries += 1;
        if tries > 40 {
            bail!("{} changes still pending after {tries} sync rounds", desk.status().pending);
        }
    }
}
