use crate::error::Result;
use helpline_domain::{ArticleState, CategoryId, KbArticle, KbArticleId, TicketId};
use rusqlite::{Connection, OptionalExtension, params};

pub fn get_kb_article(conn: &Connection, id: KbArticleId) -> Result<Option<KbArticle>> {
    let data: Option<String> = conn
        .prepare_cached("SELECT data FROM kb_articles WHERE id = ?1")?
        .query_row([id.0], |r| r.get(0))
        .optional()?;
    Ok(data.map(|d| serde_json::from_str(&d)).transpose()?)
}

/// Every published article, for the suggestions' index.
pub fn list_published_kb_articles(conn: &Connection) -> Result<Vec<KbArticle>> {
    let mut stmt = conn.prepare_cached("SELECT data FROM kb_articles WHERE state = 'published' ORDER BY rowid")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for data in rows {
        out.push(serde_json::from_str(&data?)?);
    }
    Ok(out)
}

/// The tickets articles (in any state) were written from: a draft under way closes the
/// knowledge gap its ticket showed.
pub fn list_kb_source_tickets(conn: &Connection) -> Result<std::collections::HashSet<TicketId>> {
    let mut stmt = conn.prepare_cached(
        "SELECT json_extract(data, '$.source_ticket') FROM kb_articles
         WHERE json_extract(data, '$.source_ticket') IS NOT NULL",
    )?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = std::collections::HashSet::new();
    for id in rows {
        // An id that does not parse names no ticket this desktop could show.
        if let Ok(uuid) = id?.parse() {
            out.insert(TicketId(uuid));
        }
    }
    Ok(out)
}

/// Title and Markdown body, for a suggestion's snippet.
pub fn get_kb_title_and_body(conn: &Connection, id: KbArticleId) -> Result<Option<(String, String)>> {
    Ok(conn
        .prepare_cached("SELECT title, body FROM kb_articles WHERE id = ?1")?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

pub fn upsert_kb_article(conn: &Connection, a: &KbArticle) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO kb_articles (id, title, body, tags, state, updated_at, data, category_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body, tags = excluded.tags,
            state = excluded.state, updated_at = excluded.updated_at, data = excluded.data,
            category_id = excluded.category_id",
    )?
    .execute(params![
        a.id.0,
        a.title,
        a.body,
        a.tags.join(" "),
        a.state.as_str(),
        a.updated_at.as_millis(),
        serde_json::to_string(a)?,
        a.category_id.map(|c| c.0)
    ])?;
    Ok(())
}

pub fn delete_kb_article(conn: &Connection, id: KbArticleId) -> Result<()> {
    conn.prepare_cached("DELETE FROM kb_articles WHERE id = ?1")?.execute([id.0])?;
    Ok(())
}

/// Which articles a KB list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KbFilter {
    pub category: Option<CategoryId>,
    /// A tag as stored (lower case).
    pub tag: Option<String>,
    /// The states shown; empty shows every state.
    pub states: Vec<ArticleState>,
}

impl KbFilter {
    /// Whether `a` passes the filter (for search hits, which come ranked from FTS).
    pub fn admits(&self, a: &KbArticle) -> bool {
        self.category.is_none_or(|c| a.category_id == Some(c))
            && self.tag.as_ref().is_none_or(|t| a.tags.contains(t))
            && (self.states.is_empty() || self.states.contains(&a.state))
    }
}

/// One window of the articles passing `filter`, by title, and how many pass.
pub fn list_kb_page(conn: &Connection, filter: &KbFilter, offset: u32, limit: u32) -> Result<(u64, Vec<KbArticle>)> {
    let states: Vec<&str> = filter.states.iter().map(|s| s.as_str()).collect();
    let states_json = serde_json::to_string(&states)?;
    let clause = "(?1 IS NULL OR category_id = ?1)
         AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(kb_articles.data, '$.tags') WHERE value = ?2))
         AND (?3 = '[]' OR state IN (SELECT value FROM json_each(?3)))";
    let category = filter.category.map(|c| c.0);
    let total: u64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM kb_articles WHERE {clause}"))?
        .query_row(params![category, filter.tag, states_json], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT data FROM kb_articles WHERE {clause} ORDER BY title COLLATE NOCASE, rowid LIMIT ?4 OFFSET ?5"
    ))?;
    let rows = stmt.query_map(params![category, filter.tag, states_json, limit, offset], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for data in rows {
        out.push(serde_json::from_str(&data?)?);
    }
    Ok((total, out))
}

/// Every tag of the articles in `states` (all when empty) with the number of those
/// articles carrying it, the most used first.
pub fn list_kb_tags(conn: &Connection, states: &[ArticleState], limit: u32) -> Result<Vec<(String, u64)>> {
    let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    let mut stmt = conn.prepare_cached(
        "SELECT t.value, count(*) AS n FROM kb_articles, json_each(kb_articles.data, '$.tags') AS t
         WHERE ?1 = '[]' OR kb_articles.state IN (SELECT value FROM json_each(?1))
         GROUP BY t.value ORDER BY n DESC, t.value LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![serde_json::to_string(&states)?, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
