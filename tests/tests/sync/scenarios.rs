//! Named scenarios, each on both backends.

use crate::common::*;
use anyhow::{Result, ensure};
use helpline_client::SkewedClock;
use helpline_domain::{
    ArticleState, CustomerId, CustomerPatch, KbArticleDraft, KbArticleId, Mutation, Status, Visibility,
};
use helpline_tests::faults::FaultPlan;
use helpline_tests::harness::{Backend, TestHub};
use std::collections::BTreeSet;
use std::sync::Arc;

crate::both_backends!(
    offline_capture_on_two_desktops_arrives_everywhere_once,
    offline_claims_of_the_same_ticket_one_wins_the_other_is_told_why,
    duplicated_reordered_and_dropped_messages_change_nothing,
    skewed_clocks_do_not_change_outcomes,
    likely_duplicate_customers_are_flagged_and_merged,
    kb_drafts_reach_only_writers,
    a_ticket_leaving_the_window_is_evicted_and_comes_back_whole,
    a_fresh_desktop_pulls_in_pages_with_progress,
    background_sync_delivers_on_pokes_and_recovers_after_an_outage,
    a_ticket_resolved_elsewhere_past_the_window_leaves_a_desktop_that_was_away,
    only_a_round_that_brought_something_counts_as_a_change,
    an_unknown_callers_number_is_kept_on_the_ticket_everywhere,
    an_unknown_callers_tickets_join_the_customer_created_later_on_another_desktop,
    a_repeat_call_lands_on_the_open_ticket_marked_as_a_repeat,
);

/// The window reloads its lists when `changed_rounds` grows: rounds that bring nothing
/// (the minute's timer, a push of one's own call) leave it alone.
async fn only_a_round_that_brought_something_counts_as_a_change(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let (anna, ben) = (hub.desktop("anna", FaultPlan::none()).await?, hub.desktop("ben", FaultPlan::none()).await?);
    anna.sync_once().await?;
    let after_first_pull = anna.status().changed_rounds;
    ensure!(after_first_pull == 1, "the first pull brings the reference data: {after_first_pull}");
    for _ in 0..3 {
        let report = anna.sync_once().await?;
        ensure!(!report.pulled_changes, "nothing new: {report:?}");
    }
    ensure!(anna.status().changed_rounds == after_first_pull, "empty rounds are no change");
    ben.log_contact(call("Drucker"))?;
    ben.sync_once().await?;
    anna.sync_once().await?;
    ensure!(anna.status().changed_rounds == after_first_pull + 1, "ben's call is a change for anna");
    hub.stop().await;
    Ok(())
}

async fn offline_capture_on_two_desktops_arrives_everywhere_once(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let (anna, ben) = (hub.desktop("anna", FaultPlan::none()).await?, hub.desktop("ben", FaultPlan::none()).await?);
    anna.hub().set_offline(true);
    ben.hub().set_offline(true);
    let mut references = BTreeSet::new();
    for i in 0..15 {
        references.insert(anna.log_contact(call(&format!("Anna {i}")))?.1.to_string());
        references.insert(ben.log_contact(call(&format!("Ben {i}")))?.1.to_string());
    }
    ensure!(references.len() == 30, "references repeat offline: {references:?}");
    let err = anna.sync_once().await.expect_err("offline");
    ensure!(err.kind() == helpline_domain::ErrorKind::Offline, "{err}");
    ensure!(anna.status().connection == helpline_client::Connection::Offline);
    ensure!(anna.status().pending == 15);

    anna.hub().set_offline(false);
    ben.hub().set_offline(false);
    settle(&[&anna, &ben], 10).await?;
    // Syncing again changes nothing: nothing is applied twice.
    settle(&[&anna, &ben], 10).await?;
    let truth = observer(&hub, "admin").await?;
    for (d, who) in [(&anna, "anna"), (&ben, "ben")] {
        assert_same_as(d, &truth, who)?;
        let counts = store(d)?.count_outbox()?;
        ensure!(counts.accepted == 15 && counts.pending == 0 && counts.rejected == 0, "{who}: {counts:?}");
    }
    let held: BTreeSet<String> = snapshot(&truth)?.values().map(|(t, _)| t.reference.to_string()).collect();
    ensure!(held == references, "the hub holds other references than were captured");
    hub.stop().await;
    Ok(())
}

