//! Login throttling: after too many failed sign-ins for one key (an account, a client address),
//! further attempts are refused for a while, the pause doubling with each lockout.
//!
//! This follows the "Account Lockout" advice of the OWASP Authentication Cheat Sheet: a lockout
//! threshold, an observation window and a lockout duration, with an exponential lockout that
//! starts short so that an attacker cannot lock a real user out for long (a denial of service).
//! Counting per account stops one account being guessed from many addresses; counting per
//! address, more leniently, slows one address spraying many accounts. This is one of the
//! brute-force controls ASVS 5.0 V6.3.1 asks for (to be documented, V6.1.1). It slows guessing
//! but sets no total: NIST SP 800-63B 5.2.2 also caps consecutive failures on one account at
//! 100, a cap that needs durable state and so belongs to the store, not here.
//!
//! Pure and in memory: the time comes in as `now`, a [`Duration`] since any fixed epoch the
//! caller chooses (a monotonic clock is best), and the caller builds the keys
//! (`account:alice`, `address:10.0.0.1`), checks every key of an attempt and records the
//! outcome under each. State is per process and lost on restart, which errs towards the user.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// How many failures, within what window, earn how long a lockout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures within `window` that lock the key (a value of 0 acts as 1).
    pub max_failures: u32,
    /// The observation window: failures older than this, counted from the first failure of the
    /// window, are forgotten; so is the lockout history after a window with no failure.
    pub window: Duration,
    /// The first lockout; each further lockout without a quiet window doubles it.
    pub base_lockout: Duration,
    /// The longest lockout.
    pub max_lockout: Duration,
}

impl ThrottlePolicy {
    /// For account keys: 5 failures in 15 minutes lock the account for 1 minute, then 2, 4, 8,
    /// and at most 15 minutes.
    pub const fn per_account() -> ThrottlePolicy {
        ThrottlePolicy {
            max_failures: 5,
            window: Duration::from_secs(15 * 60),
            base_lockout: Duration::from_secs(60),
            max_lockout: Duration::from_secs(15 * 60),
        }
    }

    /// For client address keys, more lenient since many users may share an address (an office
    /// behind one NAT): 20 failures in 15 minutes, with the same lockouts.
    pub const fn per_address() -> ThrottlePolicy {
        ThrottlePolicy {
            max_failures: 20,
            ..ThrottlePolicy::per_account()
        }
    }

    /// The lockout after `earlier` lockouts: `base_lockout * 2^earlier`, at most `max_lockout`.
    pub fn lockout(&self, earlier: u32) -> Duration {
        2u32.checked_pow(earlier)
            .and_then(|factor| self.base_lockout.checked_mul(factor))
            .map_or(self.max_lockout, |d| d.min(self.max_lockout))
    }
}

impl Default for ThrottlePolicy {
    /// [`ThrottlePolicy::per_account`].
    fn default() -> Self {
        ThrottlePolicy::per_account()
    }
}

/// An attempt refused: how long to wait before the next, rounded up to whole seconds (the unit
/// of HTTP `Retry-After`, RFC 9110 section 10.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many failed sign-in attempts; retry in {} seconds", .wait.as_secs())]
pub struct RetryAfter {
    /// The wait, a whole number of seconds, at least one.
    pub wait: Duration,
}

impl RetryAfter {
    /// The wait in whole seconds.
    pub fn seconds(&self) -> u64 {
        self.wait.as_secs()
    }

    /// `remaining` rounded up to whole seconds, and at least one second.
    fn rounded_up(remaining: Duration) -> RetryAfter {
        let whole = remaining.as_secs();
        let secs = if remaining.subsec_nanos() > 0 {
            whole.saturating_add(1)
        } else {
            whole
        };
        RetryAfter {
            wait: Duration::from_secs(secs.max(1)),
        }
    }
}

/// What is known of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// When the current observation window began (its first failure).
    window_start: Duration,
    /// Failures in the current window since the last lockout.
    failures: u32,
    /// Lockouts since the last quiet window; the next lockout is `base * 2^lockouts`.
    lockouts: u32,
    /// Refuse attempts until this instant.
    locked_until: Option<Duration>,
    /// The last failure.
    last_failure: Duration,
    /// The position of this entry in `LoginThrottle::by_expiry`.
    expiry_key: (Duration, u64),
}

