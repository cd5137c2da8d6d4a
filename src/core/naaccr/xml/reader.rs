//! Streaming NAACCR XML reader: the root, then one patient at a time.
//!
//! Follows the NAACCR XML Data Exchange Standard v1.8 (structure: `naaccr_data_1.8.xsd`,
//! `NaaccrData` / `Patient` / `Tumor` / `Item`, elements and attributes of other namespaces
//! allowed and ignored) and the reference reader `imsweb/naaccr-xml` (`PatientXmlReader`:
//! order and meaning of the root checks; `NaaccrPatientConverter`: item checks). Memory stays
//! flat whatever the file size: the parser reads into one reused buffer, and
//! [`NaaccrReader::read_patient_into`] recycles the previous patient's strings.
//!
//! Speed: quick-xml's plain `Reader` parses, and the reader keeps the namespace scopes itself
//! (only tags with `xmlns` in them are looked at). Most items have the plain form
//! `<Item naaccrId="...">text</Item>` on one line; those are read straight from the input
//! buffer without the parser, with the same checks, positions and results.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::BufRead;
use std::sync::Arc;

use quick_xml::Reader;
use quick_xml::errors::{Error as XmlError, SyntaxError};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, NamespaceError, NamespaceResolver, ResolveResult};

use super::super::dictionary::{
    DictionarySet, ItemDef, NAACCR_XML_NAMESPACE, ParentElement, RecordType, SpecVersion,
    version_from_uri,
};
use super::super::value::{ValueProblem, validate_value_into};
use super::input::{Counted, find_any, find_either, io_problem};
use super::problem::{FatalError, FatalKind, ItemProblem, ItemProblemKind};

/// Where the reader finds the dictionaries a file names.
///
/// Any `Fn(&str) -> Option<Arc<DictionarySet>>` taking the NAACCR version (e.g. "260") is a
/// provider; the reader then checks that every user dictionary the file names is in the set.
pub trait DictionaryProvider {
    /// The dictionary set for a NAACCR version and the user dictionaries a file names, or
    /// `None` when the version is not supported.
    fn dictionaries(
        &self,
        naaccr_version: &str,
        user_dictionary_uris: &[String],
    ) -> Option<Arc<DictionarySet>>;
}

impl<F> DictionaryProvider for F
where
    F: Fn(&str) -> Option<Arc<DictionarySet>>,
{
    fn dictionaries(&self, naaccr_version: &str, _: &[String]) -> Option<Arc<DictionarySet>> {
        self(naaccr_version)
    }
}

/// Caps that keep a hostile or broken file from exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderOptions {
    /// Deepest element nesting allowed (the standard needs 4; extensions may add some).
    pub max_depth: usize,
    /// Longest item value, and longest run of bytes without `<` or `>`, in bytes.
    pub max_value_bytes: usize,
    /// Longest line, in bytes.
    pub max_line_bytes: usize,
    /// Most elements (items, tumors, extension elements) in one patient.
    pub max_elements_per_patient: usize,
    /// Check every value against its item's data type, length and rules (the default). Off,
    /// items are still checked against the dictionary (known, right level, not duplicated) but
    /// values are taken as they are: for tools that only move data.
    pub check_values: bool,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_value_bytes: 1 << 20,
            max_line_bytes: 1 << 20,
            max_elements_per_patient: 100_000,
            check_values: true,
        }
    }
}

/// One item as read: its naaccrId, its value, and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The naaccrId (shared with the dictionary index for known items).
    pub naaccr_id: Arc<str>,
    /// The value, entities decoded, line ends normalised as XML 1.0 section 2.11 requires
    /// (a literal CR or CR LF reads as LF; `&#13;` reads as CR).
    pub value: String,
    /// 1-based line of the item's `<`.
    pub line: u64,
    /// 1-based column of the item's `<`, in bytes.
    pub column: u64,
}

/// One tumor of a patient.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tumor {
    /// 0-based index of the tumor in its patient.
    pub index: usize,
    /// 1-based line of the `<Tumor>` start tag.
    pub line: u64,
    /// The tumor's items, in file order.
    pub items: Vec<Item>,
}

/// One patient, with its tumors and the item problems found in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patient {
    /// 0-based index of the patient in the file.
    pub index: usize,
    /// 1-based line of the `<Patient>` start tag.
    pub line: u64,
    /// The patient-level items, in file order.
    pub items: Vec<Item>,
    /// The tumors, in file order.
    pub tumors: Vec<Tumor>,
    /// Item problems found in this patient (the items stay in `items`/`tumors`).
    pub problems: Vec<ItemProblem>,
}

/// The root `NaaccrData` element: its attributes and root-level items.
#[derive(Debug, Clone, PartialEq)]
pub struct RootData {
    /// `baseDictionaryUri`.
    pub base_dictionary_uri: String,
    /// The NAACCR version taken from the base dictionary URI, e.g. "260".
    pub naaccr_version: String,
    /// `userDictionaryUri`, split on spaces (specification 1.2 and later).
    pub user_dictionary_uris: Vec<String>,
    /// `recordType`.
    pub record_type: RecordType,
    /// `timeGenerated` when valid; a value without a zone is taken as UTC.
    pub time_generated: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// `specificationVersion` (1.0 when absent, as the reference reader assumes).
    pub specification_version: SpecVersion,
    /// Root-level items, in file order.
    pub items: Vec<Item>,
    /// Problems of the root items and attributes.
    pub problems: Vec<ItemProblem>,
}

/// A fast hasher for the short naaccrId keys (FxHash's multiply-rotate: naaccrIds are not
/// attacker-chosen keys of an unbounded map, the index is fixed by the dictionary).
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.write(&n.to_le_bytes());
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type IdMap = HashMap<Box<[u8]>, u32, BuildHasherDefault<IdHasher>>;

/// One dictionary item, indexed.
#[derive(Debug)]
struct Indexed {
    id: Arc<str>,
    def: ItemDef,
}

/// The dictionary set's items, looked up by the raw bytes of a naaccrId.
#[derive(Debug)]
pub(super) struct ItemIndex {
    by_id: IdMap,
    items: Vec<Indexed>,
    /// For each item (and [`NO_ITEM`] at the end), the item that followed it last time:
    /// records of one file share their item order, so this guess saves most hash lookups.
    follow: Vec<Cell<u32>>,
}

/// "No previous item" in the follow table.
const NO_ITEM: u32 = u32::MAX;

impl ItemIndex {
    pub(super) fn new(set: &DictionarySet) -> Self {
        let mut by_id = IdMap::default();
        let mut items = Vec::new();
        for (i, def) in set.items().enumerate() {
            by_id.insert(
                def.naaccr_id.as_bytes().into(),
                u32::try_from(i).unwrap_or(u32::MAX),
            );
            items.push(Indexed {
                id: Arc::from(def.naaccr_id.as_str()),
                def: def.clone(),
            });
        }
        let follow = vec![Cell::new(NO_ITEM); items.len() + 1];
        Self {
            by_id,
            items,
            follow,
        }
    }

