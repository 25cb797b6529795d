//! The product's loop in the real app: first level logs a call the KB does not cover and
//! escalates; second level claims it (and loses a claim raced by a colleague, told who
//! won), asks an expert; the expert answers; second level resolves, informs the customer
//! and publishes the solution; another first-level agent gets that article as the top
//! suggestion for the same problem in other words and solves on first contact. On the
//! way: first level sees no second-level action, a stale KB edit becomes a merge, and
//! axe-core finds no serious accessibility problem on any main screen.
//!
//! Two app windows (two profiles) against one real hub: window A signs in as Anna (first
//! level), later as Eva (expert) and Ben (first level); window B is Jana (second level).
//! Karl, a second-level colleague, works from a headless desktop in this process.

use crate::{CallForm, Outcome, looks_like_reference, start_app, sync_until_quiet};
use anyhow::{Context, Result, bail};
use helpline_client::kb::{KbEdit, KbQuery, KbSaveResult};
use helpline_client::work::Delivery;
use helpline_client::{Desktop, HttpHub, SystemClock};
use helpline_tests::harness::{HubProcess, PASSWORD};
use helpline_tests::webdriver::{App, PATIENCE, testid};
use std::sync::Arc;
use std::time::{Duration, Instant};
use thirtyfour::By;

const SUBJECT: &str = "Etikettendrucker druckt Umlaute als Fragezeichen";
const ANSWER: &str = "Im Treiber die Codepage 1252 einstellen, dann stimmen die Umlaute.";

fn row(reference: &str) -> By {
    By::Css(format!("[data-testid='queue-row'][data-reference='{reference}']"))
}

