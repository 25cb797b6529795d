//! Confirmed versions of the entities pending mutations changed.

use crate::error::Result;
use rusqlite::{Connection, params};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ticket,
    Customer,
    KbArticle,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Ticket => "ticket",
            Kind::Customer => "customer",
            Kind::KbArticle => "kb_article",
        }
    }
    fn parse(s: &str) -> Option<Kind> {
        match s {
            "ticket" => Some(Kind::Ticket),
            "customer" => Some(Kind::Customer),
            "kb_article" => Some(Kind::KbArticle),
            _ => None,
        }
    }
}

/// Keeps the confirmed version (JSON, or `None` when absent) the first time a pending
/// mutation touches an entity; later pending changes leave it alone.
pub fn insert_shadow_if_absent(conn: &Connection, kind: Kind, id: uuid::Uuid, confirmed: Option<&str>) -> Result<()> {
    conn.prepare_cached("INSERT INTO shadow (kind, id, data) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")?
        .execute(params![kind.as_str(), id, confirmed])?;
    Ok(())
}

pub fn has_shadow(conn: &Connection, kind: Kind, id: uuid::Uuid) -> Result<bool> {
    Ok(conn.prepare_cached("SELECT 1 FROM shadow WHERE kind = ?1 AND id = ?2")?.exists(params![kind.as_str(), id])?)
}

/// Removes and returns every shadow entry.
pub fn take_shadows(conn: &Connection) -> Result<Vec<(Kind, uuid::Uuid, Option<String>)>> {
    let mut stmt = conn.prepare_cached("DELETE FROM shadow RETURNING kind, id, data")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (kind, id, data) = row?;
        if let Some(kind) = Kind::parse(&kind) {
            out.push((kind, id, data));
        }
    }
    Ok(out)
}
