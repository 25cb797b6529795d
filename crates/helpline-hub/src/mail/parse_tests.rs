//! Hostile and odd input for the mail parser: every case must give a result, never a panic.

use super::*;

fn limits() -> MailLimits {
    MailLimits::default()
}

fn parse(raw: &str) -> ParsedMail {
    parse_mail(raw.as_bytes(), &limits()).expect("parses")
}

const SIMPLE: &str = "From: Max Muster <Max.Muster@Example.COM>\r\n\
To: support@helpline.test, \"Zweite\" <zwei@helpline.test>\r\n\
Cc: chef@example.com\r\n\
Reply-To: antwort@example.com\r\n\
Subject: Drucker kaputt [K7-0042]\r\n\
Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n\
Message-ID: <abc@example.com>\r\n\
In-Reply-To: <parent@helpline.test>\r\n\
References: <root@helpline.test> <parent@helpline.test>\r\n\
\r\n\
Hallo,\r\nder Drucker druckt nicht.\r\n";

#[test]
fn simple_mail_fields() {
    let m = parse(SIMPLE);
    assert_eq!(m.message_id.as_deref(), Some("abc@example.com"));
    assert_eq!(m.in_reply_to, vec!["parent@helpline.test"]);
    assert_eq!(m.references, vec!["root@helpline.test", "parent@helpline.test"]);
    let from = m.from.expect("from");
    assert_eq!(from.address, "max.muster@example.com");
    assert_eq!(from.name.as_deref(), Some("Max Muster"));
    assert_eq!(m.reply_to.map(|r| r.address).as_deref(), Some("antwort@example.com"));
    assert_eq!(m.to.len(), 2);
    assert_eq!(m.to[1].name.as_deref(), Some("Zweite"));
    assert_eq!(m.cc[0].address, "chef@example.com");
    assert_eq!(m.subject, "Drucker kaputt [K7-0042]");
    assert_eq!(m.date, Some(1_796_637_600_000));
    assert_eq!(m.text, "Hallo,\r\nder Drucker druckt nicht.");
    assert_eq!(m.html, None);
    assert_eq!(m.kind, MailKind::Normal);
    assert!(m.problems.is_empty(), "{:?}", m.problems);
    assert_eq!(find_reference(&m.subject).as_deref(), Some("K7-0042"));
}

#[test]
fn missing_message_id_is_none() {
    let m = parse("From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n");
    assert_eq!(m.message_id, None);
    assert!(m.in_reply_to.is_empty() && m.references.is_empty());
}

#[test]
fn duplicate_message_id_takes_the_first() {
    let m =
        parse("From: a@example.com\r\nMessage-ID: <first@x>\r\nMessage-ID: <second@x>\r\nSubject: x\r\n\r\nbody\r\n");
    assert_eq!(m.message_id.as_deref(), Some("first@x"));
    assert!(m.problems.iter().any(|p| p.contains("Message-ID")), "{:?}", m.problems);
}

#[test]
fn encoded_words_in_latin1_windows1252_utf8() {
    let m = parse(
        "From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <j@example.com>\r\nSubject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=\r\n\r\nx\r\n",
    );
    assert_eq!(m.subject, "Grüße aus Köln");
    assert_eq!(m.from.and_then(|f| f.name).as_deref(), Some("Jürgen Müller"));
    // 0x80 is € and 0x84 „ in Windows-1252 (undefined in Latin-1).
    let m = parse("From: a@example.com\r\nSubject: =?windows-1252?Q?=84Preis=93_80_=80_f=FCr_=D6l?=\r\n\r\nx\r\n");
    assert_eq!(m.subject, "„Preis“ 80 € für Öl");
    let m = parse("From: a@example.com\r\nSubject: =?UTF-8?B?w5xiZXJ3ZWlzdW5nIGbDvHIgU3RyYcOfZQ==?=\r\n\r\nx\r\n");
    assert_eq!(m.subject, "Überweisung für Straße");
}

