//! Agents, departments and categories: small tables the hub owns and the desktop caches.

use crate::error::Result;
use helpline_domain::{Agent, AgentId, CategoryId, DepartmentId};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::BTreeSet;

pub fn upsert_agent(conn: &Connection, a: &Agent) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO agents (id, login, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET login = excluded.login, data = excluded.data",
    )?
    .execute(params![a.id.0, a.login, serde_json::to_string(a)?])?;
    Ok(())
}

pub fn get_agent(conn: &Connection, id: AgentId) -> Result<Option<Agent>> {
    let data: Option<String> =
        conn.prepare_cached("SELECT data FROM agents WHERE id = ?1")?.query_row([id.0], |r| r.get(0)).optional()?;
    Ok(data.map(|d| serde_json::from_str(&d)).transpose()?)
}

pub fn upsert_department(conn: &Connection, id: DepartmentId, name: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO departments (id, name) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
    )?
    .execute(params![id.0, name])?;
    Ok(())
}

pub fn upsert_category(conn: &Connection, id: CategoryId, name: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO categories (id, name) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
    )?
    .execute(params![id.0, name])?;
    Ok(())
}

pub fn list_department_ids(conn: &Connection) -> Result<BTreeSet<DepartmentId>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM departments")?;
    let ids = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<uuid::Uuid>, _>>()?;
    Ok(ids.into_iter().map(DepartmentId).collect())
}

pub fn list_category_ids(conn: &Connection) -> Result<BTreeSet<CategoryId>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM categories")?;
    let ids = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<uuid::Uuid>, _>>()?;
    Ok(ids.into_iter().map(CategoryId).collect())
}

/// (id, name) pairs of a small named table, by name.
fn list_named(conn: &Connection, sql: &str) -> Result<Vec<(uuid::Uuid, String)>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn list_departments(conn: &Connection) -> Result<Vec<(DepartmentId, String)>> {
    let rows = list_named(conn, "SELECT id, name FROM departments ORDER BY name")?;
    Ok(rows.into_iter().map(|(id, name)| (DepartmentId(id), name)).collect())
}

pub fn list_categories(conn: &Connection) -> Result<Vec<(CategoryId, String)>> {
    let rows = list_named(conn, "SELECT id, name FROM categories ORDER BY name")?;
    Ok(rows.into_iter().map(|(id, name)| (CategoryId(id), name)).collect())
}

pub fn list_agents(conn: &Connection) -> Result<Vec<Agent>> {
    let mut stmt = conn.prepare_cached("SELECT data FROM agents ORDER BY login")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for data in rows {
        out.push(serde_json::from_str(&data?)?);
    }
    Ok(out)
}
