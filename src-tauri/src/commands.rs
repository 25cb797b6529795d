//! The window's commands: each a few lines over helpline-client. Store work is short and
//! local; commands are async so it never runs on the UI's main thread.

use crate::error::{AppError, AppResult};
use crate::profile::Language;
use crate::session::{AppState, Session};
use helpline_client::admin::*;
use helpline_client::calls::*;
use helpline_client::dashboard::{AgentFigures, Dashboard, DashboardFilter, OrgSettingsView};
use helpline_client::kb::*;
use helpline_client::markdown::render_markdown;
use helpline_client::phone::{CallLog, DialTarget, IncomingCall, Millis, check_dial_template};
use helpline_client::tickets::*;
use helpline_client::views::*;
use helpline_client::work::*;
use helpline_domain::{
    CategoryId, ConsultId, CtiIntegrationId, DepartmentId, KbArticleId, KbPhrasingId, MailboxId, Status, TicketId,
};
use tauri::{AppHandle, Manager, State};

type St<'a> = State<'a, AppState>;

#[tauri::command]
#[specta::specta]
pub async fn get_session(state: St<'_>) -> AppResult<Session> {
    tracing::debug!("the window asks for the session");
    state.wait_started().await;
    Ok(state.session())
}

#[tauri::command]
#[specta::specta]
pub async fn sign_in(
    app: AppHandle,
    state: St<'_>,
    hub_url: String,
    login: String,
    password: String,
) -> AppResult<Session> {
    state.wait_started().await;
    state.sign_in(&app, &hub_url, &login, &password).await?;
    Ok(state.session())
}

#[tauri::command]
#[specta::specta]
pub async fn sign_out(state: St<'_>) -> AppResult<Session> {
    state.wait_started().await;
    state.sign_out()?;
    Ok(state.session())
}

#[tauri::command]
#[specta::specta]
pub async fn set_language(state: St<'_>, language: Language) -> AppResult<Session> {
    state.set_language(language)
}

#[tauri::command]
#[specta::specta]
pub async fn set_shortcut(app: AppHandle, state: St<'_>, accelerator: String) -> AppResult<Session> {
    let accelerator = accelerator.trim().to_owned();
    if let Some(note) = crate::shell::register_shortcut(&app, &accelerator) {
        // Keep the old shortcut working when the new one is refused.
        let old = state.settings().shortcut;
        state.shell.lock().unwrap_or_else(|e| e.into_inner()).shortcut_note =
            crate::shell::register_shortcut(&app, &old);
        return Err(AppError::validation("shortcut", format!("{note:?}")));
    }
    state.update_settings(|s| s.shortcut = accelerator)?;
    state.shell.lock().unwrap_or_else(|e| e.into_inner()).shortcut_note = None;
    Ok(state.session())
}

#[tauri::command]
#[specta::specta]
pub async fn get_reference_data(state: St<'_>) -> AppResult<ReferenceData> {
    Ok(state.desktop()?.reference_data()?)
}

#[tauri::command]
#[specta::specta]
pub async fn preview_reference(state: St<'_>) -> AppResult<Option<String>> {
    tracing::debug!("the call form asks for its reference");
    Ok(state.desktop()?.preview_reference()?)
}

#[tauri::command]
#[specta::specta]
pub async fn lookup_caller(state: St<'_>, text: String) -> AppResult<CallerLookup> {
    Ok(state.desktop()?.lookup_caller(&text)?)
}

#[tauri::command]
#[specta::specta]
pub async fn create_customer(state: St<'_>, input: NewCustomer) -> AppResult<CustomerCard> {
    Ok(state.desktop()?.create_customer(input)?)
}

#[tauri::command]
#[specta::specta]
pub async fn suggest_kb(state: St<'_>, text: String) -> AppResult<KbSuggestions> {
    Ok(state.desktop()?.suggest_kb(&text)?)
}

#[tauri::command]
#[specta::specta]
pub async fn get_kb_article(state: St<'_>, id: KbArticleId) -> AppResult<KbArticleView> {
    Ok(state.desktop()?.kb_article_view(id)?)
}

#[tauri::command]
#[specta::specta]
pub async fn submit_contact(state: St<'_>, form: ContactForm, outcome: Outcome) -> AppResult<Logged> {
    Ok(state.desktop()?.submit_contact(form, outcome)?)
}

