//! NAACCR XML dictionaries: the model ([`ItemDef`], [`Dictionary`]), the loader with the
//! specification's rules per specification version, and [`DictionarySet`], a base dictionary
//! merged with user-defined dictionaries for lookup.
//!
//! The loader takes the XML text and a name for messages; reading files is the caller's job.
//! Every broken rule is collected into one [`DictionaryError::Invalid`], so a registry fixing a
//! dictionary sees all of its problems at once.
//!
//! Sources for the rules: the NAACCR XML dictionary schemas `naaccr_dictionary_1.5.xsd` to
//! `naaccr_dictionary_1.8.xsd` and the dictionary validation of the reference Java library
//! `imsweb/naaccr-xml` (`NaaccrXmlDictionaryUtils.validateDictionary` and
//! `validateDictionaries`). Each rule below names its source.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use serde::{Serialize, Serializer};

/// The XML namespace of NAACCR XML dictionaries and data files.
pub const NAACCR_XML_NAMESPACE: &str = "http://naaccr.org/naaccrxml";

/// Longest naaccrId the reference library accepts (`validateDictionary`: "can only be 32
/// characters long"; specification 1.4 shortened the long NAACCR 18 ids to fit).
pub const MAX_NAACCR_ID_LENGTH: usize = 32;

/// Longest naaccrName the reference library accepts (`validateDictionary`: "can only be 50
/// characters long").
pub const MAX_NAACCR_NAME_LENGTH: usize = 50;

/// The XML element an item belongs under in a data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ParentElement {
    /// The root `NaaccrData` element (items common to the whole file).
    NaaccrData,
    /// The `Patient` element.
    Patient,
    /// The `Tumor` element.
    Tumor,
}

impl ParentElement {
    /// The name as written in the `parentXmlElement` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NaaccrData => "NaaccrData",
            Self::Patient => "Patient",
            Self::Tumor => "Tumor",
        }
    }

    /// Parses a `parentXmlElement` value (case-sensitive, as in the schema).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "NaaccrData" => Some(Self::NaaccrData),
            "Patient" => Some(Self::Patient),
            "Tumor" => Some(Self::Tumor),
            _ => None,
        }
    }
}

impl fmt::Display for ParentElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The data type of an item (schema type `datatypeType`; `text` when the attribute is absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DataType {
    /// Any printable text.
    Text,
    /// Digits 0-9, the full length of the item.
    Digits,
    /// Upper-case letters A-Z, the full length of the item.
    Alpha,
    /// Upper-case letters and digits, the full length of the item.
    Mixed,
    /// Digits with an optional decimal part, at most the length of the item.
    Numeric,
    /// A NAACCR date: `CCYYMMDD`, `CCYYMM` or `CCYY`.
    Date,
    /// An ISO 8601 date and time (specification 1.8 and later).
    DateTime,
}

impl DataType {
    /// The name as written in the `dataType` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Digits => "digits",
            Self::Alpha => "alpha",
            Self::Mixed => "mixed",
            Self::Numeric => "numeric",
            Self::Date => "date",
            Self::DateTime => "dateTime",
        }
    }

    /// Parses a `dataType` value (case-sensitive, as in the schema).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "text" => Some(Self::Text),
            "digits" => Some(Self::Digits),
            "alpha" => Some(Self::Alpha),
            "mixed" => Some(Self::Mixed),
            "numeric" => Some(Self::Numeric),
            "date" => Some(Self::Date),
            "dateTime" => Some(Self::DateTime),
            _ => None,
        }
    }

    /// True for the types whose values must fill the whole item length
    /// (`NaaccrXmlDictionaryUtils.isFullLengthRequiredForType`: alpha, digits, mixed).
    pub fn requires_full_length(self) -> bool {
        matches!(self, Self::Alpha | Self::Digits | Self::Mixed)
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a value is padded to the item length in the fixed-column (flat) layout.
///
/// Allowed values depend on the specification version (schemas `paddingType`):
/// up to 1.5 `rightBlank`, `leftBlank`, `rightZero`, `leftZero` (default `rightBlank`);
/// 1.6 adds `none`; from 1.7 only `none` (the default) and `leftZero` remain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Padding {
    /// No padding (default from specification 1.7).
    None,
    /// Zeros on the left.
    LeftZero,
    /// Blanks on the right (default before specification 1.7; refused from 1.7).
    RightBlank,
    /// Blanks on the left (refused from specification 1.7).
    LeftBlank,
    /// Zeros on the right (refused from specification 1.7).
    RightZero,
}

impl Padding {
    /// The name as written in the `padding` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::LeftZero => "leftZero",
            Self::RightBlank => "rightBlank",
            Self::LeftBlank => "leftBlank",
            Self::RightZero => "rightZero",
        }
    }

    /// Parses a `padding` value (case-sensitive).
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "none" => Some(Self::None),
            "leftZero" => Some(Self::LeftZero),
            "rightBlank" => Some(Self::RightBlank),
            "leftBlank" => Some(Self::LeftBlank),
            "rightZero" => Some(Self::RightZero),
            _ => None,
        }
    }

    /// Whether a dictionary of the given specification version may use this padding.
    pub fn allowed_in(self, spec: SpecVersion) -> bool {
        match self {
            Self::LeftZero => true,
            // `none` first appears in naaccr_dictionary_1.6.xsd.
            Self::None => spec >= SpecVersion::V1_6,
            // naaccr_dictionary_1.7.xsd keeps only `none` and `leftZero`.
            Self::RightBlank | Self::LeftBlank | Self::RightZero => spec < SpecVersion::V1_7,
        }
    }

    /// The padding of an item without a `padding` attribute: the schema default,
    /// `rightBlank` up to 1.6, `none` from 1.7.
    pub fn default_for(spec: SpecVersion) -> Self {
        if spec >= SpecVersion::V1_7 {
            Self::None
        } else {
            Self::RightBlank
        }
    }
}

impl fmt::Display for Padding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A NAACCR record type an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RecordType {
    /// A: full case abstract.
    A,
    /// M: modified record.
    M,
    /// C: confidential.
    C,
    /// I: incidence.
    I,
}

impl RecordType {
    /// All four record types, the default when `recordTypes` is absent.
    pub const ALL: [RecordType; 4] = [Self::A, Self::M, Self::C, Self::I];

    /// The one-letter code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::M => "M",
            Self::C => "C",
            Self::I => "I",
        }
    }

    /// Parses a one-letter code.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "A" => Some(Self::A),
            "M" => Some(Self::M),
            "C" => Some(Self::C),
            "I" => Some(Self::I),
            _ => None,
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A NAACCR XML specification version such as `1.7` (the `specificationVersion` attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpecVersion {
    major: u8,
    minor: u8,
}

impl SpecVersion {
    /// Specification 1.0.
    pub const V1_0: SpecVersion = SpecVersion { major: 1, minor: 0 };
    /// Specification 1.1.
    pub const V1_1: SpecVersion = SpecVersion { major: 1, minor: 1 };
    /// Specification 1.2.
    pub const V1_2: SpecVersion = SpecVersion { major: 1, minor: 2 };
    /// Specification 1.3.
    pub const V1_3: SpecVersion = SpecVersion { major: 1, minor: 3 };
    /// Specification 1.4.
    pub const V1_4: SpecVersion = SpecVersion { major: 1, minor: 4 };
    /// Specification 1.5.
    pub const V1_5: SpecVersion = SpecVersion { major: 1, minor: 5 };
    /// Specification 1.6.
    pub const V1_6: SpecVersion = SpecVersion { major: 1, minor: 6 };
    /// Specification 1.7.
    pub const V1_7: SpecVersion = SpecVersion { major: 1, minor: 7 };
    /// Specification 1.8, the latest.
    pub const V1_8: SpecVersion = SpecVersion { major: 1, minor: 8 };

    /// Parses a supported version, `1.0` to `1.8` (`SpecificationVersion.isSpecificationSupported`).
    pub fn parse(value: &str) -> Option<Self> {
        match value.as_bytes() {
            [b'1', b'.', minor @ b'0'..=b'8'] => Some(Self {
                major: 1,
                minor: minor - b'0',
            }),
            _ => None,
        }
    }

    /// The major number.
    pub fn major(self) -> u8 {
        self.major
    }

    /// The minor number.
    pub fn minor(self) -> u8 {
        self.minor
    }
}

impl fmt::Display for SpecVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Serialize for SpecVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One item definition (`ItemDef` element) of a dictionary.
#[derive(Debug, Clone)]
pub struct ItemDef {
    /// The item's id, e.g. `primarySite`: the XML name used in data files.
    pub naaccr_id: String,
    /// The item number, e.g. 400.
    pub naaccr_num: u32,
    /// The display name, e.g. "Primary Site".
    pub naaccr_name: Option<String>,
    /// Maximum length in characters (exact length for full-length data types).
    pub length: u32,
    /// The data type.
    pub data_type: DataType,
    /// The element the item belongs under.
    pub parent: ParentElement,
    /// The padding rule (the schema default when the attribute is absent).
    pub padding: Padding,
    /// The record types that carry the item (all four when the attribute is absent).
    pub record_types: Vec<RecordType>,
    /// Lifts the length limit for text items (specifications before 1.6 only).
    pub allow_unlimited_text: bool,
    /// Where the item's standard comes from, e.g. "SEER".
    pub source_of_standard: Option<String>,
    /// A pattern the whole value must match (`regexValidation`, specification 1.0/1.1 only),
    /// compiled once at load time and anchored at both ends.
    pub regex_validation: Option<regex::Regex>,
    /// The first column in the flat (fixed-column) layout, NAACCR 18 and earlier only.
    pub start_column: Option<u32>,
}

impl ItemDef {
    /// The `regexValidation` pattern as written in the dictionary.
    pub fn regex_pattern(&self) -> Option<&str> {
        self.regex_validation
            .as_ref()
            .map(|re| unanchor(re.as_str()))
    }
}

/// Wraps a dictionary pattern so that it must match the whole value, as Java's `matches()`.
fn anchor(pattern: &str) -> String {
    format!("^(?:{pattern})$")
}

/// Recovers the dictionary pattern from [`anchor`]'s form.
fn unanchor(anchored: &str) -> &str {
    anchored
        .strip_prefix("^(?:")
        .and_then(|s| s.strip_suffix(")$"))
        .unwrap_or(anchored)
}

impl Serialize for ItemDef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Wire<'a> {
            naaccr_id: &'a str,
            naaccr_num: u32,
            #[serde(skip_serializing_if = "Option::is_none")]
            naaccr_name: Option<&'a str>,
            length: u32,
            data_type: DataType,
            parent_xml_element: ParentElement,
            padding: Padding,
            record_types: &'a [RecordType],
            allow_unlimited_text: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            source_of_standard: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            regex_validation: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            start_column: Option<u32>,
        }
        Wire {
            naaccr_id: &self.naaccr_id,
            naaccr_num: self.naaccr_num,
            naaccr_name: self.naaccr_name.as_deref(),
            length: self.length,
            data_type: self.data_type,
            parent_xml_element: self.parent,
            padding: self.padding,
            record_types: &self.record_types,
            allow_unlimited_text: self.allow_unlimited_text,
            source_of_standard: self.source_of_standard.as_deref(),
            regex_validation: self.regex_pattern(),
            start_column: self.start_column,
        }
        .serialize(serializer)
    }
}