async fn offline_claims_of_the_same_ticket_one_wins_the_other_is_told_why(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let anna = hub.desktop("anna", FaultPlan::none()).await?;
    let (jana, karl) = (hub.desktop("jana", FaultPlan::none()).await?, hub.desktop("karl", FaultPlan::none()).await?);
    let (ticket, _) = anna.log_contact(call("Drucker druckt nicht"))?;
    anna.escalate(
        ticket,
        escalation("needs on-site knowledge", "restarted spooler", "printer offline since the update"),
    )?;
    settle(&[&anna, &jana, &karl], 10).await?;

    jana.hub().set_offline(true);
    karl.hub().set_offline(true);
    jana.claim(ticket)?;
    karl.claim(ticket)?;
    ensure!(karl.get_ticket(ticket)?.and_then(|t| t.assignee).is_some(), "optimistic claim shows locally");
    jana.hub().set_offline(false);
    karl.hub().set_offline(false);
    jana.sync_once().await?;
    karl.sync_once().await?;
    settle(&[&anna, &jana, &karl], 10).await?;

    let jana_id = jana.signed_in_agent().expect("signed in").id;
    for d in [&anna, &jana, &karl] {
        ensure!(d.get_ticket(ticket)?.and_then(|t| t.assignee) == Some(jana_id), "Jana's claim won everywhere");
    }
    let rejected = store(&karl)?.list_rejected_mutations()?;
    ensure!(rejected.len() == 1, "Karl sees his one refused claim: {rejected:?}");
    let reason = rejected[0].reason.clone().unwrap_or_default();
    ensure!(reason.contains("already claimed by Jana"), "the reason names the winner: {reason}");
    let problem = rejected[0].problem.clone().ok_or_else(|| anyhow::anyhow!("the refusal is kept with its code"))?;
    ensure!(
        problem.code == helpline_domain::ErrorCode::AlreadyClaimed && problem.params["who"] == "Jana",
        "{problem:?}"
    );
    ensure!(store(&jana)?.list_rejected_mutations()?.is_empty());
    hub.stop().await;
    Ok(())
}

async fn duplicated_reordered_and_dropped_messages_change_nothing(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let anna = hub.desktop("anna", FaultPlan::chaos(1)).await?;
    let ben = hub.desktop("ben", FaultPlan::chaos(2)).await?;
    let jana = hub.desktop("jana", FaultPlan::chaos(3)).await?;
    let mut tickets = Vec::new();
    for i in 0..12 {
        let (t, _) = anna.log_contact(call(&format!("Anna {i}")))?;
        tickets.push(t);
        let (t, _) = ben.log_contact(call(&format!("Ben {i}")))?;
        ben.add_note(t, &format!("Notiz {i}"))?;
        if i % 3 == 0 {
            ben.escalate(t, escalation("hardware", "tried", "summary"))?;
        }
        for d in [&anna, &ben, &jana] {
            let _ = d.sync_once().await;
        }
    }
    // A few rounds under faults, then the network heals and all must agree.
    let _ = settle(&[&anna, &ben, &jana], 20).await;
    for d in [&anna, &ben, &jana] {
        d.hub().set_calm(true);
    }
    settle(&[&anna, &ben, &jana], 10).await?;
    let injected: u64 =
        [&anna, &ben, &jana].iter().map(|d| d.hub().faults_injected.load(std::sync::atomic::Ordering::Relaxed)).sum();
    ensure!(injected > 20, "the schedule really injected faults ({injected})");
    let truth = observer(&hub, "admin").await?;
    ensure!(snapshot(&truth)?.len() == 24, "24 tickets, none duplicated or lost");
    for (d, who) in [(&anna, "anna"), (&ben, "ben"), (&jana, "jana")] {
        assert_same_as(d, &truth, who)?;
    }
    let notes =
        snapshot(&truth)?.values().flat_map(|(_, es)| es.clone()).filter(|e| e.kind.name() == "note_added").count();
    ensure!(notes == 12, "each note once: {notes}");
    hub.stop().await;
    Ok(())
}