/// A repeat call logged on the caller's open ticket instead of a new one.
#[tauri::command]
#[specta::specta]
pub async fn submit_repeat_contact(
    state: St<'_>,
    ticket_id: TicketId,
    form: ContactForm,
    outcome: Option<Outcome>,
) -> AppResult<Logged> {
    Ok(state.desktop()?.submit_repeat_contact(ticket_id, form, outcome)?)
}

#[tauri::command]
#[specta::specta]
pub async fn list_queue(state: St<'_>, queue: QueueName, offset: u32, limit: u32) -> AppResult<QueuePage> {
    Ok(state.desktop()?.queue_page(queue, offset, limit)?)
}

#[tauri::command]
#[specta::specta]
pub async fn search_tickets(state: St<'_>, query: String) -> AppResult<Vec<TicketHitView>> {
    Ok(state.desktop()?.search_ticket_hits(&query, 50)?)
}

#[tauri::command]
#[specta::specta]
pub async fn find_ticket(state: St<'_>, reference: String) -> AppResult<Option<TicketId>> {
    Ok(state.desktop()?.find_ticket(&reference)?)
}

#[tauri::command]
#[specta::specta]
pub async fn get_ticket(state: St<'_>, id: TicketId) -> AppResult<TicketView> {
    Ok(state.desktop()?.ticket_view(id)?)
}

#[tauri::command]
#[specta::specta]
pub async fn add_note(state: St<'_>, ticket_id: TicketId, body: String) -> AppResult<()> {
    state.desktop()?.add_note(ticket_id, &body)?;
    Ok(())
}