#[test]
fn eight_bit_raw_headers() {
    let mut raw = b"From: \"J\xc3\xbcrgen\" <j@example.com>\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nbody\r\n".to_vec();
    let m = parse_mail(&raw, &limits()).expect("utf-8 raw");
    assert_eq!(m.subject, "Grüße");
    assert_eq!(m.from.and_then(|f| f.name).as_deref(), Some("Jürgen"));
    // Latin-1 bytes that are not UTF-8: no panic, something readable.
    raw = b"From: j@example.com\r\nSubject: Gr\xfc\xdfe \xff\r\n\r\nbody\r\n".to_vec();
    let m = parse_mail(&raw, &limits()).expect("latin-1 raw");
    assert!(m.subject.starts_with("Gr"), "{}", m.subject);
    assert_eq!(m.text, "body");
}

#[test]
fn latin1_body_charset() {
    let raw = b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGr\xfc\xdfe\r\n";
    assert_eq!(parse_mail(raw, &limits()).expect("parses").text, "Grüße");
}

#[test]
fn too_large_rejected_before_parsing() {
    let big = vec![b'a'; 50 * 1024 * 1024];
    let started = std::time::Instant::now();
    let err = parse_mail(&big, &limits()).expect_err("too large");
    assert_eq!(err, MailRejection::TooLarge { bytes: 50 * 1024 * 1024, limit: 25 * 1024 * 1024 });
    assert!(started.elapsed() < std::time::Duration::from_millis(100), "must not look at the bytes");
}

#[test]
fn garbage_is_unparseable_or_harmless() {
    for raw in [&b""[..], b"\r\n\r\n", b"   ", b"\x00\x01\x02\x03", b"just some words without any header"] {
        match parse_mail(raw, &limits()) {
            Err(MailRejection::Unparseable(_)) => {}
            other => panic!("{raw:?} gave {other:?}"),
        }
    }
}

#[test]
fn malformed_mime_still_gives_what_it_can() {
    // Boundary declared but never used, a part with an unterminated header, a bogus base64 body.
    let raw = "From: a@example.com\r\nSubject: kaputt\r\nMessage-ID: <m@x>\r\n\
Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n\
--XYZ\r\nContent-Type: text/plain\r\n\r\nerster Teil\r\n\
--XYZ\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64***\r\n";
    let m = parse(raw);
    assert_eq!(m.subject, "kaputt");
    assert_eq!(m.message_id.as_deref(), Some("m@x"));
    assert!(m.text.contains("erster Teil"), "{:?}", m.text);

    let m =
        parse("From: a@example.com\r\nSubject: s\r\nContent-Type: multipart/alternative\r\n\r\nno boundary at all\r\n");
    assert_eq!(m.subject, "s");
}

