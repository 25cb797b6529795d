//! Field limits. Every text an agent types passes through one of these checks, so a
//! too-long or empty field is a clear validation error and never a half-written row.

use crate::error::{DomainError, ErrorCode};

pub const SUBJECT_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;
pub const NOTE_MAX: usize = 20_000;
pub const KB_TITLE_MAX: usize = 200;
pub const KB_BODY_MAX: usize = 200_000;
pub const TAG_MAX: usize = 40;
pub const TAGS_MAX: usize = 20;
pub const NAME_MAX: usize = 200;
pub const EMAIL_MAX: usize = 254;
/// A customer phrasing kept with a KB article: the call's subject and description, cut here.
pub const PHRASING_MAX: usize = 600;
/// Phrasings kept per article; a new one beyond this drops the oldest.
pub const PHRASINGS_MAX: usize = 20;

/// The limits as one value: the window's bindings carry it (`FIELD_LIMITS`), so the
/// form's checks and the rules cannot drift apart. Counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct FieldLimits {
    pub subject: usize,
    pub description: usize,
    /// Notes, summaries, reasons, questions and answers.
    pub note: usize,
    pub kb_title: usize,
    pub kb_body: usize,
    pub tag: usize,
    pub tags: usize,
    pub name: usize,
    pub email: usize,
}

pub const FIELD_LIMITS: FieldLimits = FieldLimits {
    subject: SUBJECT_MAX,
    description: DESCRIPTION_MAX,
    note: NOTE_MAX,
    kb_title: KB_TITLE_MAX,
    kb_body: KB_BODY_MAX,
    tag: TAG_MAX,
    tags: TAGS_MAX,
    name: NAME_MAX,
    email: EMAIL_MAX,
};

/// Trims and checks a required text field; counts characters, not bytes.
pub fn required(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::coded(ErrorCode::Required, field, "is required"));
    }
    bounded(field, v, max)
}

/// Trims and checks an optional text field (empty is fine).
pub fn optional(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    bounded(field, value.trim(), max)
}

fn bounded(field: &'static str, v: &str, max: usize) -> Result<String, DomainError> {
    let n = v.chars().count();
    if n > max {
        return Err(DomainError::Invalid {
            field,
            problem: format!("is {n} characters long; at most {max} are allowed"),
            code: ErrorCode::TooLong,
            max: Some(max),
        });
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(DomainError::coded(ErrorCode::ControlCharacters, field, "contains control characters"));
    }
    Ok(v.to_owned())
}

/// Tags: lower-cased, trimmed, de-duplicated, each non-empty and short.
pub fn tags(values: &[String]) -> Result<Vec<String>, DomainError> {
    if values.len() > TAGS_MAX {
        return Err(DomainError::Invalid {
            field: "tags",
            problem: format!("at most {TAGS_MAX} tags are allowed"),
            code: ErrorCode::TooMany,
            max: Some(TAGS_MAX),
        });
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for t in values {
        let t = required("tag", t, TAG_MAX)?.to_lowercase();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// A plausible e-mail address (one `@`, something on both sides, a dot in the domain),
/// lower-cased so lookups match however the agent typed it.
pub fn email(value: &str) -> Result<String, DomainError> {
    let v = required("email", value, EMAIL_MAX)?.to_lowercase();
    let valid = match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !v.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if valid {
        Ok(v)
    } else {
        Err(DomainError::coded(ErrorCode::NotAnEmail, "email", format!("{v:?} is not an e-mail address")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_enforced_with_clear_messages() {
        assert_eq!(required("subject", "  Drucker  ", 10).unwrap(), "Drucker");
        assert_eq!(required("subject", "   ", 10).unwrap_err().to_string(), "subject: is required");
        let long = "ä".repeat(11);
        assert_eq!(
            required("subject", &long, 10).unwrap_err().to_string(),
            "subject: is 11 characters long; at most 10 are allowed"
        );
        assert!(required("subject", &"ä".repeat(10), 10).is_ok(), "characters, not bytes");
        assert!(optional("notes", "a\u{0}b", 10).is_err());
        assert_eq!(optional("notes", "", 10).unwrap(), "");
    }

    #[test]
    fn tags_and_emails() {
        assert_eq!(tags(&["VPN".into(), " vpn ".into(), "Drucker".into()]).unwrap(), vec!["vpn", "drucker"]);
        assert!(tags(&[" ".into()]).is_err());
        assert!(tags(&vec!["x".to_string(); 21]).is_err());
        assert_eq!(email(" Anna.Meier@Example.DE ").unwrap(), "anna.meier@example.de");
        for bad in ["anna", "anna@", "@x.de", "a@b", "a b@x.de", "a@@x.de", "a@x."] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }
}