    /// Looks a naaccrId up, trying first the item that followed `previous` last time.
    fn lookup_after(&self, previous: u32, naaccr_id: &[u8]) -> Option<u32> {
        let slot = if previous == NO_ITEM {
            self.follow.last()
        } else {
            self.follow.get(previous as usize)
        };
        if let Some(slot) = slot {
            let guess = slot.get();
            if self
                .items
                .get(guess as usize)
                .is_some_and(|i| i.id.as_bytes() == naaccr_id)
            {
                return Some(guess);
            }
            let found = self.position(naaccr_id);
            if let Some(p) = found {
                slot.set(p);
            }
            return found;
        }
        self.position(naaccr_id)
    }

    pub(super) fn position(&self, naaccr_id: &[u8]) -> Option<u32> {
        self.by_id.get(naaccr_id).copied()
    }

    pub(super) fn def(&self, position: u32) -> Option<&ItemDef> {
        self.items.get(position as usize).map(|i| &i.def)
    }

    fn entry(&self, position: u32) -> Option<&Indexed> {
        self.items.get(position as usize)
    }

    pub(super) fn len(&self) -> usize {
        self.items.len()
    }
}

/// Which naaccrIds were seen in the open element of each level (duplicates are fatal).
struct Seen {
    bits: Vec<u64>,
    set: Vec<u32>,
}

impl Seen {
    fn new(len: usize) -> Self {
        Self {
            bits: vec![0; len.div_ceil(64)],
            set: Vec::new(),
        }
    }

    /// Marks an item; false when it was already marked.
    fn insert(&mut self, position: u32) -> bool {
        let (word, bit) = ((position / 64) as usize, position % 64);
        match self.bits.get_mut(word) {
            Some(w) if *w & (1 << bit) != 0 => false,
            Some(w) => {
                *w |= 1 << bit;
                self.set.push(position);
                true
            }
            None => true,
        }
    }

    fn clear(&mut self) {
        for position in self.set.drain(..) {
            if let Some(w) = self.bits.get_mut((position / 64) as usize) {
                *w &= !(1 << (position % 64));
            }
        }
    }
}

/// What the reader expects next at the root level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A `<Patient>` start tag has been read and not yet processed.
    PatientPending { empty: bool },
    /// Between patients.
    BetweenPatients,
    /// The root is closed and the rest of the file checked.
    Done,
}

/// A position in the input: 1-based line and byte offset of that line's start.
#[derive(Debug, Clone, Copy)]
struct Mark {
    offset: u64,
    line: u64,
    line_start: u64,
}

impl Mark {
    fn column(self) -> u64 {
        self.offset.saturating_sub(self.line_start) + 1
    }
}

/// The parent of the item being read: its level, patient and tumor indexes.
#[derive(Debug, Clone, Copy)]
struct Place {
    level: ParentElement,
    patient: Option<usize>,
    tumor: Option<usize>,
}

/// The reader state apart from the parser and its buffer (so both can be borrowed at once).
struct State {
    index: ItemIndex,
    options: ReaderOptions,
    seen: [Seen; 3],
    /// Item text being assembled.
    text: Vec<u8>,
    /// naaccrId bytes of the item being read.
    id: Vec<u8>,
    /// naaccrNum of the item being read.
    num: Vec<u8>,
    spare_values: Vec<String>,
    spare_item_vecs: Vec<Vec<Item>>,
    value_problems: Vec<ValueProblem>,
    depth: usize,
    elements_in_patient: usize,
    /// Length of the last NAACCR start tag's content in `buf`, and of its name.
    tag_len: usize,
    name_len: usize,
    tag_newlines: u64,
    /// Per level, the dictionary position of the previous item of the open element.
    previous: [u32; 3],
}

/// Reads a NAACCR XML data file: the root on construction, then one patient per call.
pub struct NaaccrReader<R: BufRead> {
    xml: Reader<Counted<R>>,
    /// Namespace scopes, kept apart from the parser (see [`Scopes`]).
    scopes: Scopes,
    /// Bytes consumed by [`Self::fast_item`], behind the parser's back (added to its
    /// position).
    bypassed: u64,
    /// True when the parser is between markup (its last event was not text or a reference),
    /// so that the next bytes may be read without it.
    plain_next: bool,
    buf: Vec<u8>,
    dictionaries: Arc<DictionarySet>,
    root: RootData,
    state: State,
    phase: Phase,
    /// Where the pending `<Patient>` start tag is.
    pending_mark: Mark,
    patients: usize,
    failed: Option<FatalError>,
}

/// A parsed event, reduced to what the reader acts on (the parser's borrow ends here).
enum Step {
    /// A start (or empty) tag in the NAACCR namespace.
    Naaccr { name: Element, empty: bool },
    /// A start (or empty) tag in another namespace: an extension.
    Foreign { empty: bool },
    /// An end tag.
    End,
    /// Character data: `true` when only whitespace.
    Text { blank: bool },
    /// Comment, processing instruction, XML declaration: nothing to do.
    Skip,
    /// End of input.
    Eof,
}

/// The NAACCR elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    NaaccrData,
    Patient,
    Tumor,
    Item,
    Other,
}

impl Element {
    fn name(self) -> &'static str {
        match self {
            Self::NaaccrData => "NaaccrData",
            Self::Patient => "Patient",
            Self::Tumor => "Tumor",
            Self::Item => "Item",
            Self::Other => "an unknown NAACCR element",
        }
    }
}

fn element_of(local: &[u8]) -> Element {
    match local {
        b"Item" => Element::Item,
        b"Tumor" => Element::Tumor,
        b"Patient" => Element::Patient,
        b"NaaccrData" => Element::NaaccrData,
        _ => Element::Other,
    }
}

fn is_naaccr(ns: &ResolveResult<'_>) -> bool {
    matches!(ns, ResolveResult::Bound(Namespace(uri)) if *uri == NAACCR_XML_NAMESPACE.as_bytes())
}

/// Namespace scopes (Namespaces in XML 1.0), kept by the reader rather than by quick-xml's
/// `NsReader`, which looks through the attributes of every start tag for declarations. Here
/// only a start tag with `xmlns` in its attribute part can declare one, so only such tags are
/// handed to the resolver (which then opens a scope for them); the others cost a byte search.
/// The results are those of `NsReader`: same resolver, same scopes, same errors.
struct Scopes {
    resolver: NamespaceResolver,
    /// Nesting depth of the open element (0 outside the root).
    depth: usize,
    /// Depths of the open elements that declared namespaces (each one scope in the resolver).
    pushed: Vec<usize>,
    /// Whether an unprefixed element name is now in the NAACCR namespace.
    default_naaccr: bool,
}

impl Scopes {
    fn new() -> Self {
        Self {
            resolver: NamespaceResolver::default(),
            depth: 0,
            pushed: Vec::new(),
            default_naaccr: false,
        }
    }

    /// Keeps the scopes for one event; for a start or empty tag, also says whether the element
    /// is in the NAACCR namespace (false for the other events).
    fn event(&mut self, event: &Event<'_>) -> Result<bool, NamespaceError> {
        match event {
            Event::Start(e) => self.open(e, false, is_naaccr),
            Event::Empty(e) => self.open(e, true, is_naaccr),
            Event::End(_) => {
                self.close();
                Ok(false)
            }
            _ => Ok(false),
        }
    }

