//! Language tests through the public API: compile, then evaluate over records.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;

use super::*;
use crate::core::edits::table::{Table, Tables};
use crate::core::naaccr::{DataType, ParentElement};

const ITEMS: &[(&str, ParentElement, DataType)] = &[
    ("primarySite", ParentElement::Tumor, DataType::Text),
    (
        "histologicTypeIcdO3",
        ParentElement::Tumor,
        DataType::Digits,
    ),
    ("behaviorCodeIcdO3", ParentElement::Tumor, DataType::Digits),
    ("laterality", ParentElement::Tumor, DataType::Digits),
    ("dateOfDiagnosis", ParentElement::Tumor, DataType::Date),
    ("dateConclusiveDx", ParentElement::Tumor, DataType::Date),
    (
        "sequenceNumberCentral",
        ParentElement::Tumor,
        DataType::Digits,
    ),
    ("ageAtDiagnosis", ParentElement::Tumor, DataType::Digits),
    ("overRideSiteType", ParentElement::Tumor, DataType::Digits),
    (
        "overRideSiteLatSeqno",
        ParentElement::Patient,
        DataType::Digits,
    ),
    ("dateOfBirth", ParentElement::Patient, DataType::Date),
    ("dateOfLastContact", ParentElement::Patient, DataType::Date),
    ("vitalStatus", ParentElement::Patient, DataType::Digits),
    ("registryId", ParentElement::NaaccrData, DataType::Text),
    (
        "dateOfDiagnosisFlag",
        ParentElement::Tumor,
        DataType::Digits,
    ),
    (
        "typeOfReportingSource",
        ParentElement::Tumor,
        DataType::Digits,
    ),
    (
        "diagnosticConfirmation",
        ParentElement::Tumor,
        DataType::Digits,
    ),
    (
        "overRideReportSource",
        ParentElement::Tumor,
        DataType::Digits,
    ),
    (
        "overRideSiteBehavior",
        ParentElement::Tumor,
        DataType::Digits,
    ),
    (
        "overRideLeukLymphoma",
        ParentElement::Tumor,
        DataType::Digits,
    ),
    (
        "overRideAgeSiteMorph",
        ParentElement::Tumor,
        DataType::Digits,
    ),
    ("schemaId", ParentElement::Tumor, DataType::Digits),
    ("causeOfDeath", ParentElement::Patient, DataType::Text),
];

struct Fixture {
    items: ItemCatalog,
    tables: Tables,
}

fn fixture() -> Fixture {
    let mut items = ItemCatalog::new();
    for (id, parent, data_type) in ITEMS {
        items.add(id, *parent, *data_type);
    }
    let mut tables = Tables::new();
    // Excerpt of the SEER ICD-O-3 site/histology validation list (sitetype.icdo3.20180323).
    tables.insert(
        Table::from_csv(
            "seer_site_type",
            "Site recode,Site Description,Histology/Behavior\n\
             \"C000-C006,C008-C009\",LIP,8000/3\n\
             \"C500-C506,C508-C509\",BREAST,8500/3\n\
             \"C500-C506,C508-C509\",BREAST,8520/3\n\
             C619,PROSTATE,8140/3\n",
        )
        .unwrap(),
    );
    tables.insert(
        Table::from_csv(
            "site_groups",
            "sites,group\nC000-C009,lip\nC500-C509,breast\nC619,prostate\n",
        )
        .unwrap(),
    );
    // IARC morphology families, facts of canreg5-iarc MorphFam.txt (8140 -02, 8970 +07,
    // 9061 +28), Must.txt (07C22*, 28C62*, 28C63*) and MustNot.txt (02C40* ... 02C77*),
    // reshaped for our tables: a `FFCss*` key becomes the code range Css0-Css9.
    tables.insert(
        Table::from_csv(
            "morph_fam",
            "hist,flag,family\n8140,-,02\n8970,+,07\n9061,+,28\n",
        )
        .unwrap(),
    );
    tables.insert(
        Table::from_csv(
            "morph_must",
            "family,sites\n07,C220-C229\n28,C620-C629\n28,C630-C639\n",
        )
        .unwrap(),
    );
    tables.insert(
        Table::from_csv(
            "morph_must_not",
            "family,sites\n02,\"C400-C409,C410-C419,C420-C429,C470-C479,C480-C489,C490-C499,C700-C729,C770-C779\"\n",
        )
        .unwrap(),
    );
    tables.insert(
        Table::from_csv(
            "age_groups",
            "lo,hi,label\n000,014,child\n015,039,young\n040,120,adult\n",
        )
        .unwrap(),
    );
    Fixture { items, tables }
}

fn env() -> EvalEnv {
    EvalEnv::new(chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap())
}

impl Fixture {
    fn compile(
        &self,
        source: &str,
        mode: Mode,
        level: EditLevel,
    ) -> Result<Compiled, Vec<CompileError>> {
        let env = CompileEnv::new(&self.items, &self.tables).with_level(level);
        compile(source, mode, &env)
    }

    fn expr(&self, source: &str) -> Compiled {
        self.compile(source, Mode::Expression, EditLevel::Tumor)
            .unwrap_or_else(|e| panic!("{source}: {}", show(&e)))
    }

    fn record(&self, values: &[(&str, &str)]) -> SlotRecord {
        let mut record = SlotRecord::default();
        for (id, value) in values {
            record.set(self.items.get(id).unwrap().slot, *value);
        }
        record
    }

    /// A patient: its own items, then one list of items per tumor.
    fn patient(&self, values: &[(&str, &str)], tumors: &[&[(&str, &str)]]) -> SlotRecord {
        let mut record = self.record(values);
        for (t, items) in tumors.iter().enumerate() {
            for (id, value) in *items {
                record.set_tumor(t, self.items.get(id).unwrap().slot, *value);
            }
        }
        record
    }

