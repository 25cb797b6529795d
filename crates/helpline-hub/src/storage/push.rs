//! Push, written once for both backends, per group: every push waiting when a write
//! transaction starts joins it. The group's rows are loaded with one query per table,
//! the mutations are decided in order in memory (each sees the effects of those before
//! it, exactly as if each had its own transaction), and the group's changes are written
//! at the end. One commit for all; no reply before it.

use super::db::{ArticleRow, ClientRow, Db, Doc, DocRow, EventRow, GroupRows, MutationRow, TicketRow};
use super::{Session, answer_repeated, decide, duplicate_keys, kind_name, refuse_reference};
use crate::error::{HubError, Result};
use helpline_domain::{
    ArticleState, Change, ClientId, CustomerId, KbArticleId, Mutation, MutationId, State, StateSource, Ticket,
    TicketId, Timestamp, Touches, load_reads,
};
use helpline_protocol::{MutationEnvelope, MutationResult, Outcome, PushResponse};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// One desktop's push, waiting for the writer.
#[derive(Debug)]
pub struct PushJob {
    pub session: Session,
    pub mutations: Vec<MutationEnvelope>,
    pub now: Timestamp,
}

/// Runs `jobs` inside the open write transaction (`head` is the version it started at).
/// Returns each push's answer (a push can fail alone, e.g. an unregistered client) and
/// the head after the group, with the rows written.
pub fn push_group<D: Db>(db: &mut D, head: u64, jobs: &[&PushJob]) -> Result<(Vec<Result<PushResponse>>, u64)> {
    let mut group = Group::load(db, head, jobs)?;
    let mut answers = Vec::with_capacity(jobs.len());
    for job in jobs {
        answers.push(group.push_one(db, job)?);
    }
    let head = group.head;
    db.write_group(&group.into_rows()?)?;
    Ok((answers, head))
}

/// What a group has read and decided so far.
struct Group {
    head: u64,
    clients: HashMap<ClientId, ClientRow>,
    /// Results stored before the group, of the seqs it repeats.
    stored: HashMap<(ClientId, u64), MutationResult>,
    /// Results given in this group.
    given: HashMap<(ClientId, u64), MutationResult>,
    /// Mutation ids processed before the group or in it.
    used: HashSet<MutationId>,
    /// References of tickets, as far as the group needs them.
    references: HashMap<String, TicketId>,
    /// Everything the group's mutations read, as changed by those decided so far.
    state: State,
    /// Ids looked up that do not exist (so they are not asked for again).
    absent: Absent,
    reference_ids_loaded: bool,
    /// Entities changed, with the version and hub time of their last change.
    dirty_tickets: BTreeMap<TicketId, (u64, i64)>,
    dirty_customers: BTreeMap<CustomerId, u64>,
    dirty_articles: BTreeMap<KbArticleId, u64>,
    rows: GroupRows,
}

impl Group {
    fn load<D: Db>(db: &mut D, head: u64, jobs: &[&PushJob]) -> Result<Group> {
        let mut client_ids: Vec<ClientId> = jobs.iter().map(|j| j.session.client_id).collect();
        client_ids.sort();
        client_ids.dedup();
        let clients: HashMap<ClientId, ClientRow> =
            db.load_clients(&client_ids)?.into_iter().map(|c| (c.client_id, c)).collect();
        let known_last = |c: &ClientId| clients.get(c).map(|r| r.last_seq);
        let (mut repeated, mut fresh) = (Vec::new(), Vec::new());
        for job in jobs {
            let Some(last) = known_last(&job.session.client_id) else { continue };
            for env in &job.mutations {
                if env.seq <= last {
                    repeated.push((env.client_id, env.seq));
                } else {
                    fresh.push(env);
                }
            }
        }
        let stored = db.load_results(&repeated)?.into_iter().map(|(client, r)| ((client, r.seq), r)).collect();
        let ids: Vec<MutationId> = fresh.iter().map(|e| e.mutation_id).collect();
        let used = db.find_used_mutation_ids(&ids)?.into_iter().collect();
        let wanted: Vec<String> = fresh
            .iter()
            .filter_map(|e| match &e.mutation {
                Mutation::LogContact(c) => Some(c.reference.to_string()),
                _ => None,
            })
            .collect();
        let references = if wanted.is_empty() {
            HashMap::new()
        } else {
            db.find_tickets_by_reference(&wanted)?.into_iter().collect()
        };
        let mut group = Group {
            head,
            clients,
            stored,
            given: HashMap::new(),
            used,
            references,
            state: State::default(),
            absent: Absent::default(),
            reference_ids_loaded: false,
            dirty_tickets: BTreeMap::new(),
            dirty_customers: BTreeMap::new(),
            dirty_articles: BTreeMap::new(),
            rows: GroupRows::default(),
        };
        group.load_reads(db, fresh.iter().map(|e| &e.mutation))?;
        Ok(group)
    }

