//! Wire types shared by the hub and the desktop. serde only; the hub's endpoints arrive
//! with the sync issue and add their request and response types here.

use helpline_domain::{ClientId, ErrorKind, Mutation, MutationId, Timestamp};
use serde::{Deserialize, Serialize};

/// The version of the hub API this crate describes; the hub reports it at
/// `GET /v1/capabilities` and a desktop refuses a hub with another major version.
pub const API_VERSION: &str = "1.0";

/// The body of every error response, with the same kinds the desktop shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub kind: ErrorKind,
    pub message: String,
}

/// One mutation as the desktop records it in its outbox and pushes it to the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutationEnvelope {
    pub mutation_id: MutationId,
    pub client_id: ClientId,
    /// Per client, gap-free, starting at 1: the hub processes each seq exactly once.
    pub seq: u64,
    #[serde(flatten)]
    pub mutation: Mutation,
    /// Hybrid logical clock of the desktop, for display and audit only.
    pub hlc: String,
    /// When the agent did it, by the desktop's clock; never decides a conflict.
    pub wall_time: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use helpline_domain::TicketId;

    #[test]
    fn envelope_wire_form_names_the_mutation() {
        let env = MutationEnvelope {
            mutation_id: MutationId::new_v7(),
            client_id: ClientId::new_v7(),
            seq: 7,
            mutation: Mutation::AddNote { ticket_id: TicketId::new_v7(), body: "Router neu gestartet".into() },
            hlc: "0".into(),
            wall_time: Timestamp::from_millis(1_700_000_000_000),
        };
        let json = serde_json::to_value(&env).unwrap();
        assert_eq!(json["name"], "add_note");
        assert_eq!(json["args"]["body"], "Router neu gestartet");
        assert_eq!(serde_json::from_value::<MutationEnvelope>(json).unwrap(), env);
    }

    #[test]
    fn error_body_uses_snake_case_kinds() {
        let body = ErrorBody { kind: ErrorKind::NotFound, message: "ticket x does not exist".into() };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"kind":"not_found","message":"ticket x does not exist"}"#
        );
    }
}
