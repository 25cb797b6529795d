//! Events the backend sends the window (typed in the generated bindings).

use helpline_client::alerts::{self, WorkAlert};
use helpline_client::phone::IncomingCall;
use helpline_client::views::SyncView;
use serde::{Deserialize, Serialize};

/// The sync state changed (connection, pending count, progress, rejections).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct SyncStatusChanged(pub SyncView);

/// A pull brought changes: lists and the open ticket should refresh.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct TicketsChanged {
    pub count: u32,
}

/// Open a new call form, from the global shortcut, the tray or a `helpline://call` link.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct OpenCallForm {
    /// The caller's number or address to look up.
    pub from: Option<String>,
}

/// A follow-up time the agent set has come.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct FollowUpDue(pub alerts::DueFollowUp);

/// Work arrived or needs attention: a new ticket in one of my queues, an SLA 15 minutes
/// from breaking, an answer to my consult.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct WorkArrived(pub WorkAlert);

/// A call of the signed-in agent changed: it rings (the banner), they or someone else
/// answered it, it ended (with the phone system's duration).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct CallChanged(pub IncomingCall);
