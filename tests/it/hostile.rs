//! Malformed and hostile NAACCR XML files, each imported in `all` mode on both backends: each
//! gives its documented problem code at its line, never a panic, and leaves every abstract and
//! history row as it was (the refusal itself is recorded as a `rejected` batch).
//!
//! The codes are those of `core::naaccr::xml::problem` (fatal: the file stops; item problems:
//! the patient is refused, and in `all` mode so is the file).

use crate::backend_tests;
use std::io::Write;
use tumor_registry::app::AppError;
use tumor_registry::app::auth::RequestContext;
use tumor_registry::app::imports::{ImportMode, ImportOutcome, ImportRequest};
use tumor_registry::core::naaccr::xml::MaybeGzip;

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
const ROOT: &str = r#"<NaaccrData baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml" recordType="A" specificationVersion="1.8" xmlns="http://naaccr.org/naaccrxml">"#;

/// A file: the declaration on line 1, the root on line 2, `body` from line 3, and the end tag.
fn doc(body: &str) -> Vec<u8> {
    format!("{DECL}\n{ROOT}\n{body}\n</NaaccrData>\n").into_bytes()
}

/// A file whose root element is `root` (line 2) and body `body` (line 3).
fn with_root(root: &str, body: &str) -> Vec<u8> {
    format!("{DECL}\n{root}\n{body}\n</NaaccrData>\n").into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    g.write_all(bytes).unwrap();
    g.finish().unwrap()
}

/// One hostile file: its name, bytes, the problem code expected, and the line it is found on.
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    code: &'static str,
    line: u64,
}

fn case(name: &'static str, bytes: Vec<u8>, code: &'static str, line: u64) -> Case {
    Case {
        name,
        bytes,
        code,
        line,
    }
}

const GOOD_PATIENT: &str = "<Patient>\n<Item naaccrId=\"patientIdNumber\">00000001</Item>\n<Tumor>\n<Item naaccrId=\"primarySite\">C509</Item>\n</Tumor>\n</Patient>";

