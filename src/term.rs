//! The term and quantity rules every license path shares: ONTAP licenses
//! ([`crate::evaluate()`]) and other vendors' inventories alike. There is no second copy of
//! these rules anywhere in the crate.
//!
//! **Term.** A license with a start and an end is in force from `start - leeway` until
//! `end + leeway` ([`crate::Policy::leeway`]); before that it has not started, after it it has
//! expired. One that is in force and ends within [`crate::Policy::warn_before`] of `now` is
//! expiring soon. A missing start means "always started", a missing end "never ends".
//!
//! **Quantity.** A licensed quantity is exceeded when what is used is more than what is
//! licensed; an unknown use or an unlimited license is never exceeded.
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use nlf::term::{Term, TermState};
//! let now = Utc.with_ymd_and_hms(2027, 1, 15, 0, 0, 0).unwrap();
//! let term = Term { start: None, end: Some(now + TimeDelta::days(10)) };
//! let policy = nlf::Policy::default();
//! assert_eq!(term.state(now, &policy), TermState::InForce { expiring_soon: true });
//! assert_eq!(term.state(now + TimeDelta::days(11), &policy), TermState::Expired);
//! ```

use chrono::{DateTime, TimeDelta, Utc};

use crate::Policy;

/// When a license is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Term {
    /// When it starts (`None`: it always has).
    pub start: Option<DateTime<Utc>>,
    /// When it ends (`None`: never).
    pub end: Option<DateTime<Utc>>,
}

/// Where `now` falls in a [`Term`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TermState {
    /// `now` is before `start - leeway`.
    NotYetValid,
    /// In force; `expiring_soon` when it ends within the policy's `warn_before`.
    InForce {
        /// It ends within [`crate::Policy::warn_before`].
        expiring_soon: bool,
    },
    /// `now` is at or after `end + leeway`.
    Expired,
}

impl TermState {
    /// Whether the license is in force.
    pub fn in_force(self) -> bool {
        matches!(self, TermState::InForce { .. })
    }
}

impl Term {
    /// Where `now` falls in the term under `policy`.
    pub fn state(&self, now: DateTime<Utc>, policy: &Policy) -> TermState {
        Window::new(now, policy).state(self)
    }
}

/// `now` moved by a policy's leeway and warning time, computed once for many terms; the ends of
/// time stand in for a shift that would overflow, so any policy is judged without panicking.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    latest_start: DateTime<Utc>,
    latest_end: DateTime<Utc>,
    warn_until: DateTime<Utc>,
}

impl Window {
    pub(crate) fn new(now: DateTime<Utc>, policy: &Policy) -> Window {
        let leeway = policy.leeway();
        Window {
            latest_start: shift(now, leeway),
            latest_end: shift(now, -leeway),
            warn_until: shift(shift(now, -leeway), policy.warn_before()),
        }
    }

    pub(crate) fn state(&self, term: &Term) -> TermState {
        if term.end.is_some_and(|e| e <= self.latest_end) {
            TermState::Expired
        } else if term.start.is_some_and(|s| s > self.latest_start) {
            TermState::NotYetValid
        } else {
            TermState::InForce { expiring_soon: term.end.is_some_and(|e| e <= self.warn_until) }
        }
    }
}

/// `at + delta`, or the first or last representable time when that overflows.
fn shift(at: DateTime<Utc>, delta: TimeDelta) -> DateTime<Utc> {
    at.checked_add_signed(delta).unwrap_or(if delta < TimeDelta::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// Whether `used` exceeds `licensed` (`None` licensed: unlimited; `None` used: unknown).
pub fn exceeds(used: Option<u64>, licensed: Option<u64>) -> bool {
    matches!((used, licensed), (Some(u), Some(l)) if u > l)
}
