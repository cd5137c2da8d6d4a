//! `tumor-registry stats` end to end: R survival's `aml` data written as NAACCR abstracts
//! (diagnosis on 2000-01-03, last contact `time` days later, dead when the event happened;
//! Maintained as sex 1, Nonmaintained as sex 2) give, through the XML reader, SEER's survival
//! time and the command line, the curves and the log-rank test R prints for
//! `survfit(Surv(time, status) ~ x, data = aml)` (tests/data/stats, R's own regression test
//! doaml.Rout.save): times in days equal R's times because each patient's follow-up is exactly
//! `time` days.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_tumor-registry");
const AML: &str = include_str!("../data/stats/aml.csv");

fn aml_xml() -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2000, 1, 3).unwrap();
    let mut body = String::new();
    for (i, line) in AML.lines().skip(1).enumerate() {
        let c: Vec<&str> = line.split(',').collect();
        let days: i64 = c[0].parse().unwrap();
        let dead = c[1] == "1";
        let sex = if c[2] == "Maintained" { "1" } else { "2" };
        let last = start + chrono::Duration::days(days);
        body.push_str(&format!(
            "<Patient>\n<Item naaccrId=\"patientIdNumber\">{:08}</Item>\n<Item naaccrId=\"sexAssignedAtBirth\">{sex}</Item>\n<Item naaccrId=\"dateOfBirth\">19500101</Item>\n<Item naaccrId=\"vitalStatus\">{}</Item>\n<Item naaccrId=\"dateOfLastContact\">{}</Item>\n<Tumor>\n<Item naaccrId=\"sequenceNumberCentral\">00</Item>\n<Item naaccrId=\"dateOfDiagnosis\">{}</Item>\n<Item naaccrId=\"primarySite\">C421</Item>\n<Item naaccrId=\"histologicTypeIcdO3\">9861</Item>\n<Item naaccrId=\"behaviorCodeIcdO3\">3</Item>\n<Item naaccrId=\"typeOfReportingSource\">1</Item>\n</Tumor>\n</Patient>\n",
            i + 1,
            if dead { "0" } else { "1" },
            last.format("%Y%m%d"),
            start.format("%Y%m%d"),
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NaaccrData baseDictionaryUri=\"http://naaccr.org/naaccrxml/naaccr-dictionary-260.xml\" recordType=\"A\" specificationVersion=\"1.8\" xmlns=\"http://naaccr.org/naaccrxml\">\n{body}</NaaccrData>\n"
    )
}

fn run(args: &[&str]) -> (String, String, bool) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

#[test]
fn survival_from_abstracts_reproduces_r_on_aml() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("aml.xml");
    std::fs::write(&file, aml_xml()).unwrap();
    let f = file.to_str().unwrap();
    let (csv, err, ok) = run(&[
        "stats",
        "survival",
        "--input",
        f,
        "--cutoff",
        "2010",
        "--group-by",
        "sexAssignedAtBirth",
        "--conf-type",
        "log",
    ]);
    assert!(ok, "{err}");
    assert!(err.contains("23 tumors analysed, 0 left out"), "{err}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "group,time,n_risk,n_event,surv,se_surv,lower,upper"
    );
    // Every death time of R's table, with n.risk, cumulative deaths, S, SE and log limits.
    let reference = include_str!("../data/stats/km_aml_by_x.csv");
    let mut checked = 0;
    for r in reference.lines().skip(1) {
        let c: Vec<&str> = r.split(',').collect();
        let group = if c[0] == "Maintained" {
            "Male"
        } else {
            "Female"
        };
        let row = lines
            .iter()
            .find(|l| l.starts_with(&format!("{group},{},", c[1])))
            .unwrap_or_else(|| panic!("no row for {group} at {}", c[1]));
        let g: Vec<&str> = row.split(',').collect();
        assert_eq!(g[2], c[2], "{row}");
        let close = |a: &str, b: &str| {
            (a == "NA" && (b.is_empty() || b == "nan"))
                || (a.parse::<f64>().unwrap() - b.parse::<f64>().unwrap()).abs() < 1e-9
        };
        assert!(close(g[4], c[4]), "{row} vs {r}");
        assert!(close(g[5], c[5]), "{row} vs {r}");
        assert!(close(g[6], c[6]) && close(g[7], c[7]), "{row} vs {r}");
        checked += 1;
    }
    assert_eq!(checked, 16, "every death time of both groups");

    // The log-rank test: chi-square 3.3963887 on 1 df, p 0.0653 (R survdiff).
    let (out, err, ok) = run(&[
        "stats",
        "logrank",
        "--input",
        f,
        "--cutoff",
        "2010",
        "--group-by",
        "sexAssignedAtBirth",
    ]);
    assert!(ok, "{err}");
    let last = out.lines().last().unwrap();
    let c: Vec<f64> = last.split(',').map(|x| x.parse().unwrap()).collect();
    assert!((c[0] - 3.396_388_698_977_598_4).abs() < 1e-9, "{out}");
    assert_eq!(c[1], 1.0);
    assert!((c[2] - 0.065_339_322_040_505_08).abs() < 1e-9, "{out}");
    assert!(out.contains("Male,11,7,"), "{out}");
}

