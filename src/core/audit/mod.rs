//! The audit trail's values and the hash chain that makes tampering with it visible.
//!
//! Every read or change of patient data, every sign-in and every refusal is one [`AuditEvent`].
//! Stored events form a chain: each row keeps the hash of the row before it and its own hash
//! over its id, that previous hash and its content, so editing, deleting or reordering a stored
//! row breaks the chain at that row, and [`verify_chain`] names it. The chain shows tampering
//! by someone who did not recompute every later hash; to catch that too, and to notice rows cut
//! from the end, keep the latest hash somewhere the database's writers cannot reach.
//!
//! Pure: this module computes and checks hashes; the store assigns ids and keeps rows. Since
//! the hash covers the id and ids must be consecutive, the store appends one event at a time,
//! taking id = last id + 1 and the last hash inside one serialised transaction; a database
//! sequence will not do, as a rolled-back insert leaves a gap that reads as a deleted row.
//!
//! An event names the items changed, never their values, and holds nothing that identifies a
//! patient beyond the entity id (ARCHITECTURE.md, "Observability without patient data").

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// The `prev_hash` of the first event of a chain: 64 zeros, the width of a SHA-256 hex digest.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The label that opens every hashed message, naming this encoding and its version.
pub const HASH_ENCODING: &str = "tumor-registry audit v1";

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Done as asked.
    Success,
    /// Refused: not signed in, not allowed, or throttled.
    Denied,
    /// Allowed but failed: invalid input, a conflict, an internal error.
    Failure,
}

impl Outcome {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Outcome::Success),
            "denied" => Some(Outcome::Denied),
            "failure" => Some(Outcome::Failure),
            _ => None,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One audited action: who did what to which record, when, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// When it happened, in UTC; hashed to the microsecond, the precision both backends keep.
    pub at: NaiveDateTime,
    /// The user's id, when signed in.
    pub user_id: Option<i64>,
    /// The login name, as given or as known (kept even if the account is later renamed).
    pub login: Option<String>,
    /// The user's role at the time.
    pub role: Option<String>,
    /// What was attempted, as `resource.verb`: `patient.read`, `tumor.update`, `auth.login`.
    pub action: String,
    /// The kind of record concerned (`patient`, `tumor`, `user`), if any.
    pub entity_kind: Option<String>,
    /// The registry's id of the record concerned, if any.
    pub entity_id: Option<i64>,
    /// The request id, to join the event with the request's log lines.
    pub request_id: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// The naaccrIds of the items changed, never their values.
    pub items: Vec<String>,
    /// A short note without patient data: a refusal's error code, a permission's name.
    pub detail: Option<String>,
}

impl AuditEvent {
    /// An event with only the time, action and outcome; the other fields are empty.
    pub fn new(at: NaiveDateTime, action: impl Into<String>, outcome: Outcome) -> AuditEvent {
        AuditEvent {
            at,
            user_id: None,
            login: None,
            role: None,
            action: action.into(),
            entity_kind: None,
            entity_id: None,
            request_id: None,
            outcome,
            items: Vec::new(),
            detail: None,
        }
    }
}

/// An event as stored: its id in the chain, the previous event's hash and its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvent {
    /// The event's position in the chain: one more than the event before it.
    pub id: i64,
    /// The event itself.
    pub event: AuditEvent,
    /// The hash of the event before it, or [`GENESIS_HASH`] for the first.
    pub prev_hash: String,
    /// [`event_hash`] of this row's id, `prev_hash` and event.
    pub hash: String,
}

