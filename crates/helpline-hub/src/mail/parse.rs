//! Incoming mail: raw RFC 5322 bytes → a bounded, sanitised [`ParsedMail`].
//! Everything here treats its input as hostile: sizes are checked before parsing,
//! parts, depth, attachments and text are capped, and every cut is written to `problems`.

use helpline_domain::Reference;
use mail_parser::{Address, HeaderName, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailLimits {
    pub max_bytes: usize,
    pub max_parts: usize,
    pub max_depth: usize,
    pub max_attachments: usize,
    pub max_text_chars: usize,
}

impl Default for MailLimits {
    fn default() -> Self {
        Self {
            max_bytes: 25 * 1024 * 1024,
            max_parts: 200,
            max_depth: 10,
            max_attachments: 100,
            max_text_chars: 100_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    /// Lower-cased.
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAttachment {
    /// Sanitised: no path, no control characters, never empty.
    pub name: String,
    /// Sniffed from the bytes where `infer` knows them, else the declared type.
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// Lower-case hex SHA-256 of `bytes`.
    pub sha256: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Normal,
    AutoReply,
    Bounce,
    List,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMail {
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: Option<Mailbox>,
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub subject: String,
    /// Milliseconds since the epoch.
    pub date: Option<i64>,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<ParsedAttachment>,
    pub kind: MailKind,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailRejection {
    #[error("mail of {bytes} bytes is over the limit of {limit}")]
    TooLarge { bytes: usize, limit: usize },
    #[error("mail cannot be parsed: {0}")]
    Unparseable(String),
}

pub fn parse_mail(raw: &[u8], limits: &MailLimits) -> Result<ParsedMail, MailRejection> {
    if raw.len() > limits.max_bytes {
        return Err(MailRejection::TooLarge { bytes: raw.len(), limit: limits.max_bytes });
    }
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(MailRejection::Unparseable("empty message".into()));
    }
    // A flood of boundary lines (empty parts by the thousand) stalls the MIME parser for
    // minutes; a real mail has a few per part.
    let boundaries = raw.split(|b| *b == b'\n').filter(|line| line.starts_with(b"--")).count();
    if boundaries > limits.max_parts.saturating_mul(4) {
        return Err(MailRejection::Unparseable(format!("{boundaries} MIME boundary lines")));
    }
    let message = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| MailRejection::Unparseable("no header or body found".into()))?;
    if message.parts.is_empty() {
        return Err(MailRejection::Unparseable("no MIME part found".into()));
    }
    let headers = &message.parts[0].headers;
    // A message without a single header we understand is not mail (random bytes, a binary).
    if !headers.iter().any(|h| !matches!(h.name, HeaderName::Other(_))) {
        return Err(MailRejection::Unparseable("no known header".into()));
    }

    let mut problems = Vec::new();
    let allowed = allowed_parts(&message, limits, &mut problems);

    let message_id = first_header(&message, &HeaderName::MessageId).and_then(ids).and_then(|v| v.into_iter().next());
    let count = headers.iter().filter(|h| h.name == HeaderName::MessageId).count();
    if count > 1 {
        problems.push(format!("{count} Message-ID headers, the first kept"));
    }
    let in_reply_to = first_header(&message, &HeaderName::InReplyTo).and_then(ids).unwrap_or_default();
    let references = first_header(&message, &HeaderName::References).and_then(ids).unwrap_or_default();

    let subject = cap_chars(message.subject().unwrap_or_default().trim(), 1000, "subject", &mut problems);
    let date = message.date().map(|d| d.to_timestamp().saturating_mul(1000));

    let (text, html) = bodies(&message, &allowed, limits, &mut problems);
    let attachments = attachments(&message, &allowed, limits, &mut problems);

    Ok(ParsedMail {
        message_id,
        in_reply_to,
        references,
        from: message.from().and_then(|a| mailboxes(a).into_iter().next()),
        reply_to: message.reply_to().and_then(|a| mailboxes(a).into_iter().next()),
        to: message.to().map(mailboxes).unwrap_or_default(),
        cc: message.cc().map(mailboxes).unwrap_or_default(),
        subject,
        date,
        text,
        html,
        attachments,
        kind: classify(&message),
        problems,
    })
}

/// The ticket reference in a subject: "Re: Drucker [K7-0042]" → `Some("K7-0042")`.
/// Only bracketed, valid references count, in their canonical form.
pub fn find_reference(subject: &str) -> Option<String> {
    let mut rest = subject;
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find(']') else { break };
        let inner = &rest[..close];
        // A reference is short; the length check keeps odd subjects cheap.
        if inner.len() <= 20
            && inner.trim() == inner
            && let Ok(r) = inner.parse::<Reference>()
        {
            return Some(r.to_string());
        }
    }
    None
}

/// Splits a reply from its quoted history (the domain's, shared with the desktop).
pub use helpline_domain::email::split_quoted;

/// Parts within the depth and count limits, walked breadth-first from the root.
fn allowed_parts(message: &Message<'_>, limits: &MailLimits, problems: &mut Vec<String>) -> HashSet<u32> {
    let mut allowed = HashSet::new();
    let mut queue = std::collections::VecDeque::from([(0u32, 0usize)]);
    let (mut too_deep, mut too_many) = (false, false);
    while let Some((id, depth)) = queue.pop_front() {
        if !allowed.insert(id) {
            continue; // a malformed tree must not loop
        }
        if allowed.len() >= limits.max_parts {
            too_many = true;
            break;
        }
        if let Some(PartType::Multipart(children)) = message.parts.get(id as usize).map(|p| &p.body) {
            if depth + 1 > limits.max_depth {
                too_deep |= !children.is_empty();
                continue;
            }
            queue.extend(children.iter().map(|c| (*c, depth + 1)));
        }
    }
    if too_deep {
        problems.push(format!("parts nested deeper than {} dropped", limits.max_depth));
    }
    if too_many {
        problems.push(format!("parts beyond {} dropped", limits.max_parts));
    }
    allowed
}

fn first_header<'a>(message: &'a Message<'_>, name: &HeaderName<'_>) -> Option<&'a HeaderValue<'a>> {
    message.parts[0].headers.iter().find(|h| &h.name == name).map(|h| &h.value)
}

fn ids(value: &HeaderValue<'_>) -> Option<Vec<String>> {
    let list: Vec<String> = match value {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => return None,
    };
    let list: Vec<String> = list
        .into_iter()
        .map(|s| s.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
        .filter(|s| !s.is_empty() && s.len() <= 998)
        .take(100)
        .collect();
    (!list.is_empty()).then_some(list)
}

fn mailboxes(address: &Address<'_>) -> Vec<Mailbox> {
    address
        .iter()
        .filter_map(|a| {
            let addr = a.address()?.trim().to_lowercase();
            if addr.is_empty() || !addr.contains('@') {
                return None;
            }
            let name = a.name().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty() && n.to_lowercase() != addr);
            Some(Mailbox { name, address: addr })
        })
        .take(500)
        .collect()
}

fn bodies(
    message: &Message<'_>,
    allowed: &HashSet<u32>,
    limits: &MailLimits,
    problems: &mut Vec<String>,
) -> (String, Option<String>) {
    let text_of = |ids: &[u32], want_html: bool| -> Option<String> {
        let parts: Vec<&str> = ids
            .iter()
            .filter(|id| allowed.contains(id))
            .filter_map(|id| message.parts.get(*id as usize))
            .filter_map(|p| match &p.body {
                PartType::Html(t) if want_html => Some(t.as_ref()),
                PartType::Text(t) if !want_html => Some(t.as_ref()),
                _ => None,
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("\n"))
    };
    let html_raw = text_of(&message.html_body, true);
    // Bound the sanitiser's input too: a huge HTML body is cut before it is parsed.
    let html_raw = html_raw.map(|h| cap_chars(&h, limits.max_text_chars.saturating_mul(4), "HTML", problems));
    let html = html_raw.as_deref().map(sanitise_html);
    let text = match text_of(&message.text_body, false) {
        Some(t) => t,
        None => html.as_deref().map(html_to_text).unwrap_or_default(),
    };
    let text = cap_chars(text.trim_end(), limits.max_text_chars, "text", problems);
    (text, html)
}

fn attachments(
    message: &Message<'_>,
    allowed: &HashSet<u32>,
    limits: &MailLimits,
    problems: &mut Vec<String>,
) -> Vec<ParsedAttachment> {
    let ids: Vec<u32> = message.attachments.iter().copied().filter(|id| allowed.contains(id)).collect();
    if ids.len() > limits.max_attachments {
        problems.push(format!(
            "{} attachments beyond {} dropped",
            ids.len() - limits.max_attachments,
            limits.max_attachments
        ));
    }
    ids.iter()
        .take(limits.max_attachments)
        .filter_map(|id| message.parts.get(*id as usize))
        .enumerate()
        .map(|(i, part)| {
            let bytes = part.contents().to_vec();
            let declared = part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub),
                    None => ct.ctype().to_owned(),
                })
                .map(|s| s.to_ascii_lowercase())
                .unwrap_or_else(|| "application/octet-stream".into());
            let content_type = infer::get(&bytes).map(|t| t.mime_type().to_owned()).unwrap_or(declared);
            let fallback = if matches!(part.body, PartType::Message(_)) { "message.eml" } else { "attachment" };
            let name = sanitise_file_name(part.attachment_name().unwrap_or(fallback), i + 1);
            let sha256 = hex::encode(Sha256::digest(&bytes));
            ParsedAttachment { name, content_type, bytes, sha256 }
        })
        .collect()
}