fn cases() -> Vec<Case> {
    let root_with =
        |attrs: &str| format!(r#"<NaaccrData {attrs} xmlns="http://naaccr.org/naaccrxml">"#);
    let base = r#"baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml""#;
    let ten_mb = "A".repeat(10 << 20);
    let ten_mb_lines = format!("{}\n", "B".repeat(99)).repeat(100 << 10);
    let deep = "<x:a xmlns:x=\"urn:ext\">".repeat(100_000);
    vec![
        // Not XML, or not NAACCR XML.
        case("empty file", Vec::new(), "unexpected_eof", 1),
        case("binary garbage", b"\x00\x01\x02\x03 not xml at all \xff\xfe".to_vec(), "not_well_formed", 1),
        case("truncated in a patient", format!("{DECL}\n{ROOT}\n<Patient>\n<Item naaccrId=\"nameLast\">Okafor</Item>").into_bytes(), "unexpected_eof", 4),
        case("mismatched end tag", doc("<Patient>\n<Item naaccrId=\"nameLast\">Okafor</Tumor>\n</Patient>"), "not_well_formed", 4),
        case("wrong root element", format!("{DECL}\n<Patients>\n</Patients>\n").into_bytes(), "wrong_root_element", 2),
        case("root in another namespace", format!("{DECL}\n<NaaccrData {base} recordType=\"A\" xmlns=\"urn:not-naaccr\">\n</NaaccrData>\n").into_bytes(), "wrong_namespace", 2),
        // Entities: a DOCTYPE (billion laughs) and an entity never declared.
        case("billion laughs", format!("{DECL}\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>\n{ROOT}\n<Patient><Item naaccrId=\"nameLast\">&lol3;</Item></Patient>\n</NaaccrData>").into_bytes(), "doctype_not_allowed", 2),
        case("external entity", format!("{DECL}\n<!DOCTYPE d [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n{ROOT}\n</NaaccrData>").into_bytes(), "doctype_not_allowed", 2),
        case("undefined entity", doc("<Patient>\n<Item naaccrId=\"nameLast\">&bogus;</Item>\n</Patient>"), "undefined_entity", 4),
        // The root's attributes.
        case("no baseDictionaryUri", with_root(&root_with(r#"recordType="A" specificationVersion="1.8""#), ""), "missing_base_dictionary_uri", 2),
        case("baseDictionaryUri not a NAACCR dictionary", with_root(&root_with(r#"baseDictionaryUri="http://example.org/dictionary.xml" recordType="A""#), ""), "bad_base_dictionary_uri", 2),
        case("unsupported NAACCR version", with_root(&root_with(r#"baseDictionaryUri="http://naaccr.org/naaccrxml/naaccr-dictionary-990.xml" recordType="A""#), ""), "unsupported_naaccr_version", 2),
        case("unknown user dictionary", with_root(&root_with(&format!(r#"{base} userDictionaryUri="http://example.org/nobody-knows-this.xml" recordType="A" specificationVersion="1.8""#)), ""), "user_dictionary_not_available", 2),
        case("no record type", with_root(&root_with(&format!(r#"{base} specificationVersion="1.8""#)), ""), "missing_record_type", 2),
        case("bad record type", with_root(&root_with(&format!(r#"{base} recordType="Z" specificationVersion="1.8""#)), ""), "bad_record_type", 2),
        case("unsupported specification version", with_root(&root_with(&format!(r#"{base} recordType="A" specificationVersion="2.0""#)), ""), "bad_specification_version", 2),
        // Structure.
        case("tumor outside a patient", doc("<Tumor>\n<Item naaccrId=\"primarySite\">C509</Item>\n</Tumor>"), "misplaced_element", 3),
        case("patient inside a patient", doc("<Patient>\n<Patient>\n</Patient>\n</Patient>"), "misplaced_element", 4),
        case("item inside an item", doc("<Patient>\n<Item naaccrId=\"nameLast\"><Item naaccrId=\"nameFirst\">A</Item></Item>\n</Patient>"), "misplaced_element", 4),
        // Reported where the text node starts: right after `<Patient>` on line 3.
        case("text between elements", doc("<Patient>\nstray words\n<Item naaccrId=\"nameLast\">A</Item>\n</Patient>"), "unexpected_text", 3),
        case("item without naaccrId", doc("<Patient>\n<Item>Okafor</Item>\n</Patient>"), "missing_naaccr_id", 4),
        case("duplicate item", doc("<Patient>\n<Item naaccrId=\"nameLast\">A</Item>\n<Item naaccrId=\"nameLast\">B</Item>\n</Patient>"), "duplicate_item", 5),
        // Size caps.
        case("a 10 MB line", doc(&format!("<Patient>\n<Item naaccrId=\"nameLast\">{ten_mb}</Item>\n</Patient>")), "line_too_long", 4),
        case("a 10 MB item over many lines", doc(&format!("<Patient>\n<Item naaccrId=\"textRemarks\">{ten_mb_lines}</Item>\n</Patient>")), "value_too_large", 4),
        case("100,000-deep nesting", doc(&format!("<Patient>\n{deep}\n</Patient>")), "nesting_too_deep", 4),
        // Encoding and compression.
        case("declared encoding not UTF-8", format!("<?xml version=\"1.0\" encoding=\"EBCDIC-US\"?>\n{ROOT}\n</NaaccrData>\n").into_bytes(), "unsupported_encoding", 1),
        case("bytes that are not UTF-8", doc("<Patient>\n<Item naaccrId=\"nameLast\">Ok\u{0}</Item>\n</Patient>").into_iter().map(|b| if b == 0 { 0xC3 } else { b }).collect(), "not_well_formed", 4),
        case("gzip magic then garbage", b"\x1f\x8b\x08\x00garbage that is not deflate".to_vec(), "bad_gzip", 1),
        // Found where the inflated text stops.
        case("gzip cut short", { let g = gzip(&doc(GOOD_PATIENT)); g[..g.len() / 2].to_vec() }, "bad_gzip", 2),
        // Item problems: the patient is refused, and in `all` mode the whole file.
        case("unknown naaccrId", doc("<Patient>\n<Item naaccrId=\"favouriteColour\">blue</Item>\n</Patient>"), "unknown_naaccr_id", 4),
        case("naaccrNum not the item's", doc("<Patient>\n<Item naaccrId=\"nameLast\" naaccrNum=\"2240\">Okafor</Item>\n</Patient>"), "naaccr_num_mismatch", 4),
        case("tumor item at patient level", doc("<Patient>\n<Item naaccrId=\"primarySite\">C509</Item>\n</Patient>"), "wrong_level", 4),
        case("value too long", doc("<Patient>\n<Item naaccrId=\"sexAssignedAtBirth\">12</Item>\n</Patient>"), "value_too_long", 4),
        case("impossible date", doc("<Patient>\n<Item naaccrId=\"dateOfBirth\">19610231</Item>\n</Patient>"), "invalid_date", 4),
        case("letters in a digits item", doc("<Patient>\n<Item naaccrId=\"patientIdNumber\">0000000X</Item>\n</Patient>"), "not_digits", 4),
        case("trailing space", doc("<Patient>\n<Item naaccrId=\"nameLast\">Okafor </Item>\n</Patient>"), "value_ends_with_space", 4),
    ]
}

async fn import_refused(registry: &tumor_registry::app::Registry, c: &Case) -> ImportOutcome {
    let request = ImportRequest {
        file_name: c.name.to_owned(),
        sha256: format!("{:064x}", fxhash(&c.bytes)),
        mode: ImportMode::All,
        dry_run: false,
        file_size: c.bytes.len() as u64,
    };
    let input = MaybeGzip::detect(std::io::BufReader::new(std::io::Cursor::new(
        c.bytes.clone(),
    )));
    let input = match input {
        Ok(i) => i,
        // A gzip header that is not one is refused before reading starts.
        Err(e) => panic!("{}: the input could not even be opened: {e}", c.name),
    };
    let ctx = RequestContext::system("test");
    match registry.import_file(&ctx, request, input, |_| {}).await {
        Err(AppError::ImportRefused(o)) => *o,
        Ok(o) => panic!("{}: imported: {o:?}", c.name),
        Err(e) => panic!("{}: failed otherwise: {e}", c.name),
    }
}

/// A cheap distinct id per file (the batch's SHA-256 field only needs to differ per case).
fn fxhash(bytes: &[u8]) -> u128 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u128, |h, b| {
        (h ^ u128::from(*b)).wrapping_mul(0x1000_0000_01b3)
    }) ^ bytes.len() as u128
}

backend_tests! {
    async fn every_hostile_file_gives_its_problem_at_its_line_and_writes_nothing(db: TestDb) {
        let registry = crate::harness::registry(&db);
        let before = db.fingerprint();
        let cases = cases();
        assert!(cases.len() >= 25, "the issue asks for at least 25 hostile files");
        let mut failures = Vec::new();
        for c in &cases {
            let o = import_refused(&registry, c).await;
            assert_eq!(o.status, "rejected", "{}", c.name);
            assert_eq!((o.patients_imported, o.tumors_imported), (0, 0), "{}", c.name);
            let found = o
                .fatal
                .iter()
                .map(|f| (f.code.clone(), f.line))
                .chain(o.rejected.iter().flat_map(|r| r.problems.iter().map(|p| (p.code.clone(), p.line))))
                .collect::<Vec<_>>();
            if !found.contains(&(c.code.to_owned(), c.line)) {
                failures.push(format!("{}: expected {} at line {}, got {found:?}", c.name, c.code, c.line));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert_eq!(db.fingerprint(), before, "no abstract or history row was written");
        let batches = db
            .db
            .run_blocking(|c| tumor_registry::store::imports::list_batches(c, None, None, 500))
            .unwrap();
        assert_eq!(batches.len(), cases.len());
        assert!(batches.iter().all(|b| b.status == "rejected" && b.patients_imported == 0));
    }
}