impl Entry {
    /// When this entry becomes equal to no entry at all: a full window after both the last
    /// failure and the end of any lockout.
    fn expires_at(&self, window: Duration) -> Duration {
        self.last_failure
            .max(self.locked_until.unwrap_or(Duration::ZERO))
            .saturating_add(window)
    }
}

/// Failed sign-ins per key, under one [`ThrottlePolicy`], in at most `capacity` entries.
///
/// Memory is bounded: when a new key would exceed the capacity, the entry that would expire
/// first is dropped (entries already expired go first). A flood of new keys can thus push out
/// an old lockout; keep the capacity well above the number of keys expected in one window.
#[derive(Debug, Clone)]
pub struct LoginThrottle {
    policy: ThrottlePolicy,
    capacity: usize,
    entries: HashMap<String, Entry>,
    /// The keys ordered by when they expire, with a sequence number to break ties.
    by_expiry: BTreeMap<(Duration, u64), String>,
    sequence: u64,
}

impl LoginThrottle {
    /// An empty throttle keeping at most `capacity` keys (a capacity of 0 acts as 1).
    pub fn new(policy: ThrottlePolicy, capacity: usize) -> LoginThrottle {
        LoginThrottle {
            policy,
            capacity: capacity.max(1),
            entries: HashMap::new(),
            by_expiry: BTreeMap::new(),
            sequence: 0,
        }
    }

    /// The policy this throttle applies.
    pub fn policy(&self) -> &ThrottlePolicy {
        &self.policy
    }

    /// How many keys are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether an attempt under `key` may go ahead at `now`; if not, how long to wait.
    ///
    /// Call it before checking the password, so that a locked key costs no password hash and
    /// reveals nothing about the password.
    pub fn check(&self, key: &str, now: Duration) -> Result<(), RetryAfter> {
        match self.entries.get(key).and_then(|e| e.locked_until) {
            Some(until) if until > now => Err(RetryAfter::rounded_up(until.saturating_sub(now))),
            _ => Ok(()),
        }
    }

    /// Records a failed attempt under `key` at `now`, locking the key when the failures in the
    /// window reach the policy's maximum. A failure while the key is locked is not counted:
    /// the attempt should not have been checked at all.
    pub fn record_failure(&mut self, key: &str, now: Duration) {
        self.drop_expired(now);
        let policy = self.policy;
        let fresh = Entry {
            window_start: now,
            failures: 0,
            lockouts: 0,
            locked_until: None,
            last_failure: now,
            expiry_key: (Duration::ZERO, 0),
        };
        let mut entry = match self.take(key) {
            Some(old) => old,
            None => {
                self.make_room();
                fresh
            }
        };
        if entry.expires_at(policy.window) <= now {
            entry = fresh;
        }
        let locked = entry.locked_until.is_some_and(|until| until > now);
        if !locked {
            if now.saturating_sub(entry.window_start) >= policy.window {
                entry.window_start = now;
                entry.failures = 0;
            }
            entry.failures = entry.failures.saturating_add(1);
            entry.last_failure = now;
            if entry.failures >= policy.max_failures.max(1) {
                entry.locked_until = Some(now.saturating_add(policy.lockout(entry.lockouts)));
                entry.lockouts = entry.lockouts.saturating_add(1);
                entry.failures = 0;
                entry.window_start = now;
            }
        }
        self.put(key, entry);
    }

    /// Records a successful sign-in under `key`: its failures and lockout history are cleared.
    pub fn record_success(&mut self, key: &str) {
        self.take(key);
    }

    /// Removes `key`, returning its entry.
    fn take(&mut self, key: &str) -> Option<Entry> {
        let entry = self.entries.remove(key)?;
        self.by_expiry.remove(&entry.expiry_key);
        Some(entry)
    }

    /// Stores `entry` under `key`, indexed by when it expires.
    fn put(&mut self, key: &str, mut entry: Entry) {
        self.sequence = self.sequence.wrapping_add(1);
        entry.expiry_key = (entry.expires_at(self.policy.window), self.sequence);
        self.by_expiry.insert(entry.expiry_key, key.to_owned());
        self.entries.insert(key.to_owned(), entry);
    }

