//! Tests of the reader and writer: the standard's samples, edge cases and hostile input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashMap;
use std::io::{BufReader, Cursor};
use std::sync::{Arc, OnceLock};

use super::super::dictionary::{Dictionary, DictionarySet};
use super::*;

/// Where the sample data files live, relative to the crate root (in the main repository:
/// `tests/fixtures/naaccr-samples`).
const SAMPLES_DIR: &str = "tests/fixtures/naaccr-samples";

/// Where the base dictionaries live, relative to the crate root.
const DICTIONARIES_DIR: &str = "schemas/dictionaries";

fn dictionary_text(file: &str) -> String {
    let path = format!("{}/{DICTIONARIES_DIR}/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn base_sets() -> &'static HashMap<String, Arc<DictionarySet>> {
    static SETS: OnceLock<HashMap<String, Arc<DictionarySet>>> = OnceLock::new();
    SETS.get_or_init(|| {
        let mut sets = HashMap::new();
        for version in ["240", "250", "260"] {
            let file = format!("naaccr-dictionary-{version}.xml");
            let base = Dictionary::parse_base(&dictionary_text(&file), &file).unwrap();
            sets.insert(
                version.to_owned(),
                Arc::new(DictionarySet::new(base, vec![]).unwrap()),
            );
        }
        sets
    })
}

fn provider(version: &str) -> Option<Arc<DictionarySet>> {
    base_sets().get(version).cloned()
}

fn sample_path(name: &str) -> String {
    format!("{}/{SAMPLES_DIR}/{name}", env!("CARGO_MANIFEST_DIR"))
}

struct Counts {
    patients: usize,
    tumors: usize,
    items: usize,
    root_items: usize,
    problems: Vec<ItemProblem>,
}

fn count<R: std::io::BufRead>(mut reader: NaaccrReader<R>) -> Counts {
    let mut counts = Counts {
        patients: 0,
        tumors: 0,
        items: 0,
        root_items: reader.root().items.len(),
        problems: reader.root().problems.clone(),
    };
    let mut patient = Patient::default();
    while reader.read_patient_into(&mut patient).unwrap() {
        counts.patients += 1;
        counts.tumors += patient.tumors.len();
        counts.items +=
            patient.items.len() + patient.tumors.iter().map(|t| t.items.len()).sum::<usize>();
        counts.problems.extend(patient.problems.iter().cloned());
    }
    counts
}

fn open_sample(name: &str) -> NaaccrReader<MaybeGzip<BufReader<std::fs::File>>> {
    let file = std::fs::File::open(sample_path(name)).unwrap();
    let input = MaybeGzip::detect(BufReader::new(file)).unwrap();
    assert!(input.is_gzip());
    NaaccrReader::new(input, &provider, ReaderOptions::default()).unwrap()
}

#[test]
fn the_10k_sample_reads_with_the_documented_counts_and_no_problem() {
    let counts = count(open_sample("synthetic-10k.xml.gz"));
    assert_eq!(counts.problems, vec![]);
    assert_eq!(
        (
            counts.patients,
            counts.tumors,
            counts.items,
            counts.root_items
        ),
        (10_000, 10_592, 1_048_823, 1)
    );
}

#[test]
fn the_abstract_1000_sample_reads_with_the_documented_counts_and_no_problem() {
    let counts = count(open_sample("naaccr-xml-sample-v250-abstract-1000.xml.gz"));
    assert_eq!(counts.problems, vec![]);
    assert_eq!(
        (counts.patients, counts.tumors, counts.items),
        (943, 1_000, 97_767)
    );
}

#[test]
fn every_sample_reads_without_problem() {
    let dir = format!("{}/{SAMPLES_DIR}", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 7);
    for name in names {
        let counts = count(open_sample(&name));
        assert_eq!(counts.problems, vec![], "{name}");
        assert!(counts.patients > 0, "{name}");
    }
}

// ---------------------------------------------------------------------------------------
// Helpers for hand-made files.

const V260: &str = "http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml";

fn doc(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NaaccrData baseDictionaryUri=\"{V260}\" recordType=\"A\" specificationVersion=\"1.8\" xmlns=\"http://naaccr.org/naaccrxml\">\n{body}</NaaccrData>\n"
    )
}

fn read_with(
    bytes: &[u8],
    provider: &impl DictionaryProvider,
    options: ReaderOptions,
) -> Result<(RootData, Vec<Patient>), FatalError> {
    let mut reader = NaaccrReader::new(Cursor::new(bytes), provider, options)?;
    let mut patients = Vec::new();
    while let Some(p) = reader.next_patient()? {
        patients.push(p);
    }
    Ok((reader.root().clone(), patients))
}

fn read(xml: &str) -> Result<(RootData, Vec<Patient>), FatalError> {
    read_with(xml.as_bytes(), &provider, ReaderOptions::default())
}

fn fatal_of(xml: &[u8]) -> FatalError {
    match read_with(xml, &provider, ReaderOptions::default()) {
        Ok((_, p)) => panic!(
            "expected a fatal error, got {} patients {:?}",
            p.len(),
            p.iter()
                .map(|p| p.items.iter().map(|i| i.value.len()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        ),
        Err(e) => e,
    }
}

fn assert_fatal(xml: &[u8], code: &str, line: u64, column: u64) {
    let e = fatal_of(xml);
    assert_eq!((e.code(), e.line, e.column), (code, line, column), "{e}");
}

fn problems(patients: &[Patient]) -> Vec<(&'static str, Option<String>, u64, u64)> {
    patients
        .iter()
        .flat_map(|p| p.problems.iter())
        .map(|p| (p.code(), p.naaccr_id.clone(), p.line, p.column))
        .collect()
}

fn value<'a>(items: &'a [Item], id: &str) -> Option<&'a str> {
    items
        .iter()
        .find(|i| &*i.naaccr_id == id)
        .map(|i| i.value.as_str())
}

