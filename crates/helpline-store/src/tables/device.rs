//! This installation's identity and its ticket reference counter.

use crate::error::{Result, StoreError};
use helpline_domain::{ClientId, DeviceCode, Reference};
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub client_id: ClientId,
    pub device_code: DeviceCode,
}

pub fn get_device(conn: &Connection) -> Result<Option<Device>> {
    let row: Option<(uuid::Uuid, String)> = conn
        .prepare_cached("SELECT client_id, device_code FROM device WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(client, code)| Ok(Device { client_id: ClientId(client), device_code: DeviceCode::parse(&code)? }))
        .transpose()
}

/// Records the device code the hub assigned. The counter survives a new code, so a
/// reference is never repeated even if the hub re-registers this installation.
pub fn set_device(conn: &Connection, device: &Device) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO device (id, client_id, device_code) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, device_code = excluded.device_code",
    )?
    .execute(params![device.client_id.0, device.device_code.as_str()])?;
    Ok(())
}

/// Takes the next reference number. Call inside the transaction that creates the ticket:
/// a rolled-back ticket gives its number back, a committed one never repeats.
pub fn take_next_reference(conn: &Connection) -> Result<Reference> {
    let (code, counter): (String, u32) = conn
        .prepare_cached(
            "UPDATE device SET next_counter = next_counter + 1 WHERE id = 1 RETURNING device_code, next_counter - 1",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(StoreError::NotRegistered)?;
    Ok(Reference::new(DeviceCode::parse(&code)?, counter)?)
}

/// The reference the next ticket will get, without taking it (shown on an empty form).
pub fn peek_next_reference(conn: &Connection) -> Result<Option<Reference>> {
    let row: Option<(String, u32)> = conn
        .prepare_cached("SELECT device_code, next_counter FROM device WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(code, counter)| Ok(Reference::new(DeviceCode::parse(&code)?, counter)?)).transpose()
}
