//! The rules a new password must meet, after OWASP ASVS 5.0 chapter V6.2 (Password Security),
//! which follows NIST SP 800-63B section 5.1.1.2.
//!
//! Only the choice of a new password is checked here (registration, change, reset). Signing in
//! compares the password exactly as received with the stored hash, which is not this module's
//! business: it never hashes, stores, logs or trims a password, and no message it builds
//! contains the password.

use crate::core::problem::Problem;
use std::collections::HashSet;

/// The fewest characters (Unicode code points) a password may have.
///
/// ASVS 5.0 V6.2.1 asks for at least 8 and strongly recommends 15; we require 12.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The most characters (Unicode code points) a password may have.
///
/// ASVS 5.0 V6.2.9 asks that passwords of at least 64 characters be permitted. A bound keeps a
/// slow password hash from being fed megabytes; 128 leaves room for passphrases and managers.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// The shortest login that a password may not *contain*; shorter logins are only refused as
/// the whole password, or every password holding, say, "al" would be refused.
pub const MIN_LOGIN_CHARS_FOR_CONTAINS: usize = 3;

/// A list of common or breached passwords, compared case-insensitively.
///
/// ASVS 5.0 V6.2.4 asks for a check against at least the 3,000 most common passwords, and
/// V6.2.12 against breached passwords. The list is data (`schemas/security/common-passwords.txt`),
/// read by the caller and parsed here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommonPasswords {
    lowered: HashSet<String>,
}

impl CommonPasswords {
    /// Reads a list: one password per line; blank lines and lines starting with `#` are
    /// ignored, as are spaces around a password and a trailing carriage return.
    pub fn parse(text: &str) -> CommonPasswords {
        let lowered = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_lowercase)
            .collect();
        CommonPasswords { lowered }
    }

    /// How many distinct passwords (after lower-casing) the list holds.
    pub fn len(&self) -> usize {
        self.lowered.len()
    }

    /// Whether the list holds no password at all.
    pub fn is_empty(&self) -> bool {
        self.lowered.is_empty()
    }

    /// Whether `password` is on the list, ignoring case.
    pub fn contains(&self, password: &str) -> bool {
        self.lowered.contains(&password.to_lowercase())
    }
}

/// One rule a proposed password breaks. Carries the rule's limits, never the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    /// Fewer code points than the minimum (ASVS 5.0 V6.2.1).
    #[error("the password must be at least {min} characters long")]
    TooShort {
        /// The minimum, [`MIN_PASSWORD_CHARS`].
        min: usize,
    },
    /// More code points than the maximum; rejected, never truncated (ASVS 5.0 V6.2.8, V6.2.9).
    #[error("the password must be at most {max} characters long")]
    TooLong {
        /// The maximum, [`MAX_PASSWORD_CHARS`].
        max: usize,
    },
    /// On the list of common or breached passwords (ASVS 5.0 V6.2.4, V6.2.12).
    #[error("the password is too common: it appears in lists of frequently used passwords")]
    TooCommon,
    /// Equal to the login or containing it, ignoring case: a context-specific word
    /// (ASVS 5.0 V6.1.2, V6.2.11).
    #[error("the password must not contain the login name")]
    ContainsLogin,
    /// Holds a control character (a line break, tab, NUL, ...), which cannot be typed the same
    /// way everywhere and which a form or terminal may silently change.
    #[error("the password must not contain control characters such as line breaks or tabs")]
    ControlCharacter,
}

impl PasswordProblem {
    /// The stable snake_case code, part of the public API.
    pub fn code(self) -> &'static str {
        match self {
            PasswordProblem::TooShort { .. } => "password_too_short",
            PasswordProblem::TooLong { .. } => "password_too_long",
            PasswordProblem::TooCommon => "password_too_common",
            PasswordProblem::ContainsLogin => "password_contains_login",
            PasswordProblem::ControlCharacter => "password_control_character",
        }
    }

    /// The same problem in the shared validation vocabulary, not yet tied to a field.
    pub fn to_problem(self) -> Problem {
        Problem::new(self.code(), self.to_string())
    }
}