/// Whether a dictionary is a base (standard) dictionary or a user-defined one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DictionaryKind {
    /// A base dictionary published by NAACCR, e.g. `naaccr-dictionary-260.xml`.
    Base,
    /// A user-defined dictionary (a state registry's own items).
    User,
}

/// How a problem names the item it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemRef {
    /// By naaccrId.
    Id(String),
    /// By naaccrNum, when the item has no usable id.
    Num(u32),
    /// By position (1-based, in file order), when the item has neither.
    Position(usize),
}

impl fmt::Display for ItemRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "item '{id}'"),
            Self::Num(num) => write!(f, "item number {num}"),
            Self::Position(n) => write!(f, "ItemDef #{n}"),
        }
    }
}

/// A rule of the specification that a dictionary breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DictionaryRule {
    /// A required attribute is absent or blank.
    MissingAttribute {
        /// The attribute's name.
        attribute: &'static str,
    },
    /// `specificationVersion` is not one of 1.0 to 1.8.
    UnsupportedSpecificationVersion {
        /// The value found.
        value: String,
    },
    /// `naaccrVersion` is not a three-digit NAACCR version such as 250.
    InvalidNaaccrVersion {
        /// The value found.
        value: String,
    },
    /// The version in a standard `dictionaryUri` differs from `naaccrVersion`.
    UriVersionMismatch {
        /// Version taken from the URI.
        uri_version: String,
        /// The `naaccrVersion` attribute.
        naaccr_version: String,
    },
    /// The dictionary defines no item.
    NoItems,
    /// Grouped items (specification 1.6 removed them; never allowed in user dictionaries).
    GroupedItemsNotAllowed,
    /// An element the dictionary schema does not define.
    UnexpectedElement {
        /// The element's name.
        name: String,
    },
    /// The naaccrId does not start with a lower-case letter.
    NaaccrIdMustStartLowercase {
        /// The id found.
        id: String,
    },
    /// The naaccrId contains something other than ASCII letters and digits.
    NaaccrIdInvalidCharacter {
        /// The id found.
        id: String,
    },
    /// The naaccrId is a single character (the pattern needs at least two).
    NaaccrIdTooShort {
        /// The id found.
        id: String,
    },
    /// The naaccrId is longer than 32 characters.
    NaaccrIdTooLong {
        /// The id found.
        id: String,
        /// Its length.
        length: usize,
    },
    /// Two items share a naaccrId.
    DuplicateNaaccrId {
        /// The id.
        id: String,
    },
    /// naaccrNum is not a non-negative integer.
    InvalidNaaccrNum {
        /// The value found.
        value: String,
    },
    /// Two items share a naaccrNum.
    DuplicateNaaccrNum {
        /// The number.
        num: u32,
    },
    /// A user item number outside 9500-99999 (specifications before 1.3).
    NaaccrNumOutOfUserRange {
        /// The number.
        num: u32,
    },
    /// The naaccrName is longer than 50 characters.
    NaaccrNameTooLong {
        /// Its length.
        length: usize,
    },
    /// `length` is not a positive integer.
    InvalidLength {
        /// The value found.
        value: String,
    },
    /// `parentXmlElement` is not NaaccrData, Patient or Tumor.
    InvalidParentXmlElement {
        /// The value found.
        value: String,
    },
    /// `dataType` is not a known data type.
    InvalidDataType {
        /// The value found.
        value: String,
    },
    /// A data type the declared specification version does not have (dateTime before 1.8).
    DataTypeNotAllowed {
        /// The data type.
        data_type: DataType,
        /// The dictionary's specification version.
        spec: SpecVersion,
    },
    /// `recordTypes` is not a comma-separated list of A, M, C, I.
    InvalidRecordTypes {
        /// The value found.
        value: String,
    },
    /// `padding` is not a known padding.
    InvalidPadding {
        /// The value found.
        value: String,
    },
    /// A padding the declared specification version does not allow.
    PaddingNotAllowed {
        /// The padding.
        padding: Padding,
        /// The dictionary's specification version.
        spec: SpecVersion,
    },
    /// `trim` is not `all` or `none`.
    InvalidTrim {
        /// The value found.
        value: String,
    },
    /// A boolean attribute is not `true` or `false`.
    InvalidBoolean {
        /// The attribute's name.
        attribute: &'static str,
        /// The value found.
        value: String,
    },
    /// `allowUnlimitedText` used with specification 1.6 or later.
    AllowUnlimitedTextNotAllowed {
        /// The dictionary's specification version.
        spec: SpecVersion,
    },
    /// `allowUnlimitedText="true"` on an item that is not text.
    AllowUnlimitedTextRequiresText {
        /// The item's data type.
        data_type: DataType,
    },
    /// `regexValidation` used with specification 1.2 or later.
    RegexValidationNotAllowed {
        /// The dictionary's specification version.
        spec: SpecVersion,
    },
    /// `regexValidation` is not a valid regular expression.
    InvalidRegexValidation {
        /// The pattern.
        pattern: String,
        /// The compiler's message.
        message: String,
    },
    /// `startColumn` is not a positive integer.
    InvalidStartColumn {
        /// The value found.
        value: String,
    },
    /// `startColumn` on a dictionary for NAACCR 21 or later (no flat layout).
    StartColumnNotAllowed {
        /// The dictionary's NAACCR version.
        naaccr_version: String,
    },
    /// `startColumn` missing where the flat layout needs it.
    StartColumnRequired,
    /// Merging: a dictionary passed as base is a user dictionary or the reverse.
    WrongDictionaryKind {
        /// The dictionary's URI.
        uri: String,
        /// The kind the caller needed.
        expected: DictionaryKind,
    },
    /// Merging: two user dictionaries have the same URI.
    DuplicateDictionaryUri {
        /// The URI.
        uri: String,
    },
    /// Merging: a user dictionary declares another NAACCR version than the base.
    NaaccrVersionMismatch {
        /// The user dictionary's URI.
        uri: String,
        /// Its naaccrVersion.
        user_version: String,
        /// The base dictionary's naaccrVersion.
        base_version: String,
    },
    /// Merging: a user item uses a naaccrId of the base dictionary.
    RedefinesBaseNaaccrId {
        /// The user dictionary's URI.
        uri: String,
    },
    /// Merging: a user item uses a naaccrNum of the base dictionary.
    RedefinesBaseNaaccrNum {
        /// The user dictionary's URI.
        uri: String,
        /// The number.
        num: u32,
        /// The base item with that number.
        base_id: String,
    },
    /// Merging: two user dictionaries define the same naaccrId differently.
    ConflictingUserItem {
        /// The user dictionary's URI.
        uri: String,
        /// The other user dictionary's URI.
        other_uri: String,
    },
    /// Merging: two user dictionaries use the same naaccrNum for different ids.
    DuplicateUserNaaccrNum {
        /// The user dictionary's URI.
        uri: String,
        /// The number.
        num: u32,
        /// The other user dictionary's URI.
        other_uri: String,
        /// The id the other dictionary gives that number.
        other_id: String,
    },
}

impl DictionaryRule {
    /// A stable snake_case code for the rule.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingAttribute { .. } => "missing_attribute",
            Self::UnsupportedSpecificationVersion { .. } => "unsupported_specification_version",
            Self::InvalidNaaccrVersion { .. } => "invalid_naaccr_version",
            Self::UriVersionMismatch { .. } => "uri_version_mismatch",
            Self::NoItems => "no_items",
            Self::GroupedItemsNotAllowed => "grouped_items_not_allowed",
            Self::UnexpectedElement { .. } => "unexpected_element",
            Self::NaaccrIdMustStartLowercase { .. } => "naaccr_id_must_start_lowercase",
            Self::NaaccrIdInvalidCharacter { .. } => "naaccr_id_invalid_character",
            Self::NaaccrIdTooShort { .. } => "naaccr_id_too_short",
            Self::NaaccrIdTooLong { .. } => "naaccr_id_too_long",
            Self::DuplicateNaaccrId { .. } => "duplicate_naaccr_id",
            Self::InvalidNaaccrNum { .. } => "invalid_naaccr_num",
            Self::DuplicateNaaccrNum { .. } => "duplicate_naaccr_num",
            Self::NaaccrNumOutOfUserRange { .. } => "naaccr_num_out_of_user_range",
            Self::NaaccrNameTooLong { .. } => "naaccr_name_too_long",
            Self::InvalidLength { .. } => "invalid_length",
            Self::InvalidParentXmlElement { .. } => "invalid_parent_xml_element",
            Self::InvalidDataType { .. } => "invalid_data_type",
            Self::DataTypeNotAllowed { .. } => "data_type_not_allowed",
            Self::InvalidRecordTypes { .. } => "invalid_record_types",
            Self::InvalidPadding { .. } => "invalid_padding",
            Self::PaddingNotAllowed { .. } => "padding_not_allowed",
            Self::InvalidTrim { .. } => "invalid_trim",
            Self::InvalidBoolean { .. } => "invalid_boolean",
            Self::AllowUnlimitedTextNotAllowed { .. } => "allow_unlimited_text_not_allowed",
            Self::AllowUnlimitedTextRequiresText { .. } => "allow_unlimited_text_requires_text",
            Self::RegexValidationNotAllowed { .. } => "regex_validation_not_allowed",
            Self::InvalidRegexValidation { .. } => "invalid_regex_validation",
            Self::InvalidStartColumn { .. } => "invalid_start_column",
            Self::StartColumnNotAllowed { .. } => "start_column_not_allowed",
            Self::StartColumnRequired => "start_column_required",
            Self::WrongDictionaryKind { .. } => "wrong_dictionary_kind",
            Self::DuplicateDictionaryUri { .. } => "duplicate_dictionary_uri",
            Self::NaaccrVersionMismatch { .. } => "naaccr_version_mismatch",
            Self::RedefinesBaseNaaccrId { .. } => "redefines_base_naaccr_id",
            Self::RedefinesBaseNaaccrNum { .. } => "redefines_base_naaccr_num",
            Self::ConflictingUserItem { .. } => "conflicting_user_item",
            Self::DuplicateUserNaaccrNum { .. } => "duplicate_user_naaccr_num",
        }
    }
}