// ---------------------------------------------------------------------------------------
// Well-formed input.

#[test]
fn items_tumors_positions_and_root_attributes_are_read() {
    let xml = doc(concat!(
        "    <Item naaccrId=\"registryId\">0000001234</Item>\n",
        "    <Patient>\n",
        "        <Item naaccrId=\"patientIdNumber\" naaccrNum=\"20\">00000001</Item>\n",
        "        <Tumor>\n",
        "            <Item naaccrId=\"primarySite\">C509</Item>\n",
        "        </Tumor>\n",
        "        <Tumor><Item naaccrId=\"primarySite\">C180</Item></Tumor>\n",
        "    </Patient>\n",
        "    <Patient/>\n",
    ));
    let (root, patients) = read(&xml).unwrap();
    assert_eq!(root.naaccr_version, "260");
    assert_eq!(root.record_type, RecordType::A);
    assert_eq!(root.specification_version, SpecVersion::V1_8);
    assert_eq!(root.items.len(), 1);
    assert_eq!((root.items[0].line, root.items[0].column), (3, 5));
    assert_eq!(patients.len(), 2);
    let p = &patients[0];
    assert_eq!((p.index, p.line), (0, 4));
    assert_eq!(value(&p.items, "patientIdNumber"), Some("00000001"));
    assert_eq!((p.items[0].line, p.items[0].column), (5, 9));
    assert_eq!(p.tumors.len(), 2);
    assert_eq!((p.tumors[1].index, p.tumors[1].line), (1, 9));
    assert_eq!(value(&p.tumors[1].items, "primarySite"), Some("C180"));
    assert_eq!(
        (p.tumors[1].items[0].line, p.tumors[1].items[0].column),
        (9, 16)
    );
    assert!(patients[1].items.is_empty() && patients[1].tumors.is_empty());
    assert_eq!(patients[1].index, 1);
    assert_eq!(problems(&patients), vec![]);
}

use super::super::dictionary::{RecordType, SpecVersion};

#[test]
fn escapes_references_non_ascii_and_line_ends_are_decoded() {
    let xml = doc(
        "<Patient><Tumor><Item naaccrId=\"textRemarks\">a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;&#x00E9; é€😀\r\nline2\rline3&#13;&#10;end<![CDATA[<raw & text>]]></Item></Tumor></Patient>\n",
    );
    let (_, patients) = read(&xml).unwrap();
    assert_eq!(
        value(&patients[0].tumors[0].items, "textRemarks"),
        Some("a & b <c> \"d\" 'e' éé é€😀\nline2\nline3\r\nend<raw & text>")
    );
    assert_eq!(problems(&patients), vec![]);
}

#[test]
fn extensions_in_other_namespaces_are_skipped() {
    let xml = doc(concat!(
        "<ext:Root xmlns:ext=\"http://example.org/ext\"><ext:a><Item naaccrId=\"x\">1</Item></ext:a></ext:Root>\n",
        "<Patient ext:flag=\"1\" xmlns:ext=\"http://example.org/ext\">\n",
        "<Item naaccrId=\"patientIdNumber\" ext:note=\"n\">00000001</Item>\n",
        "<ext:Data><ext:Deep><ext:Deeper/></ext:Deep></ext:Data>\n",
        "<Tumor><ext:T/><Item naaccrId=\"primarySite\">C509</Item></Tumor>\n",
        "</Patient>\n",
    ));
    let (root, patients) = read(&xml).unwrap();
    assert!(root.items.is_empty());
    assert_eq!(
        value(&patients[0].items, "patientIdNumber"),
        Some("00000001")
    );
    assert_eq!(
        value(&patients[0].tumors[0].items, "primarySite"),
        Some("C509")
    );
    assert_eq!(problems(&patients), vec![]);
}

#[test]
fn a_prefixed_naaccr_namespace_reads_like_the_default_one() {
    let xml = format!(
        "<n:NaaccrData xmlns:n=\"http://naaccr.org/naaccrxml\" baseDictionaryUri=\"{V260}\" recordType=\"I\" specificationVersion=\"1.8\"><n:Patient><n:Item naaccrId=\"patientIdNumber\">00000007</n:Item></n:Patient></n:NaaccrData>"
    );
    let (root, patients) = read(&xml).unwrap();
    assert_eq!(root.record_type, RecordType::I);
    assert_eq!(
        value(&patients[0].items, "patientIdNumber"),
        Some("00000007")
    );
}

