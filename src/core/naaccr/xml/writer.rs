//! NAACCR XML writer: byte-stable output any conforming reader reads back.
//!
//! Layout (fixed, so that the same data always gives the same bytes): an XML declaration, the
//! root attributes in the order `baseDictionaryUri`, `userDictionaryUri`, `recordType`,
//! `timeGenerated`, `specificationVersion`, `xmlns`; 4-space indentation; LF line ends; the
//! items of each element in the dictionary set's order (base items in dictionary file order,
//! then user items), whatever order the caller holds them in; only `naaccrId` on items (the
//! reference writer's default leaves `naaccrNum` out too).
//!
//! What is refused or left out (NAACCR XML v1.8; XML 1.0 section 2.2 `Char`):
//! - items whose dictionary `recordTypes` do not include the file's record type are left out,
//!   so a confidential item never reaches an incidence file;
//! - items with an empty value are left out (the standard omits items without a value);
//! - a value longer than its item is an error, never truncated;
//! - an item the dictionary does not define, or at the wrong level, is an error;
//! - characters XML 1.0 cannot carry (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF)
//!   are refused or removed, as [`ControlChars`] says.
//!
//! Text escapes `&`, `<`, `>` and writes CR as `&#13;` (a literal CR would be read back as LF,
//! XML 1.0 section 2.11); attribute values also escape `"` and write tab, LF and CR as
//! character references (section 3.3.3 would turn them into spaces).

use std::io::Write;

use super::super::dictionary::{DictionarySet, ParentElement, RecordType, SpecVersion};
use super::reader::{Item, ItemIndex, Patient, is_xml_char};

/// What to do with characters XML 1.0 cannot carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlChars {
    /// Stop with [`WriteError::ControlCharacter`] naming the patient, tumor and item.
    Refuse,
    /// Leave them out of the value.
    Remove,
}

/// How to write a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterOptions {
    /// The file's record type: items outside it are left out.
    pub record_type: RecordType,
    /// Characters XML cannot carry: refuse or remove.
    pub control_chars: ControlChars,
}

/// The root attributes other than the record type (which is in [`WriterOptions`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RootAttributes {
    /// `baseDictionaryUri`, e.g. `http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml`.
    pub base_dictionary_uri: String,
    /// `userDictionaryUri` values, written space-separated; none leaves the attribute out.
    pub user_dictionary_uris: Vec<String>,
    /// `timeGenerated`, written as RFC 3339 with seconds; the caller passes the time in.
    pub time_generated: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// `specificationVersion`.
    pub specification_version: SpecVersion,
}

/// Where a refused item is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemLocation {
    /// 0-based index of the patient among those written (`None` for root items).
    pub patient: Option<usize>,
    /// 0-based index of the tumor in its patient.
    pub tumor: Option<usize>,
    /// The item's naaccrId.
    pub naaccr_id: String,
}

impl std::fmt::Display for ItemLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "item {}", self.naaccr_id)?;
        if let Some(p) = self.patient {
            write!(f, " of patient {p}")?;
        }
        if let Some(t) = self.tumor {
            write!(f, ", tumor {t}")?;
        }
        Ok(())
    }
}