/// Runs one script of conflicting work with each desktop's clock offset as given and
/// returns the outcome: final statuses, assignees and refusals.
async fn conflict_script(backend: Backend, skews_days: [i64; 3]) -> Result<Vec<String>> {
    let hub = TestHub::start(backend).await?;
    let day = 24 * 60 * 60 * 1000;
    let clock = |i: usize| Arc::new(SkewedClock { offset_ms: skews_days[i] * day });
    let anna = hub.desktop_with_clock("anna", FaultPlan::none(), clock(0)).await?;
    let jana = hub.desktop_with_clock("jana", FaultPlan::none(), clock(1)).await?;
    let karl = hub.desktop_with_clock("karl", FaultPlan::none(), clock(2)).await?;
    let (t1, _) = anna.log_contact(call("VPN bricht ab"))?;
    let (t2, _) = anna.log_contact(call("Mail kommt nicht an"))?;
    anna.escalate(t1, escalation("r", "s", "h"))?;
    anna.escalate(t2, escalation("r", "s", "h"))?;
    settle(&[&anna, &jana, &karl], 10).await?;
    // Karl (whatever his clock says) reaches the hub first for t1, Jana for t2.
    karl.claim(t1)?;
    karl.sync_once().await?;
    jana.claim(t1)?;
    jana.claim(t2)?;
    jana.sync_once().await?;
    karl.claim(t2)?;
    karl.resolve(t1, "Treiber neu installiert")?;
    settle(&[&anna, &jana, &karl], 10).await?;
    let mut outcome = Vec::new();
    for t in [t1, t2] {
        let ticket = anna.get_ticket(t)?.expect("ticket");
        let who =
            ticket.assignee.map(|a| if Some(a) == jana.signed_in_agent().map(|x| x.id) { "jana" } else { "karl" });
        outcome.push(format!("{:?} {:?}", ticket.status, who));
    }
    for d in [&jana, &karl] {
        for r in store(d)?.list_rejected_mutations()? {
            outcome.push(format!("{} refused: {}", r.mutation.name(), r.reason.unwrap_or_default()));
        }
    }
    hub.stop().await;
    Ok(outcome)
}

async fn skewed_clocks_do_not_change_outcomes(backend: Backend) -> Result<()> {
    let straight = conflict_script(backend, [0, 0, 0]).await?;
    let skewed = conflict_script(backend, [3, 9, -6]).await?;
    ensure!(straight == skewed, "outcomes differ:\n{straight:#?}\n{skewed:#?}");
    ensure!(straight.iter().any(|o| o.contains("already claimed by Karl")), "{straight:#?}");
    ensure!(straight.iter().any(|o| o.contains("already claimed by Jana")), "{straight:#?}");
    ensure!(straight[0].starts_with(&format!("{:?}", Status::Resolved)), "{straight:#?}");
    Ok(())
}

