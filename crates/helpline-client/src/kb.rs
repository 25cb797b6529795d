//! The knowledge base as the window shows it: browse and search, read (Markdown
//! rendered and sanitised here), write with the revision an edit starts from, merge a
//! stale edit instead of overwriting, publish and archive by role, and turn a resolved
//! ticket into a draft in one step.

use crate::markdown::{render_markdown, snippet_segments, without_markdown_marks};
use crate::views::{Named, Segment, invalid, latest_resolution, millis};
use crate::work::{Delivery, VERDICT_PATIENCE};
use crate::{ClientError, Desktop, HubApi, Result};
use helpline_domain::{
    ArticleState, CategoryId, ConsultId, DomainError, KbAction, KbArticle, KbArticleDraft, KbArticleId, KbPhrasingId,
    Mutation, Problem, Role, Status, TicketId, Visibility, kb_actions, permit_kb_action,
};
use helpline_store::{KbFilter, OutboxStatus};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Search hits considered for one KB list (then filtered by category, tag, state and
/// role): enough that filtering rarely leaves a short list.
const SEARCH_LIMIT: u32 = 200;
const PAGE_MAX: u32 = 200;
const TAGS_SHOWN: u32 = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct KbUsageView {
    /// Tickets it was suggested on (once per ticket).
    pub suggested: u32,
    /// Tickets where an agent said "this solved it".
    pub used: u32,
    /// Of those, tickets that are resolved.
    pub resolved_with: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct KbListItem {
    pub id: KbArticleId,
    pub title: String,
    pub state: ArticleState,
    pub visibility: Visibility,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub flagged_outdated: bool,
    /// Where the search matched (empty when browsing).
    pub snippet: Vec<Segment>,
    pub usage: KbUsageView,
    #[specta(type = i32)]
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct KbPage {
    pub total: u32,
    pub offset: u32,
    pub items: Vec<KbListItem>,
}

/// What the KB list shows: typed words (instant search) and filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct KbQuery {
    pub text: String,
    pub category_id: Option<CategoryId>,
    pub tag: Option<String>,
    /// `None`: drafts and published articles (first level: published only).
    pub state: Option<ArticleState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct KbArticleView {
    pub id: KbArticleId,
    pub title: String,
    /// Markdown rendered and sanitised here: the webview gets only clean HTML.
    pub body_html: String,
    /// The Markdown, for editing.
    pub body: String,
    pub tags: Vec<String>,
    pub category_id: Option<CategoryId>,
    pub category: Option<String>,
    pub visibility: Visibility,
    pub state: ArticleState,
    pub revision: u32,
    pub flagged_outdated: bool,
    pub author: String,
    /// Who saved the current revision.
    pub edited_by: String,
    #[specta(type = i32)]
    pub updated_at: i64,
    /// The ticket the article was written from: (id, reference).
    pub source_ticket: Option<Named<TicketId>>,
    pub usage: KbUsageView,
    /// What the signed-in agent may do to it (the hub checks the same).
    pub actions: Vec<KbAction>,
    /// Callers' words kept with the article, newest first; only for those who may edit
    /// it (they remove a bad one), empty for everyone else.
    pub phrasings: Vec<KbPhrasingView>,
}

/// A caller's words kept with an article ("this solved it", or the ticket the article was
/// published from), as a KB writer reviews them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct KbPhrasingView {
    pub id: KbPhrasingId,
    pub text: String,
    #[specta(type = i32)]
    pub added_at: i64,
    /// The ticket whose words these are, while this desktop holds it: (id, reference).
    pub ticket: Option<Named<TicketId>>,
}

/// An article as the editor holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct KbEdit {
    /// `None` for a new article.
    pub article_id: Option<KbArticleId>,
    /// The revision the edit starts from (`None` for a new article).
    pub base_revision: Option<u32>,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub category_id: Option<CategoryId>,
    pub visibility: Visibility,
    pub source_ticket: Option<TicketId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[derive(specta::Type)]
pub enum KbSaveResult {
    /// Saved; `delivery` says whether the hub has confirmed it yet.
    Saved { article_id: KbArticleId, delivery: Delivery, published: bool },
    /// Someone saved a newer revision first: nothing was overwritten. The editor shows
    /// both versions for the author to merge, then saves on top of `theirs`.
    Conflict { mine: KbEdit, theirs: KbArticleView },
}

/// An edit the hub refused (most often because the article had moved on, also e.g.
/// because a colleague published the draft an expert was editing), kept with the hub's
/// reason until the author saves the article again: nothing typed is lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct KbConflict {
    pub mine: KbEdit,
    pub theirs: KbArticleView,
    /// The hub's readable reason (English, for support); the window says `problem`.
    pub reason: String,
    pub problem: Option<Problem>,
}

/// Articles that should exist: calls of one category, escalated or solved without any
/// article, that share the words naming their problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct KnowledgeGapView {
    pub category: Option<Named<CategoryId>>,
    /// The recurring words (for a call alone, its first telling words).
    pub words: Vec<String>,
    /// Newest first.
    pub tickets: Vec<GapTicketView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct GapTicketView {
    pub id: TicketId,
    pub reference: String,
    pub subject: String,
    pub status: Status,
    pub escalated: bool,
    #[specta(type = i32)]
    pub created_at: i64,
}

/// How far back the knowledge gaps look.
pub const GAP_DAYS: i64 = 90;
/// A draft from a knowledge gap quotes at most this many calls (the newest).
const DRAFT_CALLS_MAX: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct TagCount {
    pub tag: String,
    pub articles: u32,
}

fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn not_found(id: KbArticleId) -> ClientError {
    ClientError::Store(DomainError::NotFound { what: "article", id: id.to_string() }.into())
}

fn edit_of(draft: &KbArticleDraft) -> KbEdit {
    KbEdit {
        article_id: Some(draft.article_id),
        base_revision: draft.base_revision,
        title: draft.title.clone(),
        body: draft.body.clone(),
        tags: draft.tags.clone(),
        category_id: draft.category_id,
        visibility: draft.visibility,
        source_ticket: draft.source_ticket,
    }
}

impl<H: HubApi> Desktop<H> {
    fn category_names(&self) -> Result<std::collections::BTreeMap<CategoryId, String>> {
        self.with_store(|s| Ok(s.list_categories()?.into_iter().collect()))
    }

    /// The states the signed-in agent reads: first level only published articles.
    fn readable_states(&self) -> Result<Option<Vec<ArticleState>>> {
        Ok((self.actor()?.role == Role::FirstLevel).then(|| vec![ArticleState::Published]))
    }

    fn kb_usage(&self, id: KbArticleId) -> Result<KbUsageView> {
        let u = self.with_store(|s| Ok(s.get_kb_usage(id)?))?;
        Ok(KbUsageView { suggested: count(u.suggested), used: count(u.used), resolved_with: count(u.resolved_with) })
    }

    /// One window of the KB list: ranked search hits when words are typed, else every
    /// article passing the filters by title. First level sees published articles only.
    pub fn kb_page(&self, query: &KbQuery, offset: u32, limit: u32) -> Result<KbPage> {
        let states = match (self.readable_states()?, query.state) {
            (Some(readable), _) => readable,
            (None, Some(state)) => vec![state],
            (None, None) => vec![ArticleState::Draft, ArticleState::Published],
        };
        let filter = KbFilter {
            category: query.category_id,
            tag: query.tag.as_ref().map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()),
            states,
        };
        let limit = limit.min(PAGE_MAX);
        let (total, found) = if query.text.trim().is_empty() {
            let (total, articles) = self.with_store(|s| Ok(s.list_kb_page(&filter, offset, limit)?))?;
            (total, articles.into_iter().map(|a| (a, Vec::new())).collect::<Vec<_>>())
        } else {
            let hits = self.search_kb(&query.text, SEARCH_LIMIT)?;
            let mut passing = Vec::new();
            for h in hits {
                if let Some(a) = self.with_store(|s| Ok(s.get_kb_article(h.id)?))?
                    && filter.admits(&a)
                {
                    passing.push((a, snippet_segments(&without_markdown_marks(&h.snippet))));
                }
            }
            let total = passing.len() as u64;
            (total, passing.into_iter().skip(offset as usize).take(limit as usize).collect())
        };
        let categories = self.category_names()?;
        let items = found
            .into_iter()
            .map(|(a, snippet)| {
                Ok(KbListItem {
                    id: a.id,
                    usage: self.kb_usage(a.id)?,
                    category: a.category_id.and_then(|c| categories.get(&c).cloned()),
                    title: a.title,
                    state: a.state,
                    visibility: a.visibility,
                    tags: a.tags,
                    flagged_outdated: a.flagged_outdated,
                    snippet,
                    updated_at: millis(a.updated_at),
                })
            })
            .collect::<Result<_>>()?;
        Ok(KbPage { total: count(total), offset, items })
    }

    pub fn kb_tags(&self) -> Result<Vec<TagCount>> {
        Ok(self
            .with_store(|s| Ok(s.list_kb_tags(&self.readable_states()?.unwrap_or_default(), TAGS_SHOWN)?))?
            .into_iter()
            .map(|(tag, n)| TagCount { tag, articles: count(n) })
            .collect())
    }

    fn article_view(&self, article: KbArticle) -> Result<KbArticleView> {
        let actions = self.actor().map(|a| kb_actions(&a, &article)).unwrap_or_default();
        let may_edit = actions.contains(&KbAction::Edit);
        let (author, edited_by, source_ticket, phrasings) = self.with_store(|s| {
            let name = |id: helpline_domain::AgentId| -> crate::Result<String> {
                Ok(s.get_agent(id)?.map_or_else(|| id.to_string(), |a| a.name))
            };
            let author = name(article.author)?;
            let edited_by = name(article.edited_by.unwrap_or(article.author))?;
            let reference = |id: TicketId| -> crate::Result<Option<Named<TicketId>>> {
                Ok(s.get_ticket(id)?.map(|t| Named { id: t.id, name: t.reference.to_string() }))
            };
            let mut phrasings = Vec::new();
            if may_edit {
                for p in article.phrasings.iter().rev() {
                    phrasings.push(KbPhrasingView {
                        id: p.id,
                        text: p.text.clone(),
                        added_at: millis(p.added_at),
                        ticket: reference(p.ticket_id)?,
                    });
                }
            }
            let source = match article.source_ticket {
                Some(t) => reference(t)?,
                None => None,
            };
            Ok((author, edited_by, source, phrasings))
        })?;
        let category = match article.category_id {
            Some(c) => self.category_names()?.remove(&c),
            None => None,
        };
        Ok(KbArticleView {
            id: article.id,
            usage: self.kb_usage(article.id)?,
            body_html: render_markdown(&article.body),
            body: article.body,
            title: article.title,
            tags: article.tags,
            category_id: article.category_id,
            category,
            visibility: article.visibility,
            state: article.state,
            revision: article.revision,
            flagged_outdated: article.flagged_outdated,
            author,
            edited_by,
            updated_at: millis(article.updated_at),
            source_ticket,
            actions,
            phrasings,
        })
    }

    pub fn kb_article_view(&self, id: KbArticleId) -> Result<KbArticleView> {
        let article = self.with_store(|s| Ok(s.get_kb_article(id)?))?.ok_or_else(|| not_found(id))?;
        self.article_view(article)
    }

    fn draft_of(&self, edit: &KbEdit) -> Result<KbArticleDraft> {
        let article_id = edit.article_id.unwrap_or_else(KbArticleId::new_v7);
        if edit.article_id.is_some() != edit.base_revision.is_some() {
            return Err(invalid("base_revision", "an edit names the revision it starts from; a new article none"));
        }
        Ok(KbArticleDraft {
            article_id,
            base_revision: edit.base_revision,
            title: edit.title.trim().to_owned(),
            body: edit.body.clone(),
            tags: edit.tags.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect(),
            category_id: edit.category_id,
            visibility: edit.visibility,
            source_ticket: edit.source_ticket,
        })
    }

    /// Saves an article (and publishes it, when asked and allowed) and waits briefly for
    /// the hub. An edit that starts from an old revision is never written over the newer
    /// one: it comes back as a conflict with both versions.
    pub async fn save_kb(&self, edit: KbEdit, publish: bool) -> Result<KbSaveResult> {
        let draft = self.draft_of(&edit)?;
        if publish && draft.body.trim().is_empty() {
            return Err(invalid("body", "an article needs a body to be published"));
        }
        let article_id = draft.article_id;
        let is_new = draft.base_revision.is_none();
        let delivery = match self.submit_and_wait(Mutation::SaveKbArticle(draft.clone()), VERDICT_PATIENCE).await {
            Err(e) if e.kind() == helpline_domain::ErrorKind::Conflict && !is_new => {
                return self.conflict(edit_of(&draft), article_id);
            }
            other => other?,
        };
        if let Delivery::Refused { .. } = &delivery
            && let Some(current) = self.with_store(|s| Ok(s.get_kb_article(article_id)?))?
            && Some(current.revision) != draft.base_revision
            && !is_new
        {
            return self.conflict(edit_of(&draft), article_id);
        }
        // The publication names the revision this save makes: should the hub refuse the
        // save later (offline now), it refuses the publication too instead of publishing
        // a colleague's text.
        let published = publish && !matches!(delivery, Delivery::Refused { .. });
        if published {
            let revision = Some(draft.base_revision.map_or(1, |base| base + 1));
            let source = self.source_of_draft(article_id)?;
            self.submit(Mutation::PublishKbArticle { article_id, revision })?;
            self.keep_source_ticket_words(article_id, source)?;
        }
        Ok(KbSaveResult::Saved { article_id, delivery, published })
    }

    fn conflict(&self, mine: KbEdit, article_id: KbArticleId) -> Result<KbSaveResult> {
        let current = self.with_store(|s| Ok(s.get_kb_article(article_id)?))?.ok_or_else(|| not_found(article_id))?;
        Ok(KbSaveResult::Conflict { mine, theirs: self.article_view(current)? })
    }

    /// Edits of existing articles the hub refused, that the author has not saved again
    /// since (a later save of the same article the hub did not refuse): nothing typed is
    /// lost.
    pub fn kb_conflicts(&self) -> Result<Vec<KbConflict>> {
        let saves = self.with_store(|s| Ok(s.list_outbox_by_name("save_kb_article")?))?;
        // The last save of each article the hub did not refuse.
        let mut settled: HashMap<KbArticleId, u64> = HashMap::new();
        for e in saves.iter().filter(|e| e.status != OutboxStatus::Rejected) {
            if let Mutation::SaveKbArticle(d) = &e.mutation {
                settled.insert(d.article_id, e.seq);
            }
        }
        let mut out = Vec::new();
        for e in saves.iter().filter(|e| e.status == OutboxStatus::Rejected) {
            let Mutation::SaveKbArticle(draft) = &e.mutation else { continue };
            if draft.base_revision.is_none() || settled.get(&draft.article_id).is_some_and(|seq| *seq > e.seq) {
                continue;
            }
            let Some(current) = self.with_store(|s| Ok(s.get_kb_article(draft.article_id)?))? else { continue };
            out.push(KbConflict {
                mine: edit_of(draft),
                theirs: self.article_view(current)?,
                reason: e.reason.clone().unwrap_or_default(),
                problem: e.problem.clone(),
            });
        }
        Ok(out)
    }

    /// Saves a KB article (new when `base_revision` is `None`) and, with `publish`,
    /// publishes it, without waiting for the hub (the demo data and tests; the editor
    /// uses `save_kb`).
    pub fn save_kb_article(&self, draft: KbArticleDraft, publish: bool) -> Result<KbArticleId> {
        let article_id = draft.article_id;
        self.submit(Mutation::SaveKbArticle(draft))?;
        if publish {
            self.submit(Mutation::PublishKbArticle { article_id, revision: None })?;
        }
        Ok(article_id)
    }

    pub fn publish_kb(&self, article_id: KbArticleId) -> Result<()> {
        let source = self.source_of_draft(article_id)?;
        self.submit(Mutation::PublishKbArticle { article_id, revision: None })?;
        self.keep_source_ticket_words(article_id, source)
    }

    /// The ticket a draft was written from; `None` for an article already published once
    /// (archived) or written from none.
    fn source_of_draft(&self, article_id: KbArticleId) -> Result<Option<TicketId>> {
        let article = self.with_store(|s| Ok(s.get_kb_article(article_id)?))?;
        Ok(article.filter(|a| a.state == ArticleState::Draft).and_then(|a| a.source_ticket))
    }

    /// An article's first publication from a ticket keeps that ticket's words as a
    /// customer phrasing, as "this solved it" does: the caller who next describes the
    /// problem the same way finds the article. Only the first (`source` comes from the
    /// draft): a phrasing a KB writer removed does not come back when an archived article
    /// is published again.
    fn keep_source_ticket_words(&self, article_id: KbArticleId, source: Option<TicketId>) -> Result<()> {
        let Some(ticket) = source.map(|id| self.get_ticket(id)).transpose()?.flatten() else {
            return Ok(());
        };
        let words = self.callers_words(&ticket.subject, &ticket.description, ticket.customer_id)?;
        self.keep_phrasing(ticket.id, &[article_id], words);
        Ok(())
    }

    pub fn archive_kb(&self, article_id: KbArticleId) -> Result<()> {
        self.submit(Mutation::ArchiveKbArticle { article_id })?;
        Ok(())
    }

    /// Takes a caller's words off an article (a KB writer finds them misleading): the
    /// article is no longer found by them.
    pub fn remove_kb_phrasing(&self, article_id: KbArticleId, phrasing_id: KbPhrasingId) -> Result<()> {
        self.submit(Mutation::RemoveKbPhrasing { article_id, phrasing_id })?;
        Ok(())
    }

    pub fn flag_kb_outdated(&self, article_id: KbArticleId) -> Result<()> {
        self.submit(Mutation::FlagKbArticleOutdated { article_id })?;
        Ok(())
    }

    /// A KB draft from a resolved ticket: the problem (subject, category, description),
    /// the solution (resolution summary) and what the experts answered, linked to the
    /// ticket, under `headings` (the agent's language). Nothing is saved until the author
    /// saves it.
    pub fn kb_draft_from_ticket(&self, ticket_id: TicketId, headings: &DraftHeadings) -> Result<KbEdit> {
        let ticket = self.ticket_for_draft(ticket_id)?;
        let actor = self.actor()?;
        helpline_domain::permit_ticket_action(&actor, &ticket, helpline_domain::TicketAction::DraftKbArticle)
            .map_err(ClientError::from_domain)?;
        let events = self.with_store(|s| Ok(s.list_events(ticket.id)?))?;
        let summary = latest_resolution(&events).unwrap_or_default();
        let answers: Vec<String> = ticket
            .consults
            .iter()
            .filter_map(|c| c.answer.as_deref())
            .map(|a| format!("- {}", a.trim().replace('\n', "\n  ")))
            .collect();
        let mut sections = vec![(headings.solution.as_str(), summary.trim().to_owned())];
        if !answers.is_empty() {
            sections.push((headings.expert_answers.as_str(), answers.join("\n")));
        }
        Ok(draft_for(&ticket, &headings.problem, &sections))
    }

    /// A KB draft from an expert's answer to a consult (the "save answer as KB draft"
    /// of the experts): the problem, the question and the answer, linked to the ticket.
    /// Nothing is saved until the author saves it.
    pub fn kb_draft_from_answer(
        &self,
        ticket_id: TicketId,
        consult_id: ConsultId,
        headings: &DraftHeadings,
    ) -> Result<KbEdit> {
        let ticket = self.ticket_for_draft(ticket_id)?;
        permit_kb_action(&self.actor()?, None, KbAction::Edit).map_err(ClientError::from_domain)?;
        let consult = ticket.consults.iter().find(|c| c.id == consult_id).ok_or_else(|| {
            ClientError::Store(DomainError::NotFound { what: "consult", id: consult_id.to_string() }.into())
        })?;
        let answer = consult.answer.as_deref().ok_or_else(|| invalid("consult", "has no answer yet"))?;
        let sections = [
            (headings.question.as_str(), consult.question.trim().to_owned()),
            (headings.answer.as_str(), answer.trim().to_owned()),
        ];
        Ok(draft_for(&ticket, &headings.problem, &sections))
    }

    /// The "Missing articles" list for those who write the KB (and supervisors): calls of
    /// the last `GAP_DAYS` days that were escalated or solved without any article, no
    /// article was written from, and no article fits strongly today, grouped by category
    /// and by the words that recur. Covers the calls this desktop holds.
    pub fn knowledge_gaps(&self) -> Result<Vec<KnowledgeGapView>> {
        // Leads (supervisors, admins) pass this check too.
        permit_kb_action(&self.actor()?, None, KbAction::Edit).map_err(ClientError::from_domain)?;
        let since = self.now().plus_minutes(-GAP_DAYS * 24 * 60);
        let categories = self.category_names()?;
        self.with_store(|s| {
            let mut out = Vec::new();
            for gap in s.list_knowledge_gaps(since)? {
                let mut tickets = Vec::with_capacity(gap.tickets.len());
                for id in gap.tickets {
                    let Some(t) = s.get_ticket(id)? else { continue };
                    tickets.push(GapTicketView {
                        id: t.id,
                        reference: t.reference.to_string(),
                        subject: t.subject,
                        status: t.status,
                        escalated: t.escalated,
                        created_at: millis(t.created_at),
                    });
                }
                let category = gap
                    .category_id
                    .map(|id| Named { id, name: categories.get(&id).cloned().unwrap_or_else(|| id.to_string()) });
                out.push(KnowledgeGapView { category, words: gap.words, tickets });
            }
            Ok(out)
        })
    }

    /// A KB draft from the calls of a knowledge gap: the problem as each caller put it,
    /// what solved it where a call was resolved, and what the experts answered, linked to
    /// the newest call, in its category. Nothing is saved until the author saves it.
    pub fn kb_draft_from_gap(&self, ticket_ids: &[TicketId], headings: &DraftHeadings) -> Result<KbEdit> {
        permit_kb_action(&self.actor()?, None, KbAction::Edit).map_err(ClientError::from_domain)?;
        if ticket_ids.is_empty() {
            return Err(invalid("ticket_ids", "a draft from a knowledge gap needs at least one call"));
        }
        let mut tickets = Vec::with_capacity(ticket_ids.len());
        for id in ticket_ids.iter().take(DRAFT_CALLS_MAX) {
            tickets.push(self.ticket_for_draft(*id)?);
        }
        let mut problems = Vec::new();
        let mut solutions = Vec::new();
        let mut answers = Vec::new();
        for t in &tickets {
            // The callers' words side by side: their numbers, addresses and names are not
            // the article's business.
            let said = if t.description.trim().is_empty() { &t.subject } else { &t.description };
            let said = self.callers_words("", said, t.customer_id)?;
            problems.push(format!("- {}: {}", t.reference, said.trim()));
            let events = self.with_store(|s| Ok(s.list_events(t.id)?))?;
            if let Some(summary) = latest_resolution(&events).filter(|s| !s.trim().is_empty()) {
                solutions.push(format!("- {}: {}", t.reference, summary.trim().replace('\n', "\n  ")));
            }
            answers.extend(
                t.consults
                    .iter()
                    .filter_map(|c| c.answer.as_deref())
                    .map(|a| format!("- {}", a.trim().replace('\n', "\n  "))),
            );
        }
        let mut body = format!("## {}\n\n{}\n", headings.problem, problems.join("\n"));
        body.push_str(&format!("\n## {}\n\n{}\n", headings.solution, solutions.join("\n")));
        if !answers.is_empty() {
            body.push_str(&format!("\n## {}\n\n{}\n", headings.expert_answers, answers.join("\n")));
        }
        let newest = &tickets[0];
        Ok(KbEdit {
            article_id: None,
            base_revision: None,
            title: newest.subject.clone(),
            body,
            tags: Vec::new(),
            category_id: newest.category_id,
            visibility: Visibility::Internal,
            source_ticket: Some(newest.id),
        })
    }

    fn ticket_for_draft(&self, id: TicketId) -> Result<helpline_domain::Ticket> {
        self.get_ticket(id)?
            .ok_or_else(|| ClientError::Store(DomainError::NotFound { what: "ticket", id: id.to_string() }.into()))
    }
}

/// The section headings of a KB draft made from a ticket, in the agent's language: the
/// window passes them from its message catalogue, so a German agent's draft (and the
/// article published from it) reads German.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct DraftHeadings {
    pub problem: String,
    pub solution: String,
    pub expert_answers: String,
    pub question: String,
    pub answer: String,
}

/// A KB draft about `ticket`'s problem with these sections after it (Markdown), linked
/// to the ticket, in its category, internal until the author decides otherwise.
fn draft_for(ticket: &helpline_domain::Ticket, problem_heading: &str, sections: &[(&str, String)]) -> KbEdit {
    let problem = if ticket.description.trim().is_empty() { ticket.subject.trim() } else { ticket.description.trim() };
    let mut body = format!("## {problem_heading}\n\n{problem}\n");
    for (title, text) in sections {
        body.push_str(&format!("\n## {title}\n\n{text}\n"));
    }
    KbEdit {
        article_id: None,
        base_revision: None,
        title: ticket.subject.clone(),
        body,
        tags: Vec::new(),
        category_id: ticket.category_id,
        visibility: Visibility::Internal,
        source_ticket: Some(ticket.id),
    }
}