#[test]
fn plain_items_read_from_the_buffer_match_the_parser_path() {
    // With a 3-byte buffer (the least that holds a byte order mark) no item is ever wholly
    // buffered, so every item goes through the parser; with a large one, plain items are read
    // straight from the buffer.
    let docs = [
        doc(
            "  <Patient>\r\n\t<Item naaccrId=\"patientIdNumber\" naaccrNum=\"20\">1</Item>\r\n<Item\n  naaccrId=\"race1\">01</Item>\n<Item naaccrId=\"race2\"/><Item naaccrId=\"race3\"></Item><Item naaccrId=\"nope\">x</Item><Item naaccrId='primarySite'>C1</Item>\n<Tumor>\n<Item naaccrId=\"textRemarks\">a\r\nb &amp; c</Item><Item naaccrId=\"nameLast\" other=\"a>b\">Smith</Item></Tumor></Patient>\n",
        ),
        doc(
            "<Patient xmlns:e=\"urn:e\"><Item xmlns=\"urn:other\" naaccrId=\"race1\">01</Item><Item naaccrId=\"race2\" xmlns:n=\"urn:n\">02</Item><e:x><Item naaccrId=\"race3\">03</Item></e:x><Tumor xmlns=\"urn:t\"><Item naaccrId=\"race4\">04</Item></Tumor><Item naaccrId=\"race5\">05</Item></Patient>\n",
        ),
        format!(
            "\u{feff}{}",
            doc(
                "<Patient>\n    <Item naaccrId=\"race1\">01</Item>\n    <Item naaccrId=\"race1\">02</Item>\n</Patient>\n"
            )
        ),
        format!(
            "<n:NaaccrData xmlns:n=\"http://naaccr.org/naaccrxml\" baseDictionaryUri=\"{V260}\" recordType=\"I\" specificationVersion=\"1.8\">\n<n:Patient>\n <n:Item naaccrId=\"race1\">01</n:Item>\n <Item naaccrId=\"race2\">02</Item>\n</n:Patient></n:NaaccrData>"
        ),
    ];
    for xml in &docs {
        let read_in = |capacity: usize| {
            let mut reader = match NaaccrReader::new(
                BufReader::with_capacity(capacity, xml.as_bytes()),
                &provider,
                ReaderOptions::default(),
            ) {
                Ok(reader) => reader,
                Err(e) => return format!("{e:?}"),
            };
            let mut out = format!("{:?}", reader.root());
            loop {
                match reader.next_patient() {
                    Ok(Some(p)) => out += &format!("{p:?}"),
                    Ok(None) => break out,
                    Err(e) => break out + &format!("{e:?}"),
                }
            }
        };
        let parsed = read_in(3);
        assert_eq!(read_in(8192), parsed, "{xml}");
        assert_eq!(read_in(7), parsed, "{xml}");
    }
}

/// A valid full-length value for an item of each data type (text as non-ASCII characters,
/// to check that lengths count characters).
fn full_value(def: &super::super::dictionary::ItemDef) -> Option<String> {
    use super::super::dictionary::DataType;
    let n = def.length as usize;
    Some(match def.data_type {
        DataType::Text => "é".repeat(n),
        DataType::Digits | DataType::Numeric => "7".repeat(n),
        DataType::Alpha => "K".repeat(n),
        DataType::Mixed => "A1".repeat(n).chars().take(n).collect(),
        DataType::Date if n == 8 => "20240229".to_owned(),
        DataType::DateTime if n >= 25 => "2024-05-01T13:45:00-04:00".to_owned(),
        _ => return None,
    })
}

#[test]
fn every_data_type_at_its_maximum_length_reads_without_problem_and_round_trips() {
    let set = provider("260").unwrap();
    let mut patient_items = String::new();
    let mut tumor_items = String::new();
    let mut types = std::collections::HashSet::new();
    for def in set.items() {
        if !def.record_types.contains(&RecordType::A) {
            continue;
        }
        let Some(v) = full_value(def) else { continue };
        types.insert(def.data_type);
        let line = format!("<Item naaccrId=\"{}\">{v}</Item>\n", def.naaccr_id);
        match def.parent {
            ParentElement::Patient => patient_items.push_str(&line),
            ParentElement::Tumor => tumor_items.push_str(&line),
            ParentElement::NaaccrData => {}
        }
    }
    assert_eq!(types.len(), 7);
    let xml = doc(&format!(
        "<Patient>\n{patient_items}<Tumor>\n{tumor_items}</Tumor>\n<Tumor>\n{tumor_items}</Tumor>\n</Patient>\n"
    ));
    let (root, patients) = read(&xml).unwrap();
    assert_eq!(problems(&patients), vec![]);
    let again = round_trip(&root, &patients, RecordType::A);
    assert_eq!(again.1, patients_without_positions(&patients));
}

use super::super::dictionary::ParentElement;

// ---------------------------------------------------------------------------------------
// Item problems: reported, and reading goes on.