/// Why writing stopped.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The output failed.
    #[error("output error: {0}")]
    Io(#[from] std::io::Error),
    /// A character XML 1.0 cannot carry, with [`ControlChars::Refuse`].
    #[error("{at}: character U+{code:04X} cannot be written in XML")]
    ControlCharacter {
        /// The item.
        at: ItemLocation,
        /// The character.
        code: u32,
    },
    /// A value longer than its item (never truncated).
    #[error("{at}: value too long, at most {max} character(s), got {actual}")]
    ValueTooLong {
        /// The item.
        at: ItemLocation,
        /// The item length.
        max: u32,
        /// Characters in the value.
        actual: usize,
    },
    /// An item the dictionary set does not define.
    #[error("{at}: not in the dictionaries")]
    UnknownItem {
        /// The item.
        at: ItemLocation,
    },
    /// An item given at a level other than its dictionary's `parentXmlElement`.
    #[error("{at}: belongs in {expected}, given in {found}")]
    WrongLevel {
        /// The item.
        at: ItemLocation,
        /// The dictionary's level.
        expected: ParentElement,
        /// The level given.
        found: ParentElement,
    },
    /// The same item twice in one element.
    #[error("{at}: given more than once in the same element")]
    DuplicateItem {
        /// The item.
        at: ItemLocation,
    },
    /// Root items after a patient, or anything after `finish`.
    #[error("{0}")]
    OutOfOrder(&'static str),
}

impl WriteError {
    /// The stable snake_case code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io(_) => "io_error",
            Self::ControlCharacter { .. } => "control_character",
            Self::ValueTooLong { .. } => "value_too_long",
            Self::UnknownItem { .. } => "unknown_item",
            Self::WrongLevel { .. } => "wrong_level",
            Self::DuplicateItem { .. } => "duplicate_item",
            Self::OutOfOrder(_) => "out_of_order",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Root,
    Patients,
    Finished,
}

/// Writes a NAACCR XML data file: root, root items, patients one at a time, then `finish`.
pub struct NaaccrWriter<W: Write> {
    out: W,
    index: ItemIndex,
    options: WriterOptions,
    stage: Stage,
    patients: usize,
    /// (dictionary position, index into the element's items), reused per element.
    order: Vec<(u32, usize)>,
    line: Vec<u8>,
}

const INDENT: &str = "    ";

impl<W: Write> NaaccrWriter<W> {
    /// Writes the XML declaration and the root start tag.
    pub fn new(
        mut out: W,
        dictionaries: &DictionarySet,
        root: &RootAttributes,
        options: WriterOptions,
    ) -> Result<Self, WriteError> {
        let mut head = Vec::with_capacity(512);
        head.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NaaccrData");
        let mut attribute = |name: &str, value: &str| {
            head.push(b' ');
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(b"=\"");
            escape_attribute(&mut head, value);
            head.push(b'"');
        };
        attribute("baseDictionaryUri", &root.base_dictionary_uri);
        if !root.user_dictionary_uris.is_empty() {
            attribute("userDictionaryUri", &root.user_dictionary_uris.join(" "));
        }
        attribute("recordType", options.record_type.as_str());
        if let Some(t) = root.time_generated {
            attribute(
                "timeGenerated",
                &t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
            );
        }
        attribute(
            "specificationVersion",
            &root.specification_version.to_string(),
        );
        attribute("xmlns", super::super::dictionary::NAACCR_XML_NAMESPACE);
        head.extend_from_slice(b">\n");
        out.write_all(&head)?;
        Ok(Self {
            out,
            index: ItemIndex::new(dictionaries),
            options,
            stage: Stage::Root,
            patients: 0,
            order: Vec::new(),
            line: Vec::with_capacity(64 * 1024),
        })
    }

    /// Writes the root-level items; only before the first patient.
    pub fn write_root_items(&mut self, items: &[Item]) -> Result<(), WriteError> {
        if self.stage != Stage::Root {
            return Err(WriteError::OutOfOrder(
                "root items must be written before the first patient",
            ));
        }
        self.line.clear();
        let mut order = std::mem::take(&mut self.order);
        let result = self.items(items, ParentElement::NaaccrData, None, None, 1, &mut order);
        self.order = order;
        result?;
        self.out.write_all(&self.line)?;
        Ok(())
    }

    /// Writes one patient with its tumors. Nothing is written when an item is refused.
    pub fn write_patient(&mut self, patient: &Patient) -> Result<(), WriteError> {
        if self.stage == Stage::Finished {
            return Err(WriteError::OutOfOrder("the file is already finished"));
        }
        self.stage = Stage::Patients;
        let index = self.patients;
        self.line.clear();
        let mut order = std::mem::take(&mut self.order);
        let result = self.patient_body(patient, index, &mut order);
        self.order = order;
        result?;
        self.out.write_all(&self.line)?;
        self.patients += 1;
        Ok(())
    }

    fn patient_body(
        &mut self,
        patient: &Patient,
        index: usize,
        order: &mut Vec<(u32, usize)>,
    ) -> Result<(), WriteError> {
        self.line.extend_from_slice(b"    <Patient>\n");
        self.items(
            &patient.items,
            ParentElement::Patient,
            Some(index),
            None,
            2,
            order,
        )?;
        for (t, tumor) in patient.tumors.iter().enumerate() {
            self.line.extend_from_slice(b"        <Tumor>\n");
            self.items(
                &tumor.items,
                ParentElement::Tumor,
                Some(index),
                Some(t),
                3,
                order,
            )?;
            self.line.extend_from_slice(b"        </Tumor>\n");
        }
        self.line.extend_from_slice(b"    </Patient>\n");
        Ok(())
    }

    /// Closes the root and flushes; returns the output.
    pub fn finish(mut self) -> Result<W, WriteError> {
        self.stage = Stage::Finished;
        self.out.write_all(b"</NaaccrData>\n")?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// Number of patients written so far.
    pub fn patients_written(&self) -> usize {
        self.patients
    }

    /// Appends the items of one element to `self.line`, in dictionary order.
    fn items(
        &mut self,
        items: &[Item],
        level: ParentElement,
        patient: Option<usize>,
        tumor: Option<usize>,
        depth: usize,
        order: &mut Vec<(u32, usize)>,
    ) -> Result<(), WriteError> {
        let at = |item: &Item| ItemLocation {
            patient,
            tumor,
            naaccr_id: item.naaccr_id.to_string(),
        };
        order.clear();
        for (i, item) in items.iter().enumerate() {
            let position = self
                .index
                .position(item.naaccr_id.as_bytes())
                .ok_or_else(|| WriteError::UnknownItem { at: at(item) })?;
            order.push((position, i));
        }
        order.sort_unstable();
        let mut previous = None;
        for &(position, i) in order.iter() {
            let (Some(item), Some(def)) = (items.get(i), self.index.def(position)) else {
                continue;
            };
            if previous == Some(position) {
                return Err(WriteError::DuplicateItem { at: at(item) });
            }
            previous = Some(position);
            if def.parent != level {
                return Err(WriteError::WrongLevel {
                    at: at(item),
                    expected: def.parent,
                    found: level,
                });
            }
            if item.value.is_empty() || !def.record_types.contains(&self.options.record_type) {
                continue;
            }
            let unlimited = def.allow_unlimited_text
                && def.data_type == super::super::dictionary::DataType::Text;
            let max = usize::try_from(def.length).unwrap_or(usize::MAX);
            if !unlimited && item.value.len() > max {
                let actual = item.value.chars().count();
                if actual > max {
                    return Err(WriteError::ValueTooLong {
                        at: at(item),
                        max: def.length,
                        actual,
                    });
                }
            }
            for _ in 0..depth {
                self.line.extend_from_slice(INDENT.as_bytes());
            }
            self.line.extend_from_slice(b"<Item naaccrId=\"");
            escape_attribute(&mut self.line, &def.naaccr_id);
            self.line.extend_from_slice(b"\">");
            escape_text(&mut self.line, &item.value, self.options.control_chars)
                .map_err(|code| WriteError::ControlCharacter { at: at(item), code })?;
            self.line.extend_from_slice(b"</Item>\n");
        }
        Ok(())
    }
}

/// What a byte needs in text: 0 nothing, 1 an escape, 2 a closer look (a control byte, or the
/// lead byte 0xEF of U+FFFE/U+FFFF).
fn text_class(b: u8) -> u8 {
    match b {
        b'\t' | b'\n' => 0,
        b'\r' | b'&' | b'<' | b'>' => 1,
        0..=0x1f | 0xEF => 2,
        _ => 0,
    }
}

/// Escapes item text; `Err(code)` for a character XML cannot carry under `Refuse`.
fn escape_text(out: &mut Vec<u8>, value: &str, control: ControlChars) -> Result<(), u32> {
    let bytes = value.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let class = text_class(b);
        if class == 0 {
            i += 1;
            continue;
        }
        if class == 2 {
            // 0xEF starts U+E000..U+FFFF; only U+FFFE and U+FFFF are not XML characters.
            let c = value
                .get(i..)
                .and_then(|s| s.chars().next())
                .unwrap_or('\0');
            if is_xml_char(c) {
                i += c.len_utf8();
                continue;
            }
            out.extend_from_slice(bytes.get(run..i).unwrap_or_default());
            match control {
                ControlChars::Refuse => return Err(u32::from(c)),
                ControlChars::Remove => {}
            }
            i += c.len_utf8();
            run = i;
            continue;
        }
        out.extend_from_slice(bytes.get(run..i).unwrap_or_default());
        out.extend_from_slice(match b {
            b'&' => b"&amp;".as_slice(),
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            _ => b"&#13;",
        });
        i += 1;
        run = i;
    }
    out.extend_from_slice(bytes.get(run..).unwrap_or_default());
    Ok(())
}

/// Escapes an attribute value (dictionary-controlled text: control characters are dropped).
fn escape_attribute(out: &mut Vec<u8>, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '"' => out.extend_from_slice(b"&quot;"),
            '\t' => out.extend_from_slice(b"&#9;"),
            '\n' => out.extend_from_slice(b"&#10;"),
            '\r' => out.extend_from_slice(b"&#13;"),
            c if !is_xml_char(c) => {}
            c => {
                let mut utf8 = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
    }
}
