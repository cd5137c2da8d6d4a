//! NAACCR XML Data Exchange Standard: dictionaries, item values and dates.
//!
//! Why it exists: every abstract the registry stores or exchanges is a set of NAACCR items, and
//! what an item may hold (length, data type, level) is defined by the NAACCR XML dictionaries.
//! This module loads those dictionaries ([`dictionary`]), checks item values against their
//! definitions ([`value`]) and parses NAACCR dates ([`date`]).
//!
//! What it must not do: read files, touch the database or the network, or look at the clock.
//! Callers pass the dictionary text in; the functions here are pure and run on every item of
//! every record, so value checks avoid allocation and regular expressions.

pub mod date;
pub mod dictionary;
pub mod value;
pub mod xml;

pub use date::{DateError, DateTimeError, NaaccrDate, NaaccrDateTime, TimeZone};
pub use dictionary::{
    DataType, Dictionary, DictionaryError, DictionaryKind, DictionaryProblem, DictionaryRule,
    DictionarySet, ItemDef, ItemRef, NAACCR_XML_NAMESPACE, Padding, ParentElement, RecordType,
    SpecVersion, version_from_uri,
};
pub use value::{ValueProblem, validate_value, validate_value_into};
