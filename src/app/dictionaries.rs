//! The dictionaries the registry knows: the NAACCR base dictionaries shipped in
//! `schemas/dictionaries/` (built into the binary, so it runs from any directory) and any
//! user-defined dictionaries named in the configuration, attached to their NAACCR version.

use crate::core::naaccr::{Dictionary, DictionaryError, DictionarySet};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// The base dictionaries shipped with the registry: (file name, contents).
const BASE_DICTIONARIES: [(&str, &str); 3] = [
    (
        "naaccr-dictionary-240.xml",
        include_str!("../../schemas/dictionaries/naaccr-dictionary-240.xml"),
    ),
    (
        "naaccr-dictionary-250.xml",
        include_str!("../../schemas/dictionaries/naaccr-dictionary-250.xml"),
    ),
    (
        "naaccr-dictionary-260.xml",
        include_str!("../../schemas/dictionaries/naaccr-dictionary-260.xml"),
    ),
];

/// The NAACCR version used when a request names none.
pub const DEFAULT_VERSION: &str = "260";

/// Why the dictionaries could not be loaded.
#[derive(Debug, Error)]
pub enum DictionariesError {
    /// A dictionary file could not be read.
    #[error("cannot read dictionary {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        reason: String,
    },
    /// A dictionary broke a rule of the standard.
    #[error(transparent)]
    Invalid(#[from] DictionaryError),
    /// A user dictionary names a NAACCR version the registry has no base dictionary for.
    #[error(
        "user dictionary {path} is for NAACCR version {version}, which has no base dictionary here"
    )]
    NoBaseFor {
        /// The file.
        path: PathBuf,
        /// The version it names.
        version: String,
    },
}

/// Every dictionary set the registry validates against, by NAACCR version ("240", ...).
#[derive(Debug, Clone)]
pub struct Dictionaries {
    by_version: BTreeMap<String, Arc<DictionarySet>>,
}

impl Dictionaries {
    /// The built-in base dictionaries plus the user dictionaries in `user_files`. A user
    /// dictionary that names a NAACCR version joins that version only; one that names none
    /// joins every version.
    pub fn load(user_files: &[PathBuf]) -> Result<Self, DictionariesError> {
        let mut bases = BTreeMap::new();
        for (name, xml) in BASE_DICTIONARIES {
            let base = Dictionary::parse_base(xml, name)?;
            let version = base.naaccr_version().unwrap_or_default().to_owned();
            bases.insert(version, (base, Vec::new()));
        }
        for path in user_files {
            let xml = read(path)?;
            let user = Dictionary::parse_user(&xml, &path.display().to_string())?;
            match user.naaccr_version().map(str::to_owned) {
                Some(v) => match bases.get_mut(&v) {
                    Some((_, users)) => users.push(user),
                    None => {
                        return Err(DictionariesError::NoBaseFor {
                            path: path.clone(),
                            version: v,
                        });
                    }
                },
                None => {
                    for (_, users) in bases.values_mut() {
                        users.push(user.clone());
                    }
                }
            }
        }
        let mut by_version = BTreeMap::new();
        for (version, (base, users)) in bases {
            by_version.insert(version, Arc::new(DictionarySet::new(base, users)?));
        }
        Ok(Self { by_version })
    }

    /// The dictionary set for a NAACCR version, if the registry has it.
    pub fn get(&self, version: &str) -> Option<&Arc<DictionarySet>> {
        self.by_version.get(version)
    }

    /// The dictionary set used when a request names no version.
    pub fn default_version(&self) -> &str {
        DEFAULT_VERSION
    }

    /// Every version and its dictionary set, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<DictionarySet>)> {
        self.by_version.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The versions the registry knows, oldest first.
    pub fn versions(&self) -> Vec<String> {
        self.by_version.keys().cloned().collect()
    }
}

fn read(path: &Path) -> Result<String, DictionariesError> {
    std::fs::read_to_string(path).map_err(|e| DictionariesError::Read {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}
