//! Who may do what: roles, the permissions each role holds, the facilities a user may see,
//! the password rules and the login throttle.
//!
//! Pure: this module decides, it does not enforce. It knows nothing of HTTP, sessions, password
//! hashing or the clock; the HTTP extractors and the `app` use cases ask it and act on the
//! answer. Facility scoping of a registrar is data ([`FacilityScope`]); applying it to a query
//! is the caller's job.

mod password;
mod throttle;

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

pub use password::{
    CommonPasswords, MAX_PASSWORD_CHARS, MIN_LOGIN_CHARS_FOR_CONTAINS, MIN_PASSWORD_CHARS,
    PasswordProblem, check_password,
};
pub use throttle::{LoginThrottle, RetryAfter, ThrottlePolicy};

/// A user's role: what kind of work they do in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the service: manages users and reads the audit trail, never patient data.
    Admin,
    /// Central registry staff: abstracts of every facility.
    Central,
    /// A hospital registrar: abstracts of their own facilities only.
    Registrar,
    /// A researcher: dictionaries and aggregate (suppressed) statistics only.
    Researcher,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Central,
        Role::Registrar,
        Role::Researcher,
    ];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Central => "central",
            Role::Registrar => "registrar",
            Role::Researcher => "researcher",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "central" => Some(Role::Central),
            "registrar" => Some(Role::Registrar),
            "researcher" => Some(Role::Researcher),
            _ => None,
        }
    }

    /// Whether this role holds `permission`, as written in [`POLICY`].
    ///
    /// For a registrar, `ReadPatientData` and `WritePatientData` hold only within their
    /// [`FacilityScope`]; checking the record's facility is the caller's job.
    pub fn allows(self, permission: Permission) -> bool {
        POLICY
            .iter()
            .find(|(p, _)| *p == permission)
            .and_then(|(_, grants)| grants.get(self.column()))
            .copied()
            .unwrap_or(false)
    }

    /// The permissions this role holds, in [`Permission::ALL`] order.
    pub fn permissions(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.allows(*p))
    }

    /// This role's column in [`POLICY`].
    const fn column(self) -> usize {
        match self {
            Role::Admin => 0,
            Role::Central => 1,
            Role::Registrar => 2,
            Role::Researcher => 3,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something a request may need to be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read patients and tumors (identifying data).
    ReadPatientData,
    /// Create, change, delete or revert patients and tumors.
    WritePatientData,
    /// Create users, change their roles, scopes and status.
    ManageUsers,
    /// Read the audit trail.
    ReadAudit,
    /// Read the NAACCR dictionaries and code tables.
    ReadDictionaries,
    /// Read aggregate statistics (counts, rates, survival) after small-cell suppression.
    ReadAggregates,
    /// Write, test, activate and retire the registry's own edits (central registry staff).
    ManageEdits,
}

impl Permission {
    /// Every permission, in declaration order.
    pub const ALL: [Permission; 7] = [
        Permission::ReadPatientData,
        Permission::WritePatientData,
        Permission::ManageUsers,
        Permission::ReadAudit,
        Permission::ReadDictionaries,
        Permission::ReadAggregates,
        Permission::ManageEdits,
    ];

    /// The stable snake_case name, for error bodies and audit details.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ReadPatientData => "read_patient_data",
            Permission::WritePatientData => "write_patient_data",
            Permission::ManageUsers => "manage_users",
            Permission::ReadAudit => "read_audit",
            Permission::ReadDictionaries => "read_dictionaries",
            Permission::ReadAggregates => "read_aggregates",
            Permission::ManageEdits => "manage_edits",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The access policy: one row per permission, one column per role; `Y` grants it.
///
/// Function-level access needs an explicit grant here (OWASP ASVS 5.0 V8.2.1); a permission
/// missing from the table is granted to nobody. Least privilege and separation of duties: the
/// admin who manages accounts and reads the audit trail never reads patient data, and no role
/// that reads patient data can manage users. Data-specific access (V8.2.2) is the second step:
/// a registrar's patient-data rights hold only within their [`FacilityScope`].
#[rustfmt::skip]
pub const POLICY: [(Permission, [bool; 4]); 7] = [
    //                               admin central registrar researcher
    (Permission::ReadPatientData,  [ N,    Y,      Y,        N ]),
    (Permission::WritePatientData, [ N,    Y,      Y,        N ]),
    (Permission::ManageUsers,      [ Y,    N,      N,        N ]),
    (Permission::ReadAudit,        [ Y,    N,      N,        N ]),
    (Permission::ReadDictionaries, [ Y,    Y,      Y,        Y ]),
    (Permission::ReadAggregates,   [ N,    Y,      Y,        Y ]),
    (Permission::ManageEdits,      [ N,    Y,      N,        N ]),
];

/// Granted, in [`POLICY`].
const Y: bool = true;
/// Not granted, in [`POLICY`].
const N: bool = false;

/// Which facilities' records a user may see: all of them, or those with the listed codes.
///
/// The codes are the registry's facility codes (NAACCR Reporting Facility and the like); this
/// type compares them exactly and does not check them against any list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FacilityScope {
    /// Every facility, and records with no facility.
    All,
    /// Only records of these facilities (possibly none).
    Facilities(BTreeSet<String>),
}

impl FacilityScope {
    /// The stored text of [`FacilityScope::All`].
    pub const ALL_TEXT: &'static str = "*";

    /// Whether a record of `facility` is visible. A record with no facility is visible only
    /// to [`FacilityScope::All`]: an unassigned record is no one facility's business.
    pub fn can_see(&self, facility: Option<&str>) -> bool {
        match self {
            FacilityScope::All => true,
            FacilityScope::Facilities(codes) => facility.is_some_and(|f| codes.contains(f)),
        }
    }

    /// The facility codes, or `None` for [`FacilityScope::All`].
    pub fn facilities(&self) -> Option<&BTreeSet<String>> {
        match self {
            FacilityScope::All => None,
            FacilityScope::Facilities(codes) => Some(codes),
        }
    }

    /// Parses the stored text: `*` for all facilities, otherwise facility codes separated by
    /// commas (spaces around a code are ignored; the empty text is no facility at all).
    pub fn parse(text: &str) -> Result<Self, FacilityScopeError> {
        let text = text.trim();
        if text == Self::ALL_TEXT {
            return Ok(FacilityScope::All);
        }
        let mut codes = BTreeSet::new();
        if text.is_empty() {
            return Ok(FacilityScope::Facilities(codes));
        }
        for (index, code) in text.split(',').map(str::trim).enumerate() {
            let position = index.saturating_add(1);
            if code.is_empty() {
                return Err(FacilityScopeError::EmptyCode { position });
            }
            if let Some(ch) = code
                .chars()
                .find(|c| *c == '*' || c.is_whitespace() || c.is_control())
            {
                return Err(FacilityScopeError::InvalidCharacter { position, ch });
            }
            codes.insert(code.to_owned());
        }
        Ok(FacilityScope::Facilities(codes))
    }
}

impl fmt::Display for FacilityScope {
    /// The stored text, which [`FacilityScope::parse`] reads back: codes in sorted order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FacilityScope::All => f.write_str(Self::ALL_TEXT),
            FacilityScope::Facilities(codes) => {
                for (i, code) in codes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    f.write_str(code)?;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for FacilityScope {
    type Err = FacilityScopeError;

    /// [`FacilityScope::parse`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        FacilityScope::parse(text)
    }
}

/// Why a stored facility scope could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FacilityScopeError {
    /// Two commas with nothing between them, or a comma at either end.
    #[error("facility scope: code {position} is empty")]
    EmptyCode {
        /// 1-based position of the empty code in the list.
        position: usize,
    },
    /// A code holds `*`, white space or a control character.
    #[error("facility scope: code {position} contains the character {ch:?}")]
    InvalidCharacter {
        /// 1-based position of the code in the list.
        position: usize,
        /// The offending character.
        ch: char,
    },
}

/// The registry's internal id of a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// May sign in.
    Active,
    /// May not sign in; kept so the audit trail still names the user.
    Disabled,
}