    /// Opens an element (and closes it again when it is empty), resolving its name with `f`.
    fn open<T>(
        &mut self,
        e: &BytesStart<'_>,
        empty: bool,
        f: impl FnOnce(&ResolveResult<'_>) -> T,
    ) -> Result<T, NamespaceError> {
        let content: &[u8] = e;
        let declares =
            declares_namespace(content.get(e.name().as_ref().len()..).unwrap_or_default());
        if !empty {
            self.depth += 1;
        }
        if declares {
            self.resolver.push(e)?;
        }
        let result = f(&self.resolver.resolve_element(e.name()).0);
        if declares {
            if empty {
                self.resolver.pop();
            } else {
                self.pushed.push(self.depth);
                self.update_default();
            }
        }
        Ok(result)
    }

    fn close(&mut self) {
        if self.pushed.last() == Some(&self.depth) {
            self.pushed.pop();
            self.resolver.pop();
            self.update_default();
        }
        self.depth = self.depth.saturating_sub(1);
    }

    fn update_default(&mut self) {
        let (ns, _) = self
            .resolver
            .resolve_element(quick_xml::name::QName(b"Item"));
        self.default_naaccr = is_naaccr(&ns);
    }
}

/// True when the attribute part of a start tag may declare a namespace: it holds `xmlns`
/// (every `xmlns` and `xmlns:prefix` attribute does; a false positive only costs a full look).
fn declares_namespace(attributes: &[u8]) -> bool {
    let mut rest = attributes;
    while let Some(x) = rest.iter().position(|&b| b == b'x') {
        let Some(after) = rest.get(x + 1..) else {
            return false;
        };
        if after.starts_with(b"mlns") {
            return true;
        }
        rest = after;
    }
    false
}

/// Reads the next event into `buf` and keeps the namespace scopes; for a start or empty tag,
/// also says whether it is in the NAACCR namespace.
fn read_event<'b, R: BufRead>(
    xml: &mut Reader<Counted<R>>,
    scopes: &mut Scopes,
    buf: &'b mut Vec<u8>,
) -> Result<(Event<'b>, bool), FatalKind> {
    let result = match xml.read_event_into(buf) {
        Ok(event) => scopes
            .event(&event)
            .map(|naaccr| (event, naaccr))
            .map_err(XmlError::from),
        Err(e) => Err(e),
    };
    result.map_err(|e| map_xml_error(&e, xml.get_mut().exceeded.as_ref()))
}

fn fatal(kind: FatalKind, at: Mark) -> FatalError {
    FatalError {
        kind,
        line: at.line,
        column: at.column(),
    }
}

fn not_well_formed(reason: impl Into<String>) -> FatalKind {
    FatalKind::NotWellFormed {
        reason: reason.into(),
    }
}

/// Appends text, normalising literal line ends (XML 1.0 section 2.11: CR LF and lone CR
/// become LF before the application sees them).
fn push_text(out: &mut Vec<u8>, raw: &[u8]) {
    if !raw.contains(&b'\r') {
        out.extend_from_slice(raw);
        return;
    }
    let mut bytes = raw.iter().peekable();
    while let Some(&b) = bytes.next() {
        if b == b'\r' {
            if bytes.peek() == Some(&&b'\n') {
                bytes.next();
            }
            out.push(b'\n');
        } else {
            out.push(b);
        }
    }
}

/// Decodes an entity or character reference (XML 1.0 section 4.6: the five predefined
/// entities; section 4.1: character references). Anything else is undefined here, since a
/// DOCTYPE, the only place entities could be declared, is refused.
fn push_reference(
    out: &mut Vec<u8>,
    reference: &quick_xml::events::BytesRef<'_>,
) -> Result<(), FatalKind> {
    let name: &[u8] = reference;
    let decoded = match name {
        b"amp" => '&',
        b"lt" => '<',
        b"gt" => '>',
        b"quot" => '"',
        b"apos" => '\'',
        _ if name.first() == Some(&b'#') => match reference.resolve_char_ref() {
            Ok(Some(c)) if is_xml_char(c) => c,
            Ok(_) | Err(_) => {
                return Err(not_well_formed(format!(
                    "invalid character reference &{};",
                    String::from_utf8_lossy(name)
                )));
            }
        },
        _ => {
            return Err(FatalKind::UndefinedEntity {
                name: String::from_utf8_lossy(name).into_owned(),
            });
        }
    };
    let mut utf8 = [0u8; 4];
    out.extend_from_slice(decoded.encode_utf8(&mut utf8).as_bytes());
    Ok(())
}

/// XML 1.0 section 2.2 `Char` (Rust chars are never surrogates).
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn map_xml_error(error: &XmlError, exceeded: Option<&FatalKind>) -> FatalKind {
    match error {
        XmlError::Io(io) => io_problem(io, exceeded),
        XmlError::Syntax(
            SyntaxError::UnclosedTag
            | SyntaxError::UnclosedComment
            | SyntaxError::UnclosedCData
            | SyntaxError::UnclosedPIOrXmlDecl,
        ) => FatalKind::UnexpectedEof,
        XmlError::Syntax(SyntaxError::UnclosedDoctype) => FatalKind::DoctypeNotAllowed,
        other => match exceeded {
            Some(kind) => kind.clone(),
            None => not_well_formed(other.to_string()),
        },
    }
}

/// The value of one attribute, entities decoded.
fn attribute_value(
    attr: &quick_xml::events::attributes::Attribute<'_>,
) -> Result<String, FatalKind> {
    match attr.unescape_value() {
        Ok(v) => Ok(v.into_owned()),
        Err(e) => Err(not_well_formed(e.to_string())),
    }
}

/// Parses an XML Schema `dateTime` (timeGenerated); a value without a zone is taken as UTC.
fn parse_time_generated(value: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(value) {
        return Some(t);
    }
    chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().fixed_offset())
}