/// Charts are real PNG and SVG files with the embedded font; bad options are refused with a
/// message naming the option.
#[test]
fn charts_are_written_and_bad_options_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("aml.xml");
    std::fs::write(&file, aml_xml()).unwrap();
    let f = file.to_str().unwrap();
    for format in ["png", "svg"] {
        let out = dir.path().join(format!("km.{format}"));
        let (_, err, ok) = run(&[
            "stats",
            "survival",
            "--input",
            f,
            "--cutoff",
            "2010",
            "--group-by",
            "sexAssignedAtBirth",
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(ok, "{err}");
        let bytes = std::fs::read(&out).unwrap();
        if format == "png" {
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        } else {
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.contains("@font-face") && text.contains("Number at risk"));
            assert!(text.contains("Male (n = 11"), "legend names the group");
        }
    }
    let (_, err, ok) = run(&["stats", "survival", "--input", f, "--method", "weibull"]);
    assert!(!ok);
    assert!(err.contains("--method weibull"), "{err}");
    let (_, err, ok) = run(&["stats", "survival", "--input", "/nonexistent.xml"]);
    assert!(!ok);
    assert!(err.contains("/nonexistent.xml"), "{err}");
}

/// The same statistics from the file and from the database it was imported into (and the
/// population stored with `population import`): the same rows.
#[test]
fn statistics_over_the_database_equal_those_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (file, pop, db) = (
        dir.path().join("s.xml"),
        dir.path().join("pop.csv"),
        dir.path().join("r.db"),
    );
    let (f, p, d) = (
        file.to_str().unwrap(),
        pop.to_str().unwrap(),
        db.to_str().unwrap(),
    );
    let (_, err, ok) = run(&[
        "synth",
        "--patients",
        "300",
        "--seed",
        "4",
        "--out",
        f,
        "--population-out",
        p,
    ]);
    assert!(ok, "{err}");
    let (_, err, ok) = run(&["import", f, "--database-url", d]);
    assert!(ok, "{err}");
    let (_, err, ok) = run(&["population", "import", p, "--database-url", d]);
    assert!(ok, "{err}");
    assert!(err.contains("population rows stored"), "{err}");
    let survival = [
        "stats",
        "survival",
        "--cutoff",
        "2025",
        "--group-by",
        "site-group",
        "--times",
        "365,1095",
    ];
    let (from_file, err, ok) = run(&[&survival[..], &["--input", f]].concat());
    assert!(ok, "{err}");
    let (from_db, err, ok) = run(&[&survival[..], &["--database", "--database-url", d]].concat());
    assert!(ok, "{err}");
    assert!(from_file.lines().count() > 5);
    assert_eq!(from_file, from_db);
    let (inc_file, err, ok) = run(&[
        "stats",
        "incidence",
        "--input",
        f,
        "--population",
        p,
        "--by",
        "sex",
    ]);
    assert!(ok, "{err}");
    let (inc_db, err, ok) = run(&[
        "stats",
        "incidence",
        "--database",
        "--database-url",
        d,
        "--by",
        "sex",
    ]);
    assert!(ok, "{err}");
    assert_eq!(inc_file, inc_db);
    // Age-specific rates: one row per age group, each rate the group's own (crude) rate, and
    // the counts add up to the total.
    let (by_age, err, ok) = run(&[
        "stats",
        "incidence",
        "--input",
        f,
        "--population",
        p,
        "--by",
        "age-group",
    ]);
    assert!(ok, "{err}");
    let rows: Vec<Vec<&str>> = by_age
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 19);
    assert_eq!(rows[0][0], "00");
    assert_eq!(rows[18][0], "85+");
    for r in &rows {
        assert_eq!(r[3], r[4], "rate = crude rate in one age group: {r:?}");
    }
    let total: u64 = rows.iter().map(|r| r[1].parse::<u64>().unwrap()).sum();
    let (all, _, _) = run(&["stats", "incidence", "--input", f, "--population", p]);
    assert_eq!(
        all.lines().nth(1).unwrap().split(',').next().unwrap(),
        total.to_string()
    );
    // Released with --suppress 15: no count from 1 to 15, and hidden rows have no rates.
    let (released, err, ok) = run(&[
        "stats",
        "incidence",
        "--input",
        f,
        "--population",
        p,
        "--by",
        "site-group,sex",
        "--suppress",
        "15",
    ]);
    assert!(ok, "{err}");
    let mut hidden = 0;
    for line in released.lines().skip(1) {
        let c: Vec<&str> = line.rsplitn(8, ',').collect();
        // c[6] is the count (fields counted from the end: upper ... count).
        match c[6] {
            "" => {
                hidden += 1;
                assert_eq!(c[..5], ["", "", "", "", ""], "{line}");
            }
            n => assert!(!(1..=15).contains(&n.parse::<u64>().unwrap()), "{line}"),
        }
    }
    assert!(hidden > 0, "300 patients have small site groups");
}