impl fmt::Display for DictionaryRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingAttribute { attribute } => {
                write!(f, "the '{attribute}' attribute is required")
            }
            Self::UnsupportedSpecificationVersion { value } => write!(
                f,
                "specificationVersion '{value}' is not supported (1.0 to 1.8 are)"
            ),
            Self::InvalidNaaccrVersion { value } => write!(
                f,
                "naaccrVersion '{value}' is not a NAACCR version such as 250"
            ),
            Self::UriVersionMismatch {
                uri_version,
                naaccr_version,
            } => write!(
                f,
                "dictionaryUri names version {uri_version} but naaccrVersion is {naaccr_version}"
            ),
            Self::NoItems => f.write_str("a dictionary must define at least one item"),
            Self::GroupedItemsNotAllowed => f.write_str(
                "grouped items are not allowed (removed in specification 1.6, never allowed in user dictionaries)",
            ),
            Self::UnexpectedElement { name } => {
                write!(f, "element '{name}' is not part of a NAACCR dictionary")
            }
            Self::NaaccrIdMustStartLowercase { id } => {
                write!(f, "naaccrId '{id}' must start with a lower-case letter")
            }
            Self::NaaccrIdInvalidCharacter { id } => write!(
                f,
                "naaccrId '{id}' may contain only ASCII letters and digits"
            ),
            Self::NaaccrIdTooShort { id } => {
                write!(f, "naaccrId '{id}' must be at least 2 characters long")
            }
            Self::NaaccrIdTooLong { id, length } => write!(
                f,
                "naaccrId '{id}' is {length} characters long; at most {MAX_NAACCR_ID_LENGTH} are allowed"
            ),
            Self::DuplicateNaaccrId { id } => {
                write!(f, "naaccrId '{id}' is defined more than once")
            }
            Self::InvalidNaaccrNum { value } => {
                write!(f, "naaccrNum '{value}' is not a non-negative integer")
            }
            Self::DuplicateNaaccrNum { num } => {
                write!(f, "naaccrNum {num} is used by more than one item")
            }
            Self::NaaccrNumOutOfUserRange { num } => write!(
                f,
                "naaccrNum {num} is outside 9500-99999, the range for user items before specification 1.3"
            ),
            Self::NaaccrNameTooLong { length } => write!(
                f,
                "naaccrName is {length} characters long; at most {MAX_NAACCR_NAME_LENGTH} are allowed"
            ),
            Self::InvalidLength { value } => {
                write!(f, "length '{value}' is not a positive integer")
            }
            Self::InvalidParentXmlElement { value } => write!(
                f,
                "parentXmlElement '{value}' must be NaaccrData, Patient or Tumor"
            ),
            Self::InvalidDataType { value } => write!(
                f,
                "dataType '{value}' must be text, digits, alpha, mixed, numeric, date or dateTime"
            ),
            Self::DataTypeNotAllowed { data_type, spec } => write!(
                f,
                "dataType '{data_type}' is not allowed in specification {spec} (it was added in 1.8)"
            ),
            Self::InvalidRecordTypes { value } => write!(
                f,
                "recordTypes '{value}' must be a comma-separated list of A, M, C, I"
            ),
            Self::InvalidPadding { value } => write!(f, "padding '{value}' is not a known padding"),
            Self::PaddingNotAllowed { padding, spec } => {
                let allowed = if *spec >= SpecVersion::V1_7 {
                    "none, leftZero"
                } else if *spec == SpecVersion::V1_6 {
                    "none, rightBlank, leftBlank, rightZero, leftZero"
                } else {
                    "rightBlank, leftBlank, rightZero, leftZero"
                };
                write!(
                    f,
                    "padding '{padding}' is not allowed in specification {spec} (allowed: {allowed})"
                )
            }
            Self::InvalidTrim { value } => write!(f, "trim '{value}' must be all or none"),
            Self::InvalidBoolean { attribute, value } => {
                write!(f, "{attribute} '{value}' must be true or false")
            }
            Self::AllowUnlimitedTextNotAllowed { spec } => write!(
                f,
                "allowUnlimitedText is not allowed in specification {spec} (removed in 1.6)"
            ),
            Self::AllowUnlimitedTextRequiresText { data_type } => write!(
                f,
                "allowUnlimitedText can only be used with text items, not {data_type}"
            ),
            Self::RegexValidationNotAllowed { spec } => write!(
                f,
                "regexValidation is not allowed in specification {spec} (removed in 1.2)"
            ),
            Self::InvalidRegexValidation { pattern, message } => {
                write!(f, "regexValidation '{pattern}' is not a valid pattern: {message}")
            }
            Self::InvalidStartColumn { value } => {
                write!(f, "startColumn '{value}' is not a positive integer")
            }
            Self::StartColumnNotAllowed { naaccr_version } => write!(
                f,
                "startColumn is not allowed for NAACCR {naaccr_version} (no flat layout after NAACCR 18)"
            ),
            Self::StartColumnRequired => {
                f.write_str("startColumn is required for this version of the flat layout")
            }
            Self::WrongDictionaryKind { uri, expected } => {
                let kind = match expected {
                    DictionaryKind::Base => "a base",
                    DictionaryKind::User => "a user-defined",
                };
                write!(f, "dictionary '{uri}' is not {kind} dictionary")
            }
            Self::DuplicateDictionaryUri { uri } => {
                write!(f, "user dictionary '{uri}' is given more than once")
            }
            Self::NaaccrVersionMismatch {
                uri,
                user_version,
                base_version,
            } => write!(
                f,
                "user dictionary '{uri}' is for NAACCR {user_version} but the base dictionary is {base_version}"
            ),
            Self::RedefinesBaseNaaccrId { uri } => write!(
                f,
                "user dictionary '{uri}' redefines a naaccrId of the base dictionary"
            ),
            Self::RedefinesBaseNaaccrNum { uri, num, base_id } => write!(
                f,
                "user dictionary '{uri}' uses naaccrNum {num}, already used by base item '{base_id}'"
            ),
            Self::ConflictingUserItem { uri, other_uri } => write!(
                f,
                "user dictionaries '{uri}' and '{other_uri}' define this naaccrId differently"
            ),
            Self::DuplicateUserNaaccrNum {
                uri,
                num,
                other_uri,
                other_id,
            } => write!(
                f,
                "user dictionary '{uri}' uses naaccrNum {num}, already used by '{other_id}' in '{other_uri}'"
            ),
        }
    }
}

/// One broken rule, with the item it is about (if any) and the line of its element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DictionaryProblem {
    /// The item, or `None` for a dictionary-level rule.
    pub item: Option<ItemRef>,
    /// 1-based line of the element in the dictionary file, when known.
    pub line: Option<u32>,
    /// The rule broken.
    pub rule: DictionaryRule,
}

impl DictionaryProblem {
    /// The rule's stable code.
    pub fn code(&self) -> &'static str {
        self.rule.code()
    }
}

impl fmt::Display for DictionaryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(item) = &self.item {
            write!(f, "{item}: ")?;
        }
        write!(f, "{} [{}]", self.rule, self.rule.code())
    }
}

/// Displays a list of problems separated by "; ".
struct ProblemList<'a>(&'a [DictionaryProblem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// Why a dictionary could not be loaded or merged.
#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    /// The text is not well-formed XML.
    #[error("{file}: not well-formed XML at line {line}: {message}")]
    Xml {
        /// The name given for the dictionary (e.g. its file name).
        file: String,
        /// 1-based line where the parser stopped.
        line: u32,
        /// The parser's message.
        message: String,
    },
    /// The document has a DOCTYPE (entity declarations are refused).
    #[error("{file}: DOCTYPE and entity declarations are not allowed in a NAACCR dictionary")]
    Doctype {
        /// The name given for the dictionary.
        file: String,
    },
    /// The root element is not `NaaccrDictionary` in the NAACCR namespace.
    #[error(
        "{file}: not a NAACCR dictionary (root element is '{found}', expected NaaccrDictionary in namespace {NAACCR_XML_NAMESPACE})"
    )]
    NotADictionary {
        /// The name given for the dictionary.
        file: String,
        /// The root element found (empty if there is none).
        found: String,
    },
    /// The dictionary breaks rules of its specification version.
    #[error("{file}: invalid NAACCR dictionary ({} problem(s)): {}", .problems.len(), ProblemList(.problems))]
    Invalid {
        /// The name given for the dictionary.
        file: String,
        /// Every broken rule, in file order.
        problems: Vec<DictionaryProblem>,
    },
    /// A base dictionary and user dictionaries cannot be used together.
    #[error("dictionaries cannot be combined with base '{base}' ({} problem(s)): {}", .problems.len(), ProblemList(.problems))]
    Conflict {
        /// The base dictionary's URI.
        base: String,
        /// Every conflict found.
        problems: Vec<DictionaryProblem>,
    },
}

impl DictionaryError {
    /// A stable snake_case code for the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Xml { .. } => "dictionary_not_well_formed",
            Self::Doctype { .. } => "dictionary_doctype_refused",
            Self::NotADictionary { .. } => "not_a_dictionary",
            Self::Invalid { .. } => "dictionary_invalid",
            Self::Conflict { .. } => "dictionary_conflict",
        }
    }

    /// The problems of an `Invalid` or `Conflict` error (empty for the others).
    pub fn problems(&self) -> &[DictionaryProblem] {
        match self {
            Self::Invalid { problems, .. } | Self::Conflict { problems, .. } => problems,
            _ => &[],
        }
    }
}

/// The NAACCR version in a standard dictionary URI, e.g. "260" for
/// `http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml` (also the default user dictionary
/// form `.../user-defined-naaccr-dictionary-210.xml`), as `NaaccrXmlDictionaryUtils.extractVersionFromUri`.
pub fn version_from_uri(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("http://naaccr.org/naaccrxml/")?;
    let rest = rest
        .strip_prefix("naaccr-dictionary-")
        .or_else(|| rest.strip_prefix("user-defined-naaccr-dictionary-"))?;
    let version = rest.strip_suffix(".xml")?;
    if version.is_empty() {
        None
    } else {
        Some(version.to_owned())
    }
}

/// A loaded, valid NAACCR dictionary.
#[derive(Debug, Clone)]
pub struct Dictionary {
    uri: String,
    naaccr_version: Option<String>,
    specification_version: SpecVersion,
    description: Option<String>,
    date_last_modified: Option<String>,
    kind: DictionaryKind,
    items: Vec<ItemDef>,
    by_id: HashMap<String, usize>,
    by_num: HashMap<u32, usize>,
}

impl Dictionary {
    /// Loads a base dictionary (`naaccrVersion` required) from its XML text;
    /// `source` names it in messages.
    pub fn parse_base(xml: &str, source: &str) -> Result<Dictionary, DictionaryError> {
        parse(xml, source, DictionaryKind::Base)
    }

    /// Loads a user-defined dictionary from its XML text; `source` names it in messages.
    ///
    /// Rules that need the base dictionary (ids and numbers taken by base items) are checked
    /// when the dictionaries are combined in [`DictionarySet::new`].
    pub fn parse_user(xml: &str, source: &str) -> Result<Dictionary, DictionaryError> {
        parse(xml, source, DictionaryKind::User)
    }

    /// The `dictionaryUri`: the identifier data files refer to.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The `naaccrVersion`, e.g. "250" (always present in a base dictionary).
    pub fn naaccr_version(&self) -> Option<&str> {
        self.naaccr_version.as_deref()
    }

    /// The `specificationVersion`.
    pub fn specification_version(&self) -> SpecVersion {
        self.specification_version
    }

    /// The `description`, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The `dateLastModified` as written, if any.
    pub fn date_last_modified(&self) -> Option<&str> {
        self.date_last_modified.as_deref()
    }

    /// Base or user-defined.
    pub fn kind(&self) -> DictionaryKind {
        self.kind
    }

    /// The item with this naaccrId.
    pub fn item(&self, naaccr_id: &str) -> Option<&ItemDef> {
        self.by_id.get(naaccr_id).and_then(|&i| self.items.get(i))
    }

    /// The item with this naaccrNum.
    pub fn item_by_num(&self, naaccr_num: u32) -> Option<&ItemDef> {
        self.by_num
            .get(&naaccr_num)
            .and_then(|&i| self.items.get(i))
    }