impl<R: BufRead> NaaccrReader<R> {
    /// Reads the XML declaration and the root `NaaccrData` element with its root-level items,
    /// and finds the file's dictionaries.
    ///
    /// The checks follow the reference reader's order: specification version, base
    /// dictionary URI and NAACCR version, user dictionaries, record type, time generated.
    pub fn new(
        input: R,
        dictionaries: &impl DictionaryProvider,
        options: ReaderOptions,
    ) -> Result<Self, FatalError> {
        let counted = Counted::new(input, options.max_line_bytes, options.max_value_bytes);
        let mut xml = Reader::from_reader(counted);
        let mut scopes = Scopes::new();
        let config = xml.config_mut();
        // Exact positions in the prolog: blanks are events there. From the root on, blank text
        // between elements is skipped by the parser; trimming is switched off while an item's
        // text is read, where spaces are data (and are reported when leading/trailing).
        config.trim_text(false);
        config.expand_empty_elements = false;
        config.check_end_names = true;
        config.check_comments = true;
        let mut buf = Vec::with_capacity(8 * 1024);

        // Prolog: declaration, comments, processing instructions, whitespace, then the root.
        let (root_mark, root_empty, attrs) = loop {
            buf.clear();
            let at = mark(&mut xml, 0);
            let result = xml.read_event_into(&mut buf);
            // The root's namespace is resolved below (its URI goes into the error).
            let event = match result {
                Ok(event @ (Event::Start(_) | Event::Empty(_))) => event,
                Ok(event) => match scopes.event(&event) {
                    Ok(_) => event,
                    Err(e) => {
                        let exceeded = xml.get_mut().exceeded.clone();
                        return Err(fatal(
                            map_xml_error(&XmlError::from(e), exceeded.as_ref()),
                            at,
                        ));
                    }
                },
                Err(e) => {
                    let exceeded = xml.get_mut().exceeded.clone();
                    return Err(fatal(map_xml_error(&e, exceeded.as_ref()), at));
                }
            };
            match event {
                Event::Decl(decl) => {
                    if let Some(Ok(encoding)) = decl.encoding() {
                        let name = String::from_utf8_lossy(&encoding).into_owned();
                        if !name.eq_ignore_ascii_case("utf-8") && !name.eq_ignore_ascii_case("utf8")
                        {
                            return Err(fatal(
                                FatalKind::UnsupportedEncoding { encoding: name },
                                at,
                            ));
                        }
                    }
                }
                Event::DocType(_) => return Err(fatal(FatalKind::DoctypeNotAllowed, at)),
                Event::Comment(_) | Event::PI(_) => {}
                Event::Text(t) => {
                    if !t.iter().all(u8::is_ascii_whitespace) {
                        return Err(fatal(not_well_formed("text before the root element"), at));
                    }
                }
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(event, Event::Empty(_));
                    // None when in the NAACCR namespace, else what the element is in.
                    let found = scopes
                        .open(e, empty, |ns| match ns {
                            _ if is_naaccr(ns) => None,
                            ResolveResult::Bound(Namespace(uri)) => {
                                Some(String::from_utf8_lossy(uri).into_owned())
                            }
                            _ => Some("no namespace".to_owned()),
                        })
                        .map_err(|e| {
                            let exceeded = xml.get_mut().exceeded.clone();
                            fatal(map_xml_error(&XmlError::from(e), exceeded.as_ref()), at)
                        })?;
                    let local = e.local_name();
                    if local.as_ref() != b"NaaccrData" {
                        return Err(fatal(
                            FatalKind::WrongRootElement {
                                found: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                            },
                            at,
                        ));
                    }
                    if let Some(found) = found {
                        return Err(fatal(FatalKind::WrongNamespace { found }, at));
                    }
                    let mut attrs: Vec<(Vec<u8>, String)> = Vec::new();
                    for attr in e.attributes() {
                        let attr =
                            attr.map_err(|err| fatal(not_well_formed(err.to_string()), at))?;
                        let value = attribute_value(&attr).map_err(|k| fatal(k, at))?;
                        attrs.push((attr.key.as_ref().to_vec(), value));
                    }
                    break (at, empty, attrs);
                }
                Event::End(_) => {
                    return Err(fatal(
                        not_well_formed("end tag before the root element"),
                        at,
                    ));
                }
                Event::CData(_) | Event::GeneralRef(_) => {
                    return Err(fatal(
                        not_well_formed("content before the root element"),
                        at,
                    ));
                }
                Event::Eof => return Err(fatal(FatalKind::UnexpectedEof, at)),
            }
        };

        let attr = |name: &[u8]| {
            attrs
                .iter()
                .find(|(k, _)| k.as_slice() == name)
                .map(|(_, v)| v.as_str())
        };
        let specification_version = match attr(b"specificationVersion") {
            None => SpecVersion::V1_0,
            Some(v) => SpecVersion::parse(v).ok_or_else(|| {
                fatal(
                    FatalKind::BadSpecificationVersion {
                        value: v.to_owned(),
                    },
                    root_mark,
                )
            })?,
        };
        let base_dictionary_uri = attr(b"baseDictionaryUri")
            .ok_or_else(|| fatal(FatalKind::MissingBaseDictionaryUri, root_mark))?
            .to_owned();
        let naaccr_version = version_from_uri(&base_dictionary_uri).ok_or_else(|| {
            fatal(
                FatalKind::BadBaseDictionaryUri {
                    uri: base_dictionary_uri.clone(),
                },
                root_mark,
            )
        })?;
        let user_dictionary_uris: Vec<String> = match attr(b"userDictionaryUri") {
            None => Vec::new(),
            Some(v) if v.trim().is_empty() => Vec::new(),
            // Before specification 1.2 the attribute held a single URI.
            Some(v) if specification_version < SpecVersion::V1_2 => vec![v.trim().to_owned()],
            Some(v) => v.split_ascii_whitespace().map(str::to_owned).collect(),
        };
        let set = dictionaries
            .dictionaries(&naaccr_version, &user_dictionary_uris)
            .ok_or_else(|| {
                fatal(
                    FatalKind::UnsupportedNaaccrVersion {
                        version: naaccr_version.clone(),
                    },
                    root_mark,
                )
            })?;
        for uri in &user_dictionary_uris {
            if !set.user_dictionaries().iter().any(|d| d.uri() == uri) {
                return Err(fatal(
                    FatalKind::UserDictionaryNotAvailable { uri: uri.clone() },
                    root_mark,
                ));
            }
        }
        let record_type = match attr(b"recordType") {
            None => return Err(fatal(FatalKind::MissingRecordType, root_mark)),
            Some(v) => RecordType::parse(v.trim()).ok_or_else(|| {
                fatal(
                    FatalKind::BadRecordType {
                        value: v.to_owned(),
                    },
                    root_mark,
                )
            })?,
        };
        let mut problems = Vec::new();
        let time_generated = match attr(b"timeGenerated") {
            None => None,
            Some(v) => {
                let parsed = parse_time_generated(v.trim());
                if parsed.is_none() {
                    problems.push(ItemProblem {
                        kind: ItemProblemKind::BadTimeGenerated {
                            value: v.to_owned(),
                        },
                        naaccr_id: None,
                        patient: None,
                        tumor: None,
                        line: root_mark.line,
                        column: root_mark.column(),
                    });
                }
                parsed
            }
        };