impl UserStatus {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(UserStatus::Active),
            "disabled" => Some(UserStatus::Disabled),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_policy_table_has_one_row_per_permission() {
        for p in Permission::ALL {
            assert_eq!(POLICY.iter().filter(|(q, _)| *q == p).count(), 1, "{p}");
        }
        assert_eq!(POLICY.len(), Permission::ALL.len());
    }

    #[test]
    fn each_role_holds_exactly_the_permissions_of_the_policy() {
        use Permission::*;
        let held = |r: Role| r.permissions().collect::<Vec<_>>();
        assert_eq!(
            held(Role::Admin),
            [ManageUsers, ReadAudit, ReadDictionaries]
        );
        assert_eq!(
            held(Role::Central),
            [
                ReadPatientData,
                WritePatientData,
                ReadDictionaries,
                ReadAggregates,
                ManageEdits
            ]
        );
        assert_eq!(
            held(Role::Registrar),
            [
                ReadPatientData,
                WritePatientData,
                ReadDictionaries,
                ReadAggregates
            ]
        );
        assert_eq!(held(Role::Researcher), [ReadDictionaries, ReadAggregates]);
    }

    #[test]
    fn no_role_both_manages_users_and_reads_patient_data() {
        for r in Role::ALL {
            assert!(
                !(r.allows(Permission::ManageUsers) && r.allows(Permission::ReadPatientData)),
                "{r}"
            );
        }
    }