async fn likely_duplicate_customers_are_flagged_and_merged(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let (anna, ben) = (hub.desktop("anna", FaultPlan::none()).await?, hub.desktop("ben", FaultPlan::none()).await?);
    let phone = helpline_domain::normalise_phone("+49 151 12345670", helpline_domain::DEFAULT_REGION)?;
    let (first, second) = (CustomerId::new_v7(), CustomerId::new_v7());
    let patch = |id, name: &str| CustomerPatch {
        customer_id: id,
        name: Some(name.into()),
        company: None,
        emails: None,
        phones: Some(vec![phone.clone()]),
        notes: None,
    };
    anna.submit(Mutation::UpsertCustomer(patch(first, "Jörg Müller")))?;
    settle(&[&anna, &ben], 10).await?;
    ben.submit(Mutation::UpsertCustomer(patch(second, "Joerg Mueller")))?;
    settle(&[&anna, &ben], 10).await?;
    let flagged = store(&anna)?.get_customer(second)?.expect("second customer");
    ensure!(flagged.likely_duplicates == vec![first], "{flagged:?}");
    anna.submit(Mutation::MergeCustomers { from: second, into: first })?;
    settle(&[&anna, &ben], 10).await?;
    let (kept, merged) = (store(&ben)?.get_customer(first)?, store(&ben)?.get_customer(second)?);
    ensure!(merged.and_then(|m| m.merged_into) == Some(first));
    ensure!(kept.expect("kept").likely_duplicates.is_empty());
    let by_phone = store(&ben)?.find_customers_by_phone(&phone)?;
    ensure!(by_phone.len() == 1 && by_phone[0].id == first, "{by_phone:?}");
    hub.stop().await;
    Ok(())
}

async fn kb_drafts_reach_only_writers(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let (anna, jana, karl) = (
        hub.desktop("anna", FaultPlan::none()).await?,
        hub.desktop("jana", FaultPlan::none()).await?,
        hub.desktop("karl", FaultPlan::none()).await?,
    );
    let article = KbArticleId::new_v7();
    jana.save_kb_article(
        KbArticleDraft {
            article_id: article,
            base_revision: None,
            title: "Drucker offline nach Update".into(),
            body: "Spooler neu starten, dann Treiber neu installieren.".into(),
            tags: vec!["drucker".into()],
            category_id: None,
            visibility: Visibility::Internal,
            source_ticket: None,
        },
        false,
    )?;
    settle(&[&anna, &jana, &karl], 10).await?;
    ensure!(store(&anna)?.get_kb_article(article)?.is_none(), "first level sees no drafts");
    ensure!(store(&karl)?.get_kb_article(article)?.is_some(), "second level sees drafts");
    karl.submit(Mutation::PublishKbArticle { article_id: article, revision: None })?;
    settle(&[&anna, &jana, &karl], 10).await?;
    let seen = store(&anna)?.get_kb_article(article)?.expect("published reaches first level");
    ensure!(seen.state == ArticleState::Published);
    ensure!(!anna.search_kb("Drucker", 5)?.is_empty(), "and is searchable there");
    hub.stop().await;
    Ok(())
}

async fn a_ticket_leaving_the_window_is_evicted_and_comes_back_whole(backend: Backend) -> Result<()> {
    // A window of 1.5 seconds, so a resolved ticket leaves it within the test.
    let hub = TestHub::start_with(backend, |c| c.ticket_window_days = 1.5 / 86_400.0).await?;
    let (anna, jana) = (hub.desktop("anna", FaultPlan::none()).await?, hub.desktop("jana", FaultPlan::none()).await?);
    let (old, _) = anna.log_contact(call("Alter Fall"))?;
    anna.add_note(old, "erledigt per Telefon")?;
    anna.resolve(old, "Passwort zurückgesetzt")?;
    let (open, _) = anna.log_contact(call("Offener Fall"))?;
    settle(&[&anna, &jana], 10).await?;
    let events_before = snapshot(&jana)?.get(&old).map(|(_, e)| e.len()).unwrap_or(0);
    ensure!(events_before >= 3);
    tokio::time::sleep(std::time::Duration::from_millis(1700)).await;
    anna.sync_once().await?;
    ensure!(anna.get_ticket(old)?.is_none(), "the resolved ticket left anna's cache");
    ensure!(anna.get_ticket(open)?.is_some(), "open tickets stay");
    // Jana still holds it (she has not synced) and reopens it.
    jana.submit(Mutation::Reopen { ticket_id: old, reason: "Problem ist zurück".into() })?;
    jana.sync_once().await?;
    anna.sync_once().await?;
    let back = snapshot(&anna)?.remove(&old).expect("the reopened ticket came back");
    ensure!(back.0.status != Status::Resolved);
    ensure!(back.1.len() == events_before + 1, "sent whole: {} events, had {events_before}", back.1.len());
    hub.stop().await;
    Ok(())
}

