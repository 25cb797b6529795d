//! The knowledge base: suggestions counted once per article per ticket, optimistic
//! edits by revision, publishing (from a ticket), roles.

use super::fixture::*;
use super::table::*;
use helpline_domain::*;

fn edit(article_id: KbArticleId, base_revision: Option<u32>, title: &str, body: &str) -> Mutation {
    Mutation::SaveKbArticle(KbArticleDraft {
        article_id,
        base_revision,
        title: title.into(),
        body: body.into(),
        tags: vec!["vpn".into()],
        category_id: None,
        visibility: Visibility::Public,
        source_ticket: None,
    })
}

fn suggest(ticket_id: TicketId, article_ids: &[KbArticleId]) -> Mutation {
    Mutation::RecordKbSuggestions { ticket_id, article_ids: article_ids.to_vec(), opened: vec![] }
}

/// The `kb_article_published_from_ticket` events among the changes, as (ticket, article).
fn published_from_ticket(changes: &[Change]) -> Vec<(TicketId, KbArticleId)> {
    events(changes)
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::KbArticlePublishedFromTicket { article_id } => Some((e.ticket_id, article_id)),
            _ => None,
        })
        .collect()
}

#[test]
fn suggestions_and_use() {
    run(vec![
        case(
            "a suggestion counts once per article per ticket: the second time yields no event",
            Who::L1,
            |w| {
                let t = w.logged();
                w.ok(Who::L1, &suggest(t, &[kb_vpn()]));
                Ctx::ticket(t)
            },
            |_, c| suggest(c.t, &[kb_vpn()]),
            Expect::Ok(|k| {
                assert!(k.changes.is_empty(), "{:?}", k.changes);
                assert_eq!(k.ticket().kb_suggested, [kb_vpn()]);
            }),
        ),
        case(
            "an article listed twice in one suggestion counts once",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| suggest(c.t, &[kb_vpn(), kb_printer_draft(), kb_vpn()]),
            Expect::Ok(|k| {
                assert_eq!(k.names(), ["kb_suggested", "kb_suggested"]);
                assert_eq!(k.ticket().kb_suggested, [kb_vpn(), kb_printer_draft()]);
            }),
        ),
        case(
            "a new suggestion next to an old one records only the new one",
            Who::L1,
            |w| {
                let t = w.logged();
                w.ok(Who::L1, &suggest(t, &[kb_vpn()]));
                Ctx::ticket(t)
            },
            |_, c| suggest(c.t, &[kb_printer_draft(), kb_vpn()]),
            Expect::Ok(|k| {
                let suggested: Vec<_> = events(k.changes)
                    .iter()
                    .map(|e| match e.kind {
                        EventKind::KbSuggested { article_id } => article_id,
                        _ => panic!("unexpected {}", e.kind.name()),
                    })
                    .collect();
                assert_eq!(suggested, [kb_printer_draft()]);
            }),
        ),
        case(
            "the same article suggested on another ticket counts there too",
            Who::L1,
            |w| {
                let first = w.logged();
                w.ok(Who::L1, &suggest(first, &[kb_vpn()]));
                Ctx::ticket(w.logged())
            },
            |_, c| suggest(c.t, &[kb_vpn()]),
            Expect::Ok(|k| assert_eq!(k.names(), ["kb_suggested"])),
        ),
        case(
            "suggesting an unknown article",
            Who::L1,
            |w| Ctx::ticket(w.logged()),
            |_, c| suggest(c.t, &[kb_vpn(), c.a]),
            Expect::Err(ErrorKind::NotFound, &["KB article ", " does not exist"]),
        ),
        case(
            "using an article is recorded every time",
            Who::L1,
            |w| {
                let t = w.logged();
                w.ok(Who::L1, &Mutation::UseKbArticle { ticket_id: t, article_id: kb_vpn() });
                Ctx::ticket_article(t, kb_vpn())
            },
            |_, c| Mutation::UseKbArticle { ticket_id: c.t, article_id: c.a },
            Expect::Ok(|k| assert_eq!(k.names(), ["kb_used"])),
        ),
    ]);
}

