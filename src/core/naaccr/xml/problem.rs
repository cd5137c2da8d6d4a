//! The two classes of problems a NAACCR XML data file can have.
//!
//! The NAACCR XML Data Exchange Standard (v1.8, "Processing" and the reference reader
//! `imsweb/naaccr-xml`) separates problems that make the file unreadable (the reader stops:
//! [`FatalError`]) from problems with one item's value or place, which are attached to the
//! patient (or to the root) and reading goes on ([`ItemProblem`]). Every problem carries a
//! stable snake_case code, and a 1-based line and column: for item problems, the position of
//! the item's `<` (columns count bytes, not characters).

use super::super::dictionary::ParentElement;
use super::super::value::ValueProblem;

/// A problem that stops reading the file, with where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct FatalError {
    /// What went wrong.
    pub kind: FatalKind,
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in bytes.
    pub column: u64,
}

impl FatalError {
    /// The stable snake_case code of the problem.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

/// Why a file cannot be read further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FatalKind {
    /// Reading the input failed.
    #[error("input error ({kind:?}): {message}")]
    Io {
        /// The I/O error kind.
        kind: std::io::ErrorKind,
        /// The error as text.
        message: String,
    },
    /// The input starts with the gzip magic bytes but does not decompress.
    #[error("the gzip stream is corrupt: {message}")]
    BadGzip {
        /// The decoder's message.
        message: String,
    },
    /// The input is not well-formed XML (XML 1.0 section 2.1).
    #[error("not well-formed XML: {reason}")]
    NotWellFormed {
        /// What the parser found.
        reason: String,
    },
    /// The input ended before the root element was closed.
    #[error("unexpected end of file: the NaaccrData element is not closed")]
    UnexpectedEof,
    /// A DOCTYPE (and with it any entity declaration) is refused before anything is expanded,
    /// which rules out entity-expansion attacks such as "billion laughs".
    #[error("a DOCTYPE declaration is not allowed in a NAACCR XML data file")]
    DoctypeNotAllowed,
    /// An entity reference other than the five predefined ones or a character reference.
    #[error("undefined entity reference &{name};")]
    UndefinedEntity {
        /// The entity name.
        name: String,
    },
    /// The XML declaration names an encoding other than UTF-8 (this reader reads UTF-8 only).
    #[error("unsupported encoding {encoding}: only UTF-8 is read")]
    UnsupportedEncoding {
        /// The declared encoding.
        encoding: String,
    },
    /// The root element is not `NaaccrData`.
    #[error("the root element must be NaaccrData, found {found}")]
    WrongRootElement {
        /// The element found.
        found: String,
    },
    /// The root element is not in the NAACCR namespace `http://naaccr.org/naaccrxml`.
    #[error("the root element must be in the namespace http://naaccr.org/naaccrxml, found {found}")]
    WrongNamespace {
        /// The namespace found, or "no namespace".
        found: String,
    },
    /// The required `baseDictionaryUri` attribute is missing.
    #[error("the baseDictionaryUri attribute is required")]
    MissingBaseDictionaryUri,
    /// No NAACCR version can be taken from `baseDictionaryUri`.
    #[error("no NAACCR version in baseDictionaryUri {uri}")]
    BadBaseDictionaryUri {
        /// The URI.
        uri: String,
    },
    /// No dictionary is available for the file's NAACCR version.
    #[error("unsupported NAACCR version {version}")]
    UnsupportedNaaccrVersion {
        /// The version from the URI.
        version: String,
    },
    /// The file names a user dictionary the caller did not provide.
    #[error("user dictionary {uri} is not available")]
    UserDictionaryNotAvailable {
        /// The URI named by `userDictionaryUri`.
        uri: String,
    },
    /// The required `recordType` attribute is missing.
    #[error("the recordType attribute is required")]
    MissingRecordType,
    /// `recordType` is not one of A, M, C, I.
    #[error("invalid recordType {value}: expected A, M, C or I")]
    BadRecordType {
        /// The value found.
        value: String,
    },
    /// `specificationVersion` is not a supported version (1.0 to 1.8).
    #[error("invalid or unsupported specificationVersion {value}")]
    BadSpecificationVersion {
        /// The value found.
        value: String,
    },
    /// An element where the schema does not allow it, such as an `Item` directly in the
    /// document, a `Tumor` under `NaaccrData`, or root items after the first `Patient`.
    #[error("element {element} is not allowed in {parent}")]
    MisplacedElement {
        /// The element found.
        element: String,
        /// Where it was found.
        parent: String,
    },
    /// Character data where the schema allows only elements.
    #[error("text is not allowed directly in {parent}")]
    UnexpectedText {
        /// The element holding the text.
        parent: String,
    },
    /// An `Item` without the required `naaccrId` attribute.
    #[error("an Item has no naaccrId attribute")]
    MissingNaaccrId,
    /// The same item twice in one element (the reference reader's `DuplicateItemException`).
    #[error("item {naaccr_id} appears more than once in the same {parent}")]
    DuplicateItem {
        /// The repeated naaccrId.
        naaccr_id: String,
        /// The element.
        parent: ParentElement,
    },
    /// Elements nested deeper than the configured cap.
    #[error("elements nested deeper than {max}")]
    NestingTooDeep {
        /// The cap.
        max: usize,
    },
    /// An item value (or any text run) longer than the configured cap, in bytes.
    #[error("a value is longer than {max} bytes")]
    ValueTooLarge {
        /// The cap.
        max: usize,
    },
    /// A line longer than the configured cap, in bytes.
    #[error("a line is longer than {max} bytes")]
    LineTooLong {
        /// The cap.
        max: usize,
    },
    /// More elements in one patient than the configured cap.
    #[error("more than {max} elements in one patient")]
    TooManyElements {
        /// The cap.
        max: usize,
    },
}