async fn open_ticket(app: &App, reference: &str) -> Result<()> {
    app.click("nav-queue").await?;
    app.click("queue-tab-all").await?;
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(el) = app.driver.find(row(reference)).await {
            el.click().await?;
            break;
        }
        if Instant::now() > deadline {
            app.screenshot(&format!("failed-find-{reference}")).await;
            bail!("ticket {reference} is not in the queue");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.wait_text("ticket-reference", "the ticket", |t| t.contains(reference)).await?;
    Ok(())
}

/// The control is not there, or there but disabled (an action bar keeps its layout: an
/// action that does not apply now is shown disabled rather than removed).
async fn unusable(app: &App, id: &str) -> Result<()> {
    if let Ok(el) = app.driver.find(testid(id)).await
        && el.is_enabled().await?
    {
        bail!("[data-testid={id}] can be used but must not be");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and a keyring: run it with `cargo xtask e2e`"]
async fn the_knowledge_loop_from_first_level_to_the_experts_and_back() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let hub = HubProcess::create(dir.path().join("hub.db").to_str().context("path")?, None)?;
    let hub_url = hub.url();
    let karl = Desktop::open(dir.path().join("karl.db"), HttpHub::new(&hub_url)?, Arc::new(SystemClock))?;
    karl.login("karl", PASSWORD).await?;
    helpline_client::demo::seed_demo(&karl)?;
    sync_until_quiet(&karl).await?;

    let a = start_app(&dir.path().join("profile-a"), &hub_url).await?;
    let b = start_app(&dir.path().join("profile-b"), &hub_url).await?;
    let result = run_loop(&a, &b, &karl, &hub_url).await;
    if result.is_err() {
        a.screenshot("failed-loop-a").await;
        b.screenshot("failed-loop-b").await;
    }
    a.quit().await;
    b.quit().await;
    drop(hub);
    result
}

async fn run_loop(a: &App, b: &App, karl: &Desktop<HttpHub>, hub_url: &str) -> Result<()> {
    // ---- first level: a call the KB does not cover, escalated --------------------------
    a.wait("login-user").await?;
    a.assert_accessible("login").await?;
    a.sign_in(hub_url, "anna", PASSWORD).await?;
    a.wait_attr("status-connection", "data-state", "online", Duration::from_secs(60)).await?;
    a.assert_accessible("call-form").await?;
    let escalation = Outcome::Escalate {
        reason: "Umlaute falsch, Handbuch hilft nicht",
        steps: "Drucker neu gestartet, Etiketten neu gedruckt",
        summary: "Seit dem Treiberupdate druckt der Etikettendrucker ? statt Umlaute",
    };
    let first = a.log_call(SUBJECT, "Ä, Ö und Ü erscheinen als Fragezeichen.", escalation).await?;
    let raced = a
        .log_call(
            "Scanner sendet keine Mails",
            "Scan-to-Mail bricht ab",
            Outcome::Escalate { reason: "SMTP-Fehler", steps: "Neustart", summary: "Scanner meldet SMTP 535" },
        )
        .await?;
    a.wait_text_for("status-pending", "everything sent", Duration::from_secs(60), |t| t.trim() == "0").await?;

    // First level sees no second-level action on the escalated ticket.
    open_ticket(a, &first).await?;
    a.wait("ticket-escalation").await?;
    for hidden in ["ticket-claim", "ticket-ask-expert", "ticket-hand-back", "ticket-hand-over", "ticket-resolve"] {
        unusable(a, hidden).await?;
    }
    a.assert_accessible("ticket-first-level").await?;
    a.click("nav-queue").await?;
    a.assert_accessible("queue").await?;
    a.click("nav-settings").await?;
    a.assert_accessible("settings").await?;

    // ---- second level: the escalated queue, a claim, a raced claim, a consult ----------
    b.sign_in(hub_url, "jana", PASSWORD).await?;
    b.wait_attr("queue-tab-escalated", "aria-selected", "true", PATIENCE).await?;
    let deadline = Instant::now() + PATIENCE;
    while b.driver.find(row(&first)).await.is_err() || b.driver.find(row(&raced)).await.is_err() {
        if Instant::now() > deadline {
            bail!("the escalated queue does not show {first} and {raced}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.screenshot("work-view").await;
    b.assert_accessible("escalated-queue").await?;

    b.driver.find(row(&first)).await?.click().await?;
    b.wait_text("ticket-escalation", "the handover", |t| t.contains("Handbuch hilft nicht")).await?;
    b.click("ticket-claim").await?;
    // The test hub's agents are named by their login.
    b.wait_text("ticket-assignee", "Jana", |t| t.contains("jana")).await?;

    // Karl and Jana claim the other ticket at the same moment: one wins, the other is told.
    sync_until_quiet(karl).await?;
    let raced_id = karl.find_ticket(&raced)?.context("Karl has the raced ticket")?;
    // Waits for the row: the queue may still be loading right after the click.
    open_ticket(b, &raced).await?;
    let claim_button = b.wait("ticket-claim").await?;
    // The button is clicked through the DOM: when Karl's claim reaches Jana's window
    // first, the button is disabled and the click does nothing (a pointer click could land on
    // whatever moved into its place).
    let click = b.driver.execute("arguments[0].click()", vec![claim_button.to_json()?]);
    let (karl_claim, jana_click) = tokio::join!(
        async {
            let claim = karl.claim_with_verdict(raced_id);
            let (claim, _) = tokio::join!(biased; claim, karl.sync_once());
            claim
        },
        click
    );
    let karl_claim = karl_claim?;
    jana_click?;
    let holder = b.wait_text("ticket-assignee", "a holder", |t| t.contains("jana") || t.contains("karl")).await?;
    if holder.contains("jana") {
        match karl_claim {
            Delivery::Refused { reason, .. } => {
                if !reason.contains("already claimed by jana") {
                    bail!("Karl lost but is not told who won: {reason}");
                }
            }
            other => bail!("Jana holds the ticket, yet Karl's claim says {other:?}"),
        }
    } else {
        if karl_claim != Delivery::Confirmed {
            bail!("Karl holds the ticket, yet his claim says {karl_claim:?}");
        }
        // Jana is told: by the refusal when her claim went out, else by the holder shown
        // where her Claim button was.
        if let Ok(note) = b.driver.find(testid("ticket-claim-note")).await
            && !note.text().await?.contains("karl")
        {
            bail!("Jana's refused claim does not name Karl: {:?}", note.text().await?);
        }
        unusable(b, "ticket-claim").await?;
    }

    // Jana asks the network experts about the first ticket.
    open_ticket(b, &first).await?;
    b.click("ticket-ask-expert").await?;
    b.select_text("consult-department", "Netzwerk").await?;
    b.type_into("consult-text", "Welche Codepage braucht der Etikettendrucker?").await?;
    b.click("consult-submit").await?;
    b.wait_attr("ticket-status", "data-status", "waiting_expert", PATIENCE).await?;
    b.wait_text("ticket-consults", "the consult and its age", |t| t.contains("Codepage") && t.contains("jana")).await?;
    b.wait("consult-waiting").await?;
    b.assert_accessible("ticket-second-level").await?;
    b.wait_text_for("status-pending", "the consult sent", Duration::from_secs(60), |t| t.trim() == "0").await?;

    // ---- the expert answers ------------------------------------------------------------
    a.sign_out().await?;
    a.sign_in(hub_url, "eva", PASSWORD).await?;
    let consult = By::Css(format!("[data-testid='consult-row'][data-reference='{first}']"));
    let deadline = Instant::now() + PATIENCE;
    while a.driver.find(consult.clone()).await.is_err() {
        if Instant::now() > deadline {
            a.screenshot("failed-consults").await;
            bail!("the expert does not see the question on {first}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    a.assert_accessible("consults").await?;
    a.driver.find(consult).await?.click().await?;
    a.type_into("consult-answer-text", ANSWER).await?;
    a.click("consult-answer-submit").await?;
    a.wait("consult-answer").await?;
    a.wait_text_for("status-pending", "the answer sent", Duration::from_secs(60), |t| t.trim() == "0").await?;

    // ---- second level is woken, resolves, informs, publishes ---------------------------
    b.wait_attr("work-alert", "data-kind", "consult_answered", Duration::from_secs(60)).await?;
    b.click("work-alert-open").await?;
    b.wait_text("ticket-reference", "the answered ticket", |t| t.contains(&first)).await?;
    b.wait_attr("ticket-status", "data-status", "open", PATIENCE).await?;
    b.wait_text("ticket-consults", "the answer", |t| t.contains("Codepage 1252")).await?;
    b.click("ticket-resolve").await?;
    b.type_into("solve-summary", "Treiber auf Codepage 1252 umgestellt; Umlaute korrekt.").await?;
    b.click("solve-submit").await?;
    b.wait_attr("ticket-status", "data-status", "resolved", PATIENCE).await?;
    b.click("ticket-informed").await?;
    b.click("informed-submit").await?;
    b.wait("ticket-informed-at").await?;
    b.click("ticket-draft-kb").await?;
    let title = b.wait("kb-edit-title").await?.value().await?.unwrap_or_default();
    if title != SUBJECT {
        bail!("the KB draft is not titled by the ticket's subject: {title:?}");
    }
    let body = b.wait("kb-edit-body").await?.value().await?.unwrap_or_default();
    if !(body.contains("Codepage 1252 einstellen") && body.contains("Treiber auf Codepage 1252 umgestellt")) {
        bail!("the KB draft lacks the expert's answer or the resolution: {body:?}");
    }
    b.wait_text("kb-preview", "the rendered preview", |t| t.contains("Codepage")).await?;
    b.screenshot("kb-editor").await;
    b.assert_accessible("kb-editor").await?;
    b.click("kb-save-publish").await?;
    b.wait_attr("kb-view-state", "data-state", "published", PATIENCE).await?;
    b.wait_text("kb-view-title", "the published article", |t| t.contains(SUBJECT)).await?;
    b.assert_accessible("kb-article").await?;
    b.wait_text_for("status-pending", "the article sent", Duration::from_secs(60), |t| t.trim() == "0").await?;

    // ---- a stale edit: Karl changes the article while Jana edits it --------------------
    sync_until_quiet(karl).await?;
    let found = karl.kb_page(&KbQuery { text: "Etikettendrucker Umlaute".into(), ..KbQuery::default() }, 0, 5)?;
    let article_id = found.items.first().context("Karl finds the article")?.id;
    b.click("kb-edit-btn").await?;
    b.wait("kb-edit-body").await?;
    let seen_by_karl = karl.kb_article_view(article_id)?;
    let karls = KbEdit {
        article_id: Some(article_id),
        base_revision: Some(seen_by_karl.revision),
        title: seen_by_karl.title.clone(),
        body: format!("{}\nKarls Ergänzung: gilt auch für Modell LX-400.\n", seen_by_karl.body),
        tags: vec!["drucker".into(), "etiketten".into()],
        category_id: seen_by_karl.category_id,
        visibility: seen_by_karl.visibility,
        source_ticket: None,
    };
    let (saved, _) = tokio::join!(biased; karl.save_kb(karls, false), karl.sync_once());
    if !matches!(saved?, KbSaveResult::Saved { delivery: Delivery::Confirmed, .. }) {
        bail!("Karl's edit was not taken");
    }
    let body = b.wait("kb-edit-body").await?;
    body.send_keys("\nJanas Ergänzung: Treiber 3.2 behebt es dauerhaft.").await?;
    b.click("kb-save-draft").await?;
    b.wait_text("kb-conflict-theirs", "Karl's version, named as his", |t| t.contains("LX-400") && t.contains("karl"))
        .await?;
    b.wait_text("kb-conflict-mine", "Jana's version", |t| t.contains("Treiber 3.2")).await?;
    b.screenshot("kb-conflict").await;
    b.assert_accessible("kb-conflict").await?;
    b.click("kb-conflict-use-theirs").await?;
    b.wait("kb-edit-body").await?.send_keys("\nJanas Ergänzung: Treiber 3.2 behebt es dauerhaft.").await?;
    b.click("kb-save-draft").await?;
    b.wait_text("kb-view-body", "both additions", |t| t.contains("LX-400") && t.contains("Treiber 3.2")).await?;
    b.wait_text_for("status-pending", "the merge sent", Duration::from_secs(60), |t| t.trim() == "0").await?;
    sync_until_quiet(karl).await?;
    let merged = karl.kb_article_view(article_id)?;
    if merged.revision != 3 || !merged.body.contains("LX-400") || !merged.body.contains("Treiber 3.2") {
        bail!("the hub does not hold the merge as revision 3: rev {} {:?}", merged.revision, merged.body);
    }

    // Two calls Karl solved without any article: a gap the KB writers are shown.
    for (subject, description) in [
        ("Scanner speichert keine PDF", "Der Scanner im 2. OG legt keine PDF-Datei mehr im Netzordner ab"),
        ("Scanner legt keine PDF ab", "Scanner meldet OK, danach fehlt die PDF-Datei auf dem Netzlaufwerk"),
    ] {
        let (ticket, _) = karl.log_contact(helpline_domain::Contact {
            channel: helpline_domain::Channel::Phone,
            direction: helpline_domain::Direction::Inbound,
            customer_id: None,
            category_id: None,
            subject: subject.into(),
            description: description.into(),
            priority: helpline_domain::Priority::Normal,
            duration_seconds: 240,
            caller: None,
            call_id: None,
        })?;
        karl.resolve(ticket, "Zielordner im Scanner-Profil neu eingetragen")?;
    }
    sync_until_quiet(karl).await?;

    // ---- first level again: the article is the top suggestion, solved on first contact --
    a.sign_out().await?;
    a.sign_in(hub_url, "ben", PASSWORD).await?;
    a.wait_attr("status-connection", "data-state", "online", Duration::from_secs(60)).await?;
    a.click("nav-call").await?;
    a.wait_text("call-reference", "a reference", looks_like_reference).await?;
    // A call no article covers says so instead of listing weak hits.
    a.type_into("call-subject", "Kaffeemaschine tropft").await?;
    a.type_into("call-description", "Wasserlache unter der Kaffeemaschine am Empfang").await?;
    a.wait("kb-nothing-fits").await?;
    a.screenshot("call-form-nothing-fits").await;
    a.type_into("call-subject", "Etikettendrucker zeigt Fragezeichen").await?;
    a.type_into("call-description", "Statt Umlauten kommen Fragezeichen aufs Etikett").await?;
    let top = a.wait_text("kb-suggestion", "the published article first", |t| t.contains(SUBJECT)).await?;
    if !top.contains(SUBJECT) {
        bail!("the first suggestion is {top:?}");
    }
    // How well it fits, said on the suggestion.
    let fit = a.driver.find(testid("kb-fit")).await?.attr("data-fit").await?.unwrap_or_default();
    if fit != "strong" && fit != "possible" {
        bail!("the top suggestion shows no fit: {fit:?}");
    }
    if a.driver.find(testid("kb-nothing-fits")).await.is_ok() {
        bail!("'nothing fits' is still shown beside a suggestion that fits");
    }
    a.screenshot("call-form-fit").await;
    a.driver.find(testid("kb-suggestion")).await?.click().await?;
    a.wait_text("kb-article", "the article", |t| t.contains("Codepage 1252")).await?;
    a.click("kb-solved-it").await?;
    a.click("btn-solved").await?;
    let summary = a.wait("solve-summary").await?;
    if summary.value().await?.unwrap_or_default().trim().is_empty() {
        summary.send_keys("Codepage 1252 eingestellt").await?;
    }
    a.click("solve-submit").await?;
    a.wait("saved-banner").await?;
    a.wait_text_for("status-pending", "the call sent", Duration::from_secs(60), |t| t.trim() == "0").await?;

    // The article counts it: suggested, used and resolved a ticket (Jana's window shows it).
    b.click("nav-kb").await?;
    b.type_into("kb-search", "Etikettendrucker").await?;
    let item = By::Css(format!("[data-testid='kb-item'][data-id='{article_id}']"));
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Ok(el) = b.driver.find(item.clone()).await {
            el.click().await?;
            break;
        }
        if Instant::now() > deadline {
            bail!("Jana's KB search does not list the article");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.wait_attr("kb-usage", "data-resolved", "1", Duration::from_secs(60)).await?;
    b.assert_accessible("kb-list").await?;

    // Missing articles: the scanner calls are one gap; a draft starts from them.
    b.click("kb-gaps-btn").await?;
    b.wait_text("kb-gaps", "the scanner calls as one gap", |t| t.contains("Scanner")).await?;
    // The biggest gap comes first: the scanner calls (Karl's two and any other of the day).
    let gap = b.driver.find(testid("kb-gap")).await?;
    let calls: usize = gap.attr("data-calls").await?.unwrap_or_default().parse().unwrap_or(0);
    if calls < 2 {
        bail!("the scanner calls are not one gap ({calls} calls)");
    }
    let words = gap.find(testid("kb-gap-words")).await?.text().await?;
    if !words.to_lowercase().contains("scan") {
        bail!("the gap is not named by its words: {words:?}");
    }
    b.screenshot("kb-gaps").await;
    b.assert_accessible("kb-gaps").await?;
    gap.find(testid("kb-gap-draft")).await?.click().await?;
    let body = b.wait("kb-edit-body").await?.value().await?.unwrap_or_default();
    if !body.contains("Zielordner im Scanner-Profil") {
        bail!("the draft does not hold what solved the calls: {body:?}");
    }
    sync_until_quiet(karl).await?;
    let solved = helpline_store::Store::open(karl.store_path())?
        .list_all_tickets()?
        .into_iter()
        .find(|t| t.subject == "Etikettendrucker zeigt Fragezeichen")
        .context("Ben's ticket reached the hub")?;
    if !solved.first_contact_resolution {
        bail!("Ben's call was not solved on first contact");
    }
    Ok(())
}
