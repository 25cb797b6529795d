//! The supervisor's dashboard against a real hub on both backends: it counts what first
//! level logged on other desktops once it synced, only leads see it, and figures per
//! agent appear only while the organisation allows them and after the hub recorded the
//! view (who, when, which period).

use crate::common::*;
use anyhow::{Result, ensure};
use helpline_client::admin::NewAgentForm;
use helpline_client::calls::{ContactForm, Outcome};
use helpline_client::dashboard::{DashboardFilter, FigureKey, OrgSettingsView, Period};
use helpline_domain::{ErrorKind, Role};
use helpline_tests::faults::FaultPlan;
use helpline_tests::harness::{Backend, PASSWORD, TestHub};

crate::both_backends!(a_supervisor_sees_first_levels_calls_and_figures_per_agent_only_when_allowed_and_recorded);

fn form(subject: &str) -> ContactForm {
    ContactForm { contact: call(subject), suggested_kb: vec![], used_kb: vec![], opened_kb: vec![], call_id: None }
}

const TODAY: DashboardFilter =
    DashboardFilter { period: Period::Today, category_id: None, department_id: None, channel: None };

async fn a_supervisor_sees_first_levels_calls_and_figures_per_agent_only_when_allowed_and_recorded(
    backend: Backend,
) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let admin = hub.desktop("admin", FaultPlan::none()).await?;
    let sven = NewAgentForm {
        login: "sven".into(),
        name: "Sven".into(),
        role: Role::Supervisor,
        department_id: None,
        languages: vec!["de".into()],
        password: PASSWORD.into(),
        phone_identities: Vec::new(),
        phone_queues: Vec::new(),
    };
    admin.admin_add_agent(sven).await?;
    let anna = hub.desktop("anna", FaultPlan::none()).await?;
    let jana = hub.desktop("jana", FaultPlan::none()).await?;
    let sven = hub.desktop("sven", FaultPlan::none()).await?;

    sven.sync_once().await?;
    let empty = sven.dashboard(&TODAY)?;
    ensure!(empty.coverage.cached_tickets == 0 && empty.figures.iter().all(|f| f.count == 0), "{empty:?}");

    anna.submit_contact(form("Drucker druckt nicht"), Outcome::Solved { summary: "Papierstau behoben".into() })?;
    let escalate = Outcome::Escalate {
        reason: "VPN-Zertifikat abgelaufen".into(),
        steps_tried: "Neustart".into(),
        handover_summary: "Zertifikat erneuern".into(),
    };
    anna.submit_contact(form("VPN bricht ab"), escalate)?;
    anna.sync_once().await?;
    sven.sync_once().await?;
    let d = sven.dashboard(&TODAY)?;
    let fcr = d.figures.iter().find(|f| f.key == FigureKey::FirstContactResolution).expect("FCR");
    ensure!((fcr.count, fcr.of) == (1, 2), "{fcr:?}");
    ensure!(d.live.open_by_level == [0, 1, 0] && d.live.unclaimed_escalations == 1, "{:?}", d.live);
    ensure!(d.coverage.window_start.is_some(), "the hub's window is known after a pull");

    for (who, desktop) in [("first level", &anna), ("second level", &jana)] {
        let err = desktop.dashboard(&TODAY).expect_err("no dashboard");
        ensure!(err.kind() == ErrorKind::Forbidden, "{who}: {err}");
    }
    // Off by default: refused here, and the hub refuses a recorded view too.
    let err = sven.agent_figures(&TODAY).await.expect_err("off by default");
    ensure!(err.kind() == ErrorKind::Validation, "{err}");
    let err = admin.agent_figures(&TODAY).await.expect_err("admins are not supervisors");
    ensure!(err.kind() == ErrorKind::Forbidden, "{err}");

    admin.admin_put_settings(OrgSettingsView { agent_figures: true }).await?;
    ensure!(admin.admin_get_settings().await?.agent_figures);
    sven.sync_once().await?;
    ensure!(sven.org_settings()?.agent_figures, "the setting arrives by pull");
    let agents = sven.agent_figures(&TODAY).await?;
    ensure!(agents.len() == 1 && agents[0].calls == 2 && agents[0].first_contact == 1, "{agents:?}");
    sven.agent_figures(&TODAY).await?; // a refresh as tickets sync: the same view
    let week = DashboardFilter { period: Period::Days7, ..TODAY };
    sven.agent_figures(&week).await?;
    let log = admin.admin_log(None, 10).await?;
    let views: Vec<_> = log.entries.iter().filter(|e| e.action == "view_agent_figures").collect();
    ensure!(views.len() == 2, "one entry per view, not per refresh: {views:?}");
    let viewed = views[0];
    ensure!(viewed.actor_name.as_deref() == Some("Sven"), "{viewed:?}");
    ensure!(log.entries[2].action == "set_settings", "{:?}", log.entries);
    hub.stop().await;
    Ok(())
}