impl FatalKind {
    /// The stable snake_case code of the problem.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "io_error",
            Self::BadGzip { .. } => "bad_gzip",
            Self::NotWellFormed { .. } => "not_well_formed",
            Self::UnexpectedEof => "unexpected_eof",
            Self::DoctypeNotAllowed => "doctype_not_allowed",
            Self::UndefinedEntity { .. } => "undefined_entity",
            Self::UnsupportedEncoding { .. } => "unsupported_encoding",
            Self::WrongRootElement { .. } => "wrong_root_element",
            Self::WrongNamespace { .. } => "wrong_namespace",
            Self::MissingBaseDictionaryUri => "missing_base_dictionary_uri",
            Self::BadBaseDictionaryUri { .. } => "bad_base_dictionary_uri",
            Self::UnsupportedNaaccrVersion { .. } => "unsupported_naaccr_version",
            Self::UserDictionaryNotAvailable { .. } => "user_dictionary_not_available",
            Self::MissingRecordType => "missing_record_type",
            Self::BadRecordType { .. } => "bad_record_type",
            Self::BadSpecificationVersion { .. } => "bad_specification_version",
            Self::MisplacedElement { .. } => "misplaced_element",
            Self::UnexpectedText { .. } => "unexpected_text",
            Self::MissingNaaccrId => "missing_naaccr_id",
            Self::DuplicateItem { .. } => "duplicate_item",
            Self::NestingTooDeep { .. } => "nesting_too_deep",
            Self::ValueTooLarge { .. } => "value_too_large",
            Self::LineTooLong { .. } => "line_too_long",
            Self::TooManyElements { .. } => "too_many_elements",
        }
    }
}

/// A problem with one item (or a root attribute); the item is kept and reading goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemProblem {
    /// What is wrong.
    pub kind: ItemProblemKind,
    /// The item's naaccrId (`None` for a root attribute).
    pub naaccr_id: Option<String>,
    /// 0-based index of the patient in the file (`None` at the root level).
    pub patient: Option<usize>,
    /// 0-based index of the tumor in its patient (`None` outside a tumor).
    pub tumor: Option<usize>,
    /// 1-based line of the item's start.
    pub line: u64,
    /// 1-based column of the item's start, in bytes.
    pub column: u64,
}

impl ItemProblem {
    /// The stable snake_case code of the problem.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

/// Why an item is not right (the reference reader's `NaaccrErrorUtils` codes: BAD_NAACCR_ID,
/// BAD_NAACCR_NUM, VAL_TOO_LONG, VAL_TOO_SHORT, VAL_DATA_TYPE, VAL_START_SPACE, VAL_END_SPACE,
/// BAD_TIME_GENERATED; plus the item level, which the schema leaves to the dictionary).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemProblemKind {
    /// The naaccrId is in none of the file's dictionaries.
    #[error("unknown naaccrId")]
    UnknownNaaccrId,
    /// The naaccrNum attribute does not match the dictionary's number for the naaccrId.
    #[error("naaccrNum {found} does not match the dictionary's number {expected}")]
    NaaccrNumMismatch {
        /// The attribute as written.
        found: String,
        /// The dictionary's number.
        expected: u32,
    },
    /// The item belongs under another element (the dictionary's `parentXmlElement`).
    #[error("item belongs in {expected}, found in {found}")]
    WrongLevel {
        /// Where the dictionary puts it.
        expected: ParentElement,
        /// Where it was found.
        found: ParentElement,
    },
    /// The value breaks its definition.
    #[error("{0}")]
    Value(ValueProblem),
    /// The root `timeGenerated` attribute is not an XML Schema dateTime.
    #[error("invalid timeGenerated {value}")]
    BadTimeGenerated {
        /// The attribute as written.
        value: String,
    },
}

impl ItemProblemKind {
    /// The stable snake_case code of the problem.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownNaaccrId => "unknown_naaccr_id",
            Self::NaaccrNumMismatch { .. } => "naaccr_num_mismatch",
            Self::WrongLevel { .. } => "wrong_level",
            Self::Value(problem) => problem.code(),
            Self::BadTimeGenerated { .. } => "bad_time_generated",
        }
    }
}