    /// Makes sure `state` holds what `apply` reads for `mutations`; only ids the group
    /// has not looked up yet cost a query.
    fn load_reads<'a, D: Db>(&mut self, db: &mut D, mutations: impl IntoIterator<Item = &'a Mutation>) -> Result<()> {
        let mut source =
            GroupReads { db, absent: &mut self.absent, reference_ids_loaded: &mut self.reference_ids_loaded };
        load_reads(&mut source, mutations, &mut self.state)
    }

    fn push_one<D: Db>(&mut self, db: &mut D, job: &PushJob) -> Result<Result<PushResponse>> {
        let client = job.session.client_id;
        let Some(mut last) = self.clients.get(&client).map(|c| c.last_seq) else {
            return Ok(Err(HubError::Forbidden("this desktop installation is not registered; sign in again".into())));
        };
        let mut results = Vec::with_capacity(job.mutations.len());
        for env in &job.mutations {
            if env.seq <= last {
                let key = (client, env.seq);
                if let Some(r) = self.given.get(&key).or_else(|| self.stored.get(&key)) {
                    results.push(answer_repeated(env, r.clone()));
                }
                continue;
            }
            if env.seq != last + 1 {
                break;
            }
            let result = self.decide_one(db, &job.session, env, job.now)?;
            self.given.insert((client, env.seq), result.clone());
            results.push(result);
            last = env.seq;
        }
        if let Some(c) = self.clients.get_mut(&client) {
            c.last_seq = last;
        }
        Ok(Ok(PushResponse { results, last_seq: last }))
    }

    fn decide_one<D: Db>(
        &mut self,
        db: &mut D,
        session: &Session,
        env: &MutationEnvelope,
        now: Timestamp,
    ) -> Result<MutationResult> {
        // An event keeps the agent's time (for display) but never lies in the hub's future.
        let at = env.wall_time.min(now);
        let used = !self.used.insert(env.mutation_id);
        let refusal = match &env.mutation {
            Mutation::LogContact(c) => {
                let own = self.clients.get(&env.client_id).map(|r| r.device_code.as_str()).unwrap_or_default();
                let reference = c.reference.to_string();
                let taken = self.references.get(&reference).is_some_and(|holder| *holder != c.ticket_id);
                refuse_reference(&env.mutation, own, taken)
            }
            _ => None,
        };
        let (outcome, version) = if used {
            let reason = format!("mutation {} was already sent by another desktop", env.mutation_id);
            let problem = Some(helpline_domain::Problem::new(helpline_domain::ErrorCode::AlreadyExists));
            (Outcome::Rejected { kind: helpline_domain::ErrorKind::Conflict, reason, problem }, self.head)
        } else if let Some(refusal) = refusal {
            (refusal, self.head)
        } else {
            self.load_reads(db, [&env.mutation])?;
            match decide(&self.state, &session.actor(), env.mutation_id, &env.mutation, at) {
                Ok(changes) => {
                    self.head += 1;
                    if let Mutation::LogContact(c) = &env.mutation {
                        self.references.insert(c.reference.to_string(), c.ticket_id);
                    }
                    self.absorb(db, changes, now)?;
                    (Outcome::Accepted, self.head)
                }
                Err(e) => {
                    (Outcome::Rejected { kind: e.kind(), reason: e.to_string(), problem: Some(e.problem()) }, self.head)
                }
            }
        };
        let (status, kind, reason, problem) = match &outcome {
            Outcome::Accepted => ("accepted", None, None, None),
            Outcome::Rejected { kind, reason, problem } => (
                "rejected",
                Some(kind_name(*kind)),
                Some(reason.clone()),
                problem.as_ref().map(serde_json::to_string).transpose()?,
            ),
        };
        self.rows.mutations.push(MutationRow {
            client_id: env.client_id,
            seq: env.seq,
            mutation_id: env.mutation_id,
            agent_id: session.agent.id,
            name: env.mutation.name(),
            body: serde_json::to_string(&env.mutation)?,
            hlc: env.hlc.clone(),
            wall_time: env.wall_time.as_millis(),
            received_at: now.as_millis(),
            version,
            status,
            kind,
            reason,
            problem,
        });
        Ok(MutationResult { seq: env.seq, mutation_id: env.mutation_id, outcome })
    }

    /// Folds an accepted mutation's changes into the group's state, as the rows will hold
    /// them: events at this version, tickets derived from them, customers with the
    /// duplicates their lookup keys reveal.
    fn absorb<D: Db>(&mut self, db: &mut D, changes: Vec<Change>, now: Timestamp) -> Result<()> {
        let version = self.head;
        for change in changes {
            match change {
                Change::Event(e) => {
                    self.rows.events.push(EventRow {
                        id: e.id.0,
                        ticket_id: e.ticket_id.0,
                        version,
                        received_at: now.as_millis(),
                        data: serde_json::to_string(&e)?,
                    });
                    // A held ticket evolves in place; an event that neither finds nor
                    // creates a ticket changes no ticket row.
                    let next = match self.state.tickets.get_mut(&e.ticket_id) {
                        Some(t) => {
                            t.evolve(&e);
                            None
                        }
                        None => Ticket::from_created(&e),
                    };
                    if let Some(t) = next {
                        self.state.tickets.insert(t.id, t);
                    }
                    if self.state.tickets.contains_key(&e.ticket_id) {
                        self.dirty_tickets.insert(e.ticket_id, (version, now.as_millis()));
                    }
                }
                Change::Customer(mut c) => {
                    let others = db.replace_customer_keys(c.id, &duplicate_keys(&c))?;
                    c.likely_duplicates = others;
                    c.likely_duplicates.sort();
                    c.likely_duplicates.dedup();
                    self.dirty_customers.insert(c.id, version);
                    self.state.customers.insert(c.id, c);
                }
                Change::KbArticle(a) => {
                    self.dirty_articles.insert(a.id, version);
                    self.state.kb_articles.insert(a.id, a);
                }
            }
        }
        Ok(())
    }

    fn into_rows(mut self) -> Result<GroupRows> {
        for (id, (version, touched_at)) in &self.dirty_tickets {
            let Some(t) = self.state.tickets.get(id) else { continue };
            self.rows.tickets.push(TicketRow {
                id: id.0,
                version: *version,
                active: helpline_domain::lifecycle::is_active(t.status),
                touched_at: *touched_at,
                data: serde_json::to_string(t)?,
            });
        }
        for (id, version) in &self.dirty_customers {
            let Some(c) = self.state.customers.get(id) else { continue };
            self.rows.customers.push(DocRow { id: id.0, version: *version, data: serde_json::to_string(c)? });
        }
        for (id, version) in &self.dirty_articles {
            let Some(a) = self.state.kb_articles.get(id) else { continue };
            let row = DocRow { id: id.0, version: *version, data: serde_json::to_string(a)? };
            self.rows.kb_articles.push(ArticleRow { row, state: article_state(a.state) });
        }
        let mut seqs: Vec<(ClientId, u64)> = self.rows.mutations.iter().map(|m| (m.client_id, m.seq)).collect();
        seqs.sort();
        seqs.reverse();
        seqs.dedup_by_key(|(client, _)| *client);
        self.rows.client_seqs = seqs;
        Ok(self.rows)
    }
}