#[test]
fn item_problems_are_attached_to_the_patient_with_positions() {
    let xml = doc(concat!(
        "<Patient>\n",
        "  <Item naaccrId=\"noSuchItem\">1</Item>\n",
        "  <Item naaccrId=\"patientIdNumber\" naaccrNum=\"21\">00000001</Item>\n",
        "  <Item naaccrId=\"primarySite\">C509</Item>\n",
        "  <Tumor>\n",
        "    <Item naaccrId=\"dateOfBirth\">20231301</Item>\n",
        "    <Item naaccrId=\"addrAtDxState\"> K</Item>\n",
        "  </Tumor>\n",
        "</Patient>\n",
        "<Patient><Item naaccrId=\"patientIdNumber\">123</Item></Patient>\n",
    ));
    let (_, patients) = read(&xml).unwrap();
    let id = |s: &str| Some(s.to_owned());
    assert_eq!(
        problems(&patients),
        vec![
            ("unknown_naaccr_id", id("noSuchItem"), 4, 3),
            ("naaccr_num_mismatch", id("patientIdNumber"), 5, 3),
            ("wrong_level", id("primarySite"), 6, 3),
            ("wrong_level", id("dateOfBirth"), 8, 5),
            ("invalid_date", id("dateOfBirth"), 8, 5),
            ("value_starts_with_space", id("addrAtDxState"), 9, 5),
            ("not_alpha", id("addrAtDxState"), 9, 5),
            ("value_too_short", id("patientIdNumber"), 12, 10),
        ]
    );
    let second = &patients[1].problems[0];
    assert_eq!((second.patient, second.tumor), (Some(1), None));
    let in_tumor = &patients[0].problems[3];
    assert_eq!((in_tumor.patient, in_tumor.tumor), (Some(0), Some(0)));
    // The items stay, for the caller to decide.
    assert_eq!(value(&patients[0].items, "noSuchItem"), Some("1"));
}

#[test]
fn value_too_long_and_trailing_space_are_item_problems() {
    let xml = doc(
        "<Patient><Tumor><Item naaccrId=\"primarySite\">C5099</Item><Item naaccrId=\"textRemarks\">x </Item></Tumor></Patient>",
    );
    let (_, patients) = read(&xml).unwrap();
    let codes: Vec<_> = problems(&patients).into_iter().map(|p| p.0).collect();
    assert_eq!(codes, vec!["value_too_long", "value_ends_with_space"]);
}

#[test]
fn a_bad_time_generated_is_a_root_problem_not_a_fatal_one() {
    let xml = format!(
        "<NaaccrData baseDictionaryUri=\"{V260}\" recordType=\"A\" timeGenerated=\"yesterday\" specificationVersion=\"1.8\" xmlns=\"http://naaccr.org/naaccrxml\"/>"
    );
    let (root, patients) = read(&xml).unwrap();
    assert!(patients.is_empty());
    assert_eq!(root.problems.len(), 1);
    assert_eq!(root.problems[0].code(), "bad_time_generated");
    let good = xml.replace("yesterday", "2024-08-23T09:11:34.357-04:00");
    let (root, _) = read(&good).unwrap();
    assert_eq!(root.problems, vec![]);
    assert_eq!(
        root.time_generated.unwrap().to_rfc3339(),
        "2024-08-23T09:11:34.357-04:00"
    );
}

// ---------------------------------------------------------------------------------------
// Fatal problems: each with its code and position, never a panic.

#[test]
fn a_truncated_file_is_an_unexpected_end() {
    let xml = doc("<Patient>\n<Item naaccrId=\"patientIdNumber\">00000001</Item>\n</Patient>\n");
    let cut = &xml.as_bytes()[..xml.len() - 20];
    assert_eq!(fatal_of(cut).code(), "unexpected_eof");
    let cut = &xml.as_bytes()[..xml.find("0000").unwrap() + 2];
    assert_eq!(fatal_of(cut).code(), "unexpected_eof");
    assert_eq!(fatal_of(b"").code(), "unexpected_eof");
}

#[test]
fn a_mismatched_end_tag_is_not_well_formed() {
    let xml = doc("<Patient>\n<Tumor></Patient>\n");
    assert_fatal(xml.as_bytes(), "not_well_formed", 4, 8);
}

#[test]
fn the_root_must_be_naaccr_data_in_the_naaccr_namespace() {
    assert_fatal(
        b"<?xml version=\"1.0\"?>\n<Foo/>",
        "wrong_root_element",
        2,
        1,
    );
    let other = format!(
        "<NaaccrData xmlns=\"http://example.org\" baseDictionaryUri=\"{V260}\" recordType=\"A\"/>"
    );
    assert_fatal(other.as_bytes(), "wrong_namespace", 1, 1);
    let none = format!("<NaaccrData baseDictionaryUri=\"{V260}\" recordType=\"A\"/>");
    assert_fatal(none.as_bytes(), "wrong_namespace", 1, 1);
}

fn root_with(attributes: &str) -> String {
    format!("<NaaccrData {attributes} xmlns=\"http://naaccr.org/naaccrxml\"></NaaccrData>")
}

#[test]
fn root_attributes_are_checked_in_the_reference_order() {
    let cases = [
        ("recordType=\"A\"", "missing_base_dictionary_uri"),
        (
            "baseDictionaryUri=\"http://example.org/my.xml\" recordType=\"A\"",
            "bad_base_dictionary_uri",
        ),
        (
            "baseDictionaryUri=\"http://naaccr.org/naaccrxml/naaccr-dictionary-999.xml\" recordType=\"A\"",
            "unsupported_naaccr_version",
        ),
        (
            &format!(
                "baseDictionaryUri=\"{V260}\" userDictionaryUri=\"http://example.org/u.xml\" recordType=\"A\" specificationVersion=\"1.8\""
            ),
            "user_dictionary_not_available",
        ),
        (
            &format!("baseDictionaryUri=\"{V260}\""),
            "missing_record_type",
        ),
        (
            &format!("baseDictionaryUri=\"{V260}\" recordType=\"X\""),
            "bad_record_type",
        ),
        (
            &format!("baseDictionaryUri=\"{V260}\" recordType=\"A\" specificationVersion=\"2.0\""),
            "bad_specification_version",
        ),
    ];
    for (attributes, code) in cases {
        assert_fatal(root_with(attributes).as_bytes(), code, 1, 1);
    }
}

