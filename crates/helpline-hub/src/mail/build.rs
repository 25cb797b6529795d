//! Outgoing mail: a reply or acknowledgement as a `lettre::Message`, threaded by
//! Message-ID / In-Reply-To / References and tagged with the ticket reference.

use super::parse::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, MultiPart, SinglePart};

#[derive(Debug)]
pub struct OutgoingMail<'a> {
    pub from: &'a Mailbox,
    pub to: &'a [Mailbox],
    pub cc: &'a [Mailbox],
    /// " [REF]" is appended unless the subject already holds "[REF]".
    pub subject: &'a str,
    pub reference: &'a str,
    /// Without <>, chosen (and recorded) by the caller before sending.
    pub message_id: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub references: &'a [String],
    pub body: &'a str,
    /// (file name, content type, bytes)
    pub attachments: &'a [(String, String, Vec<u8>)],
    /// Acknowledgements and other robot mail (RFC 3834).
    pub auto_submitted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("invalid {field} address {value:?}: {reason}")]
    Address { field: &'static str, value: String, reason: String },
    #[error("invalid message id {0:?}: it must be like local@domain, without <> or blanks")]
    MessageId(String),
    #[error("the mail has no recipient")]
    NoRecipient,
    #[error("invalid content type {value:?} of attachment {name:?}")]
    ContentType { name: String, value: String },
    #[error("cannot build the mail: {0}")]
    Message(String),
}

pub fn build_mail(m: &OutgoingMail) -> Result<lettre::Message, BuildError> {
    if m.to.is_empty() && m.cc.is_empty() {
        return Err(BuildError::NoRecipient);
    }
    let mut b = lettre::Message::builder()
        .from(mailbox("From", m.from)?)
        .subject(subject_with_reference(&one_line(m.subject), m.reference))
        .message_id(Some(angle(m.message_id)?))
        .date_now();
    for to in m.to {
        b = b.to(mailbox("To", to)?);
    }
    for cc in m.cc {
        b = b.cc(mailbox("Cc", cc)?);
    }
    if let Some(parent) = m.in_reply_to {
        b = b.in_reply_to(angle(parent)?);
    }
    if !m.references.is_empty() {
        let refs = m.references.iter().map(|r| angle(r)).collect::<Result<Vec<_>, _>>()?;
        b = b.references(refs.join(" "));
    }
    if m.auto_submitted {
        // RFC 3834: an automatic answer to a person's mail is "auto-replied"; the
        // Microsoft header keeps Exchange's out-of-office robots from answering it.
        b = b
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-replied".into()))
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"), "All".into()));
    }
    let text = SinglePart::plain(m.body.to_owned());
    let built = if m.attachments.is_empty() {
        b.singlepart(text)
    } else {
        let mut multi = MultiPart::mixed().singlepart(text);
        for (name, content_type, bytes) in m.attachments {
            let ct = ContentType::parse(content_type)
                .map_err(|_| BuildError::ContentType { name: name.clone(), value: content_type.clone() })?;
            let name = super::parse::sanitise_file_name(name, 1);
            // Always base64: lettre would send ASCII-only bytes as 7bit with bare line feeds,
            // which mail servers turn into CRLF on the way; the file must arrive byte for byte.
            let body = lettre::message::Body::new_with_encoding(
                bytes.clone(),
                lettre::message::header::ContentTransferEncoding::Base64,
            )
            .map_err(|_| BuildError::Message(format!("attachment {name:?} cannot be encoded")))?;
            multi = multi.singlepart(Attachment::new(name).body(body, ct));
        }
        b.multipart(multi)
    };
    built.map_err(|e| BuildError::Message(e.to_string()))
}

/// "Re: Drucker" + "K7-0042" → "Re: Drucker [K7-0042]"; left alone when the tag is there.
pub fn subject_with_reference(subject: &str, reference: &str) -> String {
    let tag = format!("[{reference}]");
    let subject = subject.trim();
    if reference.is_empty() || subject.contains(&tag) {
        subject.to_owned()
    } else if subject.is_empty() {
        tag
    } else {
        format!("{subject} {tag}")
    }
}

fn angle(id: &str) -> Result<String, BuildError> {
    let ok = id.len() <= 900
        && id.split_once('@').is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
        && id.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'\\' | b'(' | b')' | b','));
    if ok { Ok(format!("<{id}>")) } else { Err(BuildError::MessageId(id.to_owned())) }
}

fn mailbox(field: &'static str, m: &Mailbox) -> Result<lettre::message::Mailbox, BuildError> {
    let address = m.address.parse::<lettre::Address>().map_err(|e| BuildError::Address {
        field,
        value: m.address.clone(),
        reason: e.to_string(),
    })?;
    Ok(lettre::message::Mailbox::new(m.name.as_deref().map(one_line), address))
}

/// Header text on one line: lettre panics on formatting a display name with CR/LF,
/// and a line break in a subject would be a header injection anyway.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}