#[test]
fn article_edits() {
    run(vec![
        case(
            "saving with a stale base revision is a conflict",
            Who::L2b,
            |w| {
                w.ok(Who::L2, &edit(kb_vpn(), Some(1), "VPN trennt", "Profil neu laden"));
                Ctx::article(kb_vpn())
            },
            |_, c| edit(c.a, Some(1), "VPN bricht ab", "Client neu starten"),
            Expect::Err(
                ErrorKind::Conflict,
                &["\"VPN trennt\" was changed meanwhile", "starts from revision 1, the current one is 2"],
            ),
        ),
        case(
            "saving with the current revision adds one",
            Who::L2b,
            |w| {
                w.ok(Who::L2, &edit(kb_vpn(), Some(1), "VPN trennt", "Profil neu laden"));
                Ctx::article(kb_vpn())
            },
            |_, c| edit(c.a, Some(2), "VPN bricht ab", "Client neu starten"),
            Expect::Ok(|k| {
                let (a, before) = (k.article(), &k.before.kb_articles[&k.ctx.a]);
                assert_eq!(a.revision, 3);
                assert_eq!((a.title.as_str(), a.body.as_str()), ("VPN bricht ab", "Client neu starten"));
                assert_eq!(a.state, ArticleState::Published, "an edit keeps the article published");
                assert_eq!((a.author, a.created_at), (before.author, before.created_at));
                assert_eq!(a.updated_at, k.w.now);
            }),
        ),
        case(
            "an edit that starts from a revision of an unknown article",
            Who::L2,
            nothing,
            |_, c| edit(c.a, Some(1), "Neu", "Text"),
            Expect::Err(ErrorKind::NotFound, &["KB article ", " does not exist"]),
        ),
        case(
            "creating an article whose id exists",
            Who::L2,
            nothing,
            |_, _| edit(kb_vpn(), None, "Neu", "Text"),
            Expect::Err(ErrorKind::Conflict, &["already exists"]),
        ),
        case(
            "a new article is a draft at revision 1, tags cleaned",
            Who::ExpertIt,
            nothing,
            |_, c| {
                Mutation::SaveKbArticle(KbArticleDraft {
                    article_id: c.a,
                    base_revision: None,
                    title: " Spooler ".into(),
                    body: "Dienst neu starten".into(),
                    tags: vec!["Drucker".into(), " drucker ".into(), "Windows".into()],
                    category_id: Some(cat_printers()),
                    visibility: Visibility::Internal,
                    source_ticket: None,
                })
            },
            Expect::Ok(|k| {
                let a = k.article();
                assert_eq!((a.revision, a.state, a.author), (1, ArticleState::Draft, Who::ExpertIt.id()));
                assert_eq!(a.title, "Spooler");
                assert_eq!(a.tags, ["drucker", "windows"]);
            }),
        ),
        case(
            "an article without a title",
            Who::L2,
            nothing,
            |_, c| edit(c.a, None, "  ", "Text"),
            Expect::Err(ErrorKind::Validation, &["title: is required"]),
        ),
        case(
            "an oversized title",
            Who::L2,
            nothing,
            |_, c| edit(c.a, None, &"t".repeat(limits::KB_TITLE_MAX + 1), "Text"),
            Expect::Err(ErrorKind::Validation, &["title: is 201 characters long; at most 200 are allowed"]),
        ),
        case(
            "an article in an unknown category",
            Who::L2,
            nothing,
            |_, c| {
                Mutation::SaveKbArticle(KbArticleDraft {
                    article_id: c.a,
                    base_revision: None,
                    title: "x".into(),
                    body: "y".into(),
                    tags: Vec::new(),
                    category_id: Some(CategoryId(unknown(9))),
                    visibility: Visibility::Internal,
                    source_ticket: None,
                })
            },
            Expect::Err(ErrorKind::NotFound, &["category ", " does not exist"]),
        ),
        case(
            "an article from an unknown ticket",
            Who::L2,
            nothing,
            |_, c| {
                Mutation::SaveKbArticle(KbArticleDraft {
                    article_id: c.a,
                    base_revision: None,
                    title: "x".into(),
                    body: "y".into(),
                    tags: Vec::new(),
                    category_id: None,
                    visibility: Visibility::Internal,
                    source_ticket: Some(c.t),
                })
            },
            Expect::Err(ErrorKind::NotFound, &["ticket ", " does not exist"]),
        ),
        case(
            "first level cannot save a KB article",
            Who::L1,
            nothing,
            |_, c| edit(c.a, None, "Tipp", "Text"),
            Expect::Err(ErrorKind::Forbidden, &["a first-level agent may not write KB articles"]),
        ),
        case(
            "emptying the body of a published article is refused",
            Who::L2,
            |_| Ctx::article(kb_vpn()),
            |_, c| edit(c.a, Some(1), "VPN trennt", " "),
            Expect::Err(ErrorKind::Validation, &["body: a published article needs a body"]),
        ),
        case(
            "a draft may have an empty body",
            Who::ExpertIt,
            |_| Ctx::article(kb_printer_draft()),
            |_, c| edit(c.a, Some(1), "Spooler", ""),
            Expect::Ok(|k| assert_eq!((k.article().body.as_str(), k.article().revision), ("", 2))),
        ),
        case(
            "an edit answers an outdated flag",
            Who::L2,
            |w| {
                w.ok(Who::L1, &Mutation::FlagKbArticleOutdated { article_id: kb_vpn() });
                Ctx::article(kb_vpn())
            },
            |_, c| edit(c.a, Some(1), "VPN trennt (2026)", "Neues Profil"),
            Expect::Ok(|k| {
                assert!(k.before.kb_articles[&k.ctx.a].flagged_outdated);
                assert!(!k.article().flagged_outdated);
            }),
        ),
    ]);
}

