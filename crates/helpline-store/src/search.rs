//! Ranked full-text search over tickets and KB articles, and KB suggestions for the text
//! of a call. Terms pass through the `helpline` tokenizer (see `text`), so case,
//! diacritics, "ue"/"ü" spellings and German compounds all match.

use crate::error::Result;
use crate::text;
use helpline_domain::{ArticleState, KbArticleId, Status, TicketId};
use rusqlite::{Connection, params};
use serde::Serialize;

/// Marks around the matched words in a snippet: control characters that never occur in
/// agents' text, so the UI can split on them without escaping anything.
pub const HIGHLIGHT_START: char = '\u{2}';
pub const HIGHLIGHT_END: char = '\u{3}';

/// Tickets are ranked newest-first in blocks of this many rows: bm25 costs time for every
/// matching row, and the newest block usually fills the first page. Older blocks are
/// searched only when the newer ones give too few hits.
pub const TICKET_RANK_BLOCK: i64 = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketHit {
    pub id: TicketId,
    pub reference: String,
    pub subject: String,
    pub status: Status,
    /// Best-matching passage, matches between `HIGHLIGHT_START` and `HIGHLIGHT_END`.
    pub snippet: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KbHit {
    pub id: KbArticleId,
    pub title: String,
    pub state: ArticleState,
    pub snippet: String,
}

/// The FTS5 query for what an agent typed: every word must match (each quoted, so no
/// operator syntax leaks in); the last one may be unfinished, so it matches as a prefix.
pub fn build_match(query: &str) -> Option<String> {
    let words: Vec<String> = text::words(query).map(|(_, w)| text::fold(w)).collect();
    let last = words.len().checked_sub(1)?;
    let still_typing = !query.ends_with(|c: char| c.is_whitespace());
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push('"');
        out.push_str(w);
        out.push('"');
        if i == last && still_typing && w.chars().count() >= 2 {
            out.push('*');
        }
    }
    Some(out)
}

