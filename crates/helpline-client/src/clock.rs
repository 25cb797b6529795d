//! The desktop's wall clock, injectable so tests can skew it by days. Wall time is kept
//! for display and audit; it never decides a conflict.

use helpline_domain::Timestamp;

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
        Timestamp::from_millis(i64::try_from(ms).unwrap_or(i64::MAX))
    }
}

/// The machine's clock off by a fixed amount, like a laptop set to the wrong day.
#[derive(Debug, Clone, Copy)]
pub struct SkewedClock {
    pub offset_ms: i64,
}

impl Clock for SkewedClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(SystemClock.now().as_millis() + self.offset_ms)
    }
}
