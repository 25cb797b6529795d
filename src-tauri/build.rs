/// The app's commands. Declaring them makes each one need a permission that a capability
/// grants (capabilities/main.json), so the window may call exactly these.
const COMMANDS: &[&str] = &[
    "get_session",
    "sign_in",
    "sign_out",
    "set_language",
    "set_shortcut",
    "get_reference_data",
    "preview_reference",
    "lookup_caller",
    "create_customer",
    "suggest_kb",
    "get_kb_article",
    "submit_contact",
    "list_queue",
    "search_tickets",
    "find_ticket",
    "get_ticket",
    "add_note",
    "log_follow_up_contact",
    "change_status",
    "resolve_ticket",
    "escalate_ticket",
    "get_sync_status",
    "load_draft",
    "save_draft",
    "discard_draft",
    "claim_ticket",
    "hand_back",
    "hand_over_to_expert",
    "return_from_expert",
    "ask_expert",
    "answer_consult",
    "mark_customer_informed",
    "reopen_ticket",
    "list_consults",
    "list_kb",
    "list_kb_tags",
    "save_kb_article",
    "publish_kb_article",
    "archive_kb_article",
    "flag_kb_article",
    "draft_kb_from_ticket",
    "list_kb_conflicts",
    "preview_markdown",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build failed");
}