    /// The items in file order.
    pub fn items(&self) -> impl ExactSizeIterator<Item = &ItemDef> + '_ {
        self.items.iter()
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the dictionary has no item (never the case for a loaded dictionary).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// Reading: XML -> raw attributes (structure only), then raw -> Dictionary (the rules).
// ---------------------------------------------------------------------------------------------

/// Attributes of one element, unescaped, in document order.
struct RawElement {
    attributes: Vec<(String, String)>,
    line: u32,
}

impl RawElement {
    /// The attribute's value; blank values count as absent, as the reference library
    /// (`StringUtils.isBlank` before applying defaults) does with e.g. `padding=""`.
    fn get(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }
}

/// The structure of a dictionary document before the rules are applied.
struct RawDictionary {
    root: RawElement,
    items: Vec<RawElement>,
    /// Lines of the grouped item definitions (children of `GroupedItemDefs`).
    grouped_items: Vec<u32>,
    structural: Vec<DictionaryProblem>,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> u32 {
    let upto = text.get(..offset.min(text.len())).unwrap_or(text);
    let newlines = upto.bytes().filter(|&b| b == b'\n').count();
    u32::try_from(newlines)
        .unwrap_or(u32::MAX)
        .saturating_add(1)
}

/// Line numbers of increasing byte offsets, counted incrementally as the reader advances
/// (counting from the start for every element would be quadratic in the file size).
struct Lines<'a> {
    text: &'a str,
    offset: usize,
    line: u32,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// 1-based line of a byte offset.
    fn at(&mut self, offset: usize) -> u32 {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            return line_of(self.text, offset);
        }
        let chunk = self.text.get(self.offset..offset).unwrap_or("");
        let newlines = chunk.bytes().filter(|&b| b == b'\n').count();
        self.line = self
            .line
            .saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        self.offset = offset;
        self.line
    }

    /// Line of the `<` that opens the tag ending at `end` (attribute values cannot hold a
    /// raw `<`).
    fn tag(&mut self, end: usize) -> u32 {
        let upto = self
            .text
            .get(..end.min(self.text.len()))
            .unwrap_or(self.text);
        self.at(upto.rfind('<').unwrap_or(0))
    }
}

fn read_attributes(
    element: &BytesStart<'_>,
    line: u32,
    file: &str,
) -> Result<RawElement, DictionaryError> {
    let mut attributes = Vec::new();
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|e| DictionaryError::Xml {
            file: file.to_owned(),
            line,
            message: e.to_string(),
        })?;
        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        if attribute.key.as_ref().starts_with(b"xmlns") {
            continue;
        }
        let raw = std::str::from_utf8(&attribute.value).map_err(|e| DictionaryError::Xml {
            file: file.to_owned(),
            line,
            message: e.to_string(),
        })?;
        let value = quick_xml::escape::unescape(raw).map_err(|e| DictionaryError::Xml {
            file: file.to_owned(),
            line,
            message: e.to_string(),
        })?;
        attributes.push((key, value.into_owned()));
    }
    Ok(RawElement { attributes, line })
}

/// Where the reader is in the document.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before the root element.
    Prolog,
    /// Inside `NaaccrDictionary`.
    Root,
    /// Inside `ItemDefs`.
    ItemDefs,
    /// Inside an element whose content is skipped (depth counts nested starts);
    /// `grouped` when that element is `GroupedItemDefs`.
    Skipping {
        depth: u32,
        back_to_item_defs: bool,
        grouped: bool,
    },
    /// After the root element.
    Done,
}

fn read_structure(xml: &str, file: &str) -> Result<RawDictionary, DictionaryError> {
    // A UTF-8 byte order mark is allowed before the XML declaration.
    let text = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let mut reader = NsReader::from_str(text);
    reader.config_mut().trim_text(true);
    reader.config_mut().check_end_names = true;

    let mut root: Option<RawElement> = None;
    let mut items = Vec::new();
    let mut grouped_items = Vec::new();
    let mut structural = Vec::new();
    let mut place = Place::Prolog;
    let mut lines = Lines::new(text);
    let xml_error = |reader: &NsReader<&[u8]>, message: String| DictionaryError::Xml {
        file: file.to_owned(),
        line: line_of(text, usize::try_from(reader.error_position()).unwrap_or(0)),
        message,
    };

    loop {
        let (in_naaccr_ns, event) = match reader.read_resolved_event() {
            Ok((ResolveResult::Bound(ns), event)) => {
                (ns.as_ref() == NAACCR_XML_NAMESPACE.as_bytes(), event)
            }
            // No namespace at all: accepted, as the reference reader ignores namespaces.
            Ok((ResolveResult::Unbound, event)) => (true, event),
            Ok((ResolveResult::Unknown(_), event)) => (false, event),
            Err(e) => return Err(xml_error(&reader, e.to_string())),
        };
        let end = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let (element, is_empty) = match event {
            Event::Eof => break,
            Event::DocType(_) => {
                return Err(DictionaryError::Doctype {
                    file: file.to_owned(),
                });
            }
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                place = match place {
                    Place::Skipping {
                        depth: 0,
                        back_to_item_defs: true,
                        ..
                    } => Place::ItemDefs,
                    Place::Skipping {
                        depth: 0,
                        back_to_item_defs: false,
                        ..
                    } => Place::Root,
                    Place::Skipping {
                        depth,
                        back_to_item_defs,
                        grouped,
                    } => Place::Skipping {
                        depth: depth.saturating_sub(1),
                        back_to_item_defs,
                        grouped,
                    },
                    Place::ItemDefs => Place::Root,
                    Place::Root => Place::Done,
                    other => other,
                };
                continue;
            }
            // Declarations, comments, processing instructions, text: nothing to read.
            _ => continue,
        };
        let line = lines.tag(end);
        let local = String::from_utf8_lossy(element.local_name().as_ref()).into_owned();
        let name = if in_naaccr_ns {
            local.as_str()
        } else {
            // An element of another namespace never matches a NAACCR element name.
            ""
        };
        match place {
            Place::Prolog => {
                if name != "NaaccrDictionary" {
                    return Err(DictionaryError::NotADictionary {
                        file: file.to_owned(),
                        found: String::from_utf8_lossy(element.name().as_ref()).into_owned(),
                    });
                }
                root = Some(read_attributes(&element, line, file)?);
                place = if is_empty { Place::Done } else { Place::Root };
            }
            Place::Root | Place::ItemDefs => {
                let back_to_item_defs = place == Place::ItemDefs;
                let mut grouped = false;
                match (place, name) {
                    (Place::Root, "ItemDefs") => {
                        if !is_empty {
                            place = Place::ItemDefs;
                        }
                        continue;
                    }
                    (Place::ItemDefs, "ItemDef") => {
                        items.push(read_attributes(&element, line, file)?);
                    }
                    // Whether grouped items are allowed depends on the specification version,
                    // which is only known once the root's attributes are checked.
                    (Place::Root, "GroupedItemDefs") => grouped = true,
                    _ => structural.push(DictionaryProblem {
                        item: None,
                        line: Some(line),
                        rule: DictionaryRule::UnexpectedElement {
                            name: String::from_utf8_lossy(element.name().as_ref()).into_owned(),
                        },
                    }),
                }
                if !is_empty {
                    place = Place::Skipping {
                        depth: 0,
                        back_to_item_defs,
                        grouped,
                    };
                }
            }
            Place::Skipping {
                depth,
                back_to_item_defs,
                grouped,
            } => {
                if grouped && depth == 0 {
                    grouped_items.push(line);
                }
                if !is_empty {
                    place = Place::Skipping {
                        depth: depth + 1,
                        back_to_item_defs,
                        grouped,
                    };
                }
            }
            Place::Done => {
                return Err(xml_error(
                    &reader,
                    "content after the root element".to_owned(),
                ));
            }
        }
    }

    let root = root.ok_or_else(|| DictionaryError::NotADictionary {
        file: file.to_owned(),
        found: String::new(),
    })?;
    Ok(RawDictionary {
        root,
        items,
        grouped_items,
        structural,
    })
}

