use crate::error::Result;
use helpline_domain::{Customer, CustomerId, PhoneNumber};
use rusqlite::{Connection, OptionalExtension, params};

pub fn get_customer(conn: &Connection, id: CustomerId) -> Result<Option<Customer>> {
    let data: Option<String> =
        conn.prepare_cached("SELECT data FROM customers WHERE id = ?1")?.query_row([id.0], |r| r.get(0)).optional()?;
    Ok(data.map(|d| serde_json::from_str(&d)).transpose()?)
}

/// Writes the customer and its phone and e-mail lookup rows.
pub fn upsert_customer(conn: &Connection, c: &Customer) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO customers (id, name, data) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, data = excluded.data",
    )?
    .execute(params![c.id.0, c.name, serde_json::to_string(c)?])?;
    conn.prepare_cached("DELETE FROM customer_phones WHERE customer_id = ?1")?.execute([c.id.0])?;
    conn.prepare_cached("DELETE FROM customer_emails WHERE customer_id = ?1")?.execute([c.id.0])?;
    // A merged record stays readable by id but no longer answers lookups.
    if c.merged_into.is_none() {
        let mut phones =
            conn.prepare_cached("INSERT OR IGNORE INTO customer_phones (phone, customer_id) VALUES (?1, ?2)")?;
        for p in &c.phones {
            phones.execute(params![p.as_str(), c.id.0])?;
        }
        let mut emails =
            conn.prepare_cached("INSERT OR IGNORE INTO customer_emails (email, customer_id) VALUES (?1, ?2)")?;
        for e in &c.emails {
            emails.execute(params![e, c.id.0])?;
        }
    }
    Ok(())
}

pub fn delete_customer(conn: &Connection, id: CustomerId) -> Result<()> {
    conn.prepare_cached("DELETE FROM customer_phones WHERE customer_id = ?1")?.execute([id.0])?;
    conn.prepare_cached("DELETE FROM customer_emails WHERE customer_id = ?1")?.execute([id.0])?;
    conn.prepare_cached("DELETE FROM customers WHERE id = ?1")?.execute([id.0])?;
    Ok(())
}

fn find(conn: &Connection, sql: &str, key: &str) -> Result<Vec<Customer>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([key], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for d in rows {
        out.push(serde_json::from_str(&d?)?);
    }
    Ok(out)
}

/// Customers with this phone number (more than one: likely duplicates to merge).
pub fn find_customers_by_phone(conn: &Connection, phone: &PhoneNumber) -> Result<Vec<Customer>> {
    find(
        conn,
        "SELECT c.data FROM customer_phones p JOIN customers c ON c.id = p.customer_id WHERE p.phone = ?1 ORDER BY c.rowid",
        phone.as_str(),
    )
}

/// Customers with this e-mail address, whatever its case.
pub fn find_customers_by_email(conn: &Connection, email: &str) -> Result<Vec<Customer>> {
    find(
        conn,
        "SELECT c.data FROM customer_emails e JOIN customers c ON c.id = e.customer_id WHERE e.email = ?1 ORDER BY c.rowid",
        &email.trim().to_lowercase(),
    )
}

/// Customers that a `merge_customers` joined into `into`.
pub fn list_merged_into(conn: &Connection, into: CustomerId) -> Result<Vec<CustomerId>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM customers WHERE json_extract(data, '$.merged_into') = ?1")?;
    let ids = stmt.query_map([into.0.to_string()], |r| r.get::<_, uuid::Uuid>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(ids.into_iter().map(CustomerId).collect())
}
