//! `Problem`: the shared vocabulary of validation. Every check of user data (a request body, an
//! XML file, an edit) reports what is wrong as a list of these, never stopping at the first.

use serde::Serialize;

/// One thing wrong with user input: which item, in which record, where, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable snake_case code (`too_long`, `unknown_item`, ...), part of the public API.
    pub code: &'static str,
    /// The NAACCR item (naaccrId) or request field concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// The record within the input (`patient`, `tumors[1]`), when the input holds several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// 1-based line in the input file, when the input is a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based column in the input file, when the input is a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// A sentence for a person, naming the rule broken. Never contains the item's value.
    pub message: String,
}

impl Problem {
    /// A problem with a code and a message, not yet tied to an item or record.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            item: None,
            record: None,
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// The same problem, attached to the item `naaccr_id`.
    #[must_use]
    pub fn for_item(mut self, naaccr_id: impl Into<String>) -> Self {
        self.item = Some(naaccr_id.into());
        self
    }

    /// The same problem, attached to the record `record` (`patient`, `tumors[0]`).
    #[must_use]
    pub fn in_record(mut self, record: impl Into<String>) -> Self {
        self.record = Some(record.into());
        self
    }
}