    /// Drops every entry that has expired by `now`.
    fn drop_expired(&mut self, now: Duration) {
        while let Some(entry) = self.by_expiry.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let key = entry.remove();
            self.entries.remove(&key);
        }
    }

    /// Drops the entries that expire first until there is room for one more.
    fn make_room(&mut self) {
        while self.entries.len() >= self.capacity {
            match self.by_expiry.pop_first() {
                Some((_, key)) => {
                    self.entries.remove(&key);
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn fail(t: &mut LoginThrottle, key: &str, at: Duration, times: u32) {
        for _ in 0..times {
            t.record_failure(key, at);
        }
    }

    fn wait(t: &LoginThrottle, key: &str, now: Duration) -> Option<u64> {
        t.check(key, now).err().map(|r| r.seconds())
    }

    #[test]
    fn the_default_policies_are_those_documented() {
        let p = ThrottlePolicy::default();
        assert_eq!((p.max_failures, p.window), (5, secs(900)));
        assert_eq!((p.base_lockout, p.max_lockout), (secs(60), secs(900)));
        assert_eq!(ThrottlePolicy::per_address().max_failures, 20);
        let lockouts: Vec<u64> = (0..6).map(|n| p.lockout(n).as_secs()).collect();
        assert_eq!(lockouts, [60, 120, 240, 480, 900, 900]);
        assert_eq!(p.lockout(u32::MAX), secs(900));
    }

    #[test]
    fn four_failures_pass_and_the_fifth_locks_for_a_minute() {
        let mut t = LoginThrottle::new(ThrottlePolicy::per_account(), 100);
        fail(&mut t, "account:alice", secs(1000), 4);
        assert_eq!(t.check("account:alice", secs(1000)), Ok(()));
        t.record_failure("account:alice", secs(1010));
        assert_eq!(wait(&t, "account:alice", secs(1010)), Some(60));
        assert_eq!(wait(&t, "account:alice", secs(1069)), Some(1));
        assert_eq!(t.check("account:alice", secs(1070)), Ok(()));
        // Other keys are untouched.
        assert_eq!(t.check("account:bob", secs(1010)), Ok(()));
    }

    #[test]
    fn the_wait_is_rounded_up_to_whole_seconds() {
        let mut t = LoginThrottle::new(ThrottlePolicy::per_account(), 100);
        fail(&mut t, "k", secs(100), 5);
        let now = secs(100) + Duration::from_millis(250);
        assert_eq!(
            t.check("k", now),
            Err(RetryAfter { wait: secs(60) }),
            "59.75 s rounds up to 60"
        );
        let now = secs(159) + Duration::from_nanos(1);
        assert_eq!(wait(&t, "k", now), Some(1));
        assert_eq!(
            RetryAfter { wait: secs(60) }.to_string(),
            "too many failed sign-in attempts; retry in 60 seconds"
        );
    }

    #[test]
    fn repeated_lockouts_double_up_to_the_maximum() {
        let mut t = LoginThrottle::new(ThrottlePolicy::per_account(), 100);
        let mut now = secs(0);
        let mut seen = Vec::new();
        for _ in 0..6 {
            fail(&mut t, "k", now, 5);
            let w = wait(&t, "k", now).unwrap();
            seen.push(w);
            now += secs(w);
            assert_eq!(t.check("k", now), Ok(()));
        }
        assert_eq!(seen, [60, 120, 240, 480, 900, 900]);
    }

    #[test]
    fn failures_while_locked_are_not_counted() {
        let mut t = LoginThrottle::new(ThrottlePolicy::per_account(), 100);
        fail(&mut t, "k", secs(0), 5);
        fail(&mut t, "k", secs(30), 50);
        assert_eq!(wait(&t, "k", secs(30)), Some(30));
        // After the lockout, four more failures do not yet lock again.
        fail(&mut t, "k", secs(60), 4);
        assert_eq!(t.check("k", secs(60)), Ok(()));
        t.record_failure("k", secs(61));
        assert_eq!(wait(&t, "k", secs(61)), Some(120));
    }

    #[test]
    fn failures_spread_beyond_the_window_never_lock() {
        let mut t = LoginThrottle::new(ThrottlePolicy::per_account(), 100);
        // Four failures, then a fifth just as the window of the first closes.
        fail(&mut t, "k", secs(0), 4);
        t.record_failure("k", secs(900));
        assert_eq!(t.check("k", secs(900)), Ok(()));
        // That fifth failure opened a new window: four more inside it lock.
        fail(&mut t, "k", secs(901), 3);
        assert_eq!(t.check("k", secs(901)), Ok(()));
        t.record_failure("k", secs(1799));
        assert_eq!(wait(&t, "k", secs(1799)), Some(60));
    }

    #[test]
    fn a_quiet_window_after_a_lockout_forgets_the_doubling() {
        let mut t = LoginThrottle::new(ThrottlePolicy::per_account(), 100);
        fail(&mut t, "k", secs(0), 5); // locked 0..60
        // Quiet until 60 + 900 = 960: the history is forgotten and the entry dropped.
        fail(&mut t, "other", secs(960), 1);
        assert_eq!(t.len(), 1);
        fail(&mut t, "k", secs(960), 5);
        assert_eq!(wait(&t, "k", secs(960)), Some(60));
        // Not quiet long enough: the next lockout doubles.
        fail(&mut t, "k", secs(1500), 5);
        assert_eq!(wait(&t, "k", secs(1500)), Some(120));
    }

    #[test]
    fn success_clears_the_key() {
        let mut t = LoginThrottle::new(ThrottlePolicy::per_account(), 100);
        fail(&mut t, "k", secs(0), 5);
        t.record_success("k");
        assert_eq!(t.check("k", secs(0)), Ok(()));
        assert!(t.is_empty());
        fail(&mut t, "k", secs(1), 4);
        assert_eq!(t.check("k", secs(1)), Ok(()));
        t.record_success("never-seen");
    }

    #[test]
    fn the_address_policy_allows_twenty_failures() {
        let mut t = LoginThrottle::new(ThrottlePolicy::per_address(), 100);
        fail(&mut t, "address:10.0.0.1", secs(0), 19);
        assert_eq!(t.check("address:10.0.0.1", secs(0)), Ok(()));
        t.record_failure("address:10.0.0.1", secs(0));
        assert_eq!(wait(&t, "address:10.0.0.1", secs(0)), Some(60));
    }

    #[test]
    fn memory_stays_within_capacity_and_the_soonest_to_expire_go_first() {
        let mut t = LoginThrottle::new(ThrottlePolicy::per_account(), 3);
        fail(&mut t, "locked", secs(0), 5); // expires at 60 + 900
        t.record_failure("a", secs(10)); // expires at 910
        t.record_failure("b", secs(20)); // expires at 920
        assert_eq!(t.len(), 3);
        t.record_failure("c", secs(30));
        assert_eq!(t.len(), 3);
        // "a" expired first and was dropped; the lockout survives.
        assert_eq!(wait(&t, "locked", secs(30)), Some(30));
        for i in 0..1000 {
            t.record_failure(&format!("spray{i}"), secs(40));
        }
        assert_eq!(t.len(), 3);
        // Sprayed keys expire before the lockout does, so they push each other out instead.
        assert_eq!(wait(&t, "locked", secs(40)), Some(20));
    }

    #[test]
    fn expired_entries_are_dropped() {
        let mut t = LoginThrottle::new(ThrottlePolicy::per_account(), 100);
        for i in 0..10 {
            t.record_failure(&format!("k{i}"), secs(0));
        }
        assert_eq!(t.len(), 10);
        t.record_failure("late", secs(900));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn a_clock_that_steps_back_does_not_panic_or_unlock_early() {
        let mut t = LoginThrottle::new(ThrottlePolicy::per_account(), 100);
        fail(&mut t, "k", secs(1000), 5);
        t.record_failure("k", secs(10));
        assert_eq!(wait(&t, "k", secs(10)), Some(1050));
        let mut z = LoginThrottle::new(
            ThrottlePolicy {
                max_failures: 0,
                ..ThrottlePolicy::per_account()
            },
            0,
        );
        z.record_failure("k", Duration::MAX);
        assert!(z.check("k", Duration::ZERO).is_err());
    }
}
