//! Tests of the generator against sources outside it: the NAACCR v26 dictionary (lengths and
//! data types), the SEER ICD-O-3 site/type list (2018-03-23) and the standard's code rules.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::NaiveDate;

use super::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn tables() -> &'static SynthTables {
    static T: OnceLock<SynthTables> = OnceLock::new();
    T.get_or_init(|| {
        let texts: Vec<String> = SynthSources::FILE_NAMES
            .iter()
            .map(|f| read(&format!("schemas/synth/{f}")))
            .collect();
        let src = sources(&texts);
        SynthTables::parse(&src).unwrap()
    })
}

fn options(patients: usize, duplicates_rate: f64) -> SynthOptions {
    SynthOptions {
        patients,
        first_dx_year: 2010,
        last_dx_year: 2024,
        study_cutoff: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
        duplicates_rate,
    }
}

fn sample() -> &'static [SyntheticPatient] {
    static S: OnceLock<Vec<SyntheticPatient>> = OnceLock::new();
    S.get_or_init(|| generate(tables(), &options(20_000, 0.0), 42).collect())
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y%m%d").unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn get<'a>(items: &'a [(String, String)], id: &str) -> &'a str {
    find(items, id).unwrap_or_else(|| panic!("missing {id}"))
}

// ---- a tiny reader of the v26 dictionary's ItemDef attributes (no XML crate needed) ----

struct ItemDef {
    length: usize,
    data_type: String,
    parent: String,
}

fn attribute(def: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = def.find(&key)? + key.len();
    let end = def[start..].find('"')? + start;
    Some(def[start..end].to_owned())
}

fn dictionary() -> &'static HashMap<String, ItemDef> {
    static D: OnceLock<HashMap<String, ItemDef>> = OnceLock::new();
    D.get_or_init(|| {
        let xml = read("schemas/dictionaries/naaccr-dictionary-260.xml");
        let mut out = HashMap::new();
        for chunk in xml.split("<ItemDef ").skip(1) {
            let def = &chunk[..chunk.find('>').unwrap()];
            let id = attribute(def, "naaccrId").unwrap();
            out.insert(
                id,
                ItemDef {
                    length: attribute(def, "length").unwrap().parse().unwrap(),
                    data_type: attribute(def, "dataType").unwrap_or_else(|| "text".to_owned()),
                    parent: attribute(def, "parentXmlElement").unwrap(),
                },
            );
        }
        assert!(out.len() > 700, "dictionary not read: {} items", out.len());
        out
    })
}

fn check_value(id: &str, value: &str, level: &str) -> Result<(), String> {
    let def = dictionary()
        .get(id)
        .ok_or(format!("{id}: not in the v26 dictionary"))?;
    if def.parent != level {
        return Err(format!(
            "{id}: is a {} item, written at {level} level",
            def.parent
        ));
    }
    let n = value.chars().count();
    if n == 0 || n > def.length {
        return Err(format!(
            "{id}: `{value}` length {n}, dictionary length {}",
            def.length
        ));
    }
    let ok = match def.data_type.as_str() {
        "digits" => n == def.length && value.bytes().all(|b| b.is_ascii_digit()),
        "alpha" => value.bytes().all(|b| b.is_ascii_uppercase()),
        "numeric" => value.parse::<f64>().is_ok(),
        "date" => n == 8 && NaiveDate::parse_from_str(value, "%Y%m%d").is_ok(),
        "mixed" => value.bytes().all(|b| b.is_ascii_alphanumeric()),
        _ => value.chars().all(|c| !c.is_control()),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{id}: `{value}` is not valid {}", def.data_type))
    }
}

// ---- the SEER site/type list, expanded to (site, histology/behavior) ----

fn seer_pairs() -> &'static HashSet<(String, String)> {
    static P: OnceLock<HashSet<(String, String)>> = OnceLock::new();
    P.get_or_init(|| {
        let text = read("tests/fixtures/seer-sitetype.icdo3.20180323.csv");
        let mut out = HashSet::new();
        for line in text.lines().skip(1) {
            // first field: quoted list of ranges or a single code; last-but-one: `8000/3`
            let (sites, rest) = if let Some(r) = line.strip_prefix('"') {
                let end = r.find('"').unwrap();
                (&r[..end], &r[end + 1..])
            } else {
                line.split_at(line.find(',').unwrap())
            };
            if !sites.starts_with('C') {
                continue;
            }
            let morph = rest
                .split(',')
                .find(|f| {
                    f.len() == 6
                        && f.as_bytes()[4] == b'/'
                        && f[..4].bytes().all(|b| b.is_ascii_digit())
                })
                .unwrap_or_else(|| panic!("no morphology in {line}"));
            for part in sites.split(',') {
                let part = part.trim();
                let (a, b) = part.split_once('-').unwrap_or((part, part));
                let (a, b): (u16, u16) = (a[1..].parse().unwrap(), b[1..].parse().unwrap());
                for s in a..=b {
                    out.insert((format!("C{s:03}"), morph.to_owned()));
                }
            }
        }
        assert!(out.len() > 40_000, "site/type list not read: {}", out.len());
        out
    })
}