/// The hash of event `id`, chained to `prev_hash`: lower-case hex SHA-256 of the encoding below.
///
/// The encoding is unambiguous: every variable-length field carries its length, so no two
/// different events encode to the same bytes. An auditor can re-implement it from this list.
///
/// ```text
/// Integers are big-endian.
///   str(s)   = u64 byte length of s in UTF-8, then those bytes
///   int(n)   = i64, 8 bytes, two's complement
///   opt(x)   = 0x00 when absent; 0x01 followed by x's encoding when present
///   list(xs) = u64 count, then str(x) for each x in order
/// message = str("tumor-registry audit v1")
///         | int(id) | str(prev_hash)
///         | str(at as "%Y-%m-%dT%H:%M:%S%.6f", e.g. "2025-01-02T03:04:05.123456", truncated
///               to the microsecond)
///         | opt(int user_id) | opt(str login) | opt(str role)
///         | str(action)
///         | opt(str entity_kind) | opt(int entity_id)
///         | opt(str request_id)
///         | str(outcome: "success", "denied" or "failure")
///         | list(items)
///         | opt(str detail)
/// hash = lower-case hex of SHA-256(message) (FIPS 180-4), 64 characters
/// ```
pub fn event_hash(id: i64, prev_hash: &str, event: &AuditEvent) -> String {
    let mut h = Sha256::new();
    put_str(&mut h, HASH_ENCODING);
    put_int(&mut h, id);
    put_str(&mut h, prev_hash);
    put_str(
        &mut h,
        &event.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
    );
    put_opt(&mut h, event.user_id, put_int);
    put_opt(&mut h, event.login.as_deref(), put_str);
    put_opt(&mut h, event.role.as_deref(), put_str);
    put_str(&mut h, &event.action);
    put_opt(&mut h, event.entity_kind.as_deref(), put_str);
    put_opt(&mut h, event.entity_id, put_int);
    put_opt(&mut h, event.request_id.as_deref(), put_str);
    put_str(&mut h, event.outcome.as_str());
    put_len(&mut h, event.items.len());
    for item in &event.items {
        put_str(&mut h, item);
    }
    put_opt(&mut h, event.detail.as_deref(), put_str);
    lower_hex(&h.finalize())
}

fn put_len(h: &mut Sha256, len: usize) {
    // usize is at most 64 bits on every target Rust supports.
    h.update(u64::try_from(len).unwrap_or(u64::MAX).to_be_bytes());
}

fn put_str(h: &mut Sha256, s: &str) {
    put_len(h, s.len());
    h.update(s.as_bytes());
}

fn put_int(h: &mut Sha256, n: i64) {
    h.update(n.to_be_bytes());
}

fn put_opt<T>(h: &mut Sha256, value: Option<T>, put: fn(&mut Sha256, T)) {
    match value {
        None => h.update([0u8]),
        Some(v) => {
            h.update([1u8]);
            put(h, v);
        }
    }
}

fn lower_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().saturating_mul(2));
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            // A nibble is below 16, so from_digit always answers; '0' is never used.
            out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    out
}

/// Where a chain breaks: the first event that does not follow from the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the audit chain breaks at event {id}: {reason}")]
pub struct BrokenLink {
    /// The id of the first event that fails.
    pub id: i64,
    /// What is wrong with it.
    pub reason: BrokenReason,
}

/// What is wrong with the event where a chain breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BrokenReason {
    /// Its stored hash is not the hash of its id, previous hash and content: the row was edited.
    #[error("its hash does not match its content")]
    HashMismatch,
    /// Its previous hash is not the hash of the event before it (or, for the first event, not
    /// the chain's start): an event before it was removed, replaced or moved.
    #[error("its previous hash is not the hash of the event before it")]
    PrevHashMismatch,
    /// Its id does not follow the one before it: events are missing or out of order.
    #[error("expected event {expected} here")]
    IdGap {
        /// The id that should have come next.
        expected: i64,
    },
}

/// Checks a whole chain, returning how many events were checked or naming the first broken one.
///
/// `rows` must come in id order. The first event of a chain has id 1 and [`GENESIS_HASH`] as
/// its previous hash; every later id is one more than the one before.
pub fn verify_chain(rows: impl IntoIterator<Item = StoredEvent>) -> Result<u64, BrokenLink> {
    verify_chain_after(0, GENESIS_HASH, rows)
}