#[test]
fn a_doctype_is_refused_before_any_entity_is_expanded() {
    let laughs = concat!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n",
        " <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n",
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n]>\n",
        "<NaaccrData xmlns=\"http://naaccr.org/naaccrxml\">&lol3;</NaaccrData>\n"
    );
    assert_fatal(laughs.as_bytes(), "doctype_not_allowed", 2, 1);
    // An undeclared entity in an item is refused too.
    let xml = doc("<Patient><Item naaccrId=\"nameLast\">&lol;</Item></Patient>");
    assert_fatal(xml.as_bytes(), "undefined_entity", 3, 36);
}

#[test]
fn a_10_mb_item_is_refused_without_buffering_it() {
    let big = "x".repeat(10 << 20);
    let xml = doc(&format!(
        "<Patient><Item naaccrId=\"nameLast\">{big}</Item></Patient>"
    ));
    assert_fatal(xml.as_bytes(), "line_too_long", 3, 36);
    let lines = "abcdefghi\n".repeat(1 << 20);
    let xml = doc(&format!(
        "<Patient><Item naaccrId=\"nameLast\">{lines}</Item></Patient>"
    ));
    assert_eq!(fatal_of(xml.as_bytes()).code(), "value_too_large");
    // Many references: the assembled value is capped too.
    let refs = "&amp;&amp;\n".repeat(600_000);
    let xml = doc(&format!(
        "<Patient><Item naaccrId=\"nameLast\">{refs}</Item></Patient>"
    ));
    assert_fatal(xml.as_bytes(), "value_too_large", 3, 10);
}

#[test]
fn deep_nesting_is_refused_at_the_cap() {
    let depth = 100_000;
    let open = "<x:a xmlns:x=\"http://example.org\">".to_owned() + &"<x:a>".repeat(depth);
    let close = "</x:a>".repeat(depth + 1);
    let xml = doc(&format!("<Patient>{open}{close}</Patient>"));
    let e = fatal_of(xml.as_bytes());
    assert_eq!(e.code(), "nesting_too_deep");
    assert_eq!(e.line, 3);
    // NAACCR elements nested wrongly are misplaced, whatever the depth.
    let xml = doc("<Patient>\n  <Patient>");
    assert_fatal(xml.as_bytes(), "misplaced_element", 4, 3);
}

#[test]
fn a_corrupt_gzip_stream_is_bad_gzip() {
    let mut bytes = vec![0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff];
    bytes.extend_from_slice(b"this is not deflate data at all");
    let input = MaybeGzip::detect(Cursor::new(bytes)).unwrap();
    assert!(input.is_gzip());
    let e = NaaccrReader::new(input, &provider, ReaderOptions::default())
        .err()
        .unwrap();
    assert_eq!(e.code(), "bad_gzip");
    // A truncated gzip file as well.
    let full = std::fs::read(sample_path("naaccr-xml-sample-v250-abstract-10.xml.gz")).unwrap();
    let input = MaybeGzip::detect(Cursor::new(full[..full.len() / 2].to_vec())).unwrap();
    let result = NaaccrReader::new(input, &provider, ReaderOptions::default()).and_then(|mut r| {
        while r.next_patient()?.is_some() {}
        Ok(())
    });
    assert_eq!(result.unwrap_err().code(), "bad_gzip");
}

#[test]
fn a_duplicate_item_is_fatal() {
    let xml = doc(
        "<Patient>\n<Tumor>\n<Item naaccrId=\"primarySite\">C509</Item>\n<Item naaccrId=\"primarySite\">C508</Item>\n</Tumor></Patient>",
    );
    assert_fatal(xml.as_bytes(), "duplicate_item", 6, 1);
    let xml =
        doc("<Patient>\n<Item naaccrId=\"zz\">1</Item><Item naaccrId=\"zz\">2</Item></Patient>");
    assert_fatal(xml.as_bytes(), "duplicate_item", 4, 29);
    // The same item in two tumors is fine.
    let xml = doc(
        "<Patient><Tumor><Item naaccrId=\"primarySite\">C509</Item></Tumor><Tumor><Item naaccrId=\"primarySite\">C509</Item></Tumor></Patient>",
    );
    assert!(read(&xml).is_ok());
}

#[test]
fn items_outside_their_elements_are_misplaced() {
    assert_fatal(doc("<Patient>\n<Item naaccrId=\"nameLast\"><Item naaccrId=\"nameFirst\">a</Item></Item></Patient>").as_bytes(), "misplaced_element", 4, 27);
    assert_fatal(
        doc("<Patient/>\n<Item naaccrId=\"registryId\">0000000001</Item>").as_bytes(),
        "misplaced_element",
        4,
        1,
    );
    assert_fatal(doc("<Tumor/>").as_bytes(), "misplaced_element", 3, 1);
    assert_fatal(b"<Item naaccrId=\"x\">1</Item>", "wrong_root_element", 1, 1);
}

#[test]
fn an_item_without_naaccr_id_is_fatal() {
    assert_fatal(
        doc("<Patient>\n  <Item naaccrNum=\"20\">1</Item></Patient>").as_bytes(),
        "missing_naaccr_id",
        4,
        3,
    );
}