fn parse(xml: &str, file: &str, kind: DictionaryKind) -> Result<Dictionary, DictionaryError> {
    let raw = read_structure(xml, file)?;
    let mut problems = raw.structural;
    let root = &raw.root;
    let problem = |item: Option<ItemRef>, line: u32, rule: DictionaryRule| DictionaryProblem {
        item,
        line: Some(line),
        rule,
    };

    // --- dictionary attributes -----------------------------------------------------------
    let uri = root.get("dictionaryUri").map(str::to_owned);
    if uri.is_none() {
        problems.push(problem(
            None,
            root.line,
            DictionaryRule::MissingAttribute {
                attribute: "dictionaryUri",
            },
        ));
    }
    // Required by every schema; the reference library assumes 1.0 when absent, we refuse.
    let spec = match root.get("specificationVersion") {
        None => {
            problems.push(problem(
                None,
                root.line,
                DictionaryRule::MissingAttribute {
                    attribute: "specificationVersion",
                },
            ));
            SpecVersion::V1_8
        }
        Some(value) => SpecVersion::parse(value.trim()).unwrap_or_else(|| {
            problems.push(problem(
                None,
                root.line,
                DictionaryRule::UnsupportedSpecificationVersion {
                    value: value.to_owned(),
                },
            ));
            // Keep checking the items against the latest rules.
            SpecVersion::V1_8
        }),
    };
    let naaccr_version = root.get("naaccrVersion").map(|v| v.trim().to_owned());
    match &naaccr_version {
        // Base dictionaries always need it; user dictionaries from specification 1.1 on
        // may leave it out (validateDictionary: allowBlankNaaccrVersion).
        None if kind == DictionaryKind::Base || spec < SpecVersion::V1_1 => {
            problems.push(problem(
                None,
                root.line,
                DictionaryRule::MissingAttribute {
                    attribute: "naaccrVersion",
                },
            ));
        }
        Some(v) if !(v.len() == 3 && v.bytes().all(|b| b.is_ascii_digit())) => {
            problems.push(problem(
                None,
                root.line,
                DictionaryRule::InvalidNaaccrVersion { value: v.clone() },
            ));
        }
        _ => {}
    }
    if let (Some(uri), Some(version)) = (&uri, &naaccr_version)
        && let Some(uri_version) = version_from_uri(uri)
        && &uri_version != version
    {
        problems.push(problem(
            None,
            root.line,
            DictionaryRule::UriVersionMismatch {
                uri_version,
                naaccr_version: version.clone(),
            },
        ));
    }
    // The flat layout (startColumn) ended with NAACCR 18 (validateDictionary:
    // versionSupportsStartColumns); an unknown version does not forbid it.
    let numeric_version = naaccr_version
        .as_deref()
        .and_then(|v| v.parse::<u32>().ok());
    let start_columns_supported = numeric_version.is_none_or(|v| v <= 180);

    if raw.items.is_empty() {
        problems.push(problem(None, root.line, DictionaryRule::NoItems));
    }
    // Grouped items: base dictionaries before 1.6 only (validateDictionary); an empty
    // `GroupedItemDefs` element, as in Arkansas' v25 dictionary, defines none. They are not
    // modelled: an allowed grouped item is ignored.
    if kind == DictionaryKind::User || spec >= SpecVersion::V1_6 {
        for &line in &raw.grouped_items {
            problems.push(problem(None, line, DictionaryRule::GroupedItemsNotAllowed));
        }
    }

    // --- items ------------------------------------------------------------------------------
    let mut items = Vec::with_capacity(raw.items.len());
    let mut by_id: HashMap<String, usize> = HashMap::with_capacity(raw.items.len());
    let mut by_num: HashMap<u32, usize> = HashMap::with_capacity(raw.items.len());
    for (index, element) in raw.items.iter().enumerate() {
        let line = element.line;
        let id = element.get("naaccrId").map(str::trim);
        let num_text = element.get("naaccrNum").map(str::trim);
        let num = num_text.and_then(|n| n.parse::<u32>().ok());
        let item_ref = match (id, num) {
            (Some(id), _) => ItemRef::Id(id.to_owned()),
            (None, Some(num)) => ItemRef::Num(num),
            (None, None) => ItemRef::Position(index + 1),
        };
        let mut report = |rule: DictionaryRule| {
            problems.push(problem(Some(item_ref.clone()), line, rule));
        };

        // naaccrId: `^[a-z][a-zA-Z0-9]+$`, at most 32 characters, unique.
        match id {
            None => report(DictionaryRule::MissingAttribute {
                attribute: "naaccrId",
            }),
            Some(id) => {
                let mut ok = true;
                if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
                    report(DictionaryRule::NaaccrIdMustStartLowercase { id: id.to_owned() });
                    ok = false;
                }
                if !id.chars().all(|c| c.is_ascii_alphanumeric()) {
                    report(DictionaryRule::NaaccrIdInvalidCharacter { id: id.to_owned() });
                    ok = false;
                }
                if ok && id.len() < 2 {
                    report(DictionaryRule::NaaccrIdTooShort { id: id.to_owned() });
                }
                let length = id.chars().count();
                if length > MAX_NAACCR_ID_LENGTH {
                    report(DictionaryRule::NaaccrIdTooLong {
                        id: id.to_owned(),
                        length,
                    });
                }
                if by_id.contains_key(id) {
                    report(DictionaryRule::DuplicateNaaccrId { id: id.to_owned() });
                }
            }
        }

        // naaccrNum: an integer, unique; user items in 9500-99999 before specification 1.3.
        match (num_text, num) {
            (None, _) => report(DictionaryRule::MissingAttribute {
                attribute: "naaccrNum",
            }),
            (Some(text), None) => report(DictionaryRule::InvalidNaaccrNum {
                value: text.to_owned(),
            }),
            (Some(_), Some(num)) => {
                if by_num.contains_key(&num) {
                    report(DictionaryRule::DuplicateNaaccrNum { num });
                }
                if kind == DictionaryKind::User
                    && spec < SpecVersion::V1_3
                    && !(9500..=99999).contains(&num)
                {
                    report(DictionaryRule::NaaccrNumOutOfUserRange { num });
                }
            }
        }

        let name = element.get("naaccrName").map(str::to_owned);
        if let Some(name) = &name {
            let length = name.chars().count();
            if length > MAX_NAACCR_NAME_LENGTH {
                report(DictionaryRule::NaaccrNameTooLong { length });
            }
        }

        // length: required, a positive integer.
        let length = match element.get("length").map(str::trim) {
            None => {
                report(DictionaryRule::MissingAttribute {
                    attribute: "length",
                });
                None
            }
            Some(text) => match text.parse::<u32>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    report(DictionaryRule::InvalidLength {
                        value: text.to_owned(),
                    });
                    None
                }
            },
        };

        let parent = match element.get("parentXmlElement") {
            None => {
                report(DictionaryRule::MissingAttribute {
                    attribute: "parentXmlElement",
                });
                None
            }
            Some(value) => {
                let parsed = ParentElement::parse(value.trim());
                if parsed.is_none() {
                    report(DictionaryRule::InvalidParentXmlElement {
                        value: value.to_owned(),
                    });
                }
                parsed
            }
        };

        // dataType: default text; dateTime only from specification 1.8.
        let data_type = match element.get("dataType") {
            None => Some(DataType::Text),
            Some(value) => match DataType::parse(value.trim()) {
                None => {
                    report(DictionaryRule::InvalidDataType {
                        value: value.to_owned(),
                    });
                    None
                }
                Some(DataType::DateTime) if spec < SpecVersion::V1_8 => {
                    report(DictionaryRule::DataTypeNotAllowed {
                        data_type: DataType::DateTime,
                        spec,
                    });
                    None
                }
                Some(t) => Some(t),
            },
        };

        // recordTypes: `[AMCI](,[AMCI])*`, default all four.
        let record_types = match element.get("recordTypes") {
            None => Some(RecordType::ALL.to_vec()),
            Some(value) => {
                let parsed: Option<Vec<RecordType>> =
                    value.trim().split(',').map(RecordType::parse).collect();
                if parsed.is_none() {
                    report(DictionaryRule::InvalidRecordTypes {
                        value: value.to_owned(),
                    });
                }
                parsed
            }
        };

        // padding: values allowed per specification version (schemas' paddingType).
        let padding = match element.get("padding") {
            None => Some(Padding::default_for(spec)),
            Some(value) => match Padding::parse(value.trim()) {
                None => {
                    report(DictionaryRule::InvalidPadding {
                        value: value.to_owned(),
                    });
                    None
                }
                Some(p) if !p.allowed_in(spec) => {
                    report(DictionaryRule::PaddingNotAllowed { padding: p, spec });
                    None
                }
                Some(p) => Some(p),
            },
        };

        // trim: `all` or `none`. Schemas 1.7 and 1.8 dropped the attribute, but the reference
        // library still reads it and published 1.7/1.8 state dictionaries carry it, so it is
        // checked and otherwise ignored (values are never trimmed by this module).
        if let Some(value) = element.get("trim")
            && !matches!(value.trim(), "all" | "none")
        {
            report(DictionaryRule::InvalidTrim {
                value: value.to_owned(),
            });
        }

        // allowUnlimitedText: specifications before 1.6, text items only.
        let mut allow_unlimited_text = false;
        if let Some(value) = element.get("allowUnlimitedText") {
            if spec >= SpecVersion::V1_6 {
                report(DictionaryRule::AllowUnlimitedTextNotAllowed { spec });
            } else {
                match value.trim() {
                    "true" | "1" => allow_unlimited_text = true,
                    "false" | "0" => {}
                    _ => report(DictionaryRule::InvalidBoolean {
                        attribute: "allowUnlimitedText",
                        value: value.to_owned(),
                    }),
                }
                if let Some(t) = data_type
                    && allow_unlimited_text
                    && t != DataType::Text
                {
                    report(DictionaryRule::AllowUnlimitedTextRequiresText { data_type: t });
                }
            }
        }

        // regexValidation: specifications 1.0 and 1.1 only; must compile.
        let mut regex_validation = None;
        if let Some(pattern) = element.get("regexValidation") {
            if spec >= SpecVersion::V1_2 {
                report(DictionaryRule::RegexValidationNotAllowed { spec });
            } else {
                match regex::Regex::new(&anchor(pattern)) {
                    Ok(re) => regex_validation = Some(re),
                    Err(e) => report(DictionaryRule::InvalidRegexValidation {
                        pattern: pattern.to_owned(),
                        message: e.to_string(),
                    }),
                }
            }
        }

        // startColumn: never after NAACCR 18; required in base dictionaries that have the
        // flat layout and in user dictionaries before specification 1.1.
        let start_column = match element.get("startColumn").map(str::trim) {
            None => {
                let required = match kind {
                    DictionaryKind::Base => start_columns_supported && numeric_version.is_some(),
                    DictionaryKind::User => spec < SpecVersion::V1_1,
                };
                if required {
                    report(DictionaryRule::StartColumnRequired);
                }
                None
            }
            Some(text) => {
                if !start_columns_supported {
                    report(DictionaryRule::StartColumnNotAllowed {
                        naaccr_version: naaccr_version.clone().unwrap_or_default(),
                    });
                }
                match text.parse::<u32>() {
                    Ok(n) if n > 0 => Some(n),
                    _ => {
                        report(DictionaryRule::InvalidStartColumn {
                            value: text.to_owned(),
                        });
                        None
                    }
                }
            }
        };

        if let (Some(id), Some(num), Some(length), Some(parent), Some(data_type)) =
            (id, num, length, parent, data_type)
            && let (Some(record_types), Some(padding)) = (record_types, padding)
        {
            let position = items.len();
            if let Entry::Vacant(slot) = by_id.entry(id.to_owned()) {
                slot.insert(position);
            }
            by_num.entry(num).or_insert(position);
            items.push(ItemDef {
                naaccr_id: id.to_owned(),
                naaccr_num: num,
                naaccr_name: name,
                length,
                data_type,
                parent,
                padding,
                record_types,
                allow_unlimited_text,
                source_of_standard: element.get("sourceOfStandard").map(str::to_owned),
                regex_validation,
                start_column,
            });
        } else {
            // Still remember the id and number so that duplicates are reported.
            if let Some(id) = id {
                by_id.entry(id.to_owned()).or_insert(usize::MAX);
            }
            if let Some(num) = num {
                by_num.entry(num).or_insert(usize::MAX);
            }
        }
    }

    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(DictionaryError::Invalid {
            file: file.to_owned(),
            problems,
        });
    }
    Ok(Dictionary {
        uri: uri.unwrap_or_default(),
        naaccr_version,
        specification_version: spec,
        description: root.get("description").map(str::to_owned),
        date_last_modified: root.get("dateLastModified").map(str::to_owned),
        kind,
        items,
        by_id,
        by_num,
    })
}

// ---------------------------------------------------------------------------------------------
// DictionarySet
// ---------------------------------------------------------------------------------------------

/// Position of an item in a [`DictionarySet`]: which dictionary (0 = base) and which item.
#[derive(Debug, Clone, Copy)]
struct Slot {
    dictionary: usize,
    item: usize,
}

/// A base dictionary and the user dictionaries used with it, merged for lookup.
#[derive(Debug, Clone)]
pub struct DictionarySet {
    dictionaries: Vec<Dictionary>,
    version: String,
    by_id: HashMap<String, Slot>,
    by_num: HashMap<u32, Slot>,
}

