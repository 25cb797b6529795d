//! What the window offers agrees with what `apply` accepts: for every agent, every
//! ticket situation and every action, an offered action with good input goes through,
//! and one not offered is refused (so hiding a control is never the only guard).

use super::fixture::*;
use helpline_domain::*;

/// A mutation with good input for `action` on ticket `t`.
fn mutation_for(w: &mut World, action: TicketAction, t: TicketId) -> Option<Mutation> {
    let ticket = w.ticket(t).clone();
    Some(match action {
        TicketAction::AddNote => Mutation::AddNote { ticket_id: t, body: "Rückruf vereinbart".into() },
        TicketAction::LogContact => Mutation::LogFollowUpContact {
            ticket_id: t,
            direction: Direction::Outbound,
            channel: Channel::Phone,
            duration_seconds: 60,
            notes: "Rückruf".into(),
            repeat: false,
            caller: None,
            call_id: None,
        },
        TicketAction::ChangeStatus => {
            let to = Status::ALL.iter().copied().find(|to| check_transition(ticket.status, *to, Via::Agent).is_ok());
            Mutation::ChangeStatus { ticket_id: t, status: to.unwrap_or(Status::WaitingCustomer) }
        }
        TicketAction::SetFollowUp => {
            Mutation::SetFollowUp { ticket_id: t, due: w.now.plus_minutes(600), note: String::new() }
        }
        TicketAction::Claim => Mutation::Claim { ticket_id: t },
        TicketAction::Escalate => escalate(t),
        TicketAction::HandBack => Mutation::HandBack { ticket_id: t, instructions: "Kundin anrufen".into() },
        TicketAction::HandOverToExpert => {
            Mutation::HandOverToExpert { ticket_id: t, department_id: dept_it(), note: String::new() }
        }
        TicketAction::ReturnFromExpert => Mutation::ReturnFromExpert { ticket_id: t, note: "Treiber getauscht".into() },
        TicketAction::RequestConsult => Mutation::RequestConsult {
            ticket_id: t,
            consult_id: w.fresh_consult_id(),
            department_id: dept_it(),
            question: "Ist der Treiber bekannt fehlerhaft?".into(),
        },
        TicketAction::AnswerConsult => {
            let consult = ticket.open_consults().next()?;
            Mutation::AnswerConsult { ticket_id: t, consult_id: consult.id, answer: "Ja, Version 3.1 nehmen".into() }
        }
        TicketAction::Resolve => Mutation::Resolve { ticket_id: t, summary: "Treiber 3.1 installiert".into() },
        TicketAction::MarkCustomerInformed => {
            Mutation::MarkCustomerInformed { ticket_id: t, channel: Channel::Phone, informed_at: w.now }
        }
        TicketAction::Reopen => Mutation::Reopen { ticket_id: t, reason: "Fehler ist zurück".into() },
        TicketAction::ReplyByEmail => Mutation::SendEmailReply {
            ticket_id: t,
            reply: EmailReply {
                reply_id: EmailReplyId(w.fresh_mutation_id().0),
                to: vec!["anna@example.test".into()],
                cc: Vec::new(),
                subject: "Ihr Drucker".into(),
                body: "Bitte Treiber 3.1 installieren.".into(),
                kb_article_id: None,
                attachments: Vec::new(),
            },
        },
        // Not a mutation of its own: the draft is a SaveKbArticle (checked below).
        TicketAction::DraftKbArticle => return None,
    })
}

