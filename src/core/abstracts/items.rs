//! Incoming items checked against the dictionary: every problem of a request is collected, and
//! nothing is accepted unless all of it is valid.

use crate::core::naaccr::{DictionarySet, ParentElement, validate_value};
use crate::core::problem::Problem;
use std::collections::BTreeMap;

/// The items of one record, by naaccrId, sorted. An absent item has no entry (never "").
pub type ItemMap = BTreeMap<String, String>;

/// One item as it arrives from outside, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemInput {
    /// A value. An empty string means the item is absent, as in NAACCR XML.
    Text(String),
    /// An explicit null: remove the item (in a patch) or leave it absent (in a new record).
    Null,
    /// Something that is not a string (a number, a list, ...): its kind, for the message.
    NotText(&'static str),
}

/// The longest naaccrId echoed back in a message; longer keys are cut (they are not data).
const MAX_ECHOED_ID: usize = 64;

/// Checks the items of a new record at `level` and returns them as an [`ItemMap`].
///
/// Every item must be defined by `dictionary`, belong to `level` (its `parentXmlElement`), and
/// have a value valid for its definition. All problems are reported, each tagged with `record`.
pub fn validate_new_items(
    dictionary: &DictionarySet,
    level: ParentElement,
    input: &[(String, ItemInput)],
    record: &str,
) -> Result<ItemMap, Vec<Problem>> {
    apply_patch(dictionary, level, &ItemMap::new(), input, record)
}

/// Applies `patch` to `current` and returns the new items (RFC 7396 merge-patch semantics:
/// a value sets the item, null or "" removes it, an item not named stays as it is).
///
/// Items already stored are not re-validated, so a record abstracted under an older rule can
/// still be corrected one item at a time; every item the patch sets is checked in full.
pub fn apply_patch(
    dictionary: &DictionarySet,
    level: ParentElement,
    current: &ItemMap,
    patch: &[(String, ItemInput)],
    record: &str,
) -> Result<ItemMap, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut items = current.clone();
    for (naaccr_id, input) in patch {
        let shown = shown_id(naaccr_id);
        let Some(def) = dictionary.item(naaccr_id) else {
            problems.push(
                Problem::new(
                    "unknown_item",
                    format!(
                        "'{shown}' is not an item of NAACCR dictionary {}",
                        dictionary.version()
                    ),
                )
                .for_item(shown)
                .in_record(record),
            );
            continue;
        };
        if def.parent != level {
            problems.push(
                Problem::new(
                    "wrong_level",
                    format!(
                        "{} is a {}-level item and cannot be stored on a {}",
                        def.naaccr_id,
                        def.parent.as_str(),
                        level.as_str()
                    ),
                )
                .for_item(shown)
                .in_record(record),
            );
            continue;
        }
        match input {
            ItemInput::Null => {
                items.remove(naaccr_id);
            }
            ItemInput::Text(value) if value.is_empty() => {
                items.remove(naaccr_id);
            }
            ItemInput::Text(value) => {
                let found = validate_value(def, value);
                if found.is_empty() {
                    items.insert(naaccr_id.clone(), value.clone());
                } else {
                    problems.extend(found.into_iter().map(|p| {
                        Problem::new(p.code(), format!("{}: {p}", def.naaccr_id))
                            .for_item(def.naaccr_id.clone())
                            .in_record(record)
                    }));
                }
            }
            ItemInput::NotText(kind) => problems.push(
                Problem::new(
                    "not_a_string",
                    format!(
                        "{}: values are strings in NAACCR, not {kind}",
                        def.naaccr_id
                    ),
                )
                .for_item(def.naaccr_id.clone())
                .in_record(record),
            ),
        }
    }
    if problems.is_empty() {
        Ok(items)
    } else {
        Err(problems)
    }
}

fn shown_id(naaccr_id: &str) -> String {
    naaccr_id
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_ECHOED_ID)
        .collect()
}