/// A file name safe to show and to store: the last path segment, no control or
/// reserved characters, at most 200 characters, never empty or dots only.
pub(crate) fn sanitise_file_name(name: &str, n: usize) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') { '_' } else { c })
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() { format!("attachment-{n}") } else { cleaned }
}

fn classify(message: &Message<'_>) -> MailKind {
    let raw = |name: &str| -> Option<String> {
        message.parts[0]
            .headers
            .iter()
            .find(|h| h.name.as_str().eq_ignore_ascii_case(name))
            .map(|h| header_text(&h.value).to_ascii_lowercase())
    };
    // Bounces first: they often carry Auto-Submitted too, and a bounce says more.
    let report = message.parts[0].content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct.attribute("report-type").is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
    });
    let return_path_empty = raw("Return-Path").is_some_and(|r| {
        let r = r.trim();
        r.is_empty() || r == "<>"
    });
    let daemon = message.from().and_then(|a| a.first()).and_then(|a| a.address()).is_some_and(|a| {
        let local = a.split('@').next().unwrap_or("").to_ascii_lowercase();
        local == "mailer-daemon" || local == "postmaster"
    });
    if report || return_path_empty || daemon {
        return MailKind::Bounce;
    }
    let auto_submitted = raw("Auto-Submitted").is_some_and(|v| {
        let v = v.split(';').next().unwrap_or("").trim().to_owned();
        !v.is_empty() && v != "no"
    });
    let precedence = raw("Precedence").map(|p| p.trim().to_owned());
    if auto_submitted
        || raw("X-Autoreply").is_some()
        || raw("X-Autorespond").is_some()
        || precedence.as_deref().is_some_and(|p| p == "auto_reply")
    {
        return MailKind::AutoReply;
    }
    let list_header = !message.list_id().is_empty() || !message.list_unsubscribe().is_empty();
    if list_header || precedence.as_deref().is_some_and(|p| matches!(p, "bulk" | "junk" | "list")) {
        return MailKind::List;
    }
    MailKind::Normal
}