#[test]
fn publishing() {
    run(vec![
        case(
            "first level cannot publish KB articles",
            Who::L1,
            |_| Ctx::article(kb_printer_draft()),
            |_, c| Mutation::PublishKbArticle { article_id: c.a, revision: None },
            Expect::Err(ErrorKind::Forbidden, &["a first-level agent may not publish KB articles"]),
        ),
        case(
            "an expert writes but cannot publish",
            Who::ExpertIt,
            |_| Ctx::article(kb_printer_draft()),
            |_, c| Mutation::PublishKbArticle { article_id: c.a, revision: None },
            Expect::Err(ErrorKind::Forbidden, &["expert may not publish KB articles"]),
        ),
        case(
            "second level publishes a draft",
            Who::L2,
            |_| Ctx::article(kb_printer_draft()),
            |_, c| Mutation::PublishKbArticle { article_id: c.a, revision: None },
            Expect::Ok(|k| {
                let a = k.article();
                assert_eq!((a.state, a.revision, a.updated_at), (ArticleState::Published, 1, k.w.now));
                assert!(k.names().is_empty(), "no source ticket, no ticket event");
            }),
        ),
        case(
            "publishing an article with an empty body",
            Who::L2,
            |w| Ctx::article(w.kb_draft("  ", None)),
            |_, c| Mutation::PublishKbArticle { article_id: c.a, revision: None },
            Expect::Err(ErrorKind::Validation, &["article: an article needs a title and a body to be published"]),
        ),
        case(
            "publishing an unknown article",
            Who::L2,
            nothing,
            |_, c| Mutation::PublishKbArticle { article_id: c.a, revision: None },
            Expect::Err(ErrorKind::NotFound, &["KB article ", " does not exist"]),
        ),
        case(
            "publishing an article written from a ticket notes it on that ticket",
            Who::L2,
            |w| {
                let t = w.claimed();
                w.ok(Who::L2, &Mutation::Resolve { ticket_id: t, summary: note("Treiber 5.2") });
                let a = w.kb_draft("Treiber 5.2 installieren", Some(t));
                Ctx::ticket_article(t, a)
            },
            |_, c| Mutation::PublishKbArticle { article_id: c.a, revision: None },
            Expect::Ok(|k| {
                assert_eq!(published_from_ticket(k.changes), [(k.ctx.t, k.ctx.a)]);
                assert_eq!(k.article().state, ArticleState::Published);
                assert_eq!(k.article().source_ticket, Some(k.ctx.t));
            }),
        ),
        case(
            "publishing it again after archiving emits no second ticket event",
            Who::L2,
            |w| {
                let t = w.claimed();
                let a = w.kb_draft("Treiber 5.2 installieren", Some(t));
                w.ok(Who::L2, &Mutation::PublishKbArticle { article_id: a, revision: None });
                w.ok(Who::L2, &Mutation::ArchiveKbArticle { article_id: a });
                Ctx::ticket_article(t, a)
            },
            |_, c| Mutation::PublishKbArticle { article_id: c.a, revision: None },
            Expect::Ok(|k| {
                assert_eq!(k.article().state, ArticleState::Published);
                assert_eq!(published_from_ticket(k.changes), []);
                assert_eq!(k.changes.len(), 1, "only the article itself: {:?}", k.changes);
            }),
        ),
        case(
            "publishing a published article changes nothing",
            Who::L2,
            |w| {
                let t = w.claimed();
                let a = w.kb_draft("Treiber 5.2 installieren", Some(t));
                w.ok(Who::L2, &Mutation::PublishKbArticle { article_id: a, revision: None });
                Ctx::ticket_article(t, a)
            },
            |_, c| Mutation::PublishKbArticle { article_id: c.a, revision: None },
            Expect::Ok(|k| assert!(k.changes.is_empty(), "{:?}", k.changes)),
        ),
        case(
            "archiving a published article",
            Who::L2,
            |_| Ctx::article(kb_vpn()),
            |_, c| Mutation::ArchiveKbArticle { article_id: c.a },
            Expect::Ok(|k| assert_eq!((k.article().state, k.article().revision), (ArticleState::Archived, 1))),
        ),
        case(
            "first level cannot archive",
            Who::L1,
            |_| Ctx::article(kb_vpn()),
            |_, c| Mutation::ArchiveKbArticle { article_id: c.a },
            Expect::Err(ErrorKind::Forbidden, &["may not archive KB articles"]),
        ),
        case(
            "anyone may flag an article as outdated, once",
            Who::L1,
            |_| Ctx::article(kb_vpn()),
            |_, c| Mutation::FlagKbArticleOutdated { article_id: c.a },
            Expect::Ok(|k| {
                assert!(k.article().flagged_outdated);
                assert_eq!(k.changes.len(), 1);
            }),
        ),
        case(
            "flagging a flagged article changes nothing",
            Who::ExpertAccounting,
            |w| {
                w.ok(Who::L1, &Mutation::FlagKbArticleOutdated { article_id: kb_vpn() });
                Ctx::article(kb_vpn())
            },
            |_, c| Mutation::FlagKbArticleOutdated { article_id: c.a },
            Expect::Ok(|k| assert!(k.changes.is_empty())),
        ),
    ]);
}

