//! Administration from the desktop (admins only, online only: nothing here goes through
//! the outbox; the hub decides and logs each change, and the desktops get agents,
//! departments, categories and SLA settings with their next pull), and every agent's own
//! password. Views are plain and serialisable like `views.rs`: ids as named types, times
//! as milliseconds.

use crate::views::Named;
use crate::{ClientError, Desktop, HubApi, Result};
use helpline_domain::sla::compute_due;
use helpline_domain::{
    Agent, AgentId, BusinessCalendar, CategoryId, DepartmentId, DomainError, ErrorCode, Priority, Role, SlaPolicy,
    SlaTarget, Timestamp, WorkingHours,
};
use helpline_domain::{CtiIntegrationId, MailboxId};
use helpline_protocol::{
    AdminLogPage, AgentChange, ChangePassword, CtiIntegrationChange, NewAgent, NewCtiIntegration, SlaSettings,
};
/// The mailbox administration's forms and views are the wire's own (nothing to reshape).
pub use helpline_protocol::{MailboxForm, MailboxView, QuarantinedMailView};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An agent as the admin screen lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct AdminAgentView {
    pub id: AgentId,
    pub name: String,
    pub login: String,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
    pub languages: Vec<String>,
    pub active: bool,
    /// How the phone system names the agent (extension, SIP user, e-mail, name).
    pub phone_identities: Vec<String>,
    /// The phone system's queues (hunt groups) the agent works.
    pub phone_queues: Vec<String>,
}

impl From<Agent> for AdminAgentView {
    fn from(a: Agent) -> Self {
        AdminAgentView {
            id: a.id,
            name: a.name,
            login: a.login,
            role: a.role,
            department_id: a.department_id,
            languages: a.languages,
            active: a.active,
            phone_identities: a.phone_identities,
            phone_queues: a.phone_queues,
        }
    }
}

/// An agent the admin adds (the password is the agent's first one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct NewAgentForm {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
    pub languages: Vec<String>,
    pub password: String,
    #[serde(default)]
    pub phone_identities: Vec<String>,
    #[serde(default)]
    pub phone_queues: Vec<String>,
}

/// What the admin changes about an agent; `None` leaves a field as it is.
/// `department_id: Some(None)` removes the department.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct AgentChangeForm {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub department_id: Option<Option<DepartmentId>>,
    /// Replaces the agent's phone identities.
    #[serde(default)]
    pub phone_identities: Option<Vec<String>>,
    /// Replaces the agent's phone queues.
    #[serde(default)]
    pub phone_queues: Option<Vec<String>>,
}

/// A phone system allowed to report calls to the hub (`/v1/cti/{token}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct CtiIntegration {
    pub id: CtiIntegrationId,
    pub name: String,
    /// IP addresses or networks (CIDR) events may come from; empty for anywhere.
    pub allowed_sources: Vec<String>,
    #[specta(type = i32)]
    pub created_at: i64,
    /// When its token was made (at creation or the last rotation).
    #[specta(type = i32)]
    pub token_made_at: i64,
}

impl From<helpline_protocol::CtiIntegration> for CtiIntegration {
    fn from(c: helpline_protocol::CtiIntegration) -> Self {
        CtiIntegration {
            id: c.id,
            name: c.name,
            allowed_sources: c.allowed_sources,
            created_at: c.created_at.as_millis(),
            token_made_at: c.token_made_at.as_millis(),
        }
    }
}

/// An integration's new secret, shown to the admin once: the phone system posts to
/// `{hub}/v1/cti/{token}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct CtiToken {
    pub integration: CtiIntegration,
    pub token: String,
}

impl From<helpline_protocol::CtiToken> for CtiToken {
    fn from(t: helpline_protocol::CtiToken) -> Self {
        CtiToken { integration: t.integration.into(), token: t.token }
    }
}

/// What the admin changes about an integration; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct CtiChangeForm {
    pub name: Option<String>,
    pub allowed_sources: Option<Vec<String>>,
}

/// The one-time password the hub made: shown to the admin once, to pass on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct OneTimePasswordView {
    pub agent: AdminAgentView,
    pub password: String,
}

/// One priority's targets, in business minutes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct SlaTargetView {
    pub priority: Priority,
    pub first_response_minutes: u32,
    pub resolution_minutes: u32,
}

/// Working hours on one ISO weekday (1 Monday … 7 Sunday), minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct WorkingHoursView {
    pub weekday: u8,
    pub start_minute: u16,
    pub end_minute: u16,
}

/// The SLA policy and business calendar as the admin screen edits them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct SlaSettingsView {
    pub policy_name: String,
    /// Urgent, high, normal, low.
    pub targets: Vec<SlaTargetView>,
    /// IANA name, e.g. "Europe/Berlin".
    pub time_zone: String,
    pub hours: Vec<WorkingHoursView>,
    /// Dates as `YYYY-MM-DD`.
    pub holidays: Vec<String>,
}