#[test]
fn text_and_content_where_only_elements_belong_are_refused() {
    assert_fatal(
        doc("<Patient>hello</Patient>").as_bytes(),
        "unexpected_text",
        3,
        10,
    );
    let mut xml = doc("");
    xml.push_str("<more/>");
    assert_eq!(fatal_of(xml.as_bytes()).code(), "not_well_formed");
    assert_eq!(fatal_of(b"\x00\x01\x02").code(), "not_well_formed");
}

#[test]
fn the_element_cap_per_patient_is_enforced() {
    let items: String = (0..20)
        .map(|i| format!("<Item naaccrId=\"u{i}\">1</Item>"))
        .collect();
    let xml = doc(&format!("<Patient>{items}</Patient>"));
    let options = ReaderOptions {
        max_elements_per_patient: 10,
        ..ReaderOptions::default()
    };
    let e = read_with(xml.as_bytes(), &provider, options).unwrap_err();
    assert_eq!(e.code(), "too_many_elements");
}

#[test]
fn a_non_utf8_encoding_is_refused() {
    let xml = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><NaaccrData/>";
    assert_fatal(xml.as_bytes(), "unsupported_encoding", 1, 1);
}

#[test]
fn after_a_fatal_error_the_reader_keeps_returning_it() {
    let xml = doc("<Patient></Tumor>");
    let mut reader = NaaccrReader::new(
        Cursor::new(xml.as_bytes()),
        &provider,
        ReaderOptions::default(),
    )
    .unwrap();
    let first = reader.next_patient().unwrap_err();
    assert_eq!(reader.next_patient().unwrap_err(), first);
}

// ---------------------------------------------------------------------------------------
// User dictionaries.

struct WithUser {
    set: Arc<DictionarySet>,
}

impl DictionaryProvider for WithUser {
    fn dictionaries(&self, version: &str, _: &[String]) -> Option<Arc<DictionarySet>> {
        (version == "260").then(|| self.set.clone())
    }
}

const USER_URI: &str = "http://example.org/naaccr/my-registry-260.xml";

fn with_user() -> WithUser {
    let user = format!(
        "<NaaccrDictionary xmlns=\"http://naaccr.org/naaccrxml\" dictionaryUri=\"{USER_URI}\" naaccrVersion=\"260\" specificationVersion=\"1.8\"><ItemDefs>\
         <ItemDef naaccrId=\"myRegistryNote\" naaccrNum=\"9600\" length=\"10\" recordTypes=\"A,M,C,I\" parentXmlElement=\"Tumor\"/>\
         <ItemDef naaccrId=\"myRegistryCode\" naaccrNum=\"9601\" length=\"2\" recordTypes=\"A\" parentXmlElement=\"Patient\" dataType=\"digits\"/>\
         </ItemDefs></NaaccrDictionary>"
    );
    let base =
        Dictionary::parse_base(&dictionary_text("naaccr-dictionary-260.xml"), "260").unwrap();
    let user = Dictionary::parse_user(&user, "user").unwrap();
    WithUser {
        set: Arc::new(DictionarySet::new(base, vec![user]).unwrap()),
    }
}

#[test]
fn user_dictionary_items_are_read_checked_and_written() {
    let xml = format!(
        "<NaaccrData baseDictionaryUri=\"{V260}\" userDictionaryUri=\"{USER_URI}\" recordType=\"A\" specificationVersion=\"1.8\" xmlns=\"http://naaccr.org/naaccrxml\">\n\
         <Patient><Item naaccrId=\"myRegistryCode\">7</Item><Tumor><Item naaccrId=\"myRegistryNote\">hello</Item></Tumor></Patient></NaaccrData>"
    );
    let provider = with_user();
    let (root, patients) = read_with(xml.as_bytes(), &provider, ReaderOptions::default()).unwrap();
    assert_eq!(root.user_dictionary_uris, vec![USER_URI.to_owned()]);
    assert_eq!(
        value(&patients[0].tumors[0].items, "myRegistryNote"),
        Some("hello")
    );
    let codes: Vec<_> = problems(&patients).into_iter().map(|p| p.0).collect();
    assert_eq!(codes, vec!["value_too_short"]);
    // Written back with the user dictionary named and the items in place.
    let mut out = Vec::new();
    let mut writer = NaaccrWriter::new(
        &mut out,
        &provider.set,
        &attributes(&root),
        options(RecordType::A),
    )
    .unwrap();
    writer.write_patient(&patients[0]).unwrap();
    writer.finish().unwrap();
    let (again_root, again) = read_with(&out, &provider, ReaderOptions::default()).unwrap();
    assert_eq!(again_root.user_dictionary_uris, root.user_dictionary_uris);
    assert_eq!(
        patients_without_positions(&again),
        patients_without_positions(&patients)
    );
    // Without the user dictionary the file cannot be read.
    assert_eq!(
        fatal_of(xml.as_bytes()).code(),
        "user_dictionary_not_available"
    );
}

// ---------------------------------------------------------------------------------------
// Writer.

fn options(record_type: RecordType) -> WriterOptions {
    WriterOptions {
        record_type,
        control_chars: ControlChars::Refuse,
    }
}

fn attributes(root: &RootData) -> RootAttributes {
    RootAttributes {
        base_dictionary_uri: root.base_dictionary_uri.clone(),
        user_dictionary_uris: root.user_dictionary_uris.clone(),
        time_generated: root.time_generated,
        specification_version: root.specification_version,
    }
}

