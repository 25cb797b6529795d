use crate::error::Result;
use helpline_domain::{EventKind, KbArticleId, TicketEvent, TicketId};
use rusqlite::{Connection, params};

/// Inserts the event unless one with its id exists (events never conflict).
/// Returns whether it was new.
pub fn insert_event(conn: &Connection, e: &TicketEvent, pending: bool) -> Result<bool> {
    let article = match &e.kind {
        EventKind::KbSuggested { article_id }
        | EventKind::KbUsed { article_id }
        | EventKind::KbArticlePublishedFromTicket { article_id } => Some(article_id.0),
        _ => None,
    };
    let n = conn
        .prepare_cached(
            "INSERT INTO events (id, ticket_id, mutation_id, kind, author, at, article_id, text, data, pending)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            e.id.0,
            e.ticket_id.0,
            e.mutation_id.0,
            e.kind.name(),
            e.author.0,
            e.at.as_millis(),
            article,
            e.kind.searchable_text(),
            serde_json::to_string(e)?,
            pending,
        ])?;
    Ok(n == 1)
}

/// The ticket's timeline in the order events were recorded.
pub fn list_events(conn: &Connection, ticket: TicketId) -> Result<Vec<TicketEvent>> {
    let mut stmt = conn.prepare_cached("SELECT data FROM events WHERE ticket_id = ?1 ORDER BY rowid")?;
    let rows = stmt.query_map([ticket.0], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for data in rows {
        out.push(serde_json::from_str(&data?)?);
    }
    Ok(out)
}

/// The searchable text of a ticket's events, as the `notes` column holds it.
pub fn get_notes_text(conn: &Connection, ticket: TicketId) -> Result<String> {
    let mut stmt =
        conn.prepare_cached("SELECT text FROM events WHERE ticket_id = ?1 AND text IS NOT NULL ORDER BY rowid")?;
    let rows = stmt.query_map([ticket.0], |r| r.get::<_, String>(0))?;
    let mut out = String::new();
    for t in rows {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&t?);
    }
    Ok(out)
}

/// Deletes the events of unconfirmed mutations; returns the tickets they belonged to.
pub fn delete_pending_events(conn: &Connection) -> Result<Vec<TicketId>> {
    let mut stmt = conn.prepare_cached("DELETE FROM events WHERE pending = 1 RETURNING ticket_id")?;
    let ids = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<uuid::Uuid>, _>>()?;
    Ok(ids.into_iter().map(TicketId).collect())
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct KbUsage {
    /// Tickets it was suggested on (once per ticket).
    pub suggested: u64,
    /// Tickets where an agent said "this solved it".
    pub used: u64,
    /// Of those, tickets that are resolved or closed.
    pub resolved_with: u64,
}

/// How often an article was suggested, used, and resolved a ticket; derived from events.
pub fn get_kb_usage(conn: &Connection, article: KbArticleId) -> Result<KbUsage> {
    let mut stmt = conn.prepare_cached(
        "SELECT
            count(DISTINCT CASE WHEN e.kind = 'kb_suggested' THEN e.ticket_id END),
            count(DISTINCT CASE WHEN e.kind = 'kb_used' THEN e.ticket_id END),
            count(DISTINCT CASE WHEN e.kind = 'kb_used' AND t.status IN ('resolved', 'closed') THEN e.ticket_id END)
         FROM events e LEFT JOIN tickets t ON t.id = e.ticket_id
         WHERE e.article_id = ?1 AND e.kind IN ('kb_suggested', 'kb_used')",
    )?;
    Ok(stmt
        .query_row([article.0], |r| Ok(KbUsage { suggested: r.get(0)?, used: r.get(1)?, resolved_with: r.get(2)? }))?)
}

/// On how many tickets each article was used ("this solved it"): the suggestions' prior.
pub fn count_kb_uses(conn: &Connection) -> Result<std::collections::HashMap<KbArticleId, u64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT article_id, count(DISTINCT ticket_id) FROM events
         WHERE kind = 'kb_used' AND article_id IS NOT NULL GROUP BY article_id",
    )?;
    let rows = stmt.query_map([], |r| Ok((KbArticleId(r.get(0)?), r.get::<_, u64>(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Tickets created at or after `since` (millis) that an article solved or that an article
/// was published from: no knowledge gap.
pub fn list_tickets_with_article(conn: &Connection, since: i64) -> Result<std::collections::HashSet<TicketId>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT e.ticket_id FROM events e JOIN tickets t ON t.id = e.ticket_id
         WHERE t.created_at >= ?1 AND e.kind IN ('kb_used', 'kb_article_published_from_ticket')",
    )?;
    let rows = stmt.query_map([since], |r| Ok(TicketId(r.get(0)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