/// Checks the part of a chain that follows event `prev_id`, whose hash is `prev_hash` (the end
/// of the previous batch, or a checkpoint kept elsewhere), as [`verify_chain`] does for a whole
/// chain: the first row must have id `prev_id + 1` and `prev_hash` as its previous hash.
pub fn verify_chain_after(
    prev_id: i64,
    prev_hash: &str,
    rows: impl IntoIterator<Item = StoredEvent>,
) -> Result<u64, BrokenLink> {
    let mut expected_prev = prev_hash.to_owned();
    let mut expected_id = prev_id.saturating_add(1);
    let mut checked: u64 = 0;
    for row in rows {
        if row.id != expected_id {
            return Err(BrokenLink {
                id: row.id,
                reason: BrokenReason::IdGap {
                    expected: expected_id,
                },
            });
        }
        if row.prev_hash != expected_prev {
            return Err(BrokenLink {
                id: row.id,
                reason: BrokenReason::PrevHashMismatch,
            });
        }
        if event_hash(row.id, &row.prev_hash, &row.event) != row.hash {
            return Err(BrokenLink {
                id: row.id,
                reason: BrokenReason::HashMismatch,
            });
        }
        expected_id = row.id.saturating_add(1);
        expected_prev = row.hash;
        checked = checked.saturating_add(1);
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use chrono::NaiveDate;

    fn at(micro: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 1, 2)
            .unwrap()
            .and_hms_micro_opt(3, 4, 5, micro)
            .unwrap()
    }

    fn full_event() -> AuditEvent {
        AuditEvent {
            at: NaiveDate::from_ymd_opt(2025, 1, 2)
                .unwrap()
                .and_hms_nano_opt(3, 4, 5, 123_456_789)
                .unwrap(),
            user_id: Some(7),
            login: Some("zoë".into()),
            role: Some("registrar".into()),
            action: "tumor.update".into(),
            entity_kind: Some("tumor".into()),
            entity_id: Some(42),
            request_id: Some("req-1".into()),
            outcome: Outcome::Success,
            items: vec!["primarySite".into(), "histologicTypeIcdO3".into()],
            detail: None,
        }
    }

    /// Appends `event` to `chain`, as the store does.
    fn push(chain: &mut Vec<StoredEvent>, event: AuditEvent) {
        let id = chain.last().map_or(1, |r| r.id + 1);
        let prev_hash = chain
            .last()
            .map_or(GENESIS_HASH.to_owned(), |r| r.hash.clone());
        let hash = event_hash(id, &prev_hash, &event);
        chain.push(StoredEvent {
            id,
            event,
            prev_hash,
            hash,
        });
    }

    fn chain_of_three() -> Vec<StoredEvent> {
        let mut chain = Vec::new();
        let mut login = AuditEvent::new(at(1), "auth.login", Outcome::Success);
        login.login = Some("alice".into());
        push(&mut chain, login);
        push(&mut chain, full_event());
        let mut denied = AuditEvent::new(at(3), "patient.read", Outcome::Denied);
        denied.user_id = Some(8);
        denied.entity_kind = Some("patient".into());
        denied.entity_id = Some(5);
        denied.detail = Some("read_patient_data".into());
        push(&mut chain, denied);
        chain
    }

    #[test]
    fn the_hash_matches_an_independent_implementation_of_the_documented_encoding() {
        // Computed outside this code, with Python's hashlib, from the encoding in event_hash's
        // doc comment:
        //   s = lambda x: struct.pack(">Q", len(x.encode())) + x.encode()
        //   i = lambda n: struct.pack(">q", n)
        //   o = lambda x, f: b"\0" if x is None else b"\1" + f(x)
        //   m = s("tumor-registry audit v1") + i(1) + s("0" * 64)
        //     + s("2025-01-02T03:04:05.123456") + o(7, i) + o("zoë", s) + o("registrar", s)
        //     + s("tumor.update") + o("tumor", s) + o(42, i) + o("req-1", s) + s("success")
        //     + struct.pack(">Q", 2) + s("primarySite") + s("histologicTypeIcdO3") + o(None, s)
        //   hashlib.sha256(m).hexdigest()
        assert_eq!(
            event_hash(1, GENESIS_HASH, &full_event()),
            "c6dca0ec202b0860caa0b366561d3eae6b21d2329403d7026e1fa272879b26c5"
        );
        assert_eq!(
            event_hash(
                2,
                GENESIS_HASH,
                &AuditEvent::new(at(0), "auth.login", Outcome::Denied)
            ),
            "a8d891fcc871b08ee83e4c2e242785fe71352c2c2f0cc587f87fff49faaf2e47"
        );
    }

    #[test]
    fn the_hash_is_64_lower_hex_and_genesis_is_its_width() {
        let h = event_hash(1, GENESIS_HASH, &full_event());
        assert_eq!(h.len(), 64);
        assert!(
            h.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
        assert_eq!(GENESIS_HASH.len(), 64);
        assert!(GENESIS_HASH.chars().all(|c| c == '0'));
    }

    #[test]
    fn nanoseconds_beyond_the_microsecond_do_not_change_the_hash() {
        let mut a = full_event();
        let b = a.clone();
        a.at = at(123_456);
        assert_eq!(
            event_hash(1, GENESIS_HASH, &a),
            event_hash(1, GENESIS_HASH, &b)
        );
    }

    #[test]
    fn a_chain_of_three_verifies() {
        assert_eq!(verify_chain(chain_of_three()), Ok(3));
        assert_eq!(verify_chain(Vec::new()), Ok(0));
    }

    #[test]
    fn a_segment_verifies_from_its_checkpoint() {
        let chain = chain_of_three();
        let checkpoint = chain[0].hash.clone();
        assert_eq!(
            verify_chain_after(1, &checkpoint, chain[1..].to_vec()),
            Ok(2)
        );
        assert_eq!(verify_chain_after(3, &chain[2].hash, Vec::new()), Ok(0));
        assert_eq!(
            verify_chain_after(1, GENESIS_HASH, chain[1..].to_vec()),
            Err(BrokenLink {
                id: 2,
                reason: BrokenReason::PrevHashMismatch
            })
        );
        assert_eq!(
            verify_chain_after(2, &checkpoint, chain[1..].to_vec()),
            Err(BrokenLink {
                id: 2,
                reason: BrokenReason::IdGap { expected: 3 }
            })
        );
    }

    #[test]
    fn editing_any_field_breaks_the_chain_at_that_event() {
        type Edit = fn(&mut AuditEvent);
        let edits: [(&str, Edit); 14] = [
            ("at", |e| e.at = at(999_999)),
            ("user_id", |e| e.user_id = Some(70)),
            ("user_id none", |e| e.user_id = None),
            ("login", |e| e.login = Some("zoe".into())),
            ("role", |e| e.role = Some("central".into())),
            ("action", |e| e.action = "tumor.read".into()),
            ("entity_kind", |e| e.entity_kind = Some("patient".into())),
            ("entity_id", |e| e.entity_id = Some(43)),
            ("request_id", |e| e.request_id = None),
            ("outcome", |e| e.outcome = Outcome::Failure),
            ("items order", |e| e.items.reverse()),
            ("items removed", |e| {
                e.items.pop();
            }),
            ("detail", |e| e.detail = Some(String::new())),
            ("item renamed", |e| e.items[0] = "primarySit".into()),
        ];
        for (name, edit) in edits {
            let mut chain = chain_of_three();
            edit(&mut chain[1].event);
            assert_eq!(
                verify_chain(chain),
                Err(BrokenLink {
                    id: 2,
                    reason: BrokenReason::HashMismatch
                }),
                "{name}"
            );
        }
    }

    #[test]
    fn fields_cannot_trade_bytes_across_their_boundaries() {
        let mut a = full_event();
        a.login = Some("ab".into());
        a.role = Some("c".into());
        let mut b = a.clone();
        b.login = Some("a".into());
        b.role = Some("bc".into());
        assert_ne!(
            event_hash(1, GENESIS_HASH, &a),
            event_hash(1, GENESIS_HASH, &b)
        );
        let mut c = a.clone();
        c.items = vec!["ab".into()];
        let mut d = a.clone();
        d.items = vec!["a".into(), "b".into()];
        assert_ne!(
            event_hash(1, GENESIS_HASH, &c),
            event_hash(1, GENESIS_HASH, &d)
        );
        let mut e = a.clone();
        e.detail = Some(String::new());
        let mut f = a;
        f.detail = None;
        assert_ne!(
            event_hash(1, GENESIS_HASH, &e),
            event_hash(1, GENESIS_HASH, &f)
        );
    }

    #[test]
    fn an_edit_with_a_recomputed_hash_breaks_the_chain_at_the_next_event() {
        let mut chain = chain_of_three();
        chain[1].event.outcome = Outcome::Failure;
        chain[1].hash = event_hash(2, &chain[1].prev_hash, &chain[1].event);
        assert_eq!(
            verify_chain(chain),
            Err(BrokenLink {
                id: 3,
                reason: BrokenReason::PrevHashMismatch
            })
        );
    }

    #[test]
    fn an_edited_stored_hash_is_detected() {
        let mut chain = chain_of_three();
        chain[2].hash = GENESIS_HASH.to_owned();
        assert_eq!(
            verify_chain(chain),
            Err(BrokenLink {
                id: 3,
                reason: BrokenReason::HashMismatch
            })
        );
    }

    #[test]
    fn deleting_a_row_is_detected() {
        let mut chain = chain_of_three();
        chain.remove(1);
        assert_eq!(
            verify_chain(chain),
            Err(BrokenLink {
                id: 3,
                reason: BrokenReason::IdGap { expected: 2 }
            })
        );
        // Deleting the first row: the chain no longer starts at 1.
        let mut chain = chain_of_three();
        chain.remove(0);
        assert_eq!(
            verify_chain(chain),
            Err(BrokenLink {
                id: 2,
                reason: BrokenReason::IdGap { expected: 1 }
            })
        );
        // ... and renumbering does not help: the new first row does not follow genesis.
        let mut chain = chain_of_three();
        chain.remove(0);
        chain[0].id = 1;
        chain[1].id = 2;
        assert_eq!(
            verify_chain(chain),
            Err(BrokenLink {
                id: 1,
                reason: BrokenReason::PrevHashMismatch
            })
        );
        // Deleting a row and renumbering the rest.
        let mut chain = chain_of_three();
        chain.remove(1);
        chain[1].id = 2;
        assert_eq!(
            verify_chain(chain),
            Err(BrokenLink {
                id: 2,
                reason: BrokenReason::PrevHashMismatch
            })
        );
    }

    #[test]
    fn cutting_the_tail_is_not_visible_in_the_chain_alone() {
        // Why the module doc asks for the latest hash to be kept elsewhere.
        let mut chain = chain_of_three();
        chain.pop();
        assert_eq!(verify_chain(chain), Ok(2));
    }

    #[test]
    fn reordering_is_detected() {
        let mut chain = chain_of_three();
        chain.swap(1, 2);
        assert_eq!(
            verify_chain(chain),
            Err(BrokenLink {
                id: 3,
                reason: BrokenReason::IdGap { expected: 2 }
            })
        );
        // Swapping the contents of two rows but keeping the ids in place.
        let mut chain = chain_of_three();
        chain.swap(1, 2);
        chain[1].id = 2;
        chain[2].id = 3;
        assert_eq!(
            verify_chain(chain),
            Err(BrokenLink {
                id: 2,
                reason: BrokenReason::PrevHashMismatch
            })
        );
    }

    #[test]
    fn outcome_names_round_trip_and_errors_read_well() {
        for o in [Outcome::Success, Outcome::Denied, Outcome::Failure] {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            assert_eq!(
                serde_json::to_string(&o).unwrap(),
                format!("\"{}\"", o.as_str())
            );
        }
        assert_eq!(Outcome::parse("ok"), None);
        assert_eq!(
            BrokenLink {
                id: 3,
                reason: BrokenReason::IdGap { expected: 2 }
            }
            .to_string(),
            "the audit chain breaks at event 3: expected event 2 here"
        );
    }
}