/// Patients with positions zeroed and items sorted, for comparing a round trip.
fn patients_without_positions(patients: &[Patient]) -> Vec<Patient> {
    let clean = |items: &[Item]| {
        let mut items: Vec<Item> = items
            .iter()
            .map(|i| Item {
                line: 0,
                column: 0,
                ..i.clone()
            })
            .collect();
        items.sort_by(|a, b| a.naaccr_id.cmp(&b.naaccr_id));
        items
    };
    patients
        .iter()
        .map(|p| Patient {
            line: 0,
            problems: p
                .problems
                .iter()
                .map(|q| ItemProblem {
                    line: 0,
                    column: 0,
                    ..q.clone()
                })
                .collect(),
            items: clean(&p.items),
            tumors: p
                .tumors
                .iter()
                .map(|t| Tumor {
                    line: 0,
                    items: clean(&t.items),
                    ..t.clone()
                })
                .collect(),
            ..p.clone()
        })
        .collect()
}

fn round_trip(
    root: &RootData,
    patients: &[Patient],
    record_type: RecordType,
) -> (RootData, Vec<Patient>) {
    let set = provider(&root.naaccr_version).unwrap();
    let mut out = Vec::new();
    let mut writer =
        NaaccrWriter::new(&mut out, &set, &attributes(root), options(record_type)).unwrap();
    writer.write_root_items(&root.items).unwrap();
    for p in patients {
        writer.write_patient(p).unwrap();
    }
    writer.finish().unwrap();
    let (r, p) = read_with(&out, &provider, ReaderOptions::default()).unwrap();
    (r, patients_without_positions(&p))
}

#[test]
fn every_sample_survives_read_write_read() {
    for name in [
        "naaccr-xml-sample-v250-abstract-1000.xml.gz",
        "naaccr-xml-sample-v250-incidence-1000.xml.gz",
        "naaccr-xml-sample-v250-abstract-10.xml.gz",
        "naaccr-xml-sample-v250-incidence-10.xml.gz",
        "naaccr-xml-sample-v250-abstract-100.xml.gz",
        "naaccr-xml-sample-v250-incidence-100.xml.gz",
        "synthetic-10k.xml.gz",
    ] {
        let mut reader = open_sample(name);
        let root = reader.root().clone();
        let mut patients = Vec::new();
        while let Some(p) = reader.next_patient().unwrap() {
            patients.push(p);
        }
        let (again_root, again) = round_trip(&root, &patients, root.record_type);
        assert_eq!(again_root.items.len(), root.items.len(), "{name}");
        assert_eq!(again_root.time_generated, root.time_generated, "{name}");
        assert_eq!(again, patients_without_positions(&patients), "{name}");
    }
}

#[test]
fn the_writer_output_is_byte_stable_and_in_dictionary_order() {
    let xml = doc(concat!(
        "<Item naaccrId=\"registryId\">0000001234</Item>\n",
        "<Patient><Item naaccrId=\"nameLast\">O'Brien &amp; \"Sons\" &lt;x&gt;&#13;</Item><Item naaccrId=\"patientIdNumber\">00000001</Item>\n",
        "<Tumor><Item naaccrId=\"primarySite\">C509</Item></Tumor></Patient>\n",
    ));
    let (root, patients) = read(&xml).unwrap();
    let set = provider("260").unwrap();
    let mut root_attributes = attributes(&root);
    root_attributes.time_generated =
        chrono::DateTime::parse_from_rfc3339("2024-08-23T09:11:34-04:00").ok();
    let mut out = Vec::new();
    let mut writer =
        NaaccrWriter::new(&mut out, &set, &root_attributes, options(RecordType::A)).unwrap();
    writer.write_root_items(&root.items).unwrap();
    writer.write_patient(&patients[0]).unwrap();
    writer.finish().unwrap();
    let expected = concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<NaaccrData baseDictionaryUri=\"http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml\" recordType=\"A\" timeGenerated=\"2024-08-23T09:11:34-04:00\" specificationVersion=\"1.8\" xmlns=\"http://naaccr.org/naaccrxml\">\n",
        "    <Item naaccrId=\"registryId\">0000001234</Item>\n",
        "    <Patient>\n",
        "        <Item naaccrId=\"nameLast\">O'Brien &amp; \"Sons\" &lt;x&gt;&#13;</Item>\n",
        "        <Item naaccrId=\"patientIdNumber\">00000001</Item>\n",
        "        <Tumor>\n",
        "            <Item naaccrId=\"primarySite\">C509</Item>\n",
        "        </Tumor>\n",
        "    </Patient>\n",
        "</NaaccrData>\n",
    );
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn items_outside_the_record_type_are_left_out() {
    let xml = doc(
        "<Patient><Item naaccrId=\"nameLast\">Doe</Item><Item naaccrId=\"patientIdNumber\">00000001</Item></Patient>",
    );
    let (root, patients) = read(&xml).unwrap();
    let (_, again) = round_trip(&root, &patients, RecordType::I);
    assert_eq!(again[0].items.len(), 1);
    assert_eq!(&*again[0].items[0].naaccr_id, "patientIdNumber");
}

fn one_item_patient(id: &str, value: &str, in_tumor: bool) -> Patient {
    let item = Item {
        naaccr_id: Arc::from(id),
        value: value.to_owned(),
        line: 0,
        column: 0,
    };
    if in_tumor {
        Patient {
            tumors: vec![Tumor {
                items: vec![item],
                ..Tumor::default()
            }],
            ..Patient::default()
        }
    } else {
        Patient {
            items: vec![item],
            ..Patient::default()
        }
    }
}

