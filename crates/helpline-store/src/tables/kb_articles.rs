use crate::error::Result;
use helpline_domain::{KbArticle, KbArticleId};
use rusqlite::{Connection, OptionalExtension, params};

pub fn get_kb_article(conn: &Connection, id: KbArticleId) -> Result<Option<KbArticle>> {
    let data: Option<String> = conn
        .prepare_cached("SELECT data FROM kb_articles WHERE id = ?1")?
        .query_row([id.0], |r| r.get(0))
        .optional()?;
    Ok(data.map(|d| serde_json::from_str(&d)).transpose()?)
}

pub fn upsert_kb_article(conn: &Connection, a: &KbArticle) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO kb_articles (id, title, body, tags, state, updated_at, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body, tags = excluded.tags,
            state = excluded.state, updated_at = excluded.updated_at, data = excluded.data",
    )?
    .execute(params![
        a.id.0,
        a.title,
        a.body,
        a.tags.join(" "),
        a.state.as_str(),
        a.updated_at.as_millis(),
        serde_json::to_string(a)?
    ])?;
    Ok(())
}

pub fn delete_kb_article(conn: &Connection, id: KbArticleId) -> Result<()> {
    conn.prepare_cached("DELETE FROM kb_articles WHERE id = ?1")?.execute([id.0])?;
    Ok(())
}