pub fn article_state(s: ArticleState) -> &'static str {
    match s {
        ArticleState::Draft => "draft",
        ArticleState::Published => "published",
        ArticleState::Archived => "archived",
    }
}

/// The database as the domain's source of what `apply` reads, skipping what the group
/// already holds or knows to be absent.
struct GroupReads<'a, D> {
    db: &'a mut D,
    absent: &'a mut Absent,
    reference_ids_loaded: &'a mut bool,
}

impl<D: Db> StateSource for GroupReads<'_, D> {
    type Error = HubError;

    fn load_entities(&mut self, wanted: &Touches, state: &mut State) -> Result<()> {
        let (db, absent) = (&mut *self.db, &mut *self.absent);
        load_missing(db, Doc::Tickets, &wanted.tickets, &mut state.tickets, &mut absent.tickets, |t: &Ticket| t.id)?;
        load_missing(db, Doc::Customers, &wanted.customers, &mut state.customers, &mut absent.customers, |c| c.id)?;
        load_missing(db, Doc::KbArticles, &wanted.kb_articles, &mut state.kb_articles, &mut absent.kb_articles, |a| {
            a.id
        })?;
        load_missing(db, Doc::Agents, &wanted.agents, &mut state.agents, &mut absent.agents, |a| a.id)
    }

    fn load_reference_ids(&mut self, state: &mut State) -> Result<()> {
        if !*self.reference_ids_loaded {
            state.departments = super::list_reference_ids(self.db, super::db::Named::Departments)?
                .map(helpline_domain::DepartmentId)
                .collect();
            state.categories = super::list_reference_ids(self.db, super::db::Named::Categories)?
                .map(helpline_domain::CategoryId)
                .collect();
            *self.reference_ids_loaded = true;
        }
        Ok(())
    }
}

/// Ids looked up that do not exist.
#[derive(Debug, Default)]
struct Absent {
    tickets: BTreeSet<TicketId>,
    customers: BTreeSet<CustomerId>,
    kb_articles: BTreeSet<KbArticleId>,
    agents: BTreeSet<helpline_domain::AgentId>,
}

/// Loads those of `wanted` that are neither `held` nor known to be `absent` with one
/// query, and remembers which of them do not exist.
fn load_missing<D: Db, I, T>(
    db: &mut D,
    doc: Doc,
    wanted: &[I],
    held: &mut BTreeMap<I, T>,
    absent: &mut BTreeSet<I>,
    id_of: impl Fn(&T) -> I,
) -> Result<()>
where
    I: Copy + Ord + Into<uuid::Uuid>,
    T: serde::de::DeserializeOwned,
{
    let mut ids: Vec<I> = wanted.iter().copied().filter(|id| !held.contains_key(id) && !absent.contains(id)).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let uuids: Vec<uuid::Uuid> = ids.iter().map(|id| (*id).into()).collect();
    for data in db.load_docs(doc, &uuids)? {
        let entity: T = serde_json::from_str(&data)?;
        held.insert(id_of(&entity), entity);
    }
    absent.extend(ids.into_iter().filter(|id| !held.contains_key(id)));
    Ok(())
}