#[test]
fn deep_nesting_is_capped() {
    let depth = 60;
    let mut raw = String::from("From: a@example.com\r\nSubject: deep\r\n");
    for i in 0..depth {
        raw.push_str(&format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"));
    }
    raw.push_str("Content-Type: text/plain\r\n\r\nganz unten\r\n");
    for i in (0..depth).rev() {
        raw.push_str(&format!("--b{i}--\r\n"));
    }
    let m = parse(&raw);
    assert!(!m.text.contains("ganz unten"), "the text below the cap must be dropped");
    assert!(m.problems.iter().any(|p| p.contains("deeper than 10")), "{:?}", m.problems);

    // Within the cap it is found.
    let m = parse(&raw.replace("b1\"", "none\"").replace("Content-Type: multipart/mixed; boundary=\"b0\"", "X: y"));
    let _ = m; // shape changes; only "no panic" matters here
}

#[test]
fn five_hundred_attachments_are_capped() {
    let mut raw = String::from(
        "From: a@example.com\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsiehe Anhang\r\n",
    );
    for i in 0..500 {
        raw.push_str(&format!(
            "--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"f{i}.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n"
        ));
    }
    raw.push_str("--B--\r\n");
    let m = parse_mail(raw.as_bytes(), &MailLimits { max_parts: 1000, ..limits() }).expect("parses");
    assert_eq!(m.attachments.len(), 100);
    assert!(m.problems.iter().any(|p| p.contains("400 attachments beyond 100 dropped")), "{:?}", m.problems);
    assert_eq!(m.attachments[0].name, "f0.bin");
    assert_eq!(m.attachments[0].bytes, vec![0, 1, 2]);
    assert_eq!(m.attachments[0].sha256, "ae4b3280e56e2faf83f414a6e3dabe9d5fbe18976544c05fed121accb85b53fc");
    assert_eq!(m.text, "siehe Anhang");

    // The default part cap (200) cuts first and says so.
    let m = parse(&raw);
    assert!(m.attachments.len() < 200);
    assert!(m.problems.iter().any(|p| p.contains("parts beyond 200")), "{:?}", m.problems);
}

#[test]
fn attachment_type_sniffed_and_name_sanitised() {
    // A PNG declared as octet-stream, with a path and a control character in its name.
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    let raw = format!(
        "From: a@example.com\r\nSubject: bild\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
--B\r\nContent-Type: application/octet-stream; name=\"x.dat\"\r\nContent-Disposition: attachment; filename=\"../../etc/pass\x07wd.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{png}\r\n--B--\r\n"
    );
    let m = parse(&raw);
    assert_eq!(m.attachments.len(), 1, "{:?}", m.attachments);
    assert_eq!(m.attachments[0].content_type, "image/png");
    assert_eq!(m.attachments[0].name, "passwd.png");
}

#[test]
fn long_text_is_capped() {
    let raw = format!("From: a@example.com\r\nSubject: lang\r\n\r\n{}\r\n", "ä".repeat(200_000));
    let m = parse(&raw);
    assert_eq!(m.text.chars().count(), 100_000);
    assert!(m.problems.iter().any(|p| p.contains("text cut at 100000")), "{:?}", m.problems);
}

const HOSTILE_HTML: &str = r#"<html><head><style>body{background:url(http://t.example/x)}</style>
<script>alert(1)</script></head><body onload="steal()">
<p onclick="x()">Hallo <b>Welt</b></p>
<img src="https://tracker.example/pixel.gif?u=42" width="1" height="1">
<img src="http://tracker.example/p2.png" srcset="http://tracker.example/p3.png 2x">
<img src="cid:logo@x" alt="Logo">
<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline">
<form action="https://phish.example/"><input name="pw" type="password"><button>OK</button></form>
<iframe src="https://evil.example/"></iframe><object data="x.swf"></object>
<a href="https://good.example/" target="_blank">Link</a>
<a href="javascript:alert(1)">js</a>
</body></html>"#;

#[test]
fn html_is_sanitised() {
    let raw = format!(
        "From: a@example.com\r\nSubject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{HOSTILE_HTML}\r\n"
    );
    let m = parse(&raw);
    let html = m.html.expect("html");
    for bad in [
        "<script",
        "alert(",
        "<style",
        "onload",
        "onclick",
        "<form",
        "<input",
        "<button",
        "<iframe",
        "<object",
        "tracker.example",
        "srcset",
        "target=",
        "javascript:",
        "phish",
    ] {
        assert!(!html.contains(bad), "{bad} survived in {html}");
    }
    assert!(html.contains(r#"src="cid:logo@x""#), "{html}");
    assert!(html.contains("data:image/png;base64"), "{html}");
    assert!(html.contains(r#"rel="noopener noreferrer""#), "{html}");
    assert!(html.contains("<b>Welt</b>"), "{html}");
    // HTML-only mail: the text is made from the HTML, without the hidden script/style text.
    assert!(m.text.contains("Hallo") && m.text.contains("Welt") && m.text.contains("Link"), "{}", m.text);
    assert!(!m.text.contains("alert") && !m.text.contains("background"), "{}", m.text);
}

#[test]
fn alternative_prefers_the_plain_part() {
    let raw = "From: a@example.com\r\nSubject: alt\r\nContent-Type: multipart/alternative; boundary=\"A\"\r\n\r\n\
--A\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNur Text\r\n--A\r\nContent-Type: text/html\r\n\r\n<p>Als <i>HTML</i></p>\r\n--A--\r\n";
    let m = parse(raw);
    assert_eq!(m.text, "Nur Text");
    assert!(m.html.expect("html").contains("<i>HTML</i>"));
}

fn kind_of(headers: &str) -> MailKind {
    parse(&format!("From: someone@example.com\r\nSubject: s\r\n{headers}\r\nbody\r\n")).kind
}

#[test]
fn auto_replies_bounces_lists() {
    assert_eq!(kind_of(""), MailKind::Normal);
    assert_eq!(kind_of("Auto-Submitted: no\r\n"), MailKind::Normal);
    assert_eq!(kind_of("Auto-Submitted: auto-replied\r\n"), MailKind::AutoReply);
    assert_eq!(kind_of("Auto-Submitted: auto-generated; owner-email=x@y\r\n"), MailKind::AutoReply);
    assert_eq!(kind_of("X-Autoreply: yes\r\n"), MailKind::AutoReply);
    assert_eq!(kind_of("X-Autorespond: Abwesend\r\n"), MailKind::AutoReply);
    assert_eq!(kind_of("Precedence: auto_reply\r\n"), MailKind::AutoReply);
    for p in ["bulk", "junk", "list", "Bulk"] {
        assert_eq!(kind_of(&format!("Precedence: {p}\r\n")), MailKind::List, "{p}");
    }
    assert_eq!(kind_of("Return-Path: <>\r\n"), MailKind::Bounce);
    assert_eq!(kind_of("Return-Path: <someone@example.com>\r\n"), MailKind::Normal);
    assert_eq!(kind_of("List-Id: Freunde <freunde.lists.example.com>\r\n"), MailKind::List);
    assert_eq!(kind_of("List-Unsubscribe: <mailto:leave@example.com>\r\n"), MailKind::List);
    let m = parse("From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered\r\n\r\nx\r\n");
    assert_eq!(m.kind, MailKind::Bounce);
    let m = parse("From: Mail Delivery <postmaster@example.com>\r\nSubject: Undelivered\r\n\r\nx\r\n");
    assert_eq!(m.kind, MailKind::Bounce);
    let report = "From: mx@example.com\r\nSubject: Delivery Status Notification\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n\
--R\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--R--\r\n";
    assert_eq!(parse(report).kind, MailKind::Bounce);
}

#[test]
fn references_in_subjects() {
    assert_eq!(find_reference("Re: Drucker [K7-0042]").as_deref(), Some("K7-0042"));
    assert_eq!(find_reference("AW: [k7-42] Drucker").as_deref(), Some("K7-0042"));
    assert_eq!(find_reference("[intern] [AB12-7]").as_deref(), Some("AB12-0007"));
    for none in ["", "K7-0042", "[K7-0]", "[7K-1]", "[K7-x]", "[ K7-1 ]", "[K7-0042", "]["] {
        assert_eq!(find_reference(none), None, "{none}");
    }
}

#[test]
fn split_quoted_markers() {
    let cases = [
        "Danke!\n\nOn Mon, 7 Dec 2026 at 10:00, Support <s@x> wrote:\n> alt\n",
        "Danke!\n\nAm Mo., 7. Dez. 2026 um 10:00 Uhr schrieb Support <s@x>:\n> alt\n",
        "Danke!\n\nAm 07.12.2026 um 10:00 schrieb Support:\n> alt\n",
        "Danke!\n\n07.12.2026 10:00 schrieb Support:\n> alt\n",
        "Danke!\n\nOn 7 Dec 2026, at 10:00, Support <s@x>\nwrote:\n\n> alt\n",
        "Danke!\n\n-----Original Message-----\nFrom: Support\nalt\n",
        "Danke!\n\n-----Ursprüngliche Nachricht-----\nVon: Support\nalt\n",
        "Danke!\n\n________________________________\nFrom: Support <s@x>\nSent: Monday\nalt\n",
        "Danke!\n\nVon: Support <s@x>\nGesendet: Montag, 7. Dezember 2026 10:00\nalt\n",
        "Danke!\n\n> alt\n> noch älter\n",
    ];
    for c in cases {
        let (new, old) = split_quoted(c);
        assert_eq!(new, "Danke!", "{c:?}");
        assert!(old.contains("alt"), "{c:?} → {old:?}");
    }
    let (new, old) = split_quoted("Ein > Zeichen im Text\n> einzeln zitiert\nweiter\n");
    assert_eq!(old, "");
    assert!(new.contains("weiter"));
}

/// Seeded random bytes, truncations and mutations of valid mails: no panic, bounded time.
#[test]
fn fuzz_no_panic() {
    let mut seed: u64 = 0x5eed_1234_abcd_0042;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let html_mail =
        format!("From: a@example.com\r\nSubject: =?utf-8?q?h=C3=A4?=\r\nContent-Type: text/html\r\n\r\n{HOSTILE_HTML}");
    let multi = "From: a@example.com\r\nSubject: m\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nt\r\n\
--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@example.com\r\nSubject: inner\r\n\r\ninner body\r\n\
--B\r\nContent-Disposition: attachment; filename=a.bin\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--B--\r\n";
    let seeds: Vec<Vec<u8>> = vec![SIMPLE.into(), html_mail.into(), multi.into()];
    let small =
        MailLimits { max_bytes: 64 * 1024, max_parts: 20, max_depth: 4, max_attachments: 3, max_text_chars: 500 };
    let started = std::time::Instant::now();
    for case in 0..3000 {
        let base = &seeds[case % seeds.len()];
        let raw: Vec<u8> = match next() % 4 {
            0 => (0..next() % 2000).map(|_| next() as u8).collect(),
            1 => base[..(next() as usize % (base.len() + 1))].to_vec(),
            2 => {
                let mut m = base.clone();
                for _ in 0..(1 + next() % 20) {
                    let i = next() as usize % m.len();
                    m[i] = next() as u8;
                }
                m
            }
            _ => {
                // Splice chunks of the seeds into each other (structure-aware-ish).
                let other = &seeds[next() as usize % seeds.len()];
                let cut = next() as usize % (base.len() + 1);
                let from = next() as usize % (other.len() + 1);
                [&base[..cut], &other[from..], &base[cut..]].concat()
            }
        };
        if let Ok(m) = parse_mail(&raw, &small) {
            assert!(m.attachments.len() <= 3);
            assert!(m.text.chars().count() <= 500);
            if let Some(h) = &m.html {
                assert!(!h.contains("<script"));
            }
        }
        let text = String::from_utf8_lossy(&raw);
        let _ = split_quoted(&text);
        let _ = find_reference(&text);
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "took {:?}", started.elapsed());
}

#[test]
fn deeply_nested_html_does_not_overflow() {
    let html = format!("{}tief{}", "<div><span>".repeat(3_000), "</span></div>".repeat(3_000));
    let raw = format!("From: a@example.com\r\nSubject: html\r\nContent-Type: text/html\r\n\r\n{html}\r\n");
    let m = parse(&raw);
    assert!(m.html.is_some());
}

#[test]
fn a_flood_of_empty_parts_is_refused_at_once() {
    let mut raw = String::from("From: a@b.test\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n");
    raw.push_str(&"--B\r\n\r\n".repeat(3_000_000));
    let started = std::time::Instant::now();
    let result = parse_mail(raw.as_bytes(), &limits());
    assert!(matches!(result, Err(MailRejection::Unparseable(_))), "{:?}", result.map(|m| m.subject));
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[test]
fn deeply_nested_html_is_shown_as_text_in_bounded_time() {
    let depth = 20_000;
    let html = format!("{}Hallo Welt{}", "<div><span>".repeat(depth), "</span></div>".repeat(depth));
    let raw = format!("From: a@b.test\r\nSubject: tief\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n");
    let started = std::time::Instant::now();
    let mail = parse(&raw);
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
    assert!(mail.text.contains("Hallo Welt"), "{}", mail.text.chars().take(80).collect::<String>());
    assert!(!mail.html.as_deref().unwrap_or_default().contains("<div"), "no markup kept");
}