impl DictionarySet {
    /// Combines a base dictionary with user dictionaries.
    ///
    /// Refused, all problems collected (`NaaccrXmlDictionaryUtils.validateDictionaries`):
    /// a user item reusing a base naaccrId or naaccrNum (the specification leaves every number
    /// not used by the base dictionary to registries; before 1.3 user numbers had to be in
    /// 9500-99999, checked at load), a user dictionary for another NAACCR version, the same
    /// user dictionary URI twice, and two user dictionaries defining the same naaccrId
    /// differently or giving one number to two ids. The same item defined identically in two
    /// user dictionaries is allowed.
    pub fn new(base: Dictionary, users: Vec<Dictionary>) -> Result<Self, DictionaryError> {
        let base_uri = base.uri.clone();
        let mut problems = Vec::new();
        let conflict = |item: Option<ItemRef>, rule: DictionaryRule| DictionaryProblem {
            item,
            line: None,
            rule,
        };
        if base.kind != DictionaryKind::Base {
            problems.push(conflict(
                None,
                DictionaryRule::WrongDictionaryKind {
                    uri: base.uri.clone(),
                    expected: DictionaryKind::Base,
                },
            ));
        }
        let version = match &base.naaccr_version {
            Some(v) => v.clone(),
            None => {
                problems.push(conflict(
                    None,
                    DictionaryRule::MissingAttribute {
                        attribute: "naaccrVersion",
                    },
                ));
                String::new()
            }
        };

        let mut by_id: HashMap<String, Slot> = HashMap::new();
        let mut by_num: HashMap<u32, Slot> = HashMap::new();
        for (i, item) in base.items.iter().enumerate() {
            let slot = Slot {
                dictionary: 0,
                item: i,
            };
            by_id.insert(item.naaccr_id.clone(), slot);
            by_num.insert(item.naaccr_num, slot);
        }

        let mut dictionaries = Vec::with_capacity(users.len() + 1);
        dictionaries.push(base);
        for (u, user) in users.into_iter().enumerate() {
            let d = u + 1;
            if user.kind != DictionaryKind::User {
                problems.push(conflict(
                    None,
                    DictionaryRule::WrongDictionaryKind {
                        uri: user.uri.clone(),
                        expected: DictionaryKind::User,
                    },
                ));
            }
            if dictionaries
                .iter()
                .skip(1)
                .any(|other| other.uri == user.uri)
            {
                problems.push(conflict(
                    None,
                    DictionaryRule::DuplicateDictionaryUri {
                        uri: user.uri.clone(),
                    },
                ));
            }
            if let Some(user_version) = &user.naaccr_version
                && !version.is_empty()
                && user_version != &version
            {
                problems.push(conflict(
                    None,
                    DictionaryRule::NaaccrVersionMismatch {
                        uri: user.uri.clone(),
                        user_version: user_version.clone(),
                        base_version: version.clone(),
                    },
                ));
            }
            for (i, item) in user.items.iter().enumerate() {
                let item_ref = Some(ItemRef::Id(item.naaccr_id.clone()));
                let slot = Slot {
                    dictionary: d,
                    item: i,
                };
                let existing_by_id = by_id.get(&item.naaccr_id).copied();
                let existing_by_num = by_num.get(&item.naaccr_num).copied();
                match existing_by_id {
                    Some(Slot { dictionary: 0, .. }) => problems.push(conflict(
                        item_ref.clone(),
                        DictionaryRule::RedefinesBaseNaaccrId {
                            uri: user.uri.clone(),
                        },
                    )),
                    Some(other) => {
                        if let Some(other_dict) = dictionaries.get(other.dictionary)
                            && let Some(other_item) = other_dict.items.get(other.item)
                            && !same_definition(item, other_item)
                        {
                            problems.push(conflict(
                                item_ref.clone(),
                                DictionaryRule::ConflictingUserItem {
                                    uri: user.uri.clone(),
                                    other_uri: other_dict.uri.clone(),
                                },
                            ));
                        }
                        // An identical redefinition keeps the first one.
                        continue;
                    }
                    None => {}
                }
                match existing_by_num {
                    Some(other) => {
                        if let Some(other_dict) = dictionaries.get(other.dictionary)
                            && let Some(other_item) = other_dict.items.get(other.item)
                        {
                            let rule = if other.dictionary == 0 {
                                DictionaryRule::RedefinesBaseNaaccrNum {
                                    uri: user.uri.clone(),
                                    num: item.naaccr_num,
                                    base_id: other_item.naaccr_id.clone(),
                                }
                            } else {
                                DictionaryRule::DuplicateUserNaaccrNum {
                                    uri: user.uri.clone(),
                                    num: item.naaccr_num,
                                    other_uri: other_dict.uri.clone(),
                                    other_id: other_item.naaccr_id.clone(),
                                }
                            };
                            problems.push(conflict(item_ref.clone(), rule));
                        }
                    }
                    None => {
                        by_num.insert(item.naaccr_num, slot);
                    }
                }
                if existing_by_id.is_none() {
                    by_id.insert(item.naaccr_id.clone(), slot);
                }
            }
            dictionaries.push(user);
        }

        if !problems.is_empty() {
            return Err(DictionaryError::Conflict {
                base: base_uri,
                problems,
            });
        }
        Ok(Self {
            dictionaries,
            version,
            by_id,
            by_num,
        })
    }

    fn at(&self, slot: Slot) -> Option<&ItemDef> {
        self.dictionaries
            .get(slot.dictionary)
            .and_then(|d| d.items.get(slot.item))
    }

    /// The item with this naaccrId, from the base or a user dictionary.
    pub fn item(&self, naaccr_id: &str) -> Option<&ItemDef> {
        self.by_id.get(naaccr_id).and_then(|&slot| self.at(slot))
    }

    /// The item with this naaccrNum, from the base or a user dictionary.
    pub fn item_by_num(&self, naaccr_num: u32) -> Option<&ItemDef> {
        self.by_num.get(&naaccr_num).and_then(|&slot| self.at(slot))
    }

    /// True when the naaccrId comes from a user dictionary.
    pub fn is_user_item(&self, naaccr_id: &str) -> bool {
        self.by_id
            .get(naaccr_id)
            .is_some_and(|slot| slot.dictionary > 0)
    }

    /// The NAACCR version of the base dictionary, e.g. "260".
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Number of distinct items (base plus user items).
    pub fn item_count(&self) -> usize {
        self.by_id.len()
    }

    /// The base dictionary.
    pub fn base(&self) -> Option<&Dictionary> {
        self.dictionaries.first()
    }

    /// The user dictionaries, in the order given.
    pub fn user_dictionaries(&self) -> &[Dictionary] {
        self.dictionaries.get(1..).unwrap_or(&[])
    }

    /// Every distinct item: base items in file order, then user items.
    pub fn items(&self) -> impl Iterator<Item = &ItemDef> + '_ {
        self.dictionaries
            .iter()
            .enumerate()
            .flat_map(move |(d, dict)| {
                dict.items.iter().enumerate().filter_map(move |(i, item)| {
                    match self.by_id.get(&item.naaccr_id) {
                        Some(slot) if slot.dictionary == d && slot.item == i => Some(item),
                        _ => None,
                    }
                })
            })
    }
}