/// An e-mail reply to the customer: recorded now, sent by the hub after the next sync.
#[tauri::command]
#[specta::specta]
pub async fn reply_by_email(
    state: St<'_>,
    ticket_id: TicketId,
    form: helpline_client::email::EmailReplyForm,
) -> AppResult<()> {
    state.desktop()?.reply_by_email(ticket_id, form)?;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn log_follow_up_contact(state: St<'_>, ticket_id: TicketId, contact: FollowUpContact) -> AppResult<()> {
    state.desktop()?.log_follow_up_contact(ticket_id, contact)?;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn change_status(state: St<'_>, ticket_id: TicketId, status: Status) -> AppResult<()> {
    state.desktop()?.change_status(ticket_id, status)?;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn resolve_ticket(state: St<'_>, ticket_id: TicketId, summary: String) -> AppResult<()> {
    state.desktop()?.resolve(ticket_id, &summary)?;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn escalate_ticket(state: St<'_>, ticket_id: TicketId, escalation: Escalation) -> AppResult<()> {
    state.desktop()?.escalate(ticket_id, escalation)?;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn get_sync_status(state: St<'_>) -> AppResult<SyncView> {
    state.sync_view()
}

#[tauri::command]
#[specta::specta]
pub async fn load_draft(state: St<'_>, key: String) -> AppResult<Option<String>> {
    Ok(state.desktop()?.load_draft(&key)?)
}

#[tauri::command]
#[specta::specta]
pub async fn save_draft(state: St<'_>, key: String, body: String) -> AppResult<()> {
    Ok(state.desktop()?.save_draft(&key, &body)?)
}

#[tauri::command]
#[specta::specta]
pub async fn discard_draft(state: St<'_>, key: String) -> AppResult<()> {
    Ok(state.desktop()?.discard_draft(&key)?)
}

// ---- second level and experts ----------------------------------------------------------

#[tauri::command]
#[specta::specta]
pub async fn claim_ticket(state: St<'_>, ticket_id: TicketId) -> AppResult<Delivery> {
    Ok(state.desktop()?.claim_with_verdict(ticket_id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn hand_back(state: St<'_>, ticket_id: TicketId, instructions: String) -> AppResult<()> {
    state.desktop()?.hand_back(ticket_id, &instructions)?;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn hand_over_to_expert(
    state: St<'_>,
    ticket_id: TicketId,
    department_id: DepartmentId,
    note: String,
) -> AppResult<()> {
    state.desktop()?.hand_over_to_expert(ticket_id, department_id, &note)?;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn return_from_expert(state: St<'_>, ticket_id: TicketId, note: String) -> AppResult<()> {
    state.desktop()?.return_from_expert(ticket_id, &note)?;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn ask_expert(
    state: St<'_>,
    ticket_id: TicketId,
    department_id: DepartmentId,
    question: String,
) -> AppResult<ConsultId> {
    Ok(state.desktop()?.request_consult(ticket_id, department_id, &question)?)
}

#[tauri::command]
#[specta::specta]
pub async fn answer_consult(
    state: St<'_>,
    ticket_id: TicketId,
    consult_id: ConsultId,
    answer: String,
) -> AppResult<()> {
    state.desktop()?.answer_consult(ticket_id, consult_id, &answer)?;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn mark_customer_informed(state: St<'_>, ticket_id: TicketId, informed: CustomerInformed) -> AppResult<()> {
    state.desktop()?.mark_customer_informed(ticket_id, informed)?;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn reopen_ticket(state: St<'_>, ticket_id: TicketId, reason: String) -> AppResult<()> {
    state.desktop()?.reopen(ticket_id, &reason)?;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn list_consults(state: St<'_>) -> AppResult<Vec<ConsultRow>> {
    Ok(state.desktop()?.open_consults()?)
}

// ---- knowledge base ----------------------------------------------------------------------

#[tauri::command]
#[specta::specta]
pub async fn list_kb(state: St<'_>, query: KbQuery, offset: u32, limit: u32) -> AppResult<KbPage> {
    Ok(state.desktop()?.kb_page(&query, offset, limit)?)
}

#[tauri::command]
#[specta::specta]
pub async fn list_kb_tags(state: St<'_>) -> AppResult<Vec<TagCount>> {
    Ok(state.desktop()?.kb_tags()?)
}

#[tauri::command]
#[specta::specta]
pub async fn save_kb_article(state: St<'_>, edit: KbEdit, publish: bool) -> AppResult<KbSaveResult> {
    Ok(state.desktop()?.save_kb(edit, publish).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn publish_kb_article(state: St<'_>, id: KbArticleId) -> AppResult<()> {
    Ok(state.desktop()?.publish_kb(id)?)
}

#[tauri::command]
#[specta::specta]
pub async fn archive_kb_article(state: St<'_>, id: KbArticleId) -> AppResult<()> {
    Ok(state.desktop()?.archive_kb(id)?)
}

#[tauri::command]
#[specta::specta]
pub async fn flag_kb_article(state: St<'_>, id: KbArticleId) -> AppResult<()> {
    Ok(state.desktop()?.flag_kb_outdated(id)?)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_kb_phrasing(state: St<'_>, article_id: KbArticleId, phrasing_id: KbPhrasingId) -> AppResult<()> {
    Ok(state.desktop()?.remove_kb_phrasing(article_id, phrasing_id)?)
}

#[tauri::command]
#[specta::specta]
pub async fn list_knowledge_gaps(state: St<'_>) -> AppResult<Vec<KnowledgeGapView>> {
    Ok(state.desktop()?.knowledge_gaps()?)
}

#[tauri::command]
#[specta::specta]
pub async fn draft_kb_from_gap(state: St<'_>, ticket_ids: Vec<TicketId>, headings: DraftHeadings) -> AppResult<KbEdit> {
    Ok(state.desktop()?.kb_draft_from_gap(&ticket_ids, &headings)?)
}

#[tauri::command]
#[specta::specta]
pub async fn draft_kb_from_ticket(state: St<'_>, ticket_id: TicketId, headings: DraftHeadings) -> AppResult<KbEdit> {
    Ok(state.desktop()?.kb_draft_from_ticket(ticket_id, &headings)?)
}

#[tauri::command]
#[specta::specta]
pub async fn draft_kb_from_answer(
    state: St<'_>,
    ticket_id: TicketId,
    consult_id: ConsultId,
    headings: DraftHeadings,
) -> AppResult<KbEdit> {
    Ok(state.desktop()?.kb_draft_from_answer(ticket_id, consult_id, &headings)?)
}

#[tauri::command]
#[specta::specta]
pub async fn list_kb_conflicts(state: St<'_>) -> AppResult<Vec<KbConflict>> {
    Ok(state.desktop()?.kb_conflicts()?)
}

/// The editor's preview: Markdown rendered and sanitised exactly as the article will be.
#[tauri::command]
#[specta::specta]
pub async fn preview_markdown(body: String) -> AppResult<String> {
    Ok(render_markdown(&body))
}

/// Labels the tray menu in the agent's language (the window's words).
#[tauri::command]
#[specta::specta]
pub async fn label_tray(app: AppHandle, labels: crate::shell::TrayLabels) -> AppResult<()> {
    if let Some(menu) = app.try_state::<crate::shell::TrayMenu<tauri::Wry>>() {
        menu.relabel(&labels).map_err(AppError::internal)?;
    }
    Ok(())
}

/// Raises a native notification with the window's words (in the agent's language): the
/// alerts the backend reports as kinds and fields, said by the UI's messages.
#[tauri::command]
#[specta::specta]
pub async fn show_notification(app: AppHandle, title: String, body: String) -> AppResult<()> {
    crate::shell::notify(&app, &title, &body);
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn get_dashboard(state: St<'_>, filter: DashboardFilter) -> AppResult<Dashboard> {
    Ok(state.desktop()?.dashboard(&filter)?)
}

#[tauri::command]
#[specta::specta]
pub async fn get_agent_figures(state: St<'_>, filter: DashboardFilter) -> AppResult<Vec<AgentFigures>> {
    Ok(state.desktop()?.agent_figures(&filter).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn get_org_settings(state: St<'_>) -> AppResult<OrgSettingsView> {
    Ok(state.desktop()?.org_settings()?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_get_settings(state: St<'_>) -> AppResult<OrgSettingsView> {
    Ok(state.desktop()?.admin_get_settings().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_put_settings(state: St<'_>, settings: OrgSettingsView) -> AppResult<OrgSettingsView> {
    Ok(state.desktop()?.admin_put_settings(settings).await?)
}

// ---- administration (admins, online: each goes to the hub, which checks the role) ----

#[tauri::command]
#[specta::specta]
pub async fn admin_list_agents(state: St<'_>) -> AppResult<Vec<AdminAgentView>> {
    Ok(state.desktop()?.admin_list_agents().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_add_agent(state: St<'_>, form: NewAgentForm) -> AppResult<AdminAgentView> {
    Ok(state.desktop()?.admin_add_agent(form).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_change_agent(state: St<'_>, login: String, form: AgentChangeForm) -> AppResult<AdminAgentView> {
    Ok(state.desktop()?.admin_change_agent(&login, form).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_set_agent_active(state: St<'_>, login: String, active: bool) -> AppResult<AdminAgentView> {
    Ok(state.desktop()?.admin_set_agent_active(&login, active).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_reset_password(state: St<'_>, login: String) -> AppResult<OneTimePasswordView> {
    Ok(state.desktop()?.admin_reset_password(&login).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_list_departments(state: St<'_>) -> AppResult<Vec<Named<DepartmentId>>> {
    Ok(state.desktop()?.admin_list_departments().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_add_department(state: St<'_>, name: String) -> AppResult<Named<DepartmentId>> {
    Ok(state.desktop()?.admin_add_department(&name).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_rename_department(state: St<'_>, id: DepartmentId, name: String) -> AppResult<Named<DepartmentId>> {
    Ok(state.desktop()?.admin_rename_department(id, &name).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_list_categories(state: St<'_>) -> AppResult<Vec<Named<CategoryId>>> {
    Ok(state.desktop()?.admin_list_categories().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_add_category(state: St<'_>, name: String) -> AppResult<Named<CategoryId>> {
    Ok(state.desktop()?.admin_add_category(&name).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_rename_category(state: St<'_>, id: CategoryId, name: String) -> AppResult<Named<CategoryId>> {
    Ok(state.desktop()?.admin_rename_category(id, &name).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_get_sla(state: St<'_>) -> AppResult<SlaSettingsView> {
    Ok(state.desktop()?.admin_get_sla().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_put_sla(state: St<'_>, settings: SlaSettingsView) -> AppResult<SlaSettingsView> {
    Ok(state.desktop()?.admin_put_sla(&settings).await?)
}

/// "A ticket logged now is due at …" for settings not saved yet (no hub needed).
#[tauri::command]
#[specta::specta]
pub async fn admin_preview_sla(state: St<'_>, settings: SlaSettingsView) -> AppResult<Vec<SlaDuePreview>> {
    Ok(state.desktop()?.admin_sla_preview(&settings)?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_list_log(state: St<'_>, before: Option<u32>, limit: u32) -> AppResult<AdminLogPageView> {
    Ok(state.desktop()?.admin_log(before.map(u64::from), limit).await?)
}

/// Every agent's own password (also the one-time password an admin set).
#[tauri::command]
#[specta::specta]
pub async fn change_own_password(state: St<'_>, current_password: String, new_password: String) -> AppResult<Session> {
    state.desktop()?.change_own_password(&current_password, &new_password).await?;
    Ok(state.session())
}

// ---- the phone ---------------------------------------------------------------------------

/// The calls that started in `[from, to)` (ms): the call log.
#[tauri::command]
#[specta::specta]
pub async fn list_calls(state: St<'_>, from: Millis, to: Millis) -> AppResult<CallLog> {
    Ok(state.desktop()?.call_log(from.0, to.0)?)
}

/// The agent's calls going on now (ringing, or answered by them and not ended): what a
/// window shows when it opens, before the next `call-changed`.
#[tauri::command]
#[specta::specta]
pub async fn list_active_calls(state: St<'_>) -> AppResult<Vec<IncomingCall>> {
    Ok(state.desktop()?.active_calls()?)
}

/// Dials through the OS: the settings' template (`tel:{number}` or a softphone's
/// `sip:`) opened by the opener, for phone URLs only. With a ticket, the outbound call
/// the phone system then reports is linked to it.
#[tauri::command]
#[specta::specta]
pub async fn dial_number(app: AppHandle, state: St<'_>, number: String, ticket_id: Option<TicketId>) -> AppResult<()> {
    use tauri_plugin_opener::OpenerExt as _;
    let template = state.settings().dial_template;
    let DialTarget { url } = state.desktop()?.dial(&number, ticket_id, &template)?;
    // The client builds only tel:/sip: URLs; checked once more where the URL leaves the app.
    let scheme = url.split(':').next().unwrap_or_default().to_ascii_lowercase();
    if !crate::DIAL_URL_SCOPE.iter().any(|s| s.trim_end_matches(":*") == scheme) {
        return Err(AppError::validation("dial_template", format!("{scheme}: URLs are not opened")));
    }
    tracing::info!(scheme, "dialling through the system's handler");
    app.opener().open_url(url, None::<&str>).map_err(|e| AppError::validation("dial_template", e.to_string()))
}

#[tauri::command]
#[specta::specta]
pub async fn get_dial_template(state: St<'_>) -> AppResult<String> {
    Ok(state.settings().dial_template)
}

/// `tel:{number}`, `sip:{number}@pbx.example`, …: refused unless it starts with tel:,
/// sip: or sips: and holds `{number}` (field `dial_template`).
#[tauri::command]
#[specta::specta]
pub async fn set_dial_template(state: St<'_>, template: String) -> AppResult<()> {
    let template = check_dial_template(&template)?;
    state.update_settings(|s| s.dial_template = template)?;
    Ok(())
}

// ---- phone system integrations (admins, online) --------------------------------------------

#[tauri::command]
#[specta::specta]
pub async fn admin_list_cti(state: St<'_>) -> AppResult<Vec<CtiIntegration>> {
    Ok(state.desktop()?.admin_list_cti().await?)
}

/// A new integration; its token is shown once (the phone system's URL holds it).
#[tauri::command]
#[specta::specta]
pub async fn admin_add_cti(state: St<'_>, name: String, allowed_sources: Vec<String>) -> AppResult<CtiToken> {
    Ok(state.desktop()?.admin_add_cti(&name, allowed_sources).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_change_cti(state: St<'_>, id: CtiIntegrationId, change: CtiChangeForm) -> AppResult<CtiIntegration> {
    Ok(state.desktop()?.admin_change_cti(id, change).await?)
}

/// A new token; the old one stops at once.
#[tauri::command]
#[specta::specta]
pub async fn admin_rotate_cti(state: St<'_>, id: CtiIntegrationId) -> AppResult<CtiToken> {
    Ok(state.desktop()?.admin_rotate_cti(id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_remove_cti(state: St<'_>, id: CtiIntegrationId) -> AppResult<()> {
    Ok(state.desktop()?.admin_remove_cti(id).await?)
}

// ---- mailboxes (admins, online) -------------------------------------------------------------

#[tauri::command]
#[specta::specta]
pub async fn admin_list_mailboxes(state: St<'_>) -> AppResult<Vec<MailboxView>> {
    Ok(state.desktop()?.admin_list_mailboxes().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_add_mailbox(state: St<'_>, form: MailboxForm) -> AppResult<MailboxView> {
    Ok(state.desktop()?.admin_add_mailbox(form).await?)
}

/// Empty passwords keep the stored ones.
#[tauri::command]
#[specta::specta]
pub async fn admin_change_mailbox(state: St<'_>, id: MailboxId, form: MailboxForm) -> AppResult<MailboxView> {
    Ok(state.desktop()?.admin_change_mailbox(id, form).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_remove_mailbox(state: St<'_>, id: MailboxId) -> AppResult<()> {
    Ok(state.desktop()?.admin_remove_mailbox(id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn admin_list_quarantine(state: St<'_>) -> AppResult<Vec<QuarantinedMailView>> {
    Ok(state.desktop()?.admin_list_quarantine().await?)
}
