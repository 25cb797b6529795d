//! Ticket references a customer can be told on the phone, offline too: `<device code>-<counter>`.
//! The hub gives each desktop installation a unique device code at its first login; the
//! desktop then counts on its own and never repeats a number.

use crate::error::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A device code: 2 to 4 characters, upper-case letters and digits, starting with a
/// letter (e.g. `K7`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceCode(String);

impl DeviceCode {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let ok = (2..=4).contains(&s.len())
            && s.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
            && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(DomainError::invalid(
                "device code",
                format!("{s:?} must be 2 to 4 upper-case letters or digits, starting with a letter"),
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DeviceCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        DeviceCode::parse(&s).map_err(|e| e.to_string())
    }
}

impl From<DeviceCode> for String {
    fn from(d: DeviceCode) -> String {
        d.0
    }
}

impl fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Reference {
    pub device: DeviceCode,
    pub counter: u32,
}

impl Reference {
    pub fn new(device: DeviceCode, counter: u32) -> Result<Self, DomainError> {
        if counter == 0 {
            return Err(DomainError::invalid("reference", "the counter starts at 1"));
        }
        Ok(Self { device, counter })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:04}", self.device.0, self.counter)
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Reference {
    type Err = DomainError;
    /// Accepts what an agent types: any case, surrounding blanks, leading zeros or none.
    fn from_str(s: &str) -> Result<Self, DomainError> {
        let s = s.trim().to_ascii_uppercase();
        let (device, counter) =
            s.split_once('-').ok_or_else(|| DomainError::invalid("reference", format!("{s:?} is not like K7-0042")))?;
        let counter: u32 =
            counter.parse().map_err(|_| DomainError::invalid("reference", format!("{s:?} is not like K7-0042")))?;
        Reference::new(DeviceCode::parse(device)?, counter)
    }
}

impl TryFrom<String> for Reference {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse().map_err(|e: DomainError| e.to_string())
    }
}

impl From<Reference> for String {
    fn from(r: Reference) -> String {
        r.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let r = Reference::new(DeviceCode::parse("K7").unwrap(), 42).unwrap();
        assert_eq!(r.to_string(), "K7-0042");
        assert_eq!(" k7-42 ".parse::<Reference>().unwrap(), r);
        assert_eq!("K7-123456".parse::<Reference>().unwrap().to_string(), "K7-123456");
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "K7", "K7-", "K7-x", "7K-1", "TOOLONG-1", "K7-0", "K 7-1", "K7--1"] {
            assert!(bad.parse::<Reference>().is_err(), "{bad}");
        }
    }
}
