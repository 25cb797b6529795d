//! Typed UUIDv7 ids. Every id is made where the thing is created, offline too.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, specta::Type)]
        #[serde(transparent)]
        // A named `string` in the window's bindings: the window passes ids on, never parses them.
        pub struct $name(#[specta(type = String)] pub Uuid);

        impl $name {
            /// A fresh UUIDv7. Call this where the thing is created (desktop or hub), never in `apply`.
            pub fn new_v7() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

typed_id!(
    TicketId,
    EventId,
    CustomerId,
    KbArticleId,
    AgentId,
    DepartmentId,
    CategoryId,
    ConsultId,
    /// One customer phrasing kept with a KB article.
    KbPhrasingId,
    MutationId,
    /// A phone system allowed to report calls (CTI).
    CtiIntegrationId,
    /// An agent's e-mail reply (its Message-ID derives from it).
    EmailReplyId,
    /// A mailbox the hub fetches.
    MailboxId,
    /// One desktop installation.
    ClientId,
);

impl EventId {
    /// The id of the `index`-th event a mutation yields. Derived, not random, so the
    /// desktop and the hub get identical events from one mutation. Keeps the mutation's
    /// millisecond timestamp, so it is a valid, time-ordered UUIDv7.
    pub fn derive(mutation: MutationId, index: u32) -> Self {
        let bytes = mutation.0.as_bytes();
        // FNV-1a over the mutation id and the index: small, stable, and good enough to
        // spread 74 random bits of the mutation id over distinct event ids.
        let mut h1: u64 = 0xcbf2_9ce4_8422_2325;
        let mut h2: u64 = 0x8422_2325_cbf2_9ce4;
        for b in bytes.iter().chain(index.to_le_bytes().iter()) {
            h1 = (h1 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
            h2 = (h2 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(17);
        }
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&h1.to_le_bytes());
        random[8..].copy_from_slice(&h2.to_le_bytes()[..2]);
        let millis = mutation.0.get_timestamp().map_or(0, |ts| {
            let (secs, nanos) = ts.to_unix();
            secs * 1000 + u64::from(nanos) / 1_000_000
        });
        Self(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_event_ids_are_stable_distinct_v7() {
        let m = MutationId::new_v7();
        let a = EventId::derive(m, 0);
        assert_eq!(a, EventId::derive(m, 0));
        assert_ne!(a, EventId::derive(m, 1));
        assert_ne!(a, EventId::derive(MutationId::new_v7(), 0));
        assert_eq!(a.0.get_version_num(), 7);
        assert_eq!(a.0.get_timestamp(), m.0.get_timestamp());
    }
}