#[test]
fn offered_ticket_actions_are_exactly_the_ones_apply_accepts() {
    type Setup = fn(&mut World) -> TicketId;
    let situations: [(&str, Setup); 8] = [
        ("open at level 1", |w| w.logged()),
        ("escalated, unclaimed", |w| w.escalated()),
        ("claimed at level 2", |w| w.claimed()),
        ("waiting for the IT experts", |w| {
            let t = w.claimed();
            w.request_consult(t, dept_it());
            t
        }),
        ("handed over to IT", |w| w.at_expert(dept_it())),
        ("handed over to accounting", |w| w.at_expert(dept_accounting())),
        ("resolved", |w| w.resolved()),
        ("closed", |w| w.closed()),
    ];
    let mut checked = 0;
    for (situation, setup) in situations {
        for who in Who::ALL {
            for &action in TicketAction::ALL {
                let mut w = World::standard();
                let t = setup(&mut w);
                let offered = ticket_actions(&who.actor(), w.ticket(t)).contains(&action);
                let Some(m) = mutation_for(&mut w, action, t) else { continue };
                let result = w.try_apply(who, &m);
                if offered {
                    assert!(result.is_ok(), "{situation}: {who:?} is offered {action:?} but apply says {result:?}");
                } else if action == TicketAction::Claim
                    && w.ticket(t).assignee.is_some()
                    && permit_ticket_action(&who.actor(), w.ticket(t), action).is_ok()
                {
                    // not offered when it is someone's: their own is a no-op, another's a conflict
                    let mine = w.ticket(t).assignee == Some(who.id());
                    assert_eq!(result.is_ok(), mine, "{situation}: {who:?} claims: {result:?}");
                } else {
                    assert!(result.is_err(), "{situation}: {who:?} is not offered {action:?} yet apply accepts it");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked} combinations checked");
}

#[test]
fn first_level_is_offered_no_second_level_action_on_an_escalated_ticket() {
    let mut w = World::standard();
    let t = w.escalated();
    let offered = ticket_actions(&Who::L1.actor(), w.ticket(t));
    for action in [
        TicketAction::Claim,
        TicketAction::HandBack,
        TicketAction::HandOverToExpert,
        TicketAction::RequestConsult,
        TicketAction::Resolve,
    ] {
        assert!(!offered.contains(&action), "{action:?} offered to first level: {offered:?}");
    }
    assert!(ticket_actions(&Who::L2.actor(), w.ticket(t)).contains(&TicketAction::Claim));
}

#[test]
fn a_kb_draft_is_offered_on_resolved_tickets_to_those_who_write_articles() {
    let mut w = World::standard();
    let t = w.resolved();
    for who in Who::ALL {
        let offered = ticket_actions(&who.actor(), w.ticket(t)).contains(&TicketAction::DraftKbArticle);
        let writes = permit_kb_action(&who.actor(), None, KbAction::Edit).is_ok();
        assert_eq!(offered, writes, "{who:?}");
        let draft = Mutation::SaveKbArticle(KbArticleDraft {
            article_id: w.fresh_article_id(),
            base_revision: None,
            title: "Drucker druckt nicht".into(),
            body: "## Lösung\nTreiber 3.1".into(),
            tags: vec![],
            category_id: Some(cat_printers()),
            visibility: Visibility::Internal,
            source_ticket: Some(t),
        });
        assert_eq!(w.try_apply(who, &draft).is_ok(), writes, "{who:?} saves the draft");
    }
    let open = w.logged();
    assert!(!ticket_actions(&Who::L2.actor(), w.ticket(open)).contains(&TicketAction::DraftKbArticle));
}

#[test]
fn offered_kb_actions_agree_with_apply() {
    for who in Who::ALL {
        for article in [kb_vpn(), kb_printer_draft()] {
            let w = World::standard();
            let a = w.article(article).clone();
            let offered = kb_actions(&who.actor(), &a);
            for &action in KbAction::ALL {
                let m = match action {
                    KbAction::Edit => Mutation::SaveKbArticle(KbArticleDraft {
                        article_id: a.id,
                        base_revision: Some(a.revision),
                        title: a.title.clone(),
                        body: format!("{}\n\nErgänzt.", a.body),
                        tags: a.tags.clone(),
                        category_id: a.category_id,
                        visibility: a.visibility,
                        source_ticket: None,
                    }),
                    KbAction::Publish => Mutation::PublishKbArticle { article_id: a.id, revision: None },
                    KbAction::Archive => Mutation::ArchiveKbArticle { article_id: a.id },
                    KbAction::FlagOutdated => Mutation::FlagKbArticleOutdated { article_id: a.id },
                };
                let mut w = w.clone();
                let result = w.try_apply(who, &m);
                if offered.contains(&action) {
                    let changed = result.as_ref().is_ok_and(|c| !c.is_empty());
                    assert!(changed, "{who:?} is offered {action:?} on {:?} but apply says {result:?}", a.title);
                } else {
                    let no_op_or_refused = result.as_ref().map_or(true, Vec::is_empty);
                    assert!(no_op_or_refused, "{who:?} is not offered {action:?} on {:?}: {result:?}", a.title);
                }
            }
        }
    }
}

#[test]
fn experts_write_drafts_but_do_not_edit_published_articles() {
    let mut w = World::standard();
    let published = w.article(kb_vpn()).clone();
    let edit = Mutation::SaveKbArticle(KbArticleDraft {
        article_id: published.id,
        base_revision: Some(published.revision),
        title: published.title.clone(),
        body: "anders".into(),
        tags: vec![],
        category_id: None,
        visibility: Visibility::Public,
        source_ticket: None,
    });
    let refused = w.try_apply(Who::ExpertIt, &edit).expect_err("an expert edits a published article");
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    assert_eq!(refused.to_string(), "an expert may not edit a published or archived article");
    w.ok(Who::L2, &edit);
}

#[test]
fn a_publication_naming_a_revision_publishes_only_that_revision() {
    let mut w = World::standard();
    let draft = w.article(kb_printer_draft()).clone();
    let stale = Mutation::PublishKbArticle { article_id: draft.id, revision: Some(draft.revision + 1) };
    let refused = w.try_apply(Who::L2, &stale).expect_err("the revision the failed save would have made");
    assert_eq!(refused.kind(), ErrorKind::Conflict, "{refused}");
    assert_eq!(w.article(draft.id).state, ArticleState::Draft, "nothing was published");
    w.ok(Who::L2, &Mutation::PublishKbArticle { article_id: draft.id, revision: Some(draft.revision) });
    assert_eq!(w.article(draft.id).state, ArticleState::Published);
}

#[test]
fn publish_is_not_offered_for_an_article_without_a_body() {
    let mut w = World::standard();
    let empty = w.kb_draft("", None);
    let a = w.article(empty).clone();
    assert!(!kb_actions(&Who::L2.actor(), &a).contains(&KbAction::Publish));
    let refused = w.try_apply(Who::L2, &Mutation::PublishKbArticle { article_id: empty, revision: None });
    assert!(refused.is_err());
}

#[test]
fn customer_informed_a_moment_ahead_of_the_hub_counts_as_now() {
    let mut w = World::standard();
    let t = w.resolved();
    let ahead = w.now.plus_minutes(3);
    w.ok(Who::L1, &Mutation::MarkCustomerInformed { ticket_id: t, channel: Channel::Phone, informed_at: ahead });
    assert_eq!(w.ticket(t).customer_informed_at, Some(w.now), "clamped to the hub's time");
    let far = w.now.plus_minutes(60);
    let refused = w.try_apply(
        Who::L1,
        &Mutation::MarkCustomerInformed { ticket_id: t, channel: Channel::Phone, informed_at: far },
    );
    assert!(refused.is_err(), "an hour ahead is the future");
}

#[test]
fn a_roles_action_bar_holds_every_action_it_is_ever_offered_and_only_those() {
    type Setup = fn(&mut World) -> TicketId;
    let situations: [Setup; 12] = [
        |w| w.logged(),
        |w| {
            let t = w.logged();
            w.ok(Who::Supervisor, &Mutation::Assign { ticket_id: t, assignee: None });
            t
        },
        |w| w.escalated(),
        |w| w.claimed(),
        |w| {
            let t = w.claimed();
            w.request_consult(t, dept_it());
            t
        },
        |w| {
            let t = w.claimed();
            w.request_consult(t, dept_accounting());
            t
        },
        |w| w.at_expert(dept_it()),
        |w| w.at_expert(dept_accounting()),
        |w| {
            let t = w.at_expert(dept_it());
            w.ok(Who::ExpertIt, &Mutation::Resolve { ticket_id: t, summary: "Server neu gestartet".into() });
            t
        },
        |w| {
            let t = w.at_expert(dept_accounting());
            w.ok(Who::ExpertAccounting, &Mutation::Resolve { ticket_id: t, summary: "Gutschrift erteilt".into() });
            t
        },
        |w| w.resolved(),
        |w| w.closed(),
    ];
    for who in Who::ALL {
        let possible = role_ticket_actions(who.role());
        let mut seen = std::collections::BTreeSet::new();
        for setup in situations {
            let mut w = World::standard();
            let t = setup(&mut w);
            for action in ticket_actions(&who.actor(), w.ticket(t)) {
                assert!(possible.contains(&action), "{who:?} is offered {action:?}, which its bar lacks");
                seen.insert(action);
            }
        }
        // The bar holds nothing the role is never offered in these situations.
        for action in &possible {
            assert!(seen.contains(action), "{who:?}'s bar holds {action:?}, never offered");
        }
    }
    assert!(!role_ticket_actions(Role::FirstLevel).contains(&TicketAction::HandOverToExpert));
    assert!(role_ticket_actions(Role::Expert).contains(&TicketAction::ReturnFromExpert));
}