async fn a_fresh_desktop_pulls_in_pages_with_progress(backend: Backend) -> Result<()> {
    let hub = TestHub::start_with(backend, |c| c.pull_page_versions = 7).await?;
    let anna = hub.desktop("anna", FaultPlan::none()).await?;
    for i in 0..40 {
        anna.log_contact(call(&format!("Fall {i}")))?;
    }
    anna.sync_once().await?;
    let fresh = hub.desktop("ben", FaultPlan::none()).await?;
    let mut progress = fresh.watch_status();
    let watcher = tokio::spawn(async move {
        let mut seen = Vec::new();
        while progress.changed().await.is_ok() {
            if let Some(p) = progress.borrow().progress {
                seen.push(p);
            }
        }
        seen
    });
    let report = fresh.sync_once().await?;
    ensure!(report.pages >= 6, "paged: {report:?}");
    ensure!(store(&fresh)?.count_tickets()? == 40);
    drop(fresh);
    let seen = watcher.await?;
    ensure!(seen.windows(2).all(|w| w[0].0 <= w[1].0) && !seen.is_empty(), "progress rises: {seen:?}");
    hub.stop().await;
    Ok(())
}

async fn background_sync_delivers_on_pokes_and_recovers_after_an_outage(backend: Backend) -> Result<()> {
    let hub = TestHub::start(backend).await?;
    let (anna, ben) = (hub.desktop("anna", FaultPlan::none()).await?, hub.desktop("ben", FaultPlan::none()).await?);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let loops = [tokio::spawn(anna.clone().run_sync(stopped.clone())), tokio::spawn(ben.clone().run_sync(stopped))];
    let arrives = |d: Desk, t: helpline_domain::TicketId| async move {
        for _ in 0..500 {
            if d.get_ticket(t)?.is_some() {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        anyhow::bail!("not delivered within 5 s")
    };
    // Neither desktop is told to sync: Anna's loop pushes on the local change, the hub
    // pokes Ben's stream, Ben's loop pulls.
    let (first, _) = anna.log_contact(call("Über den Stream"))?;
    arrives(ben.clone(), first).await?;
    // Anna loses the network, keeps working, and catches up by herself afterwards.
    anna.hub().set_offline(true);
    let (second, _) = anna.log_contact(call("Während des Ausfalls"))?;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    ensure!(anna.status().connection == helpline_client::Connection::Offline, "{:?}", anna.status());
    ensure!(anna.status().pending == 1);
    anna.hub().set_offline(false);
    arrives(ben.clone(), second).await?;
    let mut status = anna.watch_status();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        status.wait_for(|s| s.pending == 0 && s.last_error.is_none()),
    )
    .await??;
    stop.send_replace(true);
    for l in loops {
        l.await?;
    }
    hub.stop().await;
    Ok(())
}

async fn a_ticket_resolved_elsewhere_past_the_window_leaves_a_desktop_that_was_away(backend: Backend) -> Result<()> {
    let hub = TestHub::start_with(backend, |c| c.ticket_window_days = 1.5 / 86_400.0).await?;
    let (anna, ben) = (hub.desktop("anna", FaultPlan::none()).await?, hub.desktop("ben", FaultPlan::none()).await?);
    let (ticket, _) = anna.log_contact(call("Wird woanders gelöst"))?;
    settle(&[&anna, &ben], 10).await?;
    ben.resolve(ticket, "am Telefon gelöst")?;
    ben.sync_once().await?;
    tokio::time::sleep(std::time::Duration::from_millis(1700)).await;
    // Anna was away: the resolved ticket is outside the window now, so the hub does not
    // send it, and she must not keep her open copy.
    ensure!(anna.get_ticket(ticket)?.is_some_and(|t| t.status != Status::Resolved));
    anna.sync_once().await?;
    ensure!(anna.get_ticket(ticket)?.is_none(), "the stale open copy left anna's queues");
    hub.stop().await;
    Ok(())
}

/// Nothing typed is lost: the number of a caller who is no customer (or whom the agent
/// did not pick) stays on the ticket, normalised where it reads as a number and as typed
/// where it does not, and reaches every desktop.
async fn an_unknown_callers_number_is_kept_on_the_ticket_everywhere(backend: Backend) -> Result<()> {
    use helpline_client::calls::{ContactForm, Outcome};
    let hub = TestHub::start(backend).await?;
    let (anna, ben) = (hub.desktop("anna", FaultPlan::none()).await?, hub.desktop("ben", FaultPlan::none()).await?);
    let form = |caller: &str| ContactForm {
        contact: helpline_domain::Contact { caller: Some(caller.into()), ..call("Rückruf erbeten") },
        suggested_kb: vec![],
        used_kb: vec![],
        opened_kb: vec![],
        call_id: None,
    };
    let solved = || Outcome::Solved { summary: "erledigt".into() };
    let known = anna.submit_contact(form(" 0151 7654321 "), solved())?;
    let odd = anna.submit_contact(form("Zentrale, Durchwahl 12"), solved())?;
    settle(&[&anna, &ben], 10).await?;
    let seen = ben.ticket_view(known.ticket_id)?;
    ensure!(seen.customer.is_none() && seen.caller.as_deref() == Some("+491517654321"), "{:?}", seen.caller);
    ensure!(ben.ticket_view(odd.ticket_id)?.caller.as_deref() == Some("Zentrale, Durchwahl 12"));
    hub.stop().await;
    Ok(())
}

/// An unknown caller's tickets are found under the customer created for that number
/// later, on another desktop: the link is a synced mutation with an event on each ticket.
async fn an_unknown_callers_tickets_join_the_customer_created_later_on_another_desktop(backend: Backend) -> Result<()> {
    use helpline_client::calls::{ContactForm, NewCustomer, Outcome};
    let hub = TestHub::start(backend).await?;
    let (anna, ben) = (hub.desktop("anna", FaultPlan::none()).await?, hub.desktop("ben", FaultPlan::none()).await?);
    let form = |caller: &str, subject: &str| ContactForm {
        contact: helpline_domain::Contact { caller: Some(caller.into()), ..call(subject) },
        suggested_kb: vec![],
        used_kb: vec![],
        opened_kb: vec![],
        call_id: None,
    };
    let later = || Outcome::FollowUp { due: anna.now().plus_minutes(24 * 60).as_millis(), note: String::new() };
    // Two calls from the same unknown number, typed two ways; one from another number.
    let first = anna.submit_contact(form("0151 2223334", "Drucker offline"), later())?;
    let second = anna.submit_contact(form("+49 151 222 3334", "Drucker immer noch offline"), later())?;
    let other = anna.submit_contact(form("030 999888", "Andere Sache"), later())?;
    settle(&[&anna, &ben], 10).await?;

    let lookup = ben.lookup_caller("01512223334")?;
    ensure!(lookup.customers.is_empty(), "nobody knows the number yet");
    let offered: BTreeSet<_> = lookup.open_tickets.iter().map(|t| t.id).collect();
    ensure!(offered == BTreeSet::from([first.ticket_id, second.ticket_id]), "{offered:?}");

    let customer = ben.create_customer(NewCustomer {
        name: "Petra Neu".into(),
        company: None,
        phone: Some("0151 2223334".into()),
        email: None,
    })?;
    settle(&[&anna, &ben], 10).await?;

    for desk in [&anna, &ben] {
        let card = desk.lookup_caller("+491512223334")?;
        ensure!(card.customers.len() == 1 && card.open_tickets.is_empty(), "{:?}", card.open_tickets);
        let open: BTreeSet<_> = card.customers[0].open_tickets.iter().map(|t| t.id).collect();
        ensure!(open == BTreeSet::from([first.ticket_id, second.ticket_id]), "found under the customer: {open:?}");
        let view = desk.ticket_view(first.ticket_id)?;
        ensure!(view.customer.as_ref().map(|c| c.id) == Some(customer.id));
        ensure!(view.caller.as_deref() == Some("+491512223334"), "the number stays as taken down");
        let linked: Vec<_> = view.events.iter().filter(|e| e.kind == "customer_linked").collect();
        ensure!(linked.len() == 1 && !linked[0].pending, "one confirmed link event: {:?}", view.events);
        ensure!(desk.ticket_view(other.ticket_id)?.customer.is_none(), "another number stays unlinked");
    }
    hub.stop().await;
    Ok(())
}

/// A repeat call on an open ticket is one more contact there (marked as a repeat, with
/// the caller and what was said), not a second ticket, and every desktop sees it.
async fn a_repeat_call_lands_on_the_open_ticket_marked_as_a_repeat(backend: Backend) -> Result<()> {
    use helpline_client::calls::{ContactForm, Outcome};
    let hub = TestHub::start(backend).await?;
    let (anna, ben) = (hub.desktop("anna", FaultPlan::none()).await?, hub.desktop("ben", FaultPlan::none()).await?);
    let form = |subject: &str, description: &str| ContactForm {
        contact: helpline_domain::Contact {
            caller: Some("0151 4445556".into()),
            description: description.into(),
            ..call(subject)
        },
        suggested_kb: vec![],
        used_kb: vec![],
        opened_kb: vec![],
        call_id: None,
    };
    let escalate = Outcome::Escalate {
        reason: "Treiber fehlt".into(),
        steps_tried: "Neustart".into(),
        handover_summary: "Drucker im 2. Stock".into(),
    };
    let open = anna.submit_contact(form("Drucker druckt nicht", ""), escalate)?;
    settle(&[&anna, &ben], 10).await?;
    let before = store(&ben)?.count_tickets()?;

    let repeat = ben.submit_repeat_contact(open.ticket_id, form("Wann kommt jemand?", "Kunde wartet"), None)?;
    ensure!(repeat.ticket_id == open.ticket_id && repeat.reference == open.reference);
    settle(&[&anna, &ben], 10).await?;
    ensure!(store(&ben)?.count_tickets()? == before, "no second ticket");
    for desk in [&anna, &ben] {
        let view = desk.ticket_view(open.ticket_id)?;
        let repeats: Vec<_> = view.events.iter().filter(|e| e.kind == "repeat_contact").collect();
        ensure!(repeats.len() == 1 && !repeats[0].pending, "{:?}", view.events);
        let detail = |key: &str| repeats[0].details.iter().find(|d| d.key == key).map(|d| d.value.clone());
        ensure!(detail("caller").as_deref() == Some("+491514445556"));
        ensure!(detail("notes").as_deref() == Some("Wann kommt jemand?\n\nKunde wartet"), "{:?}", detail("notes"));
    }
    // A resolved ticket takes no repeat call (reopen it first); nothing is recorded.
    let solved =
        anna.submit_contact(form("Passwort vergessen", ""), Outcome::Solved { summary: "Zurückgesetzt".into() })?;
    let pending = anna.count_pending()?;
    let refused = anna.submit_repeat_contact(solved.ticket_id, form("Nochmal", ""), None);
    ensure!(refused.is_err_and(|e| e.kind() == helpline_domain::ErrorKind::Validation));
    ensure!(anna.count_pending()? == pending, "a refused repeat call records nothing");
    hub.stop().await;
    Ok(())
}
