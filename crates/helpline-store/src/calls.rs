//! The store's calls: records the phone system reported (through the hub's stream and
//! pulls) and the tickets logged for them.

use crate::tables::calls::{self, CallTicket, StoredCall};
use crate::{Result, Store};
use helpline_domain::{CallRecord, Timestamp};

impl Store {
    /// Keeps the call at `version` unless a newer version is stored. Returns whether the
    /// stored record changed (a repeat or an older version changes nothing).
    pub fn upsert_call(&mut self, call: &CallRecord, version: u64) -> Result<bool> {
        calls::upsert_call(&self.conn, call, version)
    }

    pub fn get_call(&self, call_id: &str) -> Result<Option<StoredCall>> {
        calls::get_call(&self.conn, call_id)
    }

    /// Calls started in `[from, to)`, oldest first.
    pub fn list_calls_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<StoredCall>> {
        calls::list_calls_between(&self.conn, from.as_millis(), to.as_millis())
    }

    /// Drops calls started before `before` (pulls do this with the hub's cache window).
    pub fn evict_calls_before(&mut self, before: Timestamp) -> Result<usize> {
        calls::evict_calls_before(&self.conn, before)
    }

    /// The tickets this desktop holds that were logged for or linked to the call.
    pub fn list_call_tickets(&self, call_id: &str) -> Result<Vec<CallTicket>> {
        calls::list_call_tickets(&self.conn, call_id)
    }
}
