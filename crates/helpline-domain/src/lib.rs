//! Helpline's domain: the types support agents work with, the ticket lifecycle, and the
//! one pure, deterministic `apply` that both the desktop and the hub run for every
//! mutation. No IO, no clock, no randomness inside `apply`.

mod apply;
pub mod call;
pub mod email;
mod email_apply;
mod error;
mod event;
mod ids;
pub mod lifecycle;
pub mod limits;
mod model;
mod mutation;
mod permissions;
mod phone;
pub mod phrasing;
mod reference;
pub mod sla;
mod state;
mod time;

pub use apply::apply;
pub use call::{CallDirection, CallEvent, CallEventKind, CallNumber, CallRecord};
pub use email::{AttachmentRef, EmailDelivery, EmailReply, EmailTicket, InboundEmail, MAIL_SYSTEM};
pub use error::{DomainError, ErrorCode, ErrorKind, Problem};
pub use event::{EventKind, TicketEvent};
pub use ids::*;
pub use lifecycle::{Via, check_transition, is_active};
pub use model::*;
pub use mutation::{Contact, CustomerPatch, KbArticleDraft, Mutation, NewContact, Touches};
pub use permissions::{
    KbAction, TicketAction, kb_actions, may_answer_consult, permit_kb_action, permit_ticket_action,
    role_ticket_actions, ticket_actions,
};
pub use phone::{DEFAULT_REGION, PhoneNumber, normalise_phone};
pub use reference::{DeviceCode, Reference};
pub use sla::{BusinessCalendar, SlaPolicy, SlaTarget, WorkingHours};
pub use state::{Change, State, StateSource, load_reads};
pub use time::{Timestamp, local_day_starts};