/// Whether two user items are the same definition (validateDictionaries: same name, number,
/// type, length, record types, parent, start column and padding).
fn same_definition(a: &ItemDef, b: &ItemDef) -> bool {
    a.naaccr_num == b.naaccr_num
        && a.naaccr_name == b.naaccr_name
        && a.data_type == b.data_type
        && a.length == b.length
        && a.record_types == b.record_types
        && a.parent == b.parent
        && a.start_column == b.start_column
        && a.padding == b.padding
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// The 23 state dictionaries published for NAACCR v25, with the item count of each valid one
    /// (counted independently of this code, from the files themselves).
    const STATE_DICTIONARIES: [(&str, Option<usize>); 23] = [
        ("CO-NAACCR-Dictionary-250-v1.0.xml", None),
        ("FCDS-NAACCR-Dictionary-250.xml", Some(62)),
        ("Idaho-naaccr-dictionary-250-v1.xml", Some(8)),
        ("KS_NAACCR_Dictionary_V25.xml", None),
        ("MI_UserDefined_V25.xml", Some(6)),
        ("MT-naaccr-XML-Data-Dictionary-v250_09092024.xml", Some(10)),
        ("Nebraska-naaccr-dictionary-250.xml", Some(3)),
        ("PA-UserDefinedDictionary-v25.xml", Some(18)),
        ("RICR_UserDefined_V25.xml", Some(2)),
        ("SCUserDefinedDictionary_250.xml", Some(3)),
        ("UserDefinedDictionary_250.xml", Some(11)),
        ("UserDefined_V25-1.xml", Some(6)),
        ("UserDefined_V25-3.xml", Some(11)),
        ("alaska-naaccr-dictionary-250-v1.xml", Some(26)),
        ("arkansas-naaccr-dictionary-250-v1.xml", Some(8)),
        (
            "california-facility-to-ccr-naaccr-dictionary-250-v1.xml",
            Some(63),
        ),
        ("ltr-naaccr-dictionary-250.xml", Some(28)),
        ("maryland-naaccr-dictionary-250-v1.xml", Some(13)),
        (
            "newmexico-tumor-registry-naaccr-dictionary-250.xml",
            Some(41),
        ),
        ("nys-naaccr-dictionary-250.xml", Some(18)),
        ("ohio-defined-naaccr-dictionary-250.xml", Some(39)),
        ("shri-naaccr-dictionary-250.xml", Some(6)),
        ("ucr-naaccr-dictionary-250-v5.xml", Some(6)),
    ];

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn base(version: &str) -> Dictionary {
        let name = format!("naaccr-dictionary-{version}.xml");
        let xml = read(&root().join("schemas/dictionaries").join(&name));
        Dictionary::parse_base(&xml, &name).unwrap_or_else(|e| panic!("{e}"))
    }

    fn state_xml(name: &str) -> String {
        read(
            &root()
                .join("tests/fixtures/user-dictionaries/states-v250")
                .join(name),
        )
    }

    fn user(xml: &str) -> Result<Dictionary, DictionaryError> {
        Dictionary::parse_user(xml, "test.xml")
    }

    fn codes(err: &DictionaryError) -> Vec<&'static str> {
        err.problems().iter().map(DictionaryProblem::code).collect()
    }

    /// A one-item user dictionary with the given specification version and ItemDef attributes.
    fn one_item(spec: &str, attributes: &str) -> String {
        format!(
            r#"<NaaccrDictionary xmlns="http://naaccr.org/naaccrxml" dictionaryUri="http://example.org/d.xml"
                 naaccrVersion="250" specificationVersion="{spec}">
               <ItemDefs><ItemDef {attributes}/></ItemDefs></NaaccrDictionary>"#
        )
    }

    fn count_by_level(d: &Dictionary) -> (usize, usize, usize) {
        let n = |p| d.items().filter(|i| i.parent == p).count();
        (
            n(ParentElement::NaaccrData),
            n(ParentElement::Patient),
            n(ParentElement::Tumor),
        )
    }

    #[test]
    fn base_dictionaries_load_with_the_item_counts_of_the_standard() {
        for (version, spec, total, levels) in [
            ("260", SpecVersion::V1_8, 771, (5, 49, 717)),
            ("250", SpecVersion::V1_8, 780, (5, 49, 726)),
            ("240", SpecVersion::V1_7, 783, (5, 51, 727)),
        ] {
            let d = base(version);
            assert_eq!(d.len(), total, "v{version}");
            assert_eq!(count_by_level(&d), levels, "v{version}");
            assert_eq!(d.naaccr_version(), Some(version));
            assert_eq!(d.specification_version(), spec);
            assert_eq!(d.kind(), DictionaryKind::Base);
            assert_eq!(
                d.uri(),
                format!("http://naaccr.org/naaccrxml/naaccr-dictionary-{version}.xml")
            );
            assert_eq!(version_from_uri(d.uri()).as_deref(), Some(version));
            // No flat layout and no trim after NAACCR 18; padding absent or leftZero.
            assert!(d.items().all(|i| i.start_column.is_none()));
            assert!(
                d.items()
                    .all(|i| matches!(i.padding, Padding::None | Padding::LeftZero))
            );
            let mut roots: Vec<&str> = d
                .items()
                .filter(|i| i.parent == ParentElement::NaaccrData)
                .map(|i| i.naaccr_id.as_str())
                .collect();
            roots.sort_unstable();
            assert_eq!(
                roots,
                [
                    "naaccrRecordVersion",
                    "npiRegistryId",
                    "recordType",
                    "registryId",
                    "registryType"
                ]
            );
        }
    }

    #[test]
    fn v26_has_the_data_types_and_record_types_of_the_standard() {
        let d = base("260");
        let n = |t| d.items().filter(|i| i.data_type == t).count();
        assert_eq!(n(DataType::Text), 254);
        assert_eq!(n(DataType::Digits), 425);
        assert_eq!(n(DataType::Numeric), 22);
        assert_eq!(n(DataType::Date), 42);
        assert_eq!(n(DataType::DateTime), 5);
        assert_eq!(n(DataType::Mixed), 12);
        assert_eq!(n(DataType::Alpha), 11);
        let with = |types: &[RecordType]| d.items().filter(|i| i.record_types == types).count();
        assert_eq!(with(&RecordType::ALL), 684);
        assert_eq!(with(&[RecordType::A, RecordType::M, RecordType::C]), 39);
        assert_eq!(with(&[RecordType::A, RecordType::M]), 48);
        assert_eq!(d.items().map(|i| i.length).max(), Some(4000));
        assert_eq!(d.item("textRemarks").map(|i| i.length), Some(4000));
    }

    #[test]
    fn lookups_by_id_and_number_agree() {
        let d = base("260");
        let site = d.item("primarySite").unwrap();
        assert_eq!(site.naaccr_num, 400);
        assert_eq!(site.naaccr_name.as_deref(), Some("Primary Site"));
        assert_eq!(site.parent, ParentElement::Tumor);
        assert_eq!(d.item_by_num(400).unwrap().naaccr_id, "primarySite");
        assert!(d.item("PrimarySite").is_none());
        assert!(d.item_by_num(1).is_none());
        // The 2025-08-11 fix in the v26 changelog renamed this id.
        assert!(d.item("spreadThroughAirSpacesStas").is_some());
        assert!(d.item("spreadThrougAirSpacesStas").is_none());
        for item in d.items() {
            assert_eq!(d.item(&item.naaccr_id).unwrap().naaccr_num, item.naaccr_num);
            assert_eq!(
                d.item_by_num(item.naaccr_num).unwrap().naaccr_id,
                item.naaccr_id
            );
        }
        // File order is kept.
        assert_eq!(d.items().next().unwrap().naaccr_id, "abstractedBy");
    }

    #[test]
    fn the_default_user_dictionary_of_v21_loads() {
        let xml = read(&root().join("schemas/dictionaries/user-defined-naaccr-dictionary-210.xml"));
        let d = Dictionary::parse_user(&xml, "user-defined-naaccr-dictionary-210.xml").unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d.specification_version(), SpecVersion::V1_5);
        assert_eq!(d.item("npcrSpecificField").unwrap().length, 75);
        assert_eq!(d.item("stateRequestorItems").unwrap().naaccr_num, 2220);
        assert_eq!(d.item("stateRequestorItems").unwrap().length, 1000);
        assert_eq!(version_from_uri(d.uri()).as_deref(), Some("210"));
    }

    #[test]
    fn exactly_21_state_dictionaries_load_and_merge_with_the_v25_base() {
        let v25 = base("250");
        let mut loaded = 0;
        for (name, expected) in STATE_DICTIONARIES {
            let result = Dictionary::parse_user(&state_xml(name), name);
            match (expected, result) {
                (Some(count), Ok(d)) => {
                    loaded += 1;
                    assert_eq!(d.len(), count, "{name}");
                    assert_eq!(d.kind(), DictionaryKind::User);
                    let set = DictionarySet::new(v25.clone(), vec![d])
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                    assert_eq!(set.version(), "250");
                    assert_eq!(set.item_count(), 780 + count, "{name}");
                    assert_eq!(set.items().count(), 780 + count, "{name}");
                }
                (None, Err(_)) => {}
                (Some(_), Err(e)) => panic!("{name} should load: {e}"),
                (None, Ok(_)) => panic!("{name} should be refused"),
            }
        }
        assert_eq!(loaded, 21);
    }

    #[test]
    fn colorado_left_blank_padding_is_refused_under_spec_1_7() {
        let name = "CO-NAACCR-Dictionary-250-v1.0.xml";
        let err = Dictionary::parse_user(&state_xml(name), name).unwrap_err();
        let DictionaryError::Invalid { file, problems } = &err else {
            panic!("{err}");
        };
        assert_eq!(file, name);
        assert_eq!(problems.len(), 21, "21 of the 24 items use leftBlank");
        assert!(problems.iter().all(|p| p.rule
            == DictionaryRule::PaddingNotAllowed {
                padding: Padding::LeftBlank,
                spec: SpecVersion::V1_7
            }));
        let first = &problems[0];
        assert_eq!(first.item, Some(ItemRef::Id("height".to_owned())));
        assert_eq!(first.line, Some(8));
        let message = err.to_string();
        assert!(message.starts_with(name), "{message}");
        assert!(
            message.contains(
                "line 8: item 'height': padding 'leftBlank' is not allowed in specification 1.7 \
                 (allowed: none, leftZero) [padding_not_allowed]"
            ),
            "{message}"
        );
    }

    #[test]
    fn kansas_upper_case_ids_are_refused_and_every_one_is_named() {
        let name = "KS_NAACCR_Dictionary_V25.xml";
        let err = Dictionary::parse_user(&state_xml(name), name).unwrap_err();
        let bad_ids: Vec<&str> = err
            .problems()
            .iter()
            .filter_map(|p| match &p.rule {
                DictionaryRule::NaaccrIdMustStartLowercase { id } => Some(id.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            bad_ids,
            [
                "StudyID1",
                "StudyDate1",
                "StudyID2",
                "StudyDate2",
                "StudyID3",
                "StudyDate3",
                "ContactPermission"
            ]
        );
        // Four names are also over the 50 characters allowed.
        assert_eq!(
            codes(&err)
                .iter()
                .filter(|c| **c == "naaccr_name_too_long")
                .count(),
            4
        );
        let message = err.to_string();
        assert!(message.starts_with(name));
        assert!(
            message.contains(
                "item 'StudyID1': naaccrId 'StudyID1' must start with a lower-case letter \
                 [naaccr_id_must_start_lowercase]"
            ),
            "{message}"
        );
    }

    #[test]
    fn blank_attributes_count_as_absent() {
        // RICR: padding="" under spec 1.7; Idaho: padding="" and dataType="" under 1.8.
        let ri = Dictionary::parse_user(&state_xml("RICR_UserDefined_V25.xml"), "ri").unwrap();
        let height = ri.item("height").unwrap();
        assert_eq!(height.padding, Padding::None);
        assert_eq!(height.data_type, DataType::Digits);
        let id =
            Dictionary::parse_user(&state_xml("Idaho-naaccr-dictionary-250-v1.xml"), "id").unwrap();
        assert_eq!(
            id.item("tobaccoUseCigarettes").unwrap().data_type,
            DataType::Text
        );
    }

    #[test]
    fn optional_naaccr_version_and_spaces_around_equals_are_accepted() {
        let pa =
            Dictionary::parse_user(&state_xml("PA-UserDefinedDictionary-v25.xml"), "pa").unwrap();
        assert_eq!(pa.naaccr_version(), None);
        let fl =
            Dictionary::parse_user(&state_xml("FCDS-NAACCR-Dictionary-250.xml"), "fl").unwrap();
        assert_eq!(
            fl.uri(),
            "https://fcds.med.miami.edu/NAACCR-XML/FCDS-NAACCR-Dictionary-250.xml"
        );
        assert_eq!(fl.naaccr_version(), Some("250"));
        assert_eq!(fl.item("hist1Seq").unwrap().padding, Padding::LeftZero);
        // MI declares spec 1.4, where rightBlank was allowed.
        let mi = Dictionary::parse_user(&state_xml("MI_UserDefined_V25.xml"), "mi").unwrap();
        assert_eq!(mi.specification_version(), SpecVersion::V1_4);
        assert!(mi.items().all(|i| i.padding == Padding::RightBlank));
    }

    #[test]
    fn user_items_cannot_reuse_base_ids_or_numbers() {
        let xml = one_item(
            "1.8",
            r#"naaccrId="primarySite" naaccrNum="400" length="4" parentXmlElement="Tumor""#,
        );
        let err = DictionarySet::new(base("250"), vec![user(&xml).unwrap()]).unwrap_err();
        assert_eq!(err.code(), "dictionary_conflict");
        assert_eq!(
            codes(&err),
            ["redefines_base_naaccr_id", "redefines_base_naaccr_num"]
        );
        let xml = one_item(
            "1.8",
            r#"naaccrId="mySite" naaccrNum="400" length="4" parentXmlElement="Tumor""#,
        );
        let err = DictionarySet::new(base("250"), vec![user(&xml).unwrap()]).unwrap_err();
        assert_eq!(
            err.problems()[0].rule,
            DictionaryRule::RedefinesBaseNaaccrNum {
                uri: "http://example.org/d.xml".to_owned(),
                num: 400,
                base_id: "primarySite".to_owned()
            }
        );
    }

    #[test]
    fn two_user_dictionaries_cannot_give_one_number_to_two_items() {
        // Montana and Arkansas both use the retired number 340, for different ids.
        let mt = "MT-naaccr-XML-Data-Dictionary-v250_09092024.xml";
        let ar = "arkansas-naaccr-dictionary-250-v1.xml";
        let users = vec![
            Dictionary::parse_user(&state_xml(mt), mt).unwrap(),
            Dictionary::parse_user(&state_xml(ar), ar).unwrap(),
        ];
        let err = DictionarySet::new(base("250"), users).unwrap_err();
        assert!(codes(&err).contains(&"duplicate_user_naaccr_num"), "{err}");
        assert!(err.to_string().contains("naaccrNum 340"), "{err}");
    }

    #[test]
    fn an_identical_item_in_two_user_dictionaries_is_allowed() {
        let xml = one_item(
            "1.8",
            r#"naaccrId="myItem" naaccrNum="9500" length="2" parentXmlElement="Tumor""#,
        );
        let other = xml.replace("d.xml", "e.xml");
        let set = DictionarySet::new(
            base("250"),
            vec![user(&xml).unwrap(), user(&other).unwrap()],
        )
        .unwrap();
        assert_eq!(set.item_count(), 781);
        assert!(set.is_user_item("myItem"));
        assert!(!set.is_user_item("primarySite"));
        assert_eq!(set.item_by_num(9500).unwrap().naaccr_id, "myItem");
        assert_eq!(set.user_dictionaries().len(), 2);
        // Same id, different length: refused.
        let changed = other.replace(r#"length="2""#, r#"length="3""#);
        let err = DictionarySet::new(
            base("250"),
            vec![user(&xml).unwrap(), user(&changed).unwrap()],
        )
        .unwrap_err();
        assert_eq!(codes(&err), ["conflicting_user_item"]);
        // Same URI twice: refused.
        let err = DictionarySet::new(base("250"), vec![user(&xml).unwrap(), user(&xml).unwrap()])
            .unwrap_err();
        assert!(codes(&err).contains(&"duplicate_dictionary_uri"));
    }

    #[test]
    fn user_dictionary_for_another_version_or_kind_is_refused() {
        let xml = one_item(
            "1.8",
            r#"naaccrId="myItem" naaccrNum="9500" length="2" parentXmlElement="Tumor""#,
        );
        let err = DictionarySet::new(base("260"), vec![user(&xml).unwrap()]).unwrap_err();
        assert_eq!(codes(&err), ["naaccr_version_mismatch"]);
        let err = DictionarySet::new(base("250"), vec![base("250")]).unwrap_err();
        assert!(codes(&err).contains(&"wrong_dictionary_kind"));
        let set = DictionarySet::new(base("260"), vec![]).unwrap();
        assert_eq!(set.version(), "260");
        assert_eq!(set.item_count(), 771);
        assert_eq!(set.item("primarySite").unwrap().naaccr_num, 400);
    }

    #[test]
    fn every_broken_rule_of_an_item_is_reported() {
        let xml = r#"<NaaccrDictionary xmlns="http://naaccr.org/naaccrxml" dictionaryUri="u" naaccrVersion="250" specificationVersion="1.8">
            <ItemDefs>
              <ItemDef naaccrId="ok" naaccrNum="9500" length="1" parentXmlElement="Tumor"/>
              <ItemDef naaccrId="ok" naaccrNum="9500" length="0" parentXmlElement="tumor"
                       dataType="string" recordTypes="A,X" padding="rightBlank" trim="some"
                       allowUnlimitedText="true" regexValidation="x" startColumn="1"/>
              <ItemDef naaccrNum="abc"/>
              <ItemDef naaccrId="x" naaccrNum="9501" length="1" parentXmlElement="Patient"/>
              <ItemDef naaccrId="has_underscore" naaccrNum="9502" length="1" parentXmlElement="Patient"/>
              <ItemDef naaccrId="aVeryLongIdentifierThatGoesOnAndOn" naaccrNum="9503" length="1" parentXmlElement="Patient"/>
            </ItemDefs></NaaccrDictionary>"#;
        let err = user(xml).unwrap_err();
        assert_eq!(
            codes(&err),
            [
                "duplicate_naaccr_id",
                "duplicate_naaccr_num",
                "invalid_length",
                "invalid_parent_xml_element",
                "invalid_data_type",
                "invalid_record_types",
                "padding_not_allowed",
                "invalid_trim",
                "allow_unlimited_text_not_allowed",
                "regex_validation_not_allowed",
                "start_column_not_allowed",
                "missing_attribute",
                "invalid_naaccr_num",
                "missing_attribute",
                "missing_attribute",
                "naaccr_id_too_short",
                "naaccr_id_invalid_character",
                "naaccr_id_too_long",
            ],
            "{err}"
        );
        let by_num = &err.problems()[11];
        assert_eq!(by_num.item, Some(ItemRef::Position(3)));
        assert_eq!(by_num.line, Some(7));
    }

    #[test]
    fn dictionary_level_rules_are_checked() {
        let no_items = r#"<NaaccrDictionary xmlns="http://naaccr.org/naaccrxml" specificationVersion="2.0"><ItemDefs/></NaaccrDictionary>"#;
        let err = Dictionary::parse_base(no_items, "b.xml").unwrap_err();
        assert_eq!(
            codes(&err),
            [
                "missing_attribute",
                "unsupported_specification_version",
                "missing_attribute",
                "no_items"
            ]
        );
        let mismatch = r#"<NaaccrDictionary xmlns="http://naaccr.org/naaccrxml"
            dictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-250.xml" naaccrVersion="260"
            specificationVersion="1.8"><ItemDefs>
            <ItemDef naaccrId="a1" naaccrNum="1" length="1" parentXmlElement="Tumor"/></ItemDefs>
            <GroupedItemDefs><GroupedItemDef naaccrId="g1"/></GroupedItemDefs><Other/></NaaccrDictionary>"#;
        let err = Dictionary::parse_base(mismatch, "b.xml").unwrap_err();
        assert_eq!(
            codes(&err),
            [
                "uri_version_mismatch",
                "unexpected_element",
                "grouped_items_not_allowed"
            ]
        );
        // User dictionaries before 1.1 need naaccrVersion and startColumn; before 1.3 numbers
        // must be in 9500-99999.
        let old = r#"<NaaccrDictionary xmlns="http://naaccr.org/naaccrxml" dictionaryUri="u"
            specificationVersion="1.0"><ItemDefs>
            <ItemDef naaccrId="a1" naaccrNum="10" length="1" parentXmlElement="Tumor"/></ItemDefs>
            </NaaccrDictionary>"#;
        assert_eq!(
            codes(&user(old).unwrap_err()),
            [
                "missing_attribute",
                "naaccr_num_out_of_user_range",
                "start_column_required"
            ]
        );
    }

    #[test]
    fn padding_and_data_types_follow_the_specification_version() {
        let attrs = |padding: &str| {
            format!(
                r#"naaccrId="a1" naaccrNum="9500" length="1" parentXmlElement="Tumor" padding="{padding}""#
            )
        };
        let loads = |spec: &str, padding: &str| user(&one_item(spec, &attrs(padding))).is_ok();
        for padding in ["rightBlank", "leftBlank", "rightZero", "leftZero"] {
            assert!(loads("1.5", padding), "{padding} in 1.5");
            assert!(loads("1.6", padding), "{padding} in 1.6");
        }
        assert!(!loads("1.5", "none"), "none appeared in 1.6");
        assert!(loads("1.6", "none"));
        for padding in ["rightBlank", "leftBlank", "rightZero"] {
            assert!(!loads("1.7", padding), "{padding} in 1.7");
            assert!(!loads("1.8", padding), "{padding} in 1.8");
        }
        assert!(loads("1.7", "none") && loads("1.8", "leftZero"));
        assert!(!loads("1.8", "LeftZero"));
        // Defaults: rightBlank before 1.7, none from 1.7.
        let plain = r#"naaccrId="a1" naaccrNum="9500" length="1" parentXmlElement="Tumor""#;
        let padding_of = |spec: &str| {
            user(&one_item(spec, plain))
                .unwrap()
                .item("a1")
                .unwrap()
                .padding
        };
        assert_eq!(padding_of("1.6"), Padding::RightBlank);
        assert_eq!(padding_of("1.7"), Padding::None);

        let date_time = r#"naaccrId="a1" naaccrNum="9500" length="25" parentXmlElement="Tumor" dataType="dateTime""#;
        assert_eq!(
            codes(&user(&one_item("1.7", date_time)).unwrap_err()),
            ["data_type_not_allowed"]
        );
        assert!(user(&one_item("1.8", date_time)).is_ok());

        let unlimited = r#"naaccrId="a1" naaccrNum="9500" length="5" parentXmlElement="Tumor" allowUnlimitedText="true""#;
        assert!(
            user(&one_item("1.5", unlimited))
                .unwrap()
                .item("a1")
                .unwrap()
                .allow_unlimited_text
        );
        let coded = format!(r#"{unlimited} dataType="digits""#);
        assert_eq!(
            codes(&user(&one_item("1.5", &coded)).unwrap_err()),
            ["allow_unlimited_text_requires_text"]
        );
    }

    #[test]
    fn xml_details_are_handled() {
        // BOM, comments, a prefixed namespace, and escaped attribute values.
        let xml = "\u{feff}<?xml version=\"1.0\"?>\n<!-- c -->\n<n:NaaccrDictionary xmlns:n=\"http://naaccr.org/naaccrxml\" \
                   dictionaryUri = 'u' naaccrVersion=\"250\" specificationVersion=\"1.8\"><n:ItemDefs><!-- c -->\
                   <n:ItemDef naaccrId=\"a1\" naaccrNum=\"9500\" naaccrName=\"A &amp; B\" length=\"1\" parentXmlElement=\"Tumor\"></n:ItemDef>\
                   </n:ItemDefs></n:NaaccrDictionary>";
        let d = user(xml).unwrap();
        assert_eq!(d.item("a1").unwrap().naaccr_name.as_deref(), Some("A & B"));

        let doctype = r#"<?xml version="1.0"?><!DOCTYPE NaaccrDictionary [<!ENTITY x "boom">]>
            <NaaccrDictionary xmlns="http://naaccr.org/naaccrxml"/>"#;
        let err = user(doctype).unwrap_err();
        assert_eq!(err.code(), "dictionary_doctype_refused");
        assert!(err.to_string().starts_with("test.xml: DOCTYPE"));

        let wrong_ns = r#"<NaaccrDictionary xmlns="http://example.org/other"/>"#;
        assert_eq!(user(wrong_ns).unwrap_err().code(), "not_a_dictionary");
        let wrong_root = r#"<NaaccrData xmlns="http://naaccr.org/naaccrxml"/>"#;
        assert!(
            user(wrong_root)
                .unwrap_err()
                .to_string()
                .contains("'NaaccrData'")
        );
        assert_eq!(user("").unwrap_err().code(), "not_a_dictionary");

        let broken = "<NaaccrDictionary xmlns=\"http://naaccr.org/naaccrxml\" dictionaryUri=\"u\" specificationVersion=\"1.8\">\n<ItemDefs>\n<ItemDef naaccrId=\"a\" naaccrId=\"b\"/>\n</ItemDefs></NaaccrDictionary>";
        let err = user(broken).unwrap_err();
        assert!(
            matches!(err, DictionaryError::Xml { line: 3, .. }),
            "{err:?}"
        );
        let unclosed =
            "<NaaccrDictionary xmlns=\"http://naaccr.org/naaccrxml\">\n<ItemDefs>\n</Other>";
        assert_eq!(
            user(unclosed).unwrap_err().code(),
            "dictionary_not_well_formed"
        );
        let undefined_entity =
            r#"<NaaccrDictionary xmlns="http://naaccr.org/naaccrxml" dictionaryUri="&x;"/>"#;
        assert_eq!(
            user(undefined_entity).unwrap_err().code(),
            "dictionary_not_well_formed"
        );
    }

    #[test]
    fn item_defs_serialize_with_the_xml_attribute_names() {
        let d = base("260");
        let json = serde_json::to_value(d.item("dateOfDiagnosis").unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "naaccrId": "dateOfDiagnosis",
                "naaccrNum": 390,
                "naaccrName": "Date of Diagnosis",
                "length": 8,
                "dataType": "date",
                "parentXmlElement": "Tumor",
                "padding": "none",
                "recordTypes": ["A", "M", "C", "I"],
                "allowUnlimitedText": false
            })
        );
        let with_zero = d.items().find(|i| i.padding == Padding::LeftZero).unwrap();
        assert_eq!(
            serde_json::to_value(with_zero).unwrap()["padding"],
            "leftZero"
        );
        let date_time = d
            .items()
            .find(|i| i.data_type == DataType::DateTime)
            .unwrap();
        assert_eq!(
            serde_json::to_value(date_time).unwrap()["dataType"],
            "dateTime"
        );
        assert_eq!(
            serde_json::to_value(ParentElement::NaaccrData).unwrap(),
            "NaaccrData"
        );
        assert_eq!(serde_json::to_value(SpecVersion::V1_7).unwrap(), "1.7");
        for t in [DataType::Text, DataType::DateTime, DataType::Mixed] {
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
            assert_eq!(DataType::parse(t.as_str()), Some(t));
        }
        for p in [
            Padding::None,
            Padding::LeftZero,
            Padding::RightBlank,
            Padding::LeftBlank,
            Padding::RightZero,
        ] {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
            assert_eq!(Padding::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn version_from_uri_reads_standard_uris_only() {
        assert_eq!(
            version_from_uri("http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml").as_deref(),
            Some("260")
        );
        assert_eq!(
            version_from_uri("http://naaccr.org/naaccrxml/user-defined-naaccr-dictionary-210.xml")
                .as_deref(),
            Some("210")
        );
        assert_eq!(
            version_from_uri("https://naaccr.org/naaccrxml/naaccr-dictionary-260.xml"),
            None
        );
        assert_eq!(
            version_from_uri("http://naaccr.org/naaccrxml/naaccr-dictionary-.xml"),
            None
        );
        assert_eq!(
            version_from_uri("http://example.org/naaccr-dictionary-260.xml"),
            None
        );
    }

    #[test]
    fn spec_versions_parse_and_order() {
        assert_eq!(SpecVersion::parse("1.7"), Some(SpecVersion::V1_7));
        assert_eq!(SpecVersion::parse("1.0"), Some(SpecVersion::V1_0));
        for bad in ["1.9", "2.0", "1", "1.10", " 1.7", "v1.7"] {
            assert_eq!(SpecVersion::parse(bad), None, "{bad}");
        }
        assert!(SpecVersion::V1_6 < SpecVersion::V1_7);
        assert_eq!(SpecVersion::V1_8.to_string(), "1.8");
    }
}
