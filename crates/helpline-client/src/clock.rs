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

/// A clock that stands where it is set: simulations (`helpline-sim replay`) move it from
/// event to event, and every desktop sharing it sees the same time.
#[derive(Debug, Default)]
pub struct ManualClock {
    ms: std::sync::atomic::AtomicI64,
}

impl ManualClock {
    pub fn at(t: Timestamp) -> ManualClock {
        ManualClock { ms: std::sync::atomic::AtomicI64::new(t.as_millis()) }
    }

    pub fn set(&self, t: Timestamp) {
        self.ms.store(t.as_millis(), std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.ms.load(std::sync::atomic::Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_where_it_is_set() {
        let clock = ManualClock::at(Timestamp::from_millis(1_000));
        assert_eq!(clock.now(), Timestamp::from_millis(1_000));
        clock.set(Timestamp::from_millis(5_000));
        assert_eq!(clock.now(), Timestamp::from_millis(5_000));
    }
}