        xml.config_mut().trim_text(true);
        let index = ItemIndex::new(&set);
        let len = index.len();
        let state = State {
            index,
            options,
            seen: [Seen::new(len), Seen::new(len), Seen::new(len)],
            text: Vec::with_capacity(4096),
            id: Vec::with_capacity(64),
            num: Vec::with_capacity(16),
            spare_values: Vec::new(),
            spare_item_vecs: Vec::new(),
            value_problems: Vec::new(),
            depth: 1,
            elements_in_patient: 0,
            tag_len: 0,
            name_len: 0,
            tag_newlines: 0,
            previous: [NO_ITEM; 3],
        };
        let mut reader = Self {
            xml,
            scopes,
            bypassed: 0,
            plain_next: true,
            buf,
            dictionaries: set,
            root: RootData {
                base_dictionary_uri,
                naaccr_version,
                user_dictionary_uris,
                record_type,
                time_generated,
                specification_version,
                items: Vec::new(),
                problems,
            },
            state,
            phase: Phase::BetweenPatients,
            pending_mark: root_mark,
            patients: 0,
            failed: None,
        };
        if root_empty {
            reader.finish_document()?;
        } else {
            reader.read_root_items()?;
        }
        Ok(reader)
    }

    /// The root element's attributes, items and problems.
    pub fn root(&self) -> &RootData {
        &self.root
    }

    /// The dictionaries the file is read with.
    pub fn dictionaries(&self) -> &Arc<DictionarySet> {
        &self.dictionaries
    }

    /// The next patient, or `None` after the last one.
    pub fn next_patient(&mut self) -> Result<Option<Patient>, FatalError> {
        let mut patient = Patient::default();
        if self.read_patient_into(&mut patient)? {
            Ok(Some(patient))
        } else {
            Ok(None)
        }
    }

    /// Reads the next patient into `patient`, reusing its allocations; false after the last.
    ///
    /// After a fatal error every later call returns the same error.
    pub fn read_patient_into(&mut self, patient: &mut Patient) -> Result<bool, FatalError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        self.recycle(patient);
        match self.read_patient(patient) {
            Ok(found) => Ok(found),
            Err(error) => {
                self.failed = Some(error.clone());
                Err(error)
            }
        }
    }

    /// Moves the strings and vectors of a used patient into the spare pools.
    fn recycle(&mut self, patient: &mut Patient) {
        const MAX_SPARE: usize = 1 << 14;
        let st = &mut self.state;
        let mut take = |items: &mut Vec<Item>| {
            for item in items.drain(..) {
                if st.spare_values.len() < MAX_SPARE {
                    let mut value = item.value;
                    value.clear();
                    st.spare_values.push(value);
                }
            }
        };
        take(&mut patient.items);
        for mut tumor in patient.tumors.drain(..) {
            take(&mut tumor.items);
            if st.spare_item_vecs.len() < 64 {
                st.spare_item_vecs.push(tumor.items);
            }
        }
        patient.problems.clear();
    }

    fn read_patient(&mut self, patient: &mut Patient) -> Result<bool, FatalError> {
        let mut empty = loop {
            match self.phase {
                Phase::Done => return Ok(false),
                Phase::PatientPending { empty } => break empty,
                Phase::BetweenPatients => {}
            }
            let pre = self.next_mark();
            let (step, at) = self.step(pre)?;
            match step {
                Step::Naaccr {
                    name: Element::Patient,
                    empty,
                } => {
                    self.phase = Phase::PatientPending { empty };
                    self.pending_mark = at;
                }
                Step::Naaccr { name, .. } => {
                    return Err(fatal(
                        FatalKind::MisplacedElement {
                            element: name.name().to_owned(),
                            parent: "NaaccrData after the first Patient".to_owned(),
                        },
                        at,
                    ));
                }
                Step::Foreign { empty } => self.skip_foreign(empty, at)?,
                Step::End => {
                    self.finish_document()?;
                    return Ok(false);
                }
                Step::Text { blank: true } | Step::Skip => {}
                Step::Text { blank: false } => {
                    return Err(fatal(
                        FatalKind::UnexpectedText {
                            parent: "NaaccrData".to_owned(),
                        },
                        at,
                    ));
                }
                Step::Eof => return Err(fatal(FatalKind::UnexpectedEof, at)),
            }
        };
        let start = self.pending_mark;
        self.phase = Phase::BetweenPatients;
        let index = self.patients;
        self.patients += 1;
        patient.index = index;
        patient.line = start.line;
        self.state.elements_in_patient = 0;
        self.state.depth = 2;
        let place = Place {
            level: ParentElement::Patient,
            patient: Some(index),
            tumor: None,
        };
        while !empty {
            if self.fast_item(place, &mut patient.items, &mut patient.problems)? {
                continue;
            }
            let pre = self.next_mark();
            let (step, at) = self.step(pre)?;
            match step {
                Step::Naaccr {
                    name: Element::Item,
                    empty: item_empty,
                } => {
                    self.count_element(at)?;
                    self.read_item(
                        item_empty,
                        at,
                        place,
                        &mut patient.items,
                        &mut patient.problems,
                    )?;
                }
                Step::Naaccr {
                    name: Element::Tumor,
                    empty: tumor_empty,
                } => {
                    self.count_element(at)?;
                    let mut items = self.state.spare_item_vecs.pop().unwrap_or_default();
                    let tumor_index = patient.tumors.len();
                    self.read_tumor(
                        tumor_empty,
                        index,
                        tumor_index,
                        &mut items,
                        &mut patient.problems,
                    )?;
                    patient.tumors.push(Tumor {
                        index: tumor_index,
                        line: at.line,
                        items,
                    });
                }
                Step::Naaccr { name, .. } => {
                    return Err(fatal(
                        FatalKind::MisplacedElement {
                            element: name.name().to_owned(),
                            parent: "Patient".to_owned(),
                        },
                        at,
                    ));
                }
                Step::Foreign { empty } => {
                    self.count_element(at)?;
                    self.skip_foreign(empty, at)?;
                }
                Step::End => empty = true,
                Step::Text { blank: true } | Step::Skip => {}
                Step::Text { blank: false } => {
                    return Err(fatal(
                        FatalKind::UnexpectedText {
                            parent: "Patient".to_owned(),
                        },
                        at,
                    ));
                }
                Step::Eof => return Err(fatal(FatalKind::UnexpectedEof, at)),
            }
        }
        if let Some(seen) = self.state.seen.get_mut(1) {
            seen.clear();
        }
        self.state.previous = [NO_ITEM; 3];
        self.state.depth = 1;
        Ok(true)
    }

    fn read_tumor(
        &mut self,
        empty: bool,
        patient: usize,
        tumor: usize,
        items: &mut Vec<Item>,
        problems: &mut Vec<ItemProblem>,
    ) -> Result<(), FatalError> {
        let place = Place {
            level: ParentElement::Tumor,
            patient: Some(patient),
            tumor: Some(tumor),
        };
        self.state.depth = 3;
        let mut done = empty;
        while !done {
            if self.fast_item(place, items, problems)? {
                continue;
            }
            let pre = self.next_mark();
            let (step, at) = self.step(pre)?;
            match step {
                Step::Naaccr {
                    name: Element::Item,
                    empty,
                } => {
                    self.count_element(at)?;
                    self.read_item(empty, at, place, items, problems)?;
                }
                Step::Naaccr { name, .. } => {
                    return Err(fatal(
                        FatalKind::MisplacedElement {
                            element: name.name().to_owned(),
                            parent: "Tumor".to_owned(),
                        },
                        at,
                    ));
                }
                Step::Foreign { empty } => {
                    self.count_element(at)?;
                    self.skip_foreign(empty, at)?;
                }
                Step::End => done = true,
                Step::Text { blank: true } | Step::Skip => {}
                Step::Text { blank: false } => {
                    return Err(fatal(
                        FatalKind::UnexpectedText {
                            parent: "Tumor".to_owned(),
                        },
                        at,
                    ));
                }
                Step::Eof => return Err(fatal(FatalKind::UnexpectedEof, at)),
            }
        }
        if let Some(seen) = self.state.seen.get_mut(2) {
            seen.clear();
        }
        if let Some(previous) = self.state.previous.get_mut(2) {
            *previous = NO_ITEM;
        }
        self.state.depth = 2;
        Ok(())
    }

    /// Root-level items, up to the first patient (or the end of the root).
    fn read_root_items(&mut self) -> Result<(), FatalError> {
        let place = Place {
            level: ParentElement::NaaccrData,
            patient: None,
            tumor: None,
        };
        let mut items = Vec::new();
        let mut problems = std::mem::take(&mut self.root.problems);
        let mut extension_seen = false;
        loop {
            let pre = self.next_mark();
            let (step, at) = self.step(pre)?;
            match step {
                Step::Naaccr {
                    name: Element::Item,
                    empty,
                } => {
                    if extension_seen {
                        // The schema puts root items before any extension.
                        return Err(fatal(
                            FatalKind::MisplacedElement {
                                element: "Item".to_owned(),
                                parent: "NaaccrData after an extension".to_owned(),
                            },
                            at,
                        ));
                    }
                    self.read_item(empty, at, place, &mut items, &mut problems)?;
                }
                Step::Naaccr {
                    name: Element::Patient,
                    empty,
                } => {
                    self.phase = Phase::PatientPending { empty };
                    self.pending_mark = at;
                    break;
                }
                Step::Naaccr { name, .. } => {
                    return Err(fatal(
                        FatalKind::MisplacedElement {
                            element: name.name().to_owned(),
                            parent: "NaaccrData".to_owned(),
                        },
                        at,
                    ));
                }
                Step::Foreign { empty } => {
                    extension_seen = true;
                    self.skip_foreign(empty, at)?;
                }
                Step::End => {
                    self.root.items = items;
                    self.root.problems = problems;
                    return self.finish_document();
                }
                Step::Text { blank: true } | Step::Skip => {}
                Step::Text { blank: false } => {
                    return Err(fatal(
                        FatalKind::UnexpectedText {
                            parent: "NaaccrData".to_owned(),
                        },
                        at,
                    ));
                }
                Step::Eof => return Err(fatal(FatalKind::UnexpectedEof, at)),
            }
        }
        if let Some(seen) = self.state.seen.get_mut(0) {
            seen.clear();
        }
        self.root.items = items;
        self.root.problems = problems;
        Ok(())
    }

    /// After the root's end tag only whitespace, comments and processing instructions may
    /// follow (XML 1.0 section 2.1, `Misc*`).
    fn finish_document(&mut self) -> Result<(), FatalError> {
        self.phase = Phase::Done;
        loop {
            let pre = self.next_mark();
            let (step, at) = self.step(pre)?;
            match step {
                Step::Eof => return Ok(()),
                Step::Text { blank: true } | Step::Skip => {}
                _ => {
                    return Err(fatal(not_well_formed("content after the root element"), at));
                }
            }
        }
    }

    fn next_mark(&mut self) -> Mark {
        mark(&mut self.xml, self.bypassed)
    }

    fn count_element(&mut self, at: Mark) -> Result<(), FatalError> {
        self.state.elements_in_patient += 1;
        let max = self.state.options.max_elements_per_patient;
        if self.state.elements_in_patient > max {
            return Err(fatal(FatalKind::TooManyElements { max }, at));
        }
        Ok(())
    }

    /// Reads one event at the structure level (outside items).
    /// Returns the step and where it starts (for a start tag, the position of its `<`).
    fn step(&mut self, at: Mark) -> Result<(Step, Mark), FatalError> {
        self.buf.clear();
        let (event, naaccr) =
            read_event(&mut self.xml, &mut self.scopes, &mut self.buf).map_err(|k| fatal(k, at))?;
        self.plain_next = !matches!(event, Event::Text(_) | Event::GeneralRef(_));
        let step = match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                self.state.tag_len = e.len();
                self.state.name_len = e.name().as_ref().len();
                self.state.tag_newlines = e.iter().filter(|&&b| b == b'\n').count() as u64;
                start_step(naaccr, e, matches!(event, Event::Empty(_)))
            }
            Event::End(_) => Step::End,
            Event::Text(t) => Step::Text {
                blank: t.iter().all(u8::is_ascii_whitespace),
            },
            Event::CData(_) | Event::GeneralRef(_) => Step::Text { blank: false },
            Event::Comment(_) | Event::PI(_) => Step::Skip,
            Event::Decl(_) => {
                return Err(fatal(
                    not_well_formed("XML declaration inside the document"),
                    at,
                ));
            }
            Event::DocType(_) => return Err(fatal(FatalKind::DoctypeNotAllowed, at)),
            Event::Eof => Step::Eof,
        };
        let end = self.xml.buffer_position() + self.bypassed;
        let counted = self.xml.get_mut();
        if let Some(kind) = &counted.exceeded {
            return Err(fatal(kind.clone(), at));
        }
        let at = match step {
            // With whitespace trimmed at the structure level, the event may start with skipped
            // blanks: the tag's `<` is found back from its end (`<` + content + `>` or `/>`).
            Step::Naaccr { empty, .. } | Step::Foreign { empty } => {
                let tag = self.state.tag_len as u64 + if empty { 3 } else { 2 };
                let offset = end.saturating_sub(tag);
                // The tag's start may be in a buffer already released: count back from its end.
                let (line, line_start) = counted.position(counted.offset);
                let newlines = self.state.tag_newlines;
                Mark {
                    offset,
                    line: line.saturating_sub(newlines),
                    // A tag spanning lines: its line's start is not tracked; column 1.
                    line_start: if newlines == 0 { line_start } else { offset },
                }
            }
            _ => at,
        };
        Ok((step, at))
    }

    /// Skips an extension element and everything in it (the standard: "elements from other
    /// namespaces ... are ignored" by readers that do not know them), within the depth cap.
    fn skip_foreign(&mut self, empty: bool, at: Mark) -> Result<(), FatalError> {
        if empty {
            return Ok(());
        }
        let base = self.state.depth;
        let max = self.state.options.max_depth;
        let mut depth = base + 1;
        if depth > max {
            return Err(fatal(FatalKind::NestingTooDeep { max }, at));
        }
        while depth > base {
            let pre = self.next_mark();
            let (step, here) = self.step(pre)?;
            match step {
                Step::Naaccr { empty: false, .. } | Step::Foreign { empty: false } => {
                    depth += 1;
                    if depth > max {
                        return Err(fatal(FatalKind::NestingTooDeep { max }, here));
                    }
                }
                Step::End => depth -= 1,
                Step::Eof => return Err(fatal(FatalKind::UnexpectedEof, here)),
                _ => {}
            }
        }
        Ok(())
    }

    /// Reads one `Item` whose start tag was the last event: attributes, text, checks.
    fn read_item(
        &mut self,
        empty: bool,
        at: Mark,
        place: Place,
        items: &mut Vec<Item>,
        problems: &mut Vec<ItemProblem>,
    ) -> Result<(), FatalError> {
        // The start tag is still in `buf`: take the two attributes from it.
        self.state.id.clear();
        self.state.num.clear();
        let content = self.buf.get(..self.state.tag_len).unwrap_or_default();
        let found = item_attributes(
            content.get(self.state.name_len..).unwrap_or_default(),
            &mut self.state.id,
            &mut self.state.num,
        )
        .map_err(|k| fatal(k, at))?;
        let has_num = found.num;
        if !found.id {
            return Err(fatal(FatalKind::MissingNaaccrId, at));
        }

        // The text: character data, references and CDATA sections up to the end tag.
        self.state.text.clear();
        if !empty {
            // Spaces in an item's text are data: no trimming until its end tag.
            self.xml.config_mut().trim_text(false);
            loop {
                let here = self.next_mark();
                self.buf.clear();
                let (event, _) = read_event(&mut self.xml, &mut self.scopes, &mut self.buf)
                    .map_err(|k| fatal(k, here))?;
                match event {
                    Event::Text(t) => push_text(&mut self.state.text, &t),
                    Event::GeneralRef(r) => {
                        push_reference(&mut self.state.text, &r).map_err(|k| fatal(k, here))?;
                    }
                    Event::CData(c) => push_text(&mut self.state.text, &c),
                    Event::End(_) => {
                        self.xml.config_mut().trim_text(true);
                        break;
                    }
                    Event::Comment(_) | Event::PI(_) => {}
                    Event::Start(e) | Event::Empty(e) => {
                        return Err(fatal(
                            FatalKind::MisplacedElement {
                                element: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                                parent: "Item".to_owned(),
                            },
                            here,
                        ));
                    }
                    Event::Decl(_) => {
                        return Err(fatal(
                            not_well_formed("XML declaration inside an Item"),
                            here,
                        ));
                    }
                    Event::DocType(_) => return Err(fatal(FatalKind::DoctypeNotAllowed, here)),
                    Event::Eof => return Err(fatal(FatalKind::UnexpectedEof, here)),
                }
                if let Some(kind) = &self.xml.get_mut().exceeded {
                    return Err(fatal(kind.clone(), here));
                }
                let max = self.state.options.max_value_bytes;
                if self.state.text.len() > max {
                    return Err(fatal(FatalKind::ValueTooLarge { max }, at));
                }
            }
        }
        self.plain_next = true;
        self.finish_item(has_num, at, place, items, problems)
    }

    /// Reads one `Item` of the plain form, `<Item naaccrId="..." ...>text</Item>` with text
    /// free of references and markup, directly from the input buffer, without the parser;
    /// false (nothing consumed) when the next element is not of that form, is not wholly
    /// buffered, or might pass a cap: the parser then reads it. The result, positions and
    /// problems included, is what the parser path gives.
    fn fast_item(
        &mut self,
        place: Place,
        items: &mut Vec<Item>,
        problems: &mut Vec<ItemProblem>,
    ) -> Result<bool, FatalError> {
        // The parser must be between markup (not inside text or a reference), and an
        // unprefixed `Item` without declarations must be in the NAACCR namespace.
        if !self.plain_next || !self.scopes.default_naaccr {
            return Ok(false);
        }
        let position = self.xml.buffer_position() + self.bypassed;
        let max_value = self.state.options.max_value_bytes;
        let counted = self.xml.get_mut();
        // What the parser path's mark does before the event.
        counted.start_event();
        let room = counted.room();
        let st = &mut self.state;
        let Some(plain) = plain_item(counted.peek(), max_value, &mut st.id, &mut st.num) else {
            return Ok(false);
        };
        if plain.total as u64 > room {
            return Ok(false);
        }
        st.text.clear();
        push_text(&mut st.text, plain.value(counted.peek()));
        let start = counted.offset;
        counted.consume(plain.total);
        self.bypassed += plain.total as u64;
        // Lines up to the item (counted), then through it (known from the blanks).
        counted.position(start);
        let (line, line_start) = counted.known(
            start + plain.total as u64,
            plain.newlines,
            plain.last_newline.map(|i| start + i as u64),
        );
        let at = Mark {
            offset: position + plain.blank as u64,
            line,
            line_start,
        };
        self.count_element(at)?;
        self.finish_item(plain.has_num, at, place, items, problems)?;
        Ok(true)
    }

    /// Checks and keeps an item whose naaccrId, naaccrNum and text are in the state.
    fn finish_item(
        &mut self,
        has_num: bool,
        at: Mark,
        place: Place,
        items: &mut Vec<Item>,
        problems: &mut Vec<ItemProblem>,
    ) -> Result<(), FatalError> {
        let st = &mut self.state;
        // The assembled text becomes the item's value; a spare string becomes the next buffer.
        let spare = st
            .spare_values
            .pop()
            .map(String::into_bytes)
            .unwrap_or_default();
        let owned = String::from_utf8(std::mem::replace(&mut st.text, spare)).map_err(|e| {
            fatal(
                not_well_formed(format!(
                    "invalid UTF-8 in an item value: {}",
                    e.utf8_error()
                )),
                at,
            )
        })?;
        let value = owned.as_str();
        let level_slot = match place.level {
            ParentElement::NaaccrData => 0,
            ParentElement::Patient => 1,
            ParentElement::Tumor => 2,
        };
        let previous = st.previous.get(level_slot).copied().unwrap_or(NO_ITEM);
        let position = st.index.lookup_after(previous, &st.id);
        if let (Some(p), Some(slot)) = (position, st.previous.get_mut(level_slot)) {
            *slot = p;
        }

        // Duplicates in one element are fatal, as in the reference reader.
        let duplicate = match position {
            Some(p) => st.seen.get_mut(level_slot).is_some_and(|s| !s.insert(p)),
            None => items
                .iter()
                .any(|i| i.naaccr_id.as_bytes() == st.id.as_slice()),
        };
        let id_str = || String::from_utf8_lossy(&st.id).into_owned();
        if duplicate {
            return Err(fatal(
                FatalKind::DuplicateItem {
                    naaccr_id: id_str(),
                    parent: place.level,
                },
                at,
            ));
        }
        // An item without a value is absent (the standard leaves such items out); nothing to
        // keep and nothing to report.
        if value.is_empty() {
            st.spare_values.push(owned);
            return Ok(());
        }

        let problem = |kind: ItemProblemKind, naaccr_id: String| ItemProblem {
            kind,
            naaccr_id: Some(naaccr_id),
            patient: place.patient,
            tumor: place.tumor,
            line: at.line,
            column: at.column(),
        };
        let naaccr_id: Arc<str> = match position.and_then(|p| st.index.entry(p)) {
            Some(entry) => {
                let def = &entry.def;
                if has_num {
                    let matches = std::str::from_utf8(&st.num)
                        .ok()
                        .and_then(|n| n.parse::<u32>().ok())
                        == Some(def.naaccr_num);
                    if !matches {
                        problems.push(problem(
                            ItemProblemKind::NaaccrNumMismatch {
                                found: String::from_utf8_lossy(&st.num).into_owned(),
                                expected: def.naaccr_num,
                            },
                            def.naaccr_id.clone(),
                        ));
                    }
                }
                if def.parent != place.level {
                    problems.push(problem(
                        ItemProblemKind::WrongLevel {
                            expected: def.parent,
                            found: place.level,
                        },
                        def.naaccr_id.clone(),
                    ));
                }
                st.value_problems.clear();
                if st.options.check_values {
                    validate_value_into(def, value, &mut st.value_problems);
                }
                for p in st.value_problems.drain(..) {
                    problems.push(problem(ItemProblemKind::Value(p), def.naaccr_id.clone()));
                }
                entry.id.clone()
            }
            None => {
                let id = std::str::from_utf8(&st.id).map_err(|e| {
                    fatal(
                        not_well_formed(format!("invalid UTF-8 in a naaccrId: {e}")),
                        at,
                    )
                })?;
                problems.push(problem(ItemProblemKind::UnknownNaaccrId, id.to_owned()));
                Arc::from(id)
            }
        };
        items.push(Item {
            naaccr_id,
            value: owned,
            line: at.line,
            column: at.column(),
        });
        Ok(())
    }
}

