//! Phone numbers in E.164, so that "0151/123 45-67" and "+49 151 1234567" are one number.

use crate::error::{DomainError, ErrorCode};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A phone number in E.164 form (`+491511234567`). Only `normalise_phone` makes one from
/// what an agent typed; deserialising checks the form, so the wire cannot smuggle in junk.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

/// The region assumed for numbers typed without a country code.
pub const DEFAULT_REGION: &str = "DE";

impl PhoneNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let digits = s.strip_prefix('+').unwrap_or("0");
        if (8..=16).contains(&s.len()) && !digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(PhoneNumber(s))
        } else {
            Err(format!("{s:?} is not an E.164 phone number"))
        }
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Normalise what an agent typed (any common national or international notation) to
/// E.164. `region` (ISO 3166 code such as "DE") is assumed when the number has no country
/// code.
pub fn normalise_phone(input: &str, region: &str) -> Result<PhoneNumber, DomainError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(DomainError::coded(ErrorCode::Required, "phone", "is empty"));
    }
    if trimmed.len() > 40 {
        return Err(DomainError::coded(ErrorCode::NotAPhoneNumber, "phone", "is longer than 40 characters"));
    }
    let region_id: phonenumber::country::Id = region
        .parse()
        .map_err(|_| DomainError::invalid("phone region", format!("{region:?} is not a known region")))?;
    let parsed = phonenumber::parse(Some(region_id), trimmed).map_err(|e| {
        DomainError::coded(ErrorCode::NotAPhoneNumber, "phone", format!("{trimmed:?} is not a phone number ({e})"))
    })?;
    // Not `is_valid`: numbering plans change faster than the metadata, and agents must be
    // able to save a caller's number ("0151 1234567" has a digit fewer than the plan
    // says). A parsed country code and a plausible length are enough to match callers.
    let national_digits = parsed.national().value().to_string().len();
    if !(4..=14).contains(&national_digits) {
        return Err(DomainError::coded(
            ErrorCode::NotAPhoneNumber,
            "phone",
            format!("{trimmed:?} is too short or too long for a phone number"),
        ));
    }
    let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
    PhoneNumber::try_from(e164).map_err(|e| DomainError::coded(ErrorCode::NotAPhoneNumber, "phone", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notations_of_one_number_match() {
        let cases = ["0151/123 45-67", "+49 151 1234567", "0049 (0)151 1234567", "+49-151-123-4567", "01511234567"];
        for c in cases {
            assert_eq!(normalise_phone(c, "DE").unwrap().as_str(), "+491511234567", "{c}");
        }
    }

    #[test]
    fn region_decides_numbers_without_country_code() {
        assert_eq!(normalise_phone("030 1234567", "DE").unwrap().as_str(), "+49301234567");
        assert_eq!(normalise_phone("01 42 68 53 00", "FR").unwrap().as_str(), "+33142685300");
        assert_eq!(normalise_phone("+44 20 7946 0958", "DE").unwrap().as_str(), "+442079460958");
    }

    #[test]
    fn malformed_numbers_are_rejected_clearly() {
        for bad in ["", "   ", "hello", "12", "+49 151", "0151/123 45-67 ext 99999999999999999999999999", "+999 123456"]
        {
            let err = normalise_phone(bad, "DE").unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Validation, "{bad}");
            assert!(err.to_string().starts_with("phone"), "{err}");
        }
        assert!(normalise_phone("030 1234567", "XX").is_err());
    }

    #[test]
    fn wire_form_is_checked() {
        assert!(serde_json::from_str::<PhoneNumber>("\"+491511234567\"").is_ok());
        assert!(serde_json::from_str::<PhoneNumber>("\"01511234567\"").is_err());
        assert!(serde_json::from_str::<PhoneNumber>("\"+49abc\"").is_err());
    }
}
