//! Outgoing mail: headers for threading and robots, and the round trip through our own parser.

use super::*;
use sha2::{Digest, Sha256};

fn mb(name: Option<&str>, address: &str) -> Mailbox {
    Mailbox { name: name.map(str::to_owned), address: address.to_owned() }
}

fn raw_of(m: &OutgoingMail) -> String {
    String::from_utf8(build_mail(m).expect("builds").formatted()).expect("ascii or utf-8")
}

#[test]
fn round_trip_through_parse() {
    let from = mb(Some("Helpline Support"), "support@helpline.test");
    let to = [mb(Some("Jürgen Müller"), "juergen@example.com")];
    let cc = [mb(None, "chef@example.com")];
    let refs = vec!["root@example.com".to_owned(), "parent@example.com".to_owned()];
    let pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let blob: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let attachments = vec![
        ("Rechnung März.pdf".to_owned(), "application/pdf".to_owned(), pdf.clone()),
        ("daten.bin".to_owned(), "application/octet-stream".to_owned(), blob.clone()),
    ];
    let body = "Guten Tag Herr Müller,\n\nIhr Drucker ist repariert. Grüße, € 12\n\n-- \nHelpline";
    let m = OutgoingMail {
        from: &from,
        to: &to,
        cc: &cc,
        subject: "Re: Drucker kaputt",
        reference: "K7-0042",
        message_id: "k7-0042.3@helpline.test",
        in_reply_to: Some("parent@example.com"),
        references: &refs,
        body,
        attachments: &attachments,
        auto_submitted: false,
    };
    let raw = raw_of(&m);
    assert!(!raw.contains("Auto-Submitted"));
    let p = parse_mail(raw.as_bytes(), &MailLimits::default()).expect("parses");
    assert_eq!(p.subject, "Re: Drucker kaputt [K7-0042]");
    assert_eq!(find_reference(&p.subject).as_deref(), Some("K7-0042"));
    assert_eq!(p.message_id.as_deref(), Some("k7-0042.3@helpline.test"));
    assert_eq!(p.in_reply_to, vec!["parent@example.com"]);
    assert_eq!(p.references, refs);
    assert_eq!(p.text.replace("\r\n", "\n"), body);
    assert_eq!(p.from, Some(from.clone()));
    assert_eq!(p.to, to.to_vec());
    assert_eq!(p.cc, cc.to_vec());
    assert!(p.date.is_some());
    assert_eq!(p.kind, MailKind::Normal);
    assert_eq!(p.attachments.len(), 2);
    assert_eq!(p.attachments[0].name, "Rechnung März.pdf");
    assert_eq!(p.attachments[0].content_type, "application/pdf");
    assert_eq!(p.attachments[0].sha256, hex::encode(Sha256::digest(&pdf)));
    assert_eq!(p.attachments[1].name, "daten.bin");
    assert_eq!(p.attachments[1].sha256, hex::encode(Sha256::digest(&blob)));
    assert!(p.problems.is_empty(), "{:?}", p.problems);
}

#[test]
fn acknowledgement_is_marked_auto_replied() {
    let from = mb(None, "support@helpline.test");
    let to = [mb(None, "kunde@example.com")];
    let m = OutgoingMail {
        from: &from,
        to: &to,
        cc: &[],
        subject: "Ihre Anfrage [K7-0042] ist eingegangen",
        reference: "K7-0042",
        message_id: "ack-1@helpline.test",
        in_reply_to: None,
        references: &[],
        body: "Danke, wir melden uns.",
        attachments: &[],
        auto_submitted: true,
    };
    let raw = raw_of(&m);
    assert!(raw.contains("Auto-Submitted: auto-replied\r\n"), "{raw}");
    assert!(raw.contains("X-Auto-Response-Suppress: All\r\n"), "{raw}");
    assert!(!raw.contains("In-Reply-To"));
    let p = parse_mail(raw.as_bytes(), &MailLimits::default()).expect("parses");
    // Already tagged: not tagged twice.
    assert_eq!(p.subject, "Ihre Anfrage [K7-0042] ist eingegangen");
    assert_eq!(p.kind, MailKind::AutoReply, "our own acknowledgements look like robots to us too");
}

#[test]
fn subject_tagging() {
    assert_eq!(subject_with_reference("Re: AW: Drucker", "K7-0042"), "Re: AW: Drucker [K7-0042]");
    assert_eq!(subject_with_reference("[K7-0042] Drucker", "K7-0042"), "[K7-0042] Drucker");
    assert_eq!(subject_with_reference("", "K7-0042"), "[K7-0042]");
}

#[test]
fn bad_input_gives_clear_errors() {
    let good = mb(None, "support@helpline.test");
    let bad = mb(None, "not an address");
    let to = [mb(None, "kunde@example.com")];
    let base = OutgoingMail {
        from: &good,
        to: &to,
        cc: &[],
        subject: "s",
        reference: "K7-0001",
        message_id: "id@helpline.test",
        in_reply_to: None,
        references: &[],
        body: "b",
        attachments: &[],
        auto_submitted: false,
    };
    let err = build_mail(&OutgoingMail { from: &bad, ..base }).expect_err("bad from");
    assert!(err.to_string().contains("From"), "{err}");
    let err = build_mail(&OutgoingMail { to: &[], ..base }).expect_err("no recipient");
    assert_eq!(err, BuildError::NoRecipient);
    for id in ["<id@x>", "no-at", "a b@x", "@x", "x@"] {
        let err = build_mail(&OutgoingMail { message_id: id, ..base }).expect_err(id);
        assert!(matches!(err, BuildError::MessageId(_)), "{id}: {err}");
    }
    let atts = vec![("a".to_owned(), "not a type".to_owned(), vec![1])];
    let err = build_mail(&OutgoingMail { attachments: &atts, ..base }).expect_err("bad type");
    assert!(matches!(err, BuildError::ContentType { .. }), "{err}");
}

#[test]
fn header_injection_is_not_possible() {
    let from = mb(None, "support@helpline.test");
    let to = [mb(Some("Evil\r\nBcc: victim@example.com"), "kunde@example.com")];
    let m = OutgoingMail {
        from: &from,
        to: &to,
        cc: &[],
        subject: "Hallo\r\nBcc: victim@example.com",
        reference: "K7-0001",
        message_id: "id@helpline.test",
        in_reply_to: None,
        references: &[],
        body: "b",
        attachments: &[],
        auto_submitted: false,
    };
    let raw = raw_of(&m);
    assert!(!raw.lines().any(|l| l.starts_with("Bcc:")), "{raw}");
}