/// Checks a proposed password for the account `login`, reporting every rule it breaks.
///
/// Length is counted in Unicode code points, as NIST SP 800-63B 5.1.1.2 counts characters.
/// There are no composition rules (ASVS 5.0 V6.2.5): any character but a control character is
/// allowed, spaces included. The password is checked as given, never trimmed or truncated
/// (V6.2.8). Problems come in a fixed order: length, control characters, common, login.
pub fn check_password(
    password: &str,
    login: &str,
    common: &CommonPasswords,
) -> Result<(), Vec<PasswordProblem>> {
    let mut problems = Vec::new();
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        problems.push(PasswordProblem::TooShort {
            min: MIN_PASSWORD_CHARS,
        });
    }
    if chars > MAX_PASSWORD_CHARS {
        problems.push(PasswordProblem::TooLong {
            max: MAX_PASSWORD_CHARS,
        });
    }
    if password.chars().any(char::is_control) {
        problems.push(PasswordProblem::ControlCharacter);
    }
    if common.contains(password) {
        problems.push(PasswordProblem::TooCommon);
    }
    if contains_login(password, login) {
        problems.push(PasswordProblem::ContainsLogin);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Whether `password` is `login` or, for a login of at least [`MIN_LOGIN_CHARS_FOR_CONTAINS`]
/// characters, contains it, ignoring case and spaces around the login.
fn contains_login(password: &str, login: &str) -> bool {
    let login = login.trim().to_lowercase();
    if login.is_empty() {
        return false;
    }
    let password = password.to_lowercase();
    if login.chars().count() < MIN_LOGIN_CHARS_FOR_CONTAINS {
        password == login
    } else {
        password.contains(&login)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn list() -> CommonPasswords {
        CommonPasswords::parse("# a comment\n\npassword\r\nQwertyuiop123\n  letmeinplease  \n")
    }

    fn codes(password: &str, login: &str) -> Vec<&'static str> {
        match check_password(password, login, &list()) {
            Ok(()) => Vec::new(),
            Err(problems) => problems.into_iter().map(PasswordProblem::code).collect(),
        }
    }

    #[test]
    fn the_list_skips_comments_and_blanks_and_ignores_case() {
        let common = list();
        assert_eq!(common.len(), 3);
        assert!(common.contains("PASSWORD"));
        assert!(common.contains("qwertyuiop123"));
        assert!(common.contains("LetMeInPlease"));
        assert!(!common.contains("# a comment"));
        assert!(!common.contains(""));
        assert!(CommonPasswords::parse("").is_empty());
    }

    #[test]
    fn a_long_uncommon_password_passes() {
        assert_eq!(
            codes("correct horse battery staple", "alice"),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn length_counts_code_points_not_bytes() {
        // 11 code points but 33 bytes: too short.
        assert_eq!(codes("ééééééééééé", "alice"), ["password_too_short"]);
        // 12 code points: long enough.
        assert_eq!(codes("éééééééééééé", "alice"), Vec::<&str>::new());
        // 12 emoji (48 bytes) pass, 11 do not.
        assert_eq!(codes(&"🔒".repeat(12), "alice"), Vec::<&str>::new());
        assert_eq!(codes(&"🔒".repeat(11), "alice"), ["password_too_short"]);
    }

    #[test]
    fn the_bounds_are_inclusive() {
        assert_eq!(codes(&"x".repeat(11), "alice"), ["password_too_short"]);
        assert_eq!(codes(&"x".repeat(12), "alice"), Vec::<&str>::new());
        assert_eq!(codes(&"x".repeat(64), "alice"), Vec::<&str>::new());
        assert_eq!(codes(&"x".repeat(128), "alice"), Vec::<&str>::new());
        assert_eq!(codes(&"x".repeat(129), "alice"), ["password_too_long"]);
    }

    #[test]
    fn no_composition_rule_and_spaces_are_allowed() {
        assert_eq!(codes("aaaaaaaaaaaa", "alice"), Vec::<&str>::new());
        assert_eq!(codes("            ", "alice"), Vec::<&str>::new());
        assert_eq!(codes("  lead and trail  ", "alice"), Vec::<&str>::new());
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        assert_eq!(codes("QWERTYuiop123", "alice"), ["password_too_common"]);
        // Exactly as given: a common password with a space added is a different password.
        assert_eq!(codes("qwertyuiop123 ", "alice"), Vec::<&str>::new());
    }

    #[test]
    fn the_login_may_be_neither_the_password_nor_inside_it() {
        assert_eq!(
            codes("xx-ALICE-2025-xx", "alice"),
            ["password_contains_login"]
        );
        assert_eq!(
            codes("alicealicealice", " Alice "),
            ["password_contains_login"]
        );
        assert_eq!(
            codes("Dr.Jekyll&Hyde", "dr.jekyll&hyde"),
            ["password_contains_login"]
        );
        // A two-letter login is refused only as the whole password (which is too short anyway).
        assert_eq!(codes("a long passphrase", "al"), Vec::<&str>::new());
        assert_eq!(
            codes("al", "AL"),
            ["password_too_short", "password_contains_login"]
        );
        assert_eq!(codes("a long passphrase", ""), Vec::<&str>::new());
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(
            codes("line one\nline two", "alice"),
            ["password_control_character"]
        );
        assert_eq!(
            codes("tab\tseparated words", "alice"),
            ["password_control_character"]
        );
        assert_eq!(
            codes("nul\0inside the text", "alice"),
            ["password_control_character"]
        );
    }

    #[test]
    fn every_problem_is_reported_in_a_fixed_order() {
        assert_eq!(
            check_password("bob\n", "bob", &list()),
            Err(vec![
                PasswordProblem::TooShort { min: 12 },
                PasswordProblem::ControlCharacter,
                PasswordProblem::ContainsLogin,
            ])
        );
        assert_eq!(
            codes("password", "password"),
            [
                "password_too_short",
                "password_too_common",
                "password_contains_login"
            ]
        );
    }

    #[test]
    fn messages_never_repeat_the_password() {
        let secret = "Sup3rSecretSquirrel\n";
        let problems = check_password(secret, "squirrel", &list()).unwrap_err();
        assert_eq!(problems.len(), 2);
        for p in problems {
            let message = p.to_string();
            assert!(!message.to_lowercase().contains("squirrel"), "{message}");
            assert!(!message.contains("Sup3r"), "{message}");
            let problem = p.to_problem();
            assert_eq!(problem.code, p.code());
            assert_eq!(problem.message, message);
        }
    }

    #[test]
    fn the_shipped_list_parses_and_holds_the_top_passwords() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/security/common-passwords.txt"
        ))
        .unwrap();
        let common = CommonPasswords::parse(&text);
        assert_eq!(common.len(), 10_000);
        for p in ["123456", "password", "qwerty", "iloveyou", "Trustno1"] {
            assert!(common.contains(p), "{p}");
        }
        assert!(!common.contains("correct horse battery staple"));
        assert_eq!(
            codes("qwerty123456", "alice"),
            Vec::<&str>::new(),
            "the test list, not the shipped one"
        );
        assert_eq!(
            check_password("qwerty123456", "alice", &common),
            Err(vec![PasswordProblem::TooCommon])
        );
    }
}