fn header_text(value: &HeaderValue<'_>) -> String {
    match value {
        HeaderValue::Text(t) => t.to_string(),
        HeaderValue::TextList(l) => l.join(" "),
        HeaderValue::Address(a) => a.iter().filter_map(|a| a.address()).collect::<Vec<_>>().join(" "),
        HeaderValue::Empty => String::new(),
        _ => "present".into(),
    }
}

/// Cleans HTML for display: no active content, no remote loads (tracking pixels), safe links.
pub(crate) fn sanitise_html(html: &str) -> String {
    // Tens of thousands of nested tags make the sanitiser and the text conversion slow
    // (super-linear): such a mail is shown as its text only.
    if html.matches('<').count() > MAX_HTML_TAGS {
        return ammonia::clean_text(&strip_tags(html));
    }
    ammonia::Builder::default()
        .add_tags(["img"])
        .rm_tags(["form", "input", "button", "select", "textarea", "iframe", "object", "embed"])
        .add_url_schemes(["cid", "data"])
        .link_rel(Some("noopener noreferrer"))
        .attribute_filter(|element, attribute, value| {
            if element == "img" && attribute == "src" {
                let v = value.trim_start().to_ascii_lowercase();
                return (v.starts_with("cid:") || v.starts_with("data:image/")).then(|| value.into());
            }
            if attribute == "srcset" || attribute == "target" {
                return None;
            }
            // data: URLs only ever for inline images, never as link targets.
            if attribute == "href" {
                let v = value.trim_start().to_ascii_lowercase();
                if v.starts_with("data:") || v.starts_with("cid:") {
                    return None;
                }
            }
            Some(value.into())
        })
        .clean(html)
        .to_string()
}

/// Text of (already sanitised) HTML for search and the plain view.
pub(crate) fn html_to_text(html: &str) -> String {
    if html.matches('<').count() > MAX_HTML_TAGS {
        return strip_tags(html);
    }
    html2text::config::plain().string_from_read(html.as_bytes(), 400).unwrap_or_else(|_| {
        // The sanitiser with no tags allowed leaves the text (entity-escaped).
        ammonia::Builder::empty().clean(html).to_string()
    })
}

/// Most tags an HTML part may have before it is shown as text only.
const MAX_HTML_TAGS: usize = 5_000;

/// The text between tags, in one pass (for HTML too large to convert properly).
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cap_chars(s: &str, max: usize, what: &str, problems: &mut Vec<String>) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => {
            problems.push(format!("{what} cut at {max} characters"));
            s[..cut].to_owned()
        }
        None => s.to_owned(),
    }
}