// ---- tests ----

#[test]
fn same_seed_gives_identical_output_and_another_seed_differs() {
    let a: Vec<_> = generate(tables(), &options(500, 0.05), 7).collect();
    let b: Vec<_> = generate(tables(), &options(500, 0.05), 7).collect();
    let c: Vec<_> = generate(tables(), &options(500, 0.05), 8).collect();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn the_requested_number_of_patients_with_unique_8_digit_ids() {
    assert_eq!(sample().len(), 20_000);
    let ids: HashSet<&str> = sample()
        .iter()
        .map(|p| get(&p.items, "patientIdNumber"))
        .collect();
    assert_eq!(ids.len(), 20_000);
    assert!(
        ids.iter()
            .all(|id| id.len() == 8 && id.bytes().all(|b| b.is_ascii_digit()))
    );
    assert_eq!(generate(tables(), &options(0, 0.1), 1).count(), 0);
}

#[test]
fn between_5_and_8_percent_of_patients_have_several_tumors() {
    let multi = sample().iter().filter(|p| p.tumors.len() > 1).count();
    let share = multi as f64 / sample().len() as f64;
    assert!((0.05..=0.08).contains(&share), "multi-tumor share {share}");
    assert!(sample().iter().all(|p| (1..=3).contains(&p.tumors.len())));
}

#[test]
fn every_value_is_valid_for_its_v26_dictionary_definition() {
    let mut problems = Vec::new();
    for p in generate(tables(), &options(5_000, 0.1), 3) {
        for (id, v) in &p.items {
            problems.extend(check_value(id, v, "Patient").err());
        }
        for t in &p.tumors {
            for (id, v) in t {
                problems.extend(check_value(id, v, "Tumor").err());
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn sex_specific_sites_only_for_that_sex_and_breast_mostly_female() {
    let (mut breast_f, mut breast_m) = (0, 0);
    for p in sample() {
        let sex = get(&p.items, "sexAssignedAtBirth");
        for t in &p.tumors {
            let site = get(t, "primarySite");
            let n: u16 = site[1..].parse().unwrap();
            match sex {
                // male: no C51-C58; female: no C60-C63 (IARC sex/topography; NAACCR edit)
                "1" => assert!(!(510..=589).contains(&n), "male with {site}"),
                "2" => assert!(!(600..=639).contains(&n), "female with {site}"),
                other => panic!("sex {other}"),
            }
            if (500..=509).contains(&n) {
                if sex == "2" {
                    breast_f += 1
                } else {
                    breast_m += 1
                }
            }
        }
    }
    assert!(
        breast_m > 0 && breast_m * 50 < breast_f,
        "breast F {breast_f} M {breast_m}"
    );
}

#[test]
fn every_site_histology_behavior_is_on_the_seer_site_type_list() {
    for p in sample() {
        for t in &p.tumors {
            let key = (
                get(t, "primarySite").to_owned(),
                format!(
                    "{}/{}",
                    get(t, "histologicTypeIcdO3"),
                    get(t, "behaviorCodeIcdO3")
                ),
            );
            assert!(seer_pairs().contains(&key), "{key:?} not on the SEER list");
        }
    }
    // The shipped table itself, row by row.
    for t in tables().tumor_types() {
        let key = (
            t.primary_site.clone(),
            format!("{}/{}", t.histology, t.behavior),
        );
        assert!(seer_pairs().contains(&key), "tumor_mix.csv: {key:?}");
    }
}

#[test]
fn age_agrees_with_birth_and_diagnosis_and_lies_in_the_site_range() {
    for p in generate(tables(), &options(20_000, 0.1), 5) {
        let dob = date(get(&p.items, "dateOfBirth"));
        for t in &p.tumors {
            let age: u32 = get(t, "ageAtDiagnosis").parse().unwrap();
            assert_eq!(age, age_on(dob, date(get(t, "dateOfDiagnosis"))));
            let hist: u16 = get(t, "histologicTypeIcdO3").parse().unwrap();
            let g = &tables().groups()[tables().group_of(get(t, "primarySite"), hist).unwrap()];
            assert!(g.age_min <= age && age <= g.age_max, "{} age {age}", g.id);
        }
    }
}

#[test]
fn childhood_and_adult_cancers_have_their_typical_ages() {
    let mut ages: HashMap<&str, Vec<u32>> = HashMap::new();
    for p in sample() {
        for t in &p.tumors {
            let hist: u16 = get(t, "histologicTypeIcdO3").parse().unwrap();
            let g = &tables().groups()[tables().group_of(get(t, "primarySite"), hist).unwrap()];
            ages.entry(g.id.as_str())
                .or_default()
                .push(get(t, "ageAtDiagnosis").parse().unwrap());
        }
    }
    let median = |id: &str| {
        let mut v = ages[id].clone();
        v.sort_unstable();
        v[v.len() / 2]
    };
    // SEER Cancer Stat Facts: median age at diagnosis prostate 67, lung 71, breast 63.
    assert!((63..=71).contains(&median("prostate")));
    assert!((67..=75).contains(&median("lung")));
    assert!((58..=67).contains(&median("breast")));
    assert!(
        median("all") < 25,
        "acute lymphoblastic leukemia is mostly a childhood cancer"
    );
}

#[test]
fn dates_are_ordered_birth_diagnosis_last_contact_cutoff() {
    let o = options(20_000, 0.1);
    let start = NaiveDate::from_ymd_opt(o.first_dx_year, 1, 1).unwrap();
    for p in generate(tables(), &o, 9) {
        let dob = date(get(&p.items, "dateOfBirth"));
        let dlc = date(get(&p.items, "dateOfLastContact"));
        let mut prev = dob;
        for t in &p.tumors {
            let dx = date(get(t, "dateOfDiagnosis"));
            assert!(prev <= dx && dx >= start && dx <= dlc);
            prev = dx;
        }
        assert!(dlc <= o.study_cutoff);
    }
}

#[test]
fn vital_status_cause_of_death_and_last_contact_agree() {
    let cutoff = options(1, 0.0).study_cutoff;
    let mut dead = 0;
    for p in sample() {
        let (vs, cause, rev) = (
            get(&p.items, "vitalStatus"),
            get(&p.items, "causeOfDeath"),
            get(&p.items, "icdRevisionNumber"),
        );
        match vs {
            "0" => {
                dead += 1;
                assert!(cause != "0000" && rev == "1");
            }
            "1" => {
                assert!(cause == "0000" && rev == "0");
                let dlc = date(get(&p.items, "dateOfLastContact"));
                assert!(
                    (cutoff - dlc).num_days() <= 183
                        || p.tumors.iter().any(
                            |t| get(t, "dateOfDiagnosis") == get(&p.items, "dateOfLastContact")
                        )
                );
            }
            other => panic!("vital status {other}"),
        }
    }
    let share = dead as f64 / sample().len() as f64;
    // Diagnoses 2010-2024 followed to mid-2025: roughly a third dead (all sites combined).
    assert!((0.2..=0.5).contains(&share), "dead share {share}");
}

#[test]
fn sequence_numbers_grade_laterality_and_confirmation_follow_the_standard() {
    for p in sample() {
        let single = p.tumors.len() == 1;
        for t in &p.tumors {
            let seq = get(t, "sequenceNumberCentral");
            let beh = get(t, "behaviorCodeIcdO3");
            let hist: u16 = get(t, "histologicTypeIcdO3").parse().unwrap();
            let site = get(t, "primarySite");
            let year: i32 = get(t, "dateOfDiagnosis")[..4].parse().unwrap();
            let dc = get(t, "diagnosticConfirmation");
            // 00-59 for in situ/malignant, 60-87 for benign/borderline; 00 or 60 only when
            // the person has a single tumor of that series (NAACCR item 380).
            let in_series = p
                .tumors
                .iter()
                .filter(|u| (get(u, "behaviorCodeIcdO3") >= "2") == (beh >= "2"))
                .count();
            let n: u32 = seq.parse().unwrap();
            match (in_series, beh >= "2") {
                (1, true) => assert_eq!(seq, "00"),
                (1, false) => assert_eq!(seq, "60"),
                (_, true) => assert!((1..=59).contains(&n), "{seq}"),
                (_, false) => assert!((61..=87).contains(&n), "{seq}"),
            }
            // grade [440] before 2018 only; 5-8 only for heme (SEER MORPH); 9 unless malignant
            match find(t, "grade") {
                Some(g) => {
                    assert!(year < 2018);
                    if is_heme(hist) {
                        assert!(["5", "6", "8", "9"].contains(&g), "{hist} grade {g}");
                    } else if beh != "3" {
                        assert_eq!(g, "9");
                    } else {
                        assert!(["1", "2", "3", "4", "9"].contains(&g));
                    }
                }
                None => assert!(year >= 2018),
            }
            // SEER IF48, IF31, IF23; code 3 is for hematopoietic neoplasms only
            if is_heme(hist) {
                assert!(dc != "6" && dc != "8");
            } else {
                assert_ne!(dc, "3");
            }
            if beh == "2" {
                assert!(["1", "2", "4"].contains(&dc));
            }
            if !single {
                assert!(dc <= "5", "later primary with DC {dc}");
            }
            if dc == "9" {
                assert_eq!(get(t, "typeOfReportingSource"), "7");
            }
            // SEER IF24
            let lat = get(t, "laterality");
            assert_eq!(
                lat != "0",
                tables().is_paired(site, year),
                "{site} laterality {lat}"
            );
        }
    }
}

#[test]
fn the_duplicate_share_is_respected_and_duplicates_point_back_to_an_original() {
    let records: Vec<_> = generate(tables(), &options(20_000, 0.1), 11).collect();
    let dups: Vec<(usize, &SyntheticPatient)> = records
        .iter()
        .enumerate()
        .filter(|(_, p)| p.duplicate_of.is_some())
        .collect();
    let share = dups.len() as f64 / records.len() as f64;
    assert!((0.09..=0.11).contains(&share), "duplicate share {share}");
    let mut typo_kinds = HashSet::new();
    for (i, d) in dups {
        let o = &records[d.duplicate_of.unwrap()];
        assert!(d.duplicate_of.unwrap() < i && o.duplicate_of.is_none());
        assert_eq!(d.item("sexAssignedAtBirth"), o.item("sexAssignedAtBirth"));
        assert_eq!(d.tumors.len(), o.tumors.len());
        for (a, b) in d.tumors.iter().zip(&o.tumors) {
            assert_eq!(get(a, "primarySite"), get(b, "primarySite"));
            assert_ne!(get(a, "reportingFacility"), get(b, "reportingFacility"));
        }
        let differs: Vec<&str> = [
            "nameLast",
            "nameFirst",
            "nameMiddle",
            "dateOfBirth",
            "socialSecurityNumber",
            "addrCurrentNoStreet",
        ]
        .into_iter()
        .filter(|id| d.item(id) != o.item(id))
        .collect();
        assert!(
            !differs.is_empty(),
            "duplicate {i} identical to its original"
        );
        typo_kinds.extend(differs);
    }
    assert_eq!(typo_kinds.len(), 6, "{typo_kinds:?}");
    assert!(generate(tables(), &options(2_000, 0.0), 11).all(|p| p.duplicate_of.is_none()));
}

#[test]
fn malformed_tables_are_refused_with_the_file_and_line() {
    let good = |f: &str| read(&format!("schemas/synth/{f}"));
    let texts: Vec<String> = SynthSources::FILE_NAMES.iter().map(|f| good(f)).collect();
    let mut src = sources(&texts);
    let prostate_in_women = format!("{}F,1.0,C619,8140,3\n", texts[1]);
    src.tumor_mix = &prostate_in_women;
    assert!(
        matches!(SynthTables::parse(&src), Err(SynthError::SexConflict { primary_site, .. }) if primary_site == "C619")
    );
    let bad_header = "sex,weight\nF,1\n";
    src.tumor_mix = bad_header;
    assert!(matches!(
        SynthTables::parse(&src),
        Err(SynthError::BadHeader {
            file: "tumor_mix.csv",
            ..
        })
    ));
    src.tumor_mix = &texts[1];
    let no_groups = texts[0].lines().take(1).collect::<Vec<_>>().join("\n");
    src.site_groups = &no_groups;
    assert_eq!(
        SynthTables::parse(&src).unwrap_err(),
        SynthError::Empty {
            file: "site_groups.csv"
        }
    );
}

#[test]
#[ignore = "timing: run with cargo test --release -- --ignored --nocapture"]
fn generation_speed() {
    let start = std::time::Instant::now();
    let n = generate(tables(), &options(100_000, 0.05), 1)
        .map(|p| p.tumors.len())
        .sum::<usize>();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "100000 patients ({n} tumors) in {secs:.2} s: {:.0} patients/s",
        100_000.0 / secs
    );
}

/// The sources over the texts of `SynthSources::FILE_NAMES`, in that order.
fn sources(texts: &[String]) -> SynthSources<'_> {
    SynthSources {
        site_groups: &texts[0],
        tumor_mix: &texts[1],
        paired_sites: &texts[2],
        places: &texts[3],
        first_names_female: &texts[4],
        first_names_male: &texts[5],
        last_names: &texts[6],
        nicknames: &texts[7],
        streets: &texts[8],
        street_suffixes: &texts[9],
        causes_of_death: &texts[10],
    }
}