    fn eval(&self, source: &str, values: &[(&str, &str)]) -> Value {
        self.expr(source).eval(&self.record(values), &env())
    }

    fn passes(&self, source: &str, values: &[(&str, &str)]) -> bool {
        let edit = self
            .compile(source, Mode::Condition, EditLevel::Tumor)
            .unwrap_or_else(|e| panic!("{source}: {}", show(&e)));
        edit.passes(&self.record(values), &env())
    }

    fn errors(&self, source: &str) -> Vec<(&'static str, usize, usize)> {
        self.errors_at(source, EditLevel::Tumor)
    }

    fn errors_at(&self, source: &str, level: EditLevel) -> Vec<(&'static str, usize, usize)> {
        match self.compile(source, Mode::Condition, level) {
            Ok(_) => panic!("{source} should not compile"),
            Err(errors) => errors
                .iter()
                .map(|e| (e.kind.code(), e.line, e.column))
                .collect(),
        }
    }
}

fn show(errors: &[CompileError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn arithmetic_text_and_precedence_evaluate_as_written() {
    let f = fixture();
    assert_eq!(f.eval("1 + 2 * 3", &[]), Value::Number(7.0));
    assert_eq!(f.eval("-2 * 3 + 10 % 4", &[]), Value::Number(-4.0));
    assert_eq!(f.eval("(1 + 2) * 3 / 2", &[]), Value::Number(4.5));
    assert_eq!(f.eval("1 / 0", &[]), Value::Missing);
    assert_eq!(
        f.eval(
            "histologicTypeIcdO3 & \"/\" & behaviorCodeIcdO3",
            &[("histologicTypeIcdO3", "8500"), ("behaviorCodeIcdO3", "3")]
        ),
        Value::Text("8500/3".into())
    );
    assert_eq!(f.eval("true or false and false", &[]), Value::Bool(true));
    assert_eq!(f.eval("not true = false", &[]), Value::Bool(true));
    assert_eq!(
        f.eval("if 1 > 2 then \"a\" else \"b\"", &[]),
        Value::Text("b".into())
    );
    assert_eq!(f.eval("max(1, 5, 3) - min(4, 2)", &[]), Value::Number(3.0));
    assert_eq!(f.eval("abs(-2.5) + floor(1.9)", &[]), Value::Number(3.5));
}

#[test]
fn values_print_for_the_command_line() {
    let f = fixture();
    assert_eq!(
        f.eval("\"say \\\"hi\\\"\"", &[]).to_string(),
        r#""say \"hi\"""#
    );
    assert_eq!(f.eval("primarySite", &[]).to_string(), r#""""#);
    assert_eq!(f.eval("7 / 2", &[]).to_string(), "3.5");
    assert_eq!(f.eval("DT_EMPTY", &[]).to_string(), "1073741823");
    assert_eq!(f.eval("num(\"\")", &[]).to_string(), "missing");
    assert_eq!(f.eval("1 = 1", &[]).to_string(), "true");
}

#[test]
fn text_functions_are_one_based_and_never_fail() {
    let f = fixture();
    let site = [("primarySite", "C509")];
    assert_eq!(
        f.eval("substr(primarySite, 2, 2)", &site),
        Value::Text("50".into())
    );
    assert_eq!(
        f.eval("substr(primarySite, 3)", &site),
        Value::Text("09".into())
    );
    assert_eq!(
        f.eval("substr(primarySite, 9, 2)", &site),
        Value::Text("".into())
    );
    assert_eq!(
        f.eval("left(primarySite, 3) & right(primarySite, 1)", &site),
        Value::Text("C509".into())
    );
    assert_eq!(f.eval("len(primarySite)", &site), Value::Number(4.0));
    assert_eq!(
        f.eval("trim(\"  a b  \") & \"|\"", &[]),
        Value::Text("a b|".into())
    );
    assert_eq!(f.eval("upper(\"c50\") = \"C50\"", &[]), Value::Bool(true));
    assert_eq!(
        f.eval("concat(\"a\", \"b\", \"c\")", &[]),
        Value::Text("abc".into())
    );
    assert_eq!(
        f.eval("substr(primarySite, num(\"x\"), 2)", &site),
        Value::Text("".into())
    );
}

#[test]
fn missing_numbers_make_every_comparison_false() {
    let f = fixture();
    let blank = [("ageAtDiagnosis", "")];
    assert!(!f.passes("num(ageAtDiagnosis) = 5", &blank));
    assert!(!f.passes("num(ageAtDiagnosis) <> 5", &blank));
    assert!(f.passes("not (num(ageAtDiagnosis) = 5)", &blank));
    assert!(!f.passes("num(ageAtDiagnosis) + 1 > 0", &blank));
    assert!(!f.passes("isnum(ageAtDiagnosis)", &blank));
    assert!(!f.passes("isnum(ageAtDiagnosis)", &[("ageAtDiagnosis", "XX.8")]));
    assert!(f.passes("num(ageAtDiagnosis) = 68", &[("ageAtDiagnosis", "068")]));
    assert!(f.passes(
        "num(ageAtDiagnosis) in (60 .. 70, 99)",
        &[("ageAtDiagnosis", "068")]
    ));
    assert!(f.passes("num(ageAtDiagnosis) not in (1, 2)", &blank));
}

#[test]
fn empty_and_present_treat_blanks_as_empty() {
    let f = fixture();
    assert!(f.passes("empty(primarySite)", &[]));
    assert!(f.passes("empty(primarySite)", &[("primarySite", "   ")]));
    assert!(f.passes("present(primarySite)", &[("primarySite", "C509")]));
}

#[test]
fn text_order_is_the_code_order() {
    let f = fixture();
    assert!(f.passes("\"9\" < \"10\"", &[]));
    assert!(f.passes("\"C500\" < \"C509\"", &[]));
    assert!(f.passes("\"007\" > \"7\" and not (\"007\" = \"7\")", &[]));
    let site = |s| [("primarySite", s)];
    let breast = "primarySite >= \"C500\" and primarySite <= \"C509\"";
    assert!(f.passes(breast, &site("C504")));
    assert!(!f.passes(breast, &site("C61")));
    assert!(f.passes("between(primarySite, \"C500\", \"C509\")", &site("C509")));
    assert!(!f.passes("between(primarySite, \"C500\", \"C509\")", &site("")));
    assert!(f.passes("between(num(\"15\"), 10, 20)", &[]));
}

#[test]
fn in_lists_and_ranges() {
    let f = fixture();
    let edit = "primarySite in (\"C500\"..\"C509\", \"C809\")";
    assert!(f.passes(edit, &[("primarySite", "C505")]));
    assert!(f.passes(edit, &[("primarySite", "C809")]));
    assert!(!f.passes(edit, &[("primarySite", "C510")]));
    assert!(!f.passes(edit, &[("primarySite", "")]));
    assert!(f.passes(
        "primarySite in \"C760\"..\"C768\"",
        &[("primarySite", "C761")]
    ));
    assert!(f.passes("primarySite not in (\"C809\")", &[("primarySite", "C509")]));
    assert!(f.passes(
        "primarySite in (laterality, \"X\")",
        &[("primarySite", "1"), ("laterality", "1")]
    ));
}

// inlist: ranges compared as codes; numeric vectors from imsweb/validation
// MetafileContextFunctionsTest.testGEN_INLIST.
#[test]
fn inlist_follows_edits_with_code_ranges() {
    let f = fixture();
    let site = |s| [("primarySite", s)];
    let edit = "inlist(primarySite, \"C760-C768,C809\")";
    assert!(f.passes(edit, &site("C765")));
    assert!(f.passes(edit, &site("C809")));
    assert!(f.passes(edit, &site(" C809 ")), "the value is trimmed");
    assert!(!f.passes(edit, &site("C769")));
    assert!(!f.passes(edit, &site("")));
    let numbers = "inlist(primarySite, \"1,10-13,101-111\")";
    assert!(!f.passes(numbers, &site("100")));
    assert!(f.passes(numbers, &site("101")));
    assert!(f.passes(numbers, &site("    101    ")));
    assert!(f.passes("inlist(primarySite, \"1,2,\")", &site("")));
}

#[test]
fn pictures_match_whole_values() {
    let f = fixture();
    let phone = "match(registryId, \"dd!-dddd\")";
    assert!(f.passes(phone, &[("registryId", "12-3456")]));
    assert!(f.passes(phone, &[("registryId", "12-3456  ")]));
    assert!(!f.passes(phone, &[("registryId", "123456")]));
    assert!(f.passes(
        "match(primarySite, \"C{341:9,50d}\")",
        &[("primarySite", "C508")]
    ));
}

// A1, A3, B1, B3 of shared/edits-tables/standard-edits-logic.md.
#[test]
fn date_edits_of_the_standard() {
    let f = fixture();
    let a1 = "validdate(dateOfDiagnosis)";
    for ok in ["20120229", "201310", "1850"] {
        assert!(f.passes(a1, &[("dateOfDiagnosis", ok)]), "{ok}");
    }
    for bad in [
        "20100229", "00000000", "18490201", "2013  01", "201010AA", "20260616", "",
    ] {
        assert!(!f.passes(a1, &[("dateOfDiagnosis", bad)]), "{bad}");
    }
    let a3 = "empty(dateOfDiagnosis) or empty(dateConclusiveDx) \
              or daydiff(dateOfDiagnosis, dateConclusiveDx, \"max\") > 60";
    let dx = |concl| [("dateOfDiagnosis", "20100115"), ("dateConclusiveDx", concl)];
    assert!(f.passes(a3, &dx("20100401")));
    assert!(!f.passes(a3, &dx("20100201")));
    assert!(f.passes(a3, &dx("")));
    let b1 = "datecmp(dateOfLastContact, dateOfDiagnosis, DT_MIN) >= 0";
    assert!(!f.passes(
        b1,
        &[
            ("dateOfLastContact", "201905"),
            ("dateOfDiagnosis", "20190601")
        ]
    ));
    assert!(f.passes(
        b1,
        &[
            ("dateOfLastContact", "20190105"),
            ("dateOfDiagnosis", "2019")
        ]
    ));
    assert!(
        f.passes(
            b1,
            &[("dateOfLastContact", ""), ("dateOfDiagnosis", "2019")]
        ),
        "a blank date gives DT_EMPTY, a large number: this edit does not fire"
    );
    assert_eq!(
        f.eval(
            "daydiff(dateOfDiagnosis, \"2019\", \"exact\")",
            &[("dateOfDiagnosis", "")]
        ),
        Value::Number(DT_EMPTY as f64)
    );
    assert!(f.passes(
        "daydiff(dateOfDiagnosis, dateConclusiveDx, \"min\") = DT_ERROR",
        &[
            ("dateOfDiagnosis", "20101301"),
            ("dateConclusiveDx", "2010")
        ]
    ));
    let b3 = "num(ageAtDiagnosis) = age(dateOfBirth, dateOfDiagnosis)";
    let age = |a| {
        [
            ("dateOfBirth", "19500615"),
            ("dateOfDiagnosis", "20190614"),
            ("ageAtDiagnosis", a),
        ]
    };
    assert!(f.passes(b3, &age("068")));
    assert!(!f.passes(b3, &age("069")));
    assert_eq!(
        f.eval(
            "year(dateOfDiagnosis) * 100 + month(dateOfDiagnosis)",
            &[("dateOfDiagnosis", "20190614")]
        ),
        Value::Number(201_906.0)
    );
    assert_eq!(
        f.eval(
            "day(dateOfDiagnosis) = DT_DAY_EMPTY",
            &[("dateOfDiagnosis", "201906")]
        ),
        Value::Bool(true)
    );
    assert!(f.passes("validdate(\"20270101\", 1)", &[]));
}

#[test]
fn table_lookups_exact_multi_column_and_ranges() {
    let f = fixture();
    // D1 of standard-edits-logic.md: site group (a code-list column) with histology/behaviour.
    let d1 = "empty(histologicTypeIcdO3) or overRideSiteType = \"1\" \
              or intable(\"seer_site_type\", \"Site recode:range\", primarySite, \
                         \"Histology/Behavior\", histologicTypeIcdO3 & \"/\" & behaviorCodeIcdO3)";
    let tumor = |site, hist, over| {
        [
            ("primarySite", site),
            ("histologicTypeIcdO3", hist),
            ("behaviorCodeIcdO3", "3"),
            ("overRideSiteType", over),
        ]
    };
    assert!(f.passes(d1, &tumor("C509", "8500", "")));
    assert!(!f.passes(d1, &tumor("C509", "9100", "")));
    assert!(f.passes(d1, &tumor("C509", "9100", "1")));
    assert!(!f.passes(d1, &tumor("C507", "8500", "")));
    assert!(f.passes(d1, &tumor("C008", "8000", "")));
    assert_eq!(
        f.eval(
            "lookup(\"site_groups\", \"sites:range\", primarySite, \"group\")",
            &[("primarySite", "C504")]
        ),
        Value::Text("breast".into())
    );
    assert_eq!(
        f.eval(
            "lookup(\"site_groups\", \"sites:range\", primarySite, \"group\")",
            &[("primarySite", "C700")]
        ),
        Value::Text("".into())
    );
    assert!(f.passes("intable(\"site_groups\", \"C619\")", &[]));
    assert!(!f.passes("intable(\"site_groups\", \"C61\")", &[]));
    assert_eq!(
        f.eval(
            "lookup(\"age_groups\", \"lo..hi\", ageAtDiagnosis, \"label\")",
            &[("ageAtDiagnosis", "007")]
        ),
        Value::Text("child".into())
    );
    assert_eq!(
        f.eval(
            "lookup(\"seer_site_type\", \"C619\", \"Histology/Behavior\")",
            &[]
        ),
        Value::Text("8140/3".into()),
        "the shorthand key is an exact match on the first column"
    );
    assert_eq!(
        f.eval(
            "lookup(\"seer_site_type\", \"C500\", \"Histology/Behavior\")",
            &[]
        ),
        Value::Text("".into()),
        "an exact key does not look inside code lists"
    );
    assert_eq!(
        f.eval(
            "lookup(\"seer_site_type\", \"Site Description\", \"BREAST\", \"Histology/Behavior\")",
            &[]
        ),
        Value::Text("8500/3".into()),
        "first matching row in file order"
    );
}

#[test]
fn quantifiers_over_the_tumors_of_a_patient() {
    let f = fixture();
    let compile = |s: &str| {
        f.compile(s, Mode::Condition, EditLevel::Patient)
            .unwrap_or_else(|e| panic!("{s}: {}", show(&e)))
    };
    let t = |site, lat, hist, seq, dx| -> Vec<(&str, &str)> {
        vec![
            ("primarySite", site),
            ("laterality", lat),
            ("histologicTypeIcdO3", hist),
            ("sequenceNumberCentral", seq),
            ("dateOfDiagnosis", dx),
        ]
    };
    let a = t("C500", "1", "8500", "01", "2015");
    let b = t("C500", "2", "8500", "02", "2019");
    let c = t("C504", "1", "8501", "03", "20190301");
    let patient = f.patient(&[("vitalStatus", "1")], &[&a, &b, &c]);
    let e = env();
    assert!(compile("any(t in tumors: t.primarySite = \"C504\")").passes(&patient, &e));
    assert!(!compile("all(t in tumors: t.primarySite = \"C500\")").passes(&patient, &e));
    assert!(compile("count(t in tumors: t.primarySite = \"C500\") = 2").passes(&patient, &e));
    assert!(
        compile("vitalStatus = \"1\" and all(t in tumors: present(t.primarySite))")
            .passes(&patient, &e)
    );

    // D14: same site group, laterality and 3-digit histology reported twice.
    let d14 = "overRideSiteLatSeqno = \"1\" or pairs(x, y in tumors: not ( \
                 left(x.primarySite, 3) = left(y.primarySite, 3) \
                 and x.laterality = y.laterality \
                 and left(x.histologicTypeIcdO3, 3) = left(y.histologicTypeIcdO3, 3)))";
    assert!(
        !compile(d14).passes(&patient, &e),
        "tumors 1 and 3 are the same primary"
    );
    let two = f.patient(&[], &[&a, &b]);
    assert!(compile(d14).passes(&two, &e), "left and right breast");
    let overridden = f.patient(&[("overRideSiteLatSeqno", "1")], &[&a, &c]);
    assert!(compile(d14).passes(&overridden, &e));

    // B4: increasing sequence numbers (01-59) with non-decreasing diagnosis dates.
    let b4 = "all(x in tumors: all(y in tumors: \
                if x.sequenceNumberCentral < y.sequenceNumberCentral \
                   and x.sequenceNumberCentral in \"01\"..\"59\" and y.sequenceNumberCentral in \"01\"..\"59\" \
                   and validdate(x.dateOfDiagnosis) and validdate(y.dateOfDiagnosis) \
                then datecmp(x.dateOfDiagnosis, y.dateOfDiagnosis, \"min\") <= 0))";
    assert!(compile(b4).passes(&patient, &e));
    let swapped = f.patient(
        &[],
        &[
            &t("C500", "1", "8500", "01", "2019"),
            &t("C619", "0", "8140", "02", "2015"),
        ],
    );
    assert!(!compile(b4).passes(&swapped, &e));
    let single = f.patient(&[], &[&a]);
    assert!(compile(b4).passes(&single, &e));
    assert!(compile("pairs(x, y in tumors: false)").passes(&single, &e));
    let none = f.patient(&[], &[]);
    assert!(!compile("any(t in tumors: true)").passes(&none, &e));
    assert!(compile("all(t in tumors: false)").passes(&none, &e));
}

#[test]
fn tumor_level_edits_read_the_current_tumor_and_the_patient() {
    let f = fixture();
    let edit = f
        .compile(
            "datecmp(dateOfDiagnosis, dateOfBirth, \"min\") >= 0 and count(t in tumors: true) >= 1",
            Mode::Condition,
            EditLevel::Tumor,
        )
        .unwrap();
    let mut record = f.patient(
        &[("dateOfBirth", "19500310")],
        &[&[("primarySite", "C509")]],
    );
    record.set(f.items.get("dateOfDiagnosis").unwrap().slot, "2019");
    assert!(edit.passes(&record, &env()));
    assert_eq!(edit.items_read(), ["dateOfBirth", "dateOfDiagnosis"]);
    assert!(edit.reads_tumors());
}

#[test]
fn items_read_are_listed_once_and_sorted() {
    let f = fixture();
    let c = f.expr("primarySite = \"C509\" or primarySite = laterality or any(t in tumors: t.behaviorCodeIcdO3 = \"2\")");
    assert_eq!(
        c.items_read(),
        ["behaviorCodeIcdO3", "laterality", "primarySite"]
    );
    assert_eq!(c.result_type(), Type::Bool);
    assert!(!f.expr("primarySite").reads_tumors());
}

#[test]
fn type_errors_have_positions_and_hints() {
    let f = fixture();
    assert_eq!(
        f.errors("primarySite + 1 > \"x\""),
        vec![("arithmetic_on_text", 1, 13)]
    );
    assert_eq!(
        f.errors("ageAtDiagnosis > 60"),
        vec![("text_compared_with_number", 1, 16)]
    );
    let err = f
        .compile("ageAtDiagnosis > 60", Mode::Condition, EditLevel::Tumor)
        .unwrap_err();
    assert!(err[0].to_string().contains("num(...)"), "{}", err[0]);
    assert_eq!(
        f.errors("\"a\" & 1 = \"a1\""),
        vec![("concat_of_non_text", 1, 7)]
    );
    assert_eq!(
        f.errors("empty(primarySite) < true"),
        vec![("ordered_bool", 1, 20)]
    );
    assert_eq!(f.errors("primarySite"), vec![("not_a_condition", 1, 1)]);
    assert_eq!(f.errors("if true then 1"), vec![("if_without_else", 1, 14)]);
    assert_eq!(
        f.errors("if true then 1 else \"a\" "),
        vec![("branch_types", 1, 14)]
    );
    assert_eq!(f.errors("not primarySite"), vec![("type_mismatch", 1, 5)]);
    assert_eq!(
        f.errors("primarySite in (1, 2)"),
        vec![
            ("text_compared_with_number", 1, 17),
            ("text_compared_with_number", 1, 20)
        ]
    );
}

#[test]
fn several_errors_are_collected_in_one_compile() {
    let f = fixture();
    let source = "unknownItem = \"1\"\n  and substr(primarySite) = \"2\"\n  and frobnicate(1)\n  and datecmp(primarySite, dateOfBirth, \"median\") = 0";
    assert_eq!(
        f.errors(source),
        vec![
            ("unknown_item", 1, 1),
            ("wrong_argument_count", 2, 7),
            ("unknown_function", 3, 7),
            ("not_a_date_item", 4, 15),
            ("invalid_date_mode", 4, 41),
        ]
    );
}

#[test]
fn positions_can_be_shifted_to_the_file() {
    let f = fixture();
    let env = CompileEnv::new(&f.items, &f.tables).with_origin(Origin {
        line: 10,
        column: 5,
    });
    let errors = compile("x = \"1\" and\n  y = \"2\"", Mode::Condition, &env).unwrap_err();
    let at: Vec<_> = errors.iter().map(|e| (e.line, e.column)).collect();
    assert_eq!(at, vec![(10, 5), (11, 3)]);
    assert_eq!(
        errors[1].to_string(),
        "line 11, column 3: unknown item 'y' (items are written by their NAACCR XML id, e.g. primarySite)"
    );
    let problem = errors[0].to_problem();
    assert_eq!(
        (problem.code, problem.line, problem.column),
        ("unknown_item", Some(10), Some(5))
    );
}

#[test]
fn syntax_errors_have_exact_positions() {
    let f = fixture();
    assert_eq!(
        f.errors("primarySite = \n  = \"C509\""),
        vec![("unexpected_token", 2, 3)]
    );
    assert_eq!(
        f.errors("primarySite = \"C509"),
        vec![("unterminated_string", 1, 15)]
    );
    assert_eq!(
        f.errors("a # b $"),
        vec![
            ("unexpected_character", 1, 3),
            ("unexpected_character", 1, 7)
        ]
    );
    assert_eq!(f.errors("1 < 2 < 3"), vec![("chained_comparison", 1, 7)]);
}

#[test]
fn name_errors_of_tables_columns_variables_and_levels() {
    let f = fixture();
    assert_eq!(
        f.errors("intable(\"nope\", primarySite)"),
        vec![("unknown_table", 1, 9)]
    );
    assert_eq!(
        f.errors("intable(\"site_groups\", \"site\", primarySite)"),
        vec![("unknown_column", 1, 24)]
    );
    assert_eq!(
        f.errors("lookup(\"site_groups\", primarySite, \"label\") = \"\""),
        vec![("unknown_column", 1, 36)]
    );
    assert_eq!(
        f.errors("intable(\"site_groups\", \"sites\", primarySite, \"group\")"),
        vec![("wrong_argument_count", 1, 1)]
    );
    assert_eq!(
        f.errors("intable(primarySite, \"x\")"),
        vec![("not_constant", 1, 9)]
    );
    assert_eq!(
        f.errors("match(primarySite, \"{dd\")"),
        vec![("invalid_picture", 1, 20)]
    );
    assert_eq!(
        f.errors("inlist(primarySite, \"9-1\")"),
        vec![("invalid_list", 1, 21)]
    );
    assert_eq!(
        f.errors("any(t in tumors: u.primarySite = \"1\")"),
        vec![("unknown_variable", 1, 18)]
    );
    assert_eq!(
        f.errors("any(t in tumors: t = \"1\")"),
        vec![("variable_without_item", 1, 18)]
    );
    assert_eq!(
        f.errors("any(t in tumors: t.dateOfBirth = \"1\")"),
        vec![("patient_item_through_variable", 1, 20)]
    );
    assert_eq!(
        f.errors("any(t in patients: true)"),
        vec![("unknown_domain", 1, 10)]
    );
    assert_eq!(
        f.errors("any(t in tumors: any(t in tumors: true))"),
        vec![("duplicate_variable", 1, 22)]
    );
    assert_eq!(
        f.errors(
            "any(a in tumors: pairs(b, c in tumors: any(d in tumors: any(e in tumors: true))))"
        ),
        vec![("too_many_variables", 1, 61)]
    );
    assert_eq!(
        f.errors_at("primarySite = \"C509\"", EditLevel::Patient),
        vec![("tumor_item_in_patient_edit", 1, 1)]
    );
    assert_eq!(
        f.errors("validdate(dateOfBirth, 1.5)"),
        vec![("invalid_future_years", 1, 24)]
    );
}

#[test]
fn constant_arguments_may_be_folded_expressions() {
    let f = fixture();
    assert!(f.passes(
        "inlist(primarySite, \"C50\" & \"9\")",
        &[("primarySite", "C509")]
    ));
    assert!(f.passes(
        "daydiff(\"20100115\", \"201004\", \"M\" & \"AX\") = 105",
        &[]
    ));
    assert_eq!(
        f.errors("datecmp(\"2010\", \"2011\", primarySite) = 0"),
        vec![("not_constant", 1, 25)]
    );
}

#[test]
fn deeply_nested_or_long_input_is_refused_not_crashed() {
    let f = fixture();
    let deep = "(".repeat(300) + "true" + &")".repeat(300);
    assert_eq!(f.errors(&deep)[0].0, "too_deep");
    let long = vec!["1"; 3000].join(" + ") + " = 1";
    assert_eq!(f.errors(&long)[0].0, "too_deep");
    let wide = vec!["primarySite = \"C509\""; 3000].join(" or ");
    assert!(f.passes(&wide, &[("primarySite", "C509")]));
}

/// Standard edits of shared/edits-tables/standard-edits-logic.md written in the language, each
/// with the pass/fail examples given there.
#[test]
fn standard_edits_decide_their_examples() {
    let f = fixture();
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], bool);
    let check = |name: &str, source: &str, cases: &[Case<'_>]| {
        let edit = f
            .compile(source, Mode::Condition, EditLevel::Tumor)
            .unwrap_or_else(|e| panic!("{name}: {}", show(&e)));
        for (label, values, expected) in cases {
            assert_eq!(
                edit.passes(&f.record(values), &env()),
                *expected,
                "{name}: {label}"
            );
        }
    };
    check(
        "A2",
        "if present(dateOfDiagnosis) then empty(dateOfDiagnosisFlag) else dateOfDiagnosisFlag = \"12\"",
        &[
            ("date, no flag", &[("dateOfDiagnosis", "20190301")], true),
            ("neither", &[], false),
            (
                "date and flag 12",
                &[
                    ("dateOfDiagnosis", "20190301"),
                    ("dateOfDiagnosisFlag", "12"),
                ],
                false,
            ),
        ],
    );
    let a3 = "(not validdate(dateOfDiagnosis)
                or (if year(dateOfDiagnosis) < 2007 then empty(dateConclusiveDx)
                    else if year(dateOfDiagnosis) <= 2012 then present(dateConclusiveDx)))
              and (empty(dateOfDiagnosis) or empty(dateConclusiveDx)
                   or daydiff(dateOfDiagnosis, dateConclusiveDx, \"max\") > 60)";
    check(
        "A3",
        a3,
        &[
            (
                "76 days",
                &[
                    ("dateOfDiagnosis", "20100115"),
                    ("dateConclusiveDx", "20100401"),
                ],
                true,
            ),
            (
                "17 days",
                &[
                    ("dateOfDiagnosis", "20100115"),
                    ("dateConclusiveDx", "20100201"),
                ],
                false,
            ),
            ("2010 without", &[("dateOfDiagnosis", "20100115")], false),
            (
                "2006 with",
                &[
                    ("dateOfDiagnosis", "20060115"),
                    ("dateConclusiveDx", "20060401"),
                ],
                false,
            ),
            ("2015 without", &[("dateOfDiagnosis", "20150115")], true),
        ],
    );
    check(
        "B2",
        "datecmp(dateOfDiagnosis, dateOfBirth, \"min\") >= 0 or overRideAgeSiteMorph in (\"2\", \"3\")",
        &[
            (
                "born before",
                &[("dateOfBirth", "19500310"), ("dateOfDiagnosis", "2019")],
                true,
            ),
            (
                "born after",
                &[("dateOfBirth", "20190310"), ("dateOfDiagnosis", "20190101")],
                false,
            ),
            (
                "in utero",
                &[
                    ("dateOfBirth", "20190310"),
                    ("dateOfDiagnosis", "20190101"),
                    ("overRideAgeSiteMorph", "2"),
                ],
                true,
            ),
        ],
    );
    check(
        "C4",
        "not (typeOfReportingSource = \"7\" and histologicTypeIcdO3 < \"9590\")
           or sequenceNumberCentral = \"00\" or overRideReportSource = \"1\"",
        &[
            (
                "DCO seq 00",
                &[
                    ("typeOfReportingSource", "7"),
                    ("histologicTypeIcdO3", "8140"),
                    ("sequenceNumberCentral", "00"),
                ],
                true,
            ),
            (
                "DCO seq 02",
                &[
                    ("typeOfReportingSource", "7"),
                    ("histologicTypeIcdO3", "8140"),
                    ("sequenceNumberCentral", "02"),
                ],
                false,
            ),
        ],
    );
    check(
        "D4",
        "empty(behaviorCodeIcdO3) or overRideSiteBehavior = \"1\" or behaviorCodeIcdO3 <> \"2\"
           or not inlist(primarySite, \"C269,C399,C559,C579,C639,C689,C729,C759,C760-C768,C809\")",
        &[
            (
                "breast in situ",
                &[("primarySite", "C504"), ("behaviorCodeIcdO3", "2")],
                true,
            ),
            (
                "unknown site in situ",
                &[("primarySite", "C809"), ("behaviorCodeIcdO3", "2")],
                false,
            ),
        ],
    );
    check(
        "D7",
        "overRideLeukLymphoma = \"1\"
           or (if histologicTypeIcdO3 in \"9590\"..\"9729\" then diagnosticConfirmation not in (\"6\", \"8\")
               else if histologicTypeIcdO3 in \"9731\"..\"9948\" then diagnosticConfirmation <> \"6\")",
        &[
            ("9680 DC 1", &[("histologicTypeIcdO3", "9680"), ("diagnosticConfirmation", "1")], true),
            ("9680 DC 8", &[("histologicTypeIcdO3", "9680"), ("diagnosticConfirmation", "8")], false),
            ("9861 DC 6", &[("histologicTypeIcdO3", "9861"), ("diagnosticConfirmation", "6")], false),
        ],
    );
    let d8 = "empty(dateOfDiagnosis) or not validdate(dateOfDiagnosis) or (
        not (laterality = \"0\" and (
              inlist(primarySite, \"C079,C080,C098-C099,C301,C310,C312,C341-C349,C384,C500-C509,C569,C570,C620-C629,C630,C631,C649,C659,C669,C690-C699,C740-C749,C754\")
           or inlist(primarySite, \"C090,C091\") and year(dateOfDiagnosis) < 2018
           or year(dateOfDiagnosis) > 1978
              and inlist(primarySite, \"C081,C400-C403,C441-C443,C445-C447,C471,C472,C491,C492\")
           or year(dateOfDiagnosis) > 2003 and inlist(primarySite, \"C700,C710-C714,C722-C725\")
           or year(dateOfDiagnosis) >= 2021 and primarySite = \"C444\"))
        and (laterality <> \"5\" or year(dateOfDiagnosis) >= 2010
             and inlist(primarySite, \"C700,C710-C714,C722-C725,C443,C445\")))";
    let tumor = |site, lat| {
        [
            ("dateOfDiagnosis", "20190101"),
            ("primarySite", site),
            ("laterality", lat),
        ]
    };
    check(
        "D8",
        d8,
        &[
            ("lung right", &tumor("C341", "1"), true),
            ("lung 0", &tumor("C341", "0"), false),
            ("breast midline", &tumor("C500", "5"), false),
            ("brain midline", &tumor("C711", "5"), true),
            ("colon 0", &tumor("C180", "0"), true),
        ],
    );
    check(
        "D20",
        "empty(dateOfDiagnosis) or (if year(dateOfDiagnosis) < 2018 then empty(schemaId)
           else present(schemaId)
                and (schemaId <> \"00520\" or year(dateOfDiagnosis) <= 2020)
                and (schemaId not in (\"00528\", \"09520\") or year(dateOfDiagnosis) >= 2021)
                and (schemaId not in (\"00190\", \"00210\", \"00721\"..\"00723\") or year(dateOfDiagnosis) < 2023))",
        &[
            ("2019 00520", &[("dateOfDiagnosis", "2019"), ("schemaId", "00520")], true),
            ("2017 00520", &[("dateOfDiagnosis", "2017"), ("schemaId", "00520")], false),
            ("2023 00190", &[("dateOfDiagnosis", "2023"), ("schemaId", "00190")], false),
        ],
    );
    check(
        "E6",
        "(num(ageAtDiagnosis) >= 5 or left(primarySite, 3) not in (\"C53\", \"C61\"))
         and (num(ageAtDiagnosis) >= 20 or left(primarySite, 3) not in
              (\"C15\", \"C19\", \"C20\", \"C21\", \"C23\", \"C24\", \"C50\", \"C53\", \"C54\", \"C55\")
              and primarySite <> \"C384\")",
        &[
            ("age 3 prostate", &[("ageAtDiagnosis", "003"), ("primarySite", "C619")], false),
            ("age 60 prostate", &[("ageAtDiagnosis", "060"), ("primarySite", "C619")], true),
        ],
    );
    let e11 = "(lookup(\"morph_fam\", left(histologicTypeIcdO3, 4), \"flag\") <> \"+\"
                or intable(\"morph_must\", \"family\", lookup(\"morph_fam\", left(histologicTypeIcdO3, 4), \"family\"),
                                           \"sites:range\", primarySite))
               and (lookup(\"morph_fam\", left(histologicTypeIcdO3, 4), \"flag\") <> \"-\"
                or not intable(\"morph_must_not\", \"family\", lookup(\"morph_fam\", left(histologicTypeIcdO3, 4), \"family\"),
                                                   \"sites:range\", primarySite))";
    let morph = |hist, site| [("histologicTypeIcdO3", hist), ("primarySite", site)];
    check(
        "E11",
        e11,
        &[
            ("hepatoblastoma of liver", &morph("8970", "C220"), true),
            ("hepatoblastoma of breast", &morph("8970", "C509"), false),
            ("seminoma of testis", &morph("9061", "C620"), true),
            ("seminoma of breast", &morph("9061", "C509"), false),
            ("adenocarcinoma of breast", &morph("8140", "C509"), true),
            ("adenocarcinoma of bone", &morph("8140", "C411"), false),
            ("family not listed", &morph("8000", "C411"), true),
        ],
    );
    // C1 is a patient-level edit.
    let c1 = f
        .compile(
            "(causeOfDeath = \"0000\") = (vitalStatus = \"1\")",
            Mode::Condition,
            EditLevel::Patient,
        )
        .unwrap();
    assert!(c1.passes(
        &f.record(&[("vitalStatus", "0"), ("causeOfDeath", "C509")]),
        &env()
    ));
    assert!(!c1.passes(
        &f.record(&[("vitalStatus", "1"), ("causeOfDeath", "C509")]),
        &env()
    ));
}

#[test]
fn compiled_edits_are_shareable_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Compiled>();
}

/// Prints how fast a simple and a table edit evaluate; run with
/// `cargo test --release --lib core::edits::lang::tests::timing -- --ignored --nocapture`.
#[test]
#[ignore = "timing, not a check"]
fn timing() {
    let f = fixture();
    let e = env();
    let cases = [
        (
            "simple",
            "primarySite in (\"C500\"..\"C509\") and laterality <> \"0\" or empty(primarySite)",
        ),
        (
            "inlist",
            "not inlist(primarySite, \"C269,C399,C559,C579,C639,C689,C729,C759,C760-C768,C809\") or behaviorCodeIcdO3 <> \"2\"",
        ),
        (
            "dates",
            "empty(dateOfDiagnosis) or empty(dateConclusiveDx) or daydiff(dateOfDiagnosis, dateConclusiveDx, \"max\") > 60",
        ),
        (
            "table",
            "intable(\"seer_site_type\", \"Site recode:range\", primarySite, \"Histology/Behavior\", histologicTypeIcdO3 & \"/\" & behaviorCodeIcdO3)",
        ),
    ];
    let record = f.record(&[
        ("primarySite", "C504"),
        ("laterality", "1"),
        ("histologicTypeIcdO3", "8500"),
        ("behaviorCodeIcdO3", "3"),
        ("dateOfDiagnosis", "20100115"),
        ("dateConclusiveDx", "20100401"),
    ]);
    for (name, source) in cases {
        let edit = f
            .compile(source, Mode::Condition, EditLevel::Tumor)
            .unwrap();
        let n = 2_000_000;
        let start = std::time::Instant::now();
        let mut passed = 0usize;
        for _ in 0..n {
            passed += usize::from(edit.passes(std::hint::black_box(&record), &e));
        }
        let elapsed = start.elapsed();
        println!(
            "{name:7} {n} evaluations in {elapsed:?}: {:.1} M/s ({passed} passed)",
            n as f64 / elapsed.as_secs_f64() / 1e6
        );
    }
}

/// Fragments that make random input look like edits often enough to reach the checker.
const FRAGMENTS: &[&str] = &[
    "primarySite",
    "dateOfDiagnosis",
    "t.primarySite",
    "x.laterality",
    "\"C509\"",
    "\"\"",
    "60",
    "1.5",
    "-",
    "+",
    "*",
    "/",
    "%",
    "&",
    "=",
    "<>",
    "<",
    ">=",
    "and",
    "or",
    "not",
    "in",
    "..",
    "(",
    ")",
    ",",
    ":",
    "if",
    "then",
    "else",
    "true",
    "substr(",
    "datecmp(",
    "\"min\"",
    "inlist(",
    "\"1-3,C5\"",
    "match(",
    "\"d{x,b}*\"",
    "any(t in tumors:",
    "pairs(x, y in tumors:",
    "count(t in tumors:",
    "intable(\"site_groups\",",
    "lookup(\"age_groups\", \"lo..hi\",",
    "num(",
    "DT_EMPTY",
    "age(",
    "between(",
    "validdate(",
    "\"label\"",
    " ",
    "\n",
    "//c\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_text_never_panics_the_compiler(source in "\\PC{0,80}") {
        let f = fixture();
        for mode in [Mode::Condition, Mode::Expression] {
            for level in [EditLevel::Tumor, EditLevel::Patient] {
                let _ = f.compile(&source, mode, level);
            }
        }
    }

    #[test]
    fn random_fragments_never_panic_compiler_or_evaluator(
        picks in proptest::collection::vec(0..FRAGMENTS.len(), 0..30),
        values in proptest::collection::vec("[ -~]{0,10}", ITEMS.len()),
    ) {
        let f = fixture();
        let source: String = picks.iter().map(|&i| FRAGMENTS[i]).collect::<Vec<_>>().join(" ");
        let mut record = SlotRecord::default();
        for (slot, value) in values.iter().enumerate() {
            record.set(slot as Slot, value.clone());
            record.set_tumor(0, slot as Slot, value.clone());
            record.set_tumor(1, slot as Slot, value.chars().rev().collect::<String>());
        }
        for level in [EditLevel::Tumor, EditLevel::Patient] {
            match f.compile(&source, Mode::Expression, level) {
                Ok(compiled) => {
                    let _ = compiled.eval(&record, &env());
                }
                Err(errors) => {
                    prop_assert!(!errors.is_empty());
                    for e in &errors {
                        prop_assert!(e.line >= 1 && e.column >= 1);
                        prop_assert!(e.span.start <= e.span.end && e.span.end <= source.len());
                    }
                }
            }
        }
    }
}