fn write_one(patient: &Patient, control_chars: ControlChars) -> Result<String, WriteError> {
    let set = provider("260").unwrap();
    let root = RootAttributes {
        base_dictionary_uri: V260.to_owned(),
        user_dictionary_uris: vec![],
        time_generated: None,
        specification_version: SpecVersion::V1_8,
    };
    let mut out = Vec::new();
    let mut writer = NaaccrWriter::new(
        &mut out,
        &set,
        &root,
        WriterOptions {
            record_type: RecordType::A,
            control_chars,
        },
    )?;
    writer.write_root_items(&[])?;
    writer.write_patient(&Patient::default())?;
    writer.write_patient(patient)?;
    writer.finish()?;
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn the_writer_refuses_or_removes_control_characters() {
    let patient = one_item_patient("textRemarks", "bell\u{7} here\u{FFFF}", true);
    match write_one(&patient, ControlChars::Refuse) {
        Err(WriteError::ControlCharacter { at, code: 7 }) => {
            assert_eq!(
                at,
                ItemLocation {
                    patient: Some(1),
                    tumor: Some(0),
                    naaccr_id: "textRemarks".to_owned()
                }
            );
        }
        other => panic!("{other:?}"),
    }
    let out = write_one(&patient, ControlChars::Remove).unwrap();
    assert!(out.contains("<Item naaccrId=\"textRemarks\">bell here</Item>"));
}

#[test]
fn the_writer_refuses_long_unknown_and_misplaced_items() {
    let long = one_item_patient("primarySite", "C5099", true);
    assert_eq!(
        write_one(&long, ControlChars::Refuse).unwrap_err().code(),
        "value_too_long"
    );
    let unknown = one_item_patient("noSuchItem", "1", false);
    assert_eq!(
        write_one(&unknown, ControlChars::Refuse)
            .unwrap_err()
            .code(),
        "unknown_item"
    );
    let misplaced = one_item_patient("primarySite", "C509", false);
    assert_eq!(
        write_one(&misplaced, ControlChars::Refuse)
            .unwrap_err()
            .code(),
        "wrong_level"
    );
    let mut twice = one_item_patient("primarySite", "C509", true);
    let copy = twice.tumors[0].items[0].clone();
    twice.tumors[0].items.push(copy);
    assert_eq!(
        write_one(&twice, ControlChars::Refuse).unwrap_err().code(),
        "duplicate_item"
    );
    // Exactly the maximum length (in characters, not bytes) is fine.
    let max = one_item_patient("nameLast", &"é".repeat(40), false);
    assert!(write_one(&max, ControlChars::Refuse).is_ok());
}

// ---------------------------------------------------------------------------------------
// Properties.

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_reader_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = read_with(&bytes, &provider, ReaderOptions::default());
        let _ = MaybeGzip::detect(Cursor::new(bytes.clone())).map(|i| {
            NaaccrReader::new(i, &provider, ReaderOptions::default()).map(|mut r| while let Ok(Some(_)) = r.next_patient() {})
        });
    }

    #[test]
    fn the_reader_never_panics_on_mutated_documents(
        cut in 0usize..400,
        insert in "[<>&;/\"'=a-zA-Z#0-9 \\n\\r\\x00-\\x1f]{0,12}",
    ) {
        let xml = doc("<Patient>\n<Item naaccrId=\"patientIdNumber\">00000001</Item>\n<Tumor><Item naaccrId=\"textRemarks\">a &amp; b</Item></Tumor></Patient>\n");
        let at = cut.min(xml.len());
        let mut bytes = xml.as_bytes()[..at].to_vec();
        bytes.extend_from_slice(insert.as_bytes());
        bytes.extend_from_slice(&xml.as_bytes()[at..]);
        let _ = read_with(&bytes, &provider, ReaderOptions::default());
    }

    #[test]
    fn any_text_value_round_trips(text in "\\PC{1,60}") {
        let text = text.trim().to_owned();
        prop_assume!(!text.is_empty() && text.chars().count() <= 4000);
        let patient = one_item_patient("textRemarks", &text, true);
        let out = write_one(&patient, ControlChars::Remove).unwrap();
        let (_, patients) = read(&out).unwrap();
        let expected: String = text.chars().filter(|&c| super::reader::is_xml_char(c)).collect();
        prop_assume!(!expected.is_empty());
        prop_assert_eq!(value(&patients[1].tumors[0].items, "textRemarks"), Some(expected.as_str()));
    }
}

#[test]
fn without_value_checks_items_are_still_checked_against_the_dictionary() {
    let xml = doc(
        "<Patient>\n<Item naaccrId=\"dateOfBirth\">19610231</Item>\n<Item naaccrId=\"favouriteColour\">blue</Item>\n</Patient>\n",
    );
    let codes = |check_values| {
        let options = ReaderOptions {
            check_values,
            ..ReaderOptions::default()
        };
        let (_, patients) = read_with(xml.as_bytes(), &provider, options).unwrap();
        patients[0]
            .problems
            .iter()
            .map(|p| p.code().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(codes(true), ["invalid_date", "unknown_naaccr_id"]);
    assert_eq!(codes(false), ["unknown_naaccr_id"]);
}