fn note(s: &str) -> String {
    s.to_owned()
}

fn add_phrasing(article_id: KbArticleId, ticket_id: TicketId, n: u64, text: &str) -> Mutation {
    Mutation::AddKbPhrasing { article_id, phrasing_id: KbPhrasingId(pool(900 + n)), ticket_id, text: text.into() }
}

/// A logged ticket whose words are kept with the VPN article once.
fn with_one_phrasing(w: &mut World) -> Ctx {
    let t = w.logged();
    w.ok(Who::L1, &add_phrasing(kb_vpn(), t, 0, "VPN trennt ständig seit dem Update"));
    Ctx::ticket_article(t, kb_vpn())
}

#[test]
fn callers_words() {
    run(vec![
        case(
            "first level keeps a caller's words with a published article, with ticket and customer",
            Who::L1,
            |w| Ctx::ticket_article(w.logged(), kb_vpn()),
            |_, c| add_phrasing(c.a, c.t, 0, "  VPN trennt ständig seit dem Update "),
            Expect::Ok(|k| {
                let kept = &k.article().phrasings;
                assert_eq!(kept.len(), 1);
                let p = &kept[0];
                assert_eq!(p.text, "VPN trennt ständig seit dem Update");
                assert_eq!((p.ticket_id, p.customer_id), (k.ctx.t, k.ticket().customer_id));
                assert!(p.customer_id.is_some());
                assert_eq!((p.added_by, p.added_at), (Who::L1.id(), k.w.now));
                // the article's own revision is not an edit of its text
                assert_eq!(k.article().revision, k.before.kb_articles[&kb_vpn()].revision);
            }),
        ),
        case(
            "phone numbers and e-mail addresses never reach a phrasing",
            Who::L2,
            |w| Ctx::ticket_article(w.logged(), kb_vpn()),
            |_, c| add_phrasing(c.a, c.t, 0, "Rückruf an +49 151 1234567 oder anna@meier.de: VPN trennt"),
            Expect::Ok(|k| {
                let text = &k.article().phrasings[0].text;
                assert!(!text.contains("1234567") && !text.contains('@'), "{text:?}");
                assert!(text.contains("VPN trennt"), "{text:?}");
            }),
        ),
        case(
            "the same words again (other case and spacing) are kept once",
            Who::ExpertIt,
            with_one_phrasing,
            |_, c| add_phrasing(c.a, c.t, 1, "vpn  TRENNT ständig seit dem update"),
            Expect::Ok(|k| assert!(k.changes.is_empty(), "{:?}", k.changes)),
        ),
        case(
            "the same phrasing sent twice is kept once",
            Who::L1,
            with_one_phrasing,
            |_, c| add_phrasing(c.a, c.t, 0, "ganz andere Worte"),
            Expect::Ok(|k| assert!(k.changes.is_empty(), "{:?}", k.changes)),
        ),
        case(
            "an article keeps at most PHRASINGS_MAX phrasings: the oldest goes",
            Who::L1,
            |w| {
                let t = w.logged();
                for n in 0..limits::PHRASINGS_MAX as u64 {
                    w.ok(Who::L1, &add_phrasing(kb_vpn(), t, n, &format!("VPN Fehler Nummer {n}")));
                }
                Ctx::ticket_article(t, kb_vpn())
            },
            |_, c| add_phrasing(c.a, c.t, 99, "der neueste Wortlaut"),
            Expect::Ok(|k| {
                let kept = &k.article().phrasings;
                assert_eq!(kept.len(), limits::PHRASINGS_MAX);
                assert_eq!(kept[0].text, "VPN Fehler Nummer 1");
                assert_eq!(kept.last().unwrap().text, "der neueste Wortlaut");
            }),
        ),
        case(
            "a phrasing for an unknown article is refused",
            Who::L1,
            |w| Ctx::ticket_article(w.logged(), KbArticleId(pool(777))),
            |_, c| add_phrasing(c.a, c.t, 0, "VPN trennt"),
            Expect::Err(ErrorKind::NotFound, &["KB article ", " does not exist"]),
        ),
        case(
            "a phrasing for an unknown ticket is refused",
            Who::L1,
            |_| Ctx::ticket_article(TicketId(pool(778)), kb_vpn()),
            |_, c| add_phrasing(c.a, c.t, 0, "VPN trennt"),
            Expect::Err(ErrorKind::NotFound, &["ticket ", " does not exist"]),
        ),
        case(
            "a draft keeps no callers' words",
            Who::L2,
            |w| Ctx::ticket_article(w.logged(), kb_printer_draft()),
            |_, c| add_phrasing(c.a, c.t, 0, "Drucker druckt nicht"),
            Expect::Err(ErrorKind::Validation, &["only a published article"]),
        ),
        case(
            "an empty phrasing is refused",
            Who::L1,
            |w| Ctx::ticket_article(w.logged(), kb_vpn()),
            |_, c| add_phrasing(c.a, c.t, 0, "  \n "),
            Expect::Err(ErrorKind::Validation, &["text", "required"]),
        ),
        case(
            "a phrasing that is only a phone number is refused as empty",
            Who::L1,
            |w| Ctx::ticket_article(w.logged(), kb_vpn()),
            |_, c| add_phrasing(c.a, c.t, 0, "0151 1234567"),
            Expect::Err(ErrorKind::Validation, &["text", "required"]),
        ),
        case(
            "a phrasing over the limit is refused",
            Who::L1,
            |w| Ctx::ticket_article(w.logged(), kb_vpn()),
            |_, c| add_phrasing(c.a, c.t, 0, &"VPN ".repeat(limits::PHRASING_MAX)),
            Expect::Err(ErrorKind::Validation, &["text", "at most 600"]),
        ),
        case(
            "second level removes a misleading phrasing",
            Who::L2,
            with_one_phrasing,
            |_, c| Mutation::RemoveKbPhrasing { article_id: c.a, phrasing_id: KbPhrasingId(pool(900)) },
            Expect::Ok(|k| {
                assert!(k.article().phrasings.is_empty());
                assert_eq!(k.changes.len(), 1);
            }),
        ),
        case(
            "first level does not remove phrasings",
            Who::L1,
            with_one_phrasing,
            |_, c| Mutation::RemoveKbPhrasing { article_id: c.a, phrasing_id: KbPhrasingId(pool(900)) },
            Expect::Err(ErrorKind::Forbidden, &["may not write KB articles"]),
        ),
        case(
            "removing a phrasing that is gone changes nothing",
            Who::L2,
            with_one_phrasing,
            |_, c| Mutation::RemoveKbPhrasing { article_id: c.a, phrasing_id: KbPhrasingId(pool(901)) },
            Expect::Ok(|k| assert!(k.changes.is_empty())),
        ),
        case(
            "removing a phrasing of an unknown article is refused",
            Who::L2,
            nothing,
            |_, _| Mutation::RemoveKbPhrasing {
                article_id: KbArticleId(pool(777)),
                phrasing_id: KbPhrasingId(pool(900)),
            },
            Expect::Err(ErrorKind::NotFound, &["KB article ", " does not exist"]),
        ),
    ]);
}
