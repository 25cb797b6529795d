//! One module per table, with verb-named queries. Only this crate writes SQL.

pub mod calls;
pub mod customers;
pub mod device;
pub mod drafts;
pub mod events;
pub mod fts_bulk;
pub mod kb_articles;
pub mod outbox;
pub mod reference_data;
pub mod shadow;
pub mod sync_state;
pub mod ticket_facts;
pub mod tickets;
