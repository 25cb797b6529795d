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
