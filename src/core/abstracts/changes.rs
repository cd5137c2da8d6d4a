//! Change sets: the difference between two versions of a record, item by item, and the replay
//! of a record's history to rebuild any earlier version.

use super::items::ItemMap;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// One item's change between two versions. `old: None` is an item added, `new: None` removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemChange {
    /// The item's naaccrId.
    pub item: String,
    /// The value before the change, absent when the item was added.
    pub old: Option<String>,
    /// The value after the change, absent when the item was removed.
    pub new: Option<String>,
}

/// Why a version was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionAction {
    /// The record was created (every item is an addition).
    Create,
    /// Items were changed by a user or an import.
    Update,
    /// The record was set back to the items of an earlier version.
    Revert,
    /// The record was soft-deleted (a tombstone with a reason; the items stay).
    Delete,
}

impl VersionAction {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionAction::Create => "create",
            VersionAction::Update => "update",
            VersionAction::Revert => "revert",
            VersionAction::Delete => "delete",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "create" => Some(VersionAction::Create),
            "update" => Some(VersionAction::Update),
            "revert" => Some(VersionAction::Revert),
            "delete" => Some(VersionAction::Delete),
            _ => None,
        }
    }
}

/// The changes that turn `old` into `new`, in naaccrId order; empty when they are equal.
///
/// Both maps are sorted, so this is one merge pass with no lookups.
pub fn diff(old: &ItemMap, new: &ItemMap) -> Vec<ItemChange> {
    let mut out = Vec::new();
    let mut a = old.iter().peekable();
    let mut b = new.iter().peekable();
    loop {
        match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some((ka, va)), None) => {
                out.push(removed(ka, va));
                a.next();
            }
            (None, Some((kb, vb))) => {
                out.push(added(kb, vb));
                b.next();
            }
            (Some((ka, va)), Some((kb, vb))) => match ka.cmp(kb) {
                Ordering::Less => {
                    out.push(removed(ka, va));
                    a.next();
                }
                Ordering::Greater => {
                    out.push(added(kb, vb));
                    b.next();
                }
                Ordering::Equal => {
                    if va != vb {
                        out.push(ItemChange {
                            item: (*ka).clone(),
                            old: Some((*va).clone()),
                            new: Some((*vb).clone()),
                        });
                    }
                    a.next();
                    b.next();
                }
            },
        }
    }
    out
}

fn removed(k: &str, v: &str) -> ItemChange {
    ItemChange {
        item: k.to_owned(),
        old: Some(v.to_owned()),
        new: None,
    }
}

fn added(k: &str, v: &str) -> ItemChange {
    ItemChange {
        item: k.to_owned(),
        old: None,
        new: Some(v.to_owned()),
    }
}

/// Applies change sets in order to an empty record: the items as they stood after the last one.
pub fn replay<'a>(versions: impl IntoIterator<Item = &'a [ItemChange]>) -> ItemMap {
    let mut items = ItemMap::new();
    for changes in versions {
        for change in changes {
            match &change.new {
                Some(v) => {
                    items.insert(change.item.clone(), v.clone());
                }
                None => {
                    items.remove(&change.item);
                }
            }
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> ItemMap {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn diff_lists_additions_removals_and_changes_in_item_order() {
        let old = map(&[
            ("behaviorCodeIcdO3", "3"),
            ("primarySite", "C509"),
            ("laterality", "1"),
        ]);
        let new = map(&[("primarySite", "C504"), ("laterality", "1"), ("grade", "2")]);
        let changes = diff(&old, &new);
        let expected = vec![
            removed("behaviorCodeIcdO3", "3"),
            added("grade", "2"),
            ItemChange {
                item: "primarySite".into(),
                old: Some("C509".into()),
                new: Some("C504".into()),
            },
        ];
        assert_eq!(changes, expected);
        assert!(diff(&new, &new).is_empty());
    }

    #[test]
    fn replaying_every_diff_rebuilds_each_version() {
        let v1 = map(&[("a", "1"), ("b", "2")]);
        let v2 = map(&[("a", "1"), ("b", "3"), ("c", "4")]);
        let v3 = map(&[("c", "5")]);
        let h1 = diff(&ItemMap::new(), &v1);
        let h2 = diff(&v1, &v2);
        let h3 = diff(&v2, &v3);
        assert_eq!(replay([h1.as_slice()]), v1);
        assert_eq!(replay([h1.as_slice(), h2.as_slice()]), v2);
        assert_eq!(replay([h1.as_slice(), h2.as_slice(), h3.as_slice()]), v3);
    }
}