pub fn search_tickets(conn: &Connection, query: &str, limit: u32) -> Result<Vec<TicketHit>> {
    let Some(expr) = build_match(query) else { return Ok(Vec::new()) };
    let max_rowid: i64 =
        conn.prepare_cached("SELECT coalesce(max(rowid), 0) FROM tickets")?.query_row([], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT t.id, t.reference, t.subject, t.status, f.snip
         FROM (SELECT rowid, rank, snippet(tickets_fts, -1, char(2), char(3), '…', 16) AS snip
               FROM tickets_fts WHERE tickets_fts MATCH ?1 AND rowid > ?2 AND rowid <= ?3
               ORDER BY rank LIMIT ?4) f
         JOIN tickets t ON t.rowid = f.rowid
         ORDER BY f.rank",
    )?;
    let mut hits = Vec::new();
    let mut upper = max_rowid;
    while upper > 0 && hits.len() < limit as usize {
        let lower = (upper - TICKET_RANK_BLOCK).max(0);
        let wanted = limit as usize - hits.len();
        let rows = stmt.query_map(params![expr, lower, upper, wanted as i64], |r| {
            Ok((
                r.get::<_, uuid::Uuid>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        for row in rows {
            let (id, reference, subject, status, snippet) = row?;
            hits.push(TicketHit {
                id: TicketId(id),
                reference,
                subject,
                status: Status::parse(&status).unwrap_or(Status::Open),
                snippet,
            });
        }
        upper = lower;
    }
    Ok(hits)
}

fn kb_query(conn: &Connection, expr: &str, limit: u32, published_only: bool) -> Result<Vec<KbHit>> {
    // Over-fetch when filtering, so drafts and archived articles do not empty the list.
    let fetch = if published_only { limit * 4 } else { limit };
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.title, a.state, f.snip
         FROM (SELECT rowid, rank, snippet(kb_fts, -1, char(2), char(3), '…', 20) AS snip
               FROM kb_fts WHERE kb_fts MATCH ?1 ORDER BY rank LIMIT ?2) f
         JOIN kb_articles a ON a.rowid = f.rowid
         WHERE (?3 = 0 OR a.state = 'published')
         ORDER BY f.rank LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![expr, fetch, published_only, limit], |r| {
        Ok((r.get::<_, uuid::Uuid>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, title, state, snippet) = row?;
        out.push(KbHit {
            id: KbArticleId(id),
            title,
            state: ArticleState::parse(&state).unwrap_or(ArticleState::Draft),
            snippet,
        });
    }
    Ok(out)
}

/// Search the knowledge base as the KB screen does (all states; the caller filters by
/// role): the same ranked matching as the call form's suggestions (any telling word or
/// compound part may match; bm25 ranks articles matching more and rarer words first),
/// plus the word still being typed as a prefix. "Drucker offline" and "Netzwerkdrucker"
/// find the article about printers, as "drucker" does.
pub fn search_kb(conn: &Connection, df: &DocFrequencies, query: &str, limit: u32) -> Result<Vec<KbHit>> {
    let mut alternatives = telling_terms(conn, df, query)?;
    let still_typing = !query.ends_with(char::is_whitespace);
    if still_typing
        && let Some((_, last)) = text::words(query).last()
        && let folded = text::fold(last)
        && folded.chars().count() >= 2
    {
        alternatives.push(format!("\"{folded}\"*"));
    }
    if alternatives.is_empty() {
        return Ok(Vec::new());
    }
    kb_query(conn, &alternatives.join(" OR "), limit, false)
}

/// Most words that go into a suggestion query: the rarest ones tell the most.
const SUGGEST_TERMS: usize = 6;

/// The KB suggestions as they were before `suggest` (the rarest six telling words, OR,
/// bm25): kept only as the baseline `cargo xtask bench kb` compares with.
pub fn suggest_kb_articles_bm25(
    conn: &Connection,
    df: &DocFrequencies,
    form_text: &str,
    limit: u32,
) -> Result<Vec<KbHit>> {
    let terms = telling_terms(conn, df, form_text)?;
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    kb_query(conn, &terms.join(" OR "), limit, true)
}

/// The words of `text` worth matching, quoted for FTS5: each word (folded) and the parts
/// of a compound, at most `SUGGEST_TERMS`, the rarest first. Stop words, words under
/// three letters (acronyms aside), words the KB does not contain, and words in more
/// than a fifth of all articles (they say little) are left out, unless nothing else is
/// left.
fn telling_terms(conn: &Connection, df: &DocFrequencies, text: &str) -> Result<Vec<String>> {
    let mut terms: Vec<String> = Vec::new();
    for (_, w) in text::words(text) {
        let acronym = w.len() >= 2 && w.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        let folded = text::fold(w);
        if (folded.chars().count() < 3 && !acronym) || is_stopword(&folded) {
            continue;
        }
        for t in std::iter::once(folded).chain(text::compound_parts(w)) {
            if !terms.contains(&t) {
                terms.push(t);
            }
        }
    }
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let (total, scored) = df.lookup(conn, terms)?;
    let common = (total / 5).max(1);
    let telling: Vec<&(i64, String)> = scored.iter().filter(|(df, _)| *df <= common).collect();
    let mut chosen: Vec<&(i64, String)> = if telling.is_empty() { scored.iter().collect() } else { telling };
    chosen.sort();
    chosen.truncate(SUGGEST_TERMS);
    Ok(chosen.iter().map(|(_, t)| format!("\"{t}\"")).collect())
}

/// Document frequencies of the KB's terms, read once from `kb_vocab` (reading a common
/// term's count costs a walk over its whole doclist) and dropped when the KB changes.
#[derive(Debug, Default)]
pub struct DocFrequencies {
    cache: std::sync::Mutex<Option<(i64, std::collections::HashMap<String, i64>)>>,
}

impl DocFrequencies {
    pub fn invalidate(&self) {
        if let Ok(mut c) = self.cache.lock() {
            *c = None;
        }
    }

    fn lookup(&self, conn: &Connection, terms: Vec<String>) -> Result<(i64, Vec<(i64, String)>)> {
        let mut guard = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.is_none() {
            let total: i64 = conn.prepare_cached("SELECT count(*) FROM kb_articles")?.query_row([], |r| r.get(0))?;
            let mut stmt = conn.prepare_cached("SELECT term, doc FROM kb_vocab")?;
            let map = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                .collect::<Result<std::collections::HashMap<_, _>, _>>()?;
            *guard = Some((total, map));
        }
        let Some((total, map)) = guard.as_ref() else { return Ok((0, Vec::new())) };
        let scored = terms.into_iter().filter_map(|t| map.get(&t).map(|df| (*df, t))).collect();
        Ok((*total, scored))
    }
}

fn is_stopword(w: &str) -> bool {
    const STOP: &[&str] = &[
        "der", "die", "das", "und", "oder", "aber", "nicht", "ist", "sind", "war", "hat", "haben", "ein", "eine",
        "einen", "einem", "einer", "mit", "von", "fuer", "auf", "bei", "nach", "seit", "wie", "was", "wenn", "dass",
        "auch", "noch", "kann", "koennen", "mehr", "sich", "sie", "ich", "wir", "ihr", "mein", "meine", "kunde",
        "kundin", "bitte", "the", "and", "not", "are", "was", "has", "have", "with", "for", "from", "that", "this",
        "can", "cannot", "does", "doesn", "customer", "please", "since", "when", "what", "but", "his", "her", "their",
    ];
    STOP.contains(&w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_expressions_quote_every_word() {
        assert_eq!(build_match("Drucker druckt").as_deref(), Some(r#""drucker" "druckt"*"#));
        assert_eq!(build_match("Drucker ").as_deref(), Some(r#""drucker""#));
        assert_eq!(build_match(r#"NEAR(" OR drop"#).as_deref(), Some(r#""near" "or" "drop"*"#));
        assert_eq!(build_match("  -- "), None);
        assert_eq!(build_match("Kündigung").as_deref(), Some(r#""kuendigung"*"#));
    }
}