/// Where the parts of a plain item lie in the buffer (see [`NaaccrReader::fast_item`]).
struct PlainItem {
    /// Blanks before the `<`.
    blank: usize,
    /// Newlines in the blanks (the only ones in the item), and where the last one is.
    newlines: u64,
    last_newline: Option<usize>,
    /// End of the start tag (after its `>`).
    tag_end: usize,
    /// End of the text (its `</Item>` starts here).
    text_end: usize,
    /// Whole length, end tag included.
    total: usize,
    has_num: bool,
}

impl PlainItem {
    fn value<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        bytes.get(self.tag_end..self.text_end).unwrap_or_default()
    }
}

/// XML 1.0 section 2.3 `S` (also what the parser skips).
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Recognises blanks and then a plain item at the head of `bytes`: `<Item`, a blank,
/// attributes that [`item_attributes`] accepts with a naaccrId and without namespace
/// declarations, `>`, text of at most `max_value` bytes without `<`, `&` or a newline, then
/// `</Item>`; no newline from the `<` on.
/// Fills `id` and `num` (also when the answer is no).
fn plain_item(
    bytes: &[u8],
    max_value: usize,
    id: &mut Vec<u8>,
    num: &mut Vec<u8>,
) -> Option<PlainItem> {
    // Blanks, with their newlines counted.
    let (mut blank, mut newlines, mut last_newline) = (0, 0, None);
    for &b in bytes {
        match b {
            b'\n' => {
                newlines += 1;
                last_newline = Some(blank);
            }
            b' ' | b'\t' | b'\r' => {}
            _ => break,
        }
        blank += 1;
    }
    let after = bytes.get(blank..)?.strip_prefix(b"<Item")?;
    if !after.first().copied().is_some_and(is_blank) {
        return None;
    }
    // No newline from the `<` on (so the item's line is known from the blanks alone).
    let gt = find_either(after, b'>', b'\n')?;
    if after.get(gt) != Some(&b'>') {
        return None;
    }
    let attributes = after.get(..gt)?;
    if attributes.last() == Some(&b'/') {
        return None;
    }
    id.clear();
    num.clear();
    // Attributes that item_attributes accepts are read alike by the parser's attribute
    // iterator, so an `xmlns` key there is the only way the tag can declare a namespace.
    let found = item_attributes(attributes, id, num).ok()?;
    if !found.id || found.declares {
        return None;
    }
    let has_num = found.num;
    let text = after.get(gt + 1..)?;
    let lt = find_any(text, b'<', b'&', b'\n')?;
    if lt > max_value || !text.get(lt..)?.starts_with(b"</Item>") {
        return None;
    }
    let tag_end = blank + 5 + gt + 1;
    Some(PlainItem {
        blank,
        newlines,
        last_newline,
        tag_end,
        text_end: tag_end + lt,
        total: tag_end + lt + 7,
        has_num,
    })
}