const PRIORITIES: [Priority; 4] = [Priority::Urgent, Priority::High, Priority::Normal, Priority::Low];

impl SlaSettingsView {
    pub fn from_settings(s: &SlaSettings) -> Self {
        SlaSettingsView {
            policy_name: s.policy.name.clone(),
            targets: PRIORITIES
                .iter()
                .map(|&priority| {
                    let t = s.policy.target(priority);
                    SlaTargetView {
                        priority,
                        first_response_minutes: t.first_response_minutes,
                        resolution_minutes: t.resolution_minutes,
                    }
                })
                .collect(),
            time_zone: s.calendar.time_zone.clone(),
            hours: s
                .calendar
                .hours
                .iter()
                .map(|h| WorkingHoursView {
                    weekday: h.weekday,
                    start_minute: h.start_minute,
                    end_minute: h.end_minute,
                })
                .collect(),
            holidays: s.calendar.holidays.iter().map(|d| d.to_string()).collect(),
        }
    }

    /// The settings these fields describe, checked as the hub checks them
    /// ([`helpline_domain::sla::check_sla_settings`]); a refusal names the field.
    pub fn to_settings(&self) -> Result<SlaSettings> {
        let target = |priority: Priority| -> Result<SlaTarget> {
            let t = self.targets.iter().find(|t| t.priority == priority).ok_or_else(|| {
                ClientError::from_domain(DomainError::coded(
                    ErrorCode::Required,
                    "targets",
                    format!("no target for {} tickets", priority.as_str()),
                ))
            })?;
            Ok(SlaTarget { first_response_minutes: t.first_response_minutes, resolution_minutes: t.resolution_minutes })
        };
        let holidays = self
            .holidays
            .iter()
            .map(|text| {
                text.trim().parse::<jiff::civil::Date>().map_err(|_| {
                    ClientError::from_domain(DomainError::coded(
                        ErrorCode::InvalidDate,
                        "holidays",
                        format!("{text:?} is not a date (YYYY-MM-DD)"),
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let settings = SlaSettings {
            policy: SlaPolicy {
                name: self.policy_name.trim().to_owned(),
                urgent: target(Priority::Urgent)?,
                high: target(Priority::High)?,
                normal: target(Priority::Normal)?,
                low: target(Priority::Low)?,
            },
            calendar: BusinessCalendar {
                time_zone: self.time_zone.trim().to_owned(),
                hours: self
                    .hours
                    .iter()
                    .map(|h| WorkingHours {
                        weekday: h.weekday,
                        start_minute: h.start_minute,
                        end_minute: h.end_minute,
                    })
                    .collect(),
                holidays,
            },
        };
        helpline_domain::sla::check_sla_settings(&settings.policy, &settings.calendar)
            .map_err(ClientError::from_domain)?;
        Ok(settings)
    }
}

/// When a ticket of one priority logged at the preview's moment would be due.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct SlaDuePreview {
    pub priority: Priority,
    #[specta(type = i32)]
    pub first_response_due: i64,
    #[specta(type = i32)]
    pub resolution_due: i64,
}

/// "A ticket logged at `now` is due at …", per priority, with the domain's `compute_due`
/// (the calculation the desktop runs when it logs a contact). Checks the settings first.
pub fn sla_preview(settings: &SlaSettingsView, now: Timestamp) -> Result<Vec<SlaDuePreview>> {
    let s = settings.to_settings()?;
    PRIORITIES
        .iter()
        .map(|&priority| {
            let t = s.policy.target(priority);
            let due = |minutes| compute_due(&s.calendar, now, minutes).map_err(ClientError::from_domain);
            Ok(SlaDuePreview {
                priority,
                first_response_due: due(t.first_response_minutes)?.as_millis(),
                resolution_due: due(t.resolution_minutes)?.as_millis(),
            })
        })
        .collect()
}

/// One entry of the hub's admin log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct AdminLogEntryView {
    #[specta(type = i32)]
    pub id: u64,
    #[specta(type = i32)]
    pub at: i64,
    /// `None`: the hub's command line.
    pub actor: Option<AgentId>,
    /// The admin's name, when the hub still knows them.
    pub actor_name: Option<String>,
    pub action: String,
    pub subject: String,
    pub details: BTreeMap<String, String>,
}

/// A page of the admin log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct AdminLogPageView {
    pub entries: Vec<AdminLogEntryView>,
    /// Pass as `before` for the next (older) page.
    #[specta(type = Option<i32>)]
    pub next_before: Option<u64>,
}

impl<H: HubApi> Desktop<H> {
    pub async fn admin_list_agents(&self) -> Result<Vec<AdminAgentView>> {
        let agents = self.hub().admin_list_agents(&self.token()?).await?;
        Ok(agents.into_iter().map(AdminAgentView::from).collect())
    }

    pub async fn admin_add_agent(&self, form: NewAgentForm) -> Result<AdminAgentView> {
        let new = NewAgent {
            login: form.login,
            name: form.name,
            role: form.role,
            department_id: form.department_id,
            languages: form.languages,
            password: form.password,
            phone_identities: clean_list(form.phone_identities),
            phone_queues: clean_list(form.phone_queues),
        };
        Ok(self.hub().admin_add_agent(&self.token()?, &new).await?.into())
    }

    pub async fn admin_change_agent(&self, login: &str, form: AgentChangeForm) -> Result<AdminAgentView> {
        let change = AgentChange {
            name: form.name,
            role: form.role,
            department_id: form.department_id,
            phone_identities: form.phone_identities.map(clean_list),
            phone_queues: form.phone_queues.map(clean_list),
        };
        Ok(self.hub().admin_change_agent(&self.token()?, login, &change).await?.into())
    }

    pub async fn admin_list_cti(&self) -> Result<Vec<CtiIntegration>> {
        Ok(self.hub().admin_list_cti(&self.token()?).await?.into_iter().map(CtiIntegration::from).collect())
    }

    /// A new integration and its token (shown once).
    pub async fn admin_add_cti(&self, name: &str, allowed_sources: Vec<String>) -> Result<CtiToken> {
        let new = NewCtiIntegration { name: name.trim().to_owned(), allowed_sources: clean_list(allowed_sources) };
        Ok(self.hub().admin_add_cti(&self.token()?, &new).await?.into())
    }

    pub async fn admin_change_cti(&self, id: CtiIntegrationId, form: CtiChangeForm) -> Result<CtiIntegration> {
        let change = CtiIntegrationChange {
            name: form.name.map(|n| n.trim().to_owned()),
            allowed_sources: form.allowed_sources.map(clean_list),
        };
        Ok(self.hub().admin_change_cti(&self.token()?, id, &change).await?.into())
    }

    /// A new token; the old one stops working at once.
    pub async fn admin_rotate_cti(&self, id: CtiIntegrationId) -> Result<CtiToken> {
        Ok(self.hub().admin_rotate_cti(&self.token()?, id).await?.into())
    }

    pub async fn admin_remove_cti(&self, id: CtiIntegrationId) -> Result<()> {
        self.hub().admin_remove_cti(&self.token()?, id).await?;
        Ok(())
    }

    /// The hub's mailboxes with what their last fetch saw (never a password).
    pub async fn admin_list_mailboxes(&self) -> Result<Vec<MailboxView>> {
        self.hub().admin_list_mailboxes(&self.token()?).await
    }

    pub async fn admin_add_mailbox(&self, form: MailboxForm) -> Result<MailboxView> {
        self.hub().admin_add_mailbox(&self.token()?, &form).await
    }

    /// Empty passwords keep the stored ones.
    pub async fn admin_change_mailbox(&self, id: MailboxId, form: MailboxForm) -> Result<MailboxView> {
        self.hub().admin_change_mailbox(&self.token()?, id, &form).await
    }

    /// Its tickets and sent mail stay.
    pub async fn admin_remove_mailbox(&self, id: MailboxId) -> Result<()> {
        self.hub().admin_remove_mailbox(&self.token()?, id).await?;
        Ok(())
    }

    pub async fn admin_list_quarantine(&self) -> Result<Vec<QuarantinedMailView>> {
        self.hub().admin_list_quarantine(&self.token()?).await
    }

    /// Disabling ends the agent's sessions at once; the last active admin stays.
    pub async fn admin_set_agent_active(&self, login: &str, active: bool) -> Result<AdminAgentView> {
        Ok(self.hub().admin_set_agent_active(&self.token()?, login, active).await?.into())
    }

    /// The hub makes a one-time password, returned here once; the agent must choose their
    /// own at the next sign-in.
    pub async fn admin_reset_password(&self, login: &str) -> Result<OneTimePasswordView> {
        let reset = self.hub().admin_reset_password(&self.token()?, login).await?;
        Ok(OneTimePasswordView { agent: reset.agent.into(), password: reset.password })
    }

    pub async fn admin_list_departments(&self) -> Result<Vec<Named<DepartmentId>>> {
        let all = self.hub().admin_list_departments(&self.token()?).await?;
        Ok(all.into_iter().map(|d| Named { id: d.id, name: d.name }).collect())
    }

    pub async fn admin_add_department(&self, name: &str) -> Result<Named<DepartmentId>> {
        let d = self.hub().admin_add_department(&self.token()?, name).await?;
        Ok(Named { id: d.id, name: d.name })
    }

    pub async fn admin_rename_department(&self, id: DepartmentId, name: &str) -> Result<Named<DepartmentId>> {
        let d = self.hub().admin_rename_department(&self.token()?, id, name).await?;
        Ok(Named { id: d.id, name: d.name })
    }

    pub async fn admin_list_categories(&self) -> Result<Vec<Named<CategoryId>>> {
        let all = self.hub().admin_list_categories(&self.token()?).await?;
        Ok(all.into_iter().map(|c| Named { id: c.id, name: c.name }).collect())
    }

    pub async fn admin_add_category(&self, name: &str) -> Result<Named<CategoryId>> {
        let c = self.hub().admin_add_category(&self.token()?, name).await?;
        Ok(Named { id: c.id, name: c.name })
    }

    pub async fn admin_rename_category(&self, id: CategoryId, name: &str) -> Result<Named<CategoryId>> {
        let c = self.hub().admin_rename_category(&self.token()?, id, name).await?;
        Ok(Named { id: c.id, name: c.name })
    }

    pub async fn admin_get_sla(&self) -> Result<SlaSettingsView> {
        Ok(SlaSettingsView::from_settings(&self.hub().admin_get_sla(&self.token()?).await?))
    }

    /// Replaces the hub's SLA settings (checked here first, then by the hub). Open tickets
    /// keep their due times; tickets logged after the next pull use the new settings.
    pub async fn admin_put_sla(&self, settings: &SlaSettingsView) -> Result<SlaSettingsView> {
        let settings = settings.to_settings()?;
        Ok(SlaSettingsView::from_settings(&self.hub().admin_put_sla(&self.token()?, &settings).await?))
    }

    /// "A ticket logged now is due at …" for the settings being edited.
    pub fn admin_sla_preview(&self, settings: &SlaSettingsView) -> Result<Vec<SlaDuePreview>> {
        sla_preview(settings, self.now())
    }

    pub async fn admin_log(&self, before: Option<u64>, limit: u32) -> Result<AdminLogPageView> {
        let token = self.token()?;
        let AdminLogPage { entries, next_before } = self.hub().admin_log(&token, before, limit).await?;
        let names: BTreeMap<AgentId, String> =
            self.hub().admin_list_agents(&token).await?.into_iter().map(|a| (a.id, a.name)).collect();
        let entries = entries
            .into_iter()
            .map(|e| AdminLogEntryView {
                id: e.id,
                at: e.at.as_millis(),
                actor_name: e.actor.and_then(|a| names.get(&a).cloned()),
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                details: e.details,
            })
            .collect();
        Ok(AdminLogPageView { entries, next_before })
    }

    /// Whether the signed-in agent holds a one-time password: until they choose their own
    /// ([`Desktop::change_own_password`]) the hub accepts no push or pull.
    pub fn must_change_password(&self) -> Result<bool> {
        Ok(self.with_store(|s| Ok(s.get_sync_value(crate::session::MUST_CHANGE_PASSWORD_KEY)?))?.as_deref()
            == Some("1"))
    }

    /// The signed-in agent replaces their own password (online only), then syncing resumes.
    pub async fn change_own_password(&self, current: &str, new: &str) -> Result<AdminAgentView> {
        let request = ChangePassword { current_password: current.to_owned(), new_password: new.to_owned() };
        let agent = self.hub().change_password(&self.token()?, &request).await?;
        self.with_store(|s| Ok(s.set_sync_value(crate::session::MUST_CHANGE_PASSWORD_KEY, "0")?))?;
        self.wake.notify_one();
        Ok(agent.into())
    }
}

/// A list as an admin typed it: entries trimmed, blank ones dropped (the hub checks the rest).
fn clean_list(items: Vec<String>) -> Vec<String> {
    items.into_iter().map(|i| i.trim().to_owned()).filter(|i| !i.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_the_view_and_the_preview_counts_business_time() {
        let settings = SlaSettings::default();
        let view = SlaSettingsView::from_settings(&settings);
        assert_eq!(view.to_settings().unwrap(), settings);
        // Monday 2026-11-23 16:00 Berlin (15:00 UTC): urgent first response 30 business minutes later.
        let now = Timestamp::from_millis(1_795_446_000_000);
        let preview = sla_preview(&view, now).unwrap();
        let urgent = preview.iter().find(|p| p.priority == Priority::Urgent).unwrap();
        assert_eq!(urgent.first_response_due - now.as_millis(), 30 * 60_000);
        let mut bad = view.clone();
        bad.holidays.push("2026-02-30".into());
        assert_eq!(bad.to_settings().unwrap_err().field(), Some("holidays"));
        let mut bad = view;
        bad.time_zone = "Mars/Olympus".into();
        assert_eq!(sla_preview(&bad, now).unwrap_err().field(), Some("time_zone"));
    }
}