    #[test]
    fn role_and_status_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(Role::parse(""), None);
        for s in [UserStatus::Active, UserStatus::Disabled] {
            assert_eq!(UserStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(UserStatus::parse("locked"), None);
    }

    #[test]
    fn a_scope_sees_its_facilities_and_only_all_sees_records_without_one() {
        let scope = FacilityScope::parse("0000012345, 0000067890").unwrap();
        assert!(scope.can_see(Some("0000012345")));
        assert!(!scope.can_see(Some("0000099999")));
        assert!(!scope.can_see(None));
        assert!(FacilityScope::All.can_see(None));
        assert!(FacilityScope::All.can_see(Some("anything")));
        let none = FacilityScope::parse("").unwrap();
        assert_eq!(none.facilities().map(BTreeSet::len), Some(0));
        assert!(!none.can_see(Some("0000012345")));
        assert_eq!(FacilityScope::All.facilities(), None);
    }

    #[test]
    fn scope_text_round_trips_in_sorted_order() {
        assert_eq!(FacilityScope::parse(" * ").unwrap(), FacilityScope::All);
        assert_eq!(FacilityScope::All.to_string(), "*");
        let scope = FacilityScope::parse("B2,A1,B2").unwrap();
        assert_eq!(scope.to_string(), "A1,B2");
        assert_eq!(FacilityScope::parse(&scope.to_string()).unwrap(), scope);
        assert_eq!(FacilityScope::parse("").unwrap().to_string(), "");
        assert_eq!("A1, B2".parse::<FacilityScope>().unwrap(), scope);
    }

    #[test]
    fn malformed_scope_text_is_refused_with_the_position() {
        assert_eq!(
            FacilityScope::parse("A1,,B2"),
            Err(FacilityScopeError::EmptyCode { position: 2 })
        );
        assert_eq!(
            FacilityScope::parse("A1,"),
            Err(FacilityScopeError::EmptyCode { position: 2 })
        );
        assert_eq!(
            FacilityScope::parse("A1,*"),
            Err(FacilityScopeError::InvalidCharacter {
                position: 2,
                ch: '*'
            })
        );
        assert_eq!(
            FacilityScope::parse("A 1"),
            Err(FacilityScopeError::InvalidCharacter {
                position: 1,
                ch: ' '
            })
        );
    }

    #[test]
    fn user_id_is_a_bare_number_in_json_and_text() {
        assert_eq!(serde_json::to_string(&UserId(7)).unwrap(), "7");
        assert_eq!(UserId(7).to_string(), "7");
    }
}