/// What [`item_attributes`] found besides the two values.
struct FoundAttributes {
    /// `naaccrId` was present.
    id: bool,
    /// `naaccrNum` was present.
    num: bool,
    /// Some attribute name starts with `xmlns` (a namespace declaration).
    declares: bool,
}

/// Reads `naaccrId` and `naaccrNum` from the attribute part of an `Item` start tag (XML 1.0
/// section 3.1: `S Name Eq AttValue`, quotes single or double; other attributes, such as
/// extensions in other namespaces, are skipped). Says which of the two were present.
fn item_attributes(
    mut rest: &[u8],
    id: &mut Vec<u8>,
    num: &mut Vec<u8>,
) -> Result<FoundAttributes, FatalKind> {
    let (mut has_id, mut has_num, mut declares) = (false, false, false);
    let bad = |what: &str| not_well_formed(format!("malformed attribute in an Item tag: {what}"));
    loop {
        rest = rest.trim_ascii_start();
        if rest.is_empty() || rest == b"/" {
            return Ok(FoundAttributes {
                id: has_id,
                num: has_num,
                declares,
            });
        }
        let eq = find_either(rest, b'=', b'=').ok_or_else(|| bad("missing ="))?;
        let (key, after) = rest.split_at(eq);
        let key = key.trim_ascii_end();
        if key.is_empty()
            || key
                .iter()
                .any(|b| b.is_ascii_whitespace() || *b == b'<' || *b == b'"' || *b == b'\'')
        {
            return Err(bad("bad name"));
        }
        declares |= key.starts_with(b"xmlns");
        let after = after.get(1..).unwrap_or_default().trim_ascii_start();
        let quote = *after.first().ok_or_else(|| bad("missing value"))?;
        if quote != b'"' && quote != b'\'' {
            return Err(bad("unquoted value"));
        }
        let body = after.get(1..).unwrap_or_default();
        let close = find_either(body, quote, quote).ok_or_else(|| bad("unclosed value"))?;
        let value = body.get(..close).unwrap_or_default();
        let (lt, amp) = match find_either(value, b'<', b'&') {
            None => (false, false),
            Some(_) => (value.contains(&b'<'), value.contains(&b'&')),
        };
        if lt {
            return Err(bad("< in a value"));
        }
        rest = body.get(close + 1..).unwrap_or_default();
        if rest
            .first()
            .is_some_and(|b| !b.is_ascii_whitespace() && *b != b'/')
        {
            return Err(bad("no space between attributes"));
        }
        let (target, seen) = match key {
            b"naaccrId" => (&mut *id, &mut has_id),
            b"naaccrNum" => (&mut *num, &mut has_num),
            _ => continue,
        };
        if *seen {
            return Err(bad("attribute repeated"));
        }
        *seen = true;
        if amp {
            let text = std::str::from_utf8(value).map_err(|_| bad("invalid UTF-8"))?;
            let decoded =
                quick_xml::escape::unescape(text).map_err(|e| not_well_formed(e.to_string()))?;
            target.extend_from_slice(decoded.trim().as_bytes());
        } else {
            target.extend_from_slice(value.trim_ascii());
        }
    }
}

fn start_step(naaccr: bool, e: &BytesStart<'_>, empty: bool) -> Step {
    if naaccr {
        Step::Naaccr {
            name: element_of(e.local_name().as_ref()),
            empty,
        }
    } else {
        Step::Foreign { empty }
    }
}

fn mark<R: BufRead>(xml: &mut Reader<Counted<R>>, bypassed: u64) -> Mark {
    let offset = xml.buffer_position() + bypassed;
    let counted = xml.get_mut();
    counted.start_event();
    let (line, line_start) = counted.position(counted.offset);
    Mark {
        offset,
        line,
        line_start,
    }
}
