//! Known answers for the survival estimators. Data and references are in tests/data/stats/
//! (README there): R survival's `aml` and `lung` data; the curves and intervals R prints for
//! them (R survival's own regression test `tests/doaml.Rout.save`, therneau/survival@47f9e74),
//! and the same at full precision from lifelines 0.30.3 and an independent implementation of
//! METHODS.md (which reproduce every digit R prints).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use super::km::KaplanMeier;
use super::logrank::log_rank;
use super::{ConfType, Observation};
use std::collections::BTreeMap;

const AML: &str = include_str!("../../../tests/data/stats/aml.csv");
const LUNG: &str = include_str!("../../../tests/data/stats/lung.csv");

/// Rows of a CSV as header -> cell maps.
fn rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| ((*h).to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

fn num(s: &str) -> f64 {
    match s {
        "" | "NA" | "nan" | "NaN" => f64::NAN,
        _ => s.parse().unwrap(),
    }
}

/// (group, observations): aml by `x`; lung overall (`all`) and by `sex=1|2`. R codes status
/// 1 = event in aml and 2 = death in lung.
fn groups() -> BTreeMap<String, Vec<Observation>> {
    let mut g: BTreeMap<String, Vec<Observation>> = BTreeMap::new();
    for r in rows(AML) {
        g.entry(format!("aml:{}", r["x"]))
            .or_default()
            .push(Observation {
                time: num(&r["time"]),
                event: r["status"] == "1",
            });
    }
    for r in rows(LUNG) {
        let o = Observation {
            time: num(&r["time"]),
            event: r["status"] == "2",
        };
        g.entry("lung:all".into()).or_default().push(o);
        g.entry(format!("lung:sex={}", r["sex"]))
            .or_default()
            .push(o);
    }
    g
}

fn z() -> f64 {
    super::dist::z_two_sided(0.95)
}

fn same(a: f64, b: f64, tol: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol
}

#[test]
fn kaplan_meier_reproduces_r_on_aml_and_lung_to_1e_9() {
    let g = groups();
    for (file, prefix) in [
        (
            include_str!("../../../tests/data/stats/km_aml_by_x.csv"),
            "aml:",
        ),
        (
            include_str!("../../../tests/data/stats/km_lung_overall.csv"),
            "lung:",
        ),
        (
            include_str!("../../../tests/data/stats/km_lung_by_sex.csv"),
            "lung:",
        ),
    ] {
        let mut fits: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for r in rows(file) {
            let key = format!("{prefix}{}", r["group"]);
            let rows = fits
                .entry(key.clone())
                .or_insert_with(|| KaplanMeier::fit(&g[&key]).event_rows().copied().collect());
            let k = rows
                .iter()
                .find(|x| x.time == num(&r["time"]))
                .unwrap_or_else(|| panic!("{key}: no row at {}", r["time"]));
            assert_eq!(k.n_risk as f64, num(&r["n_risk"]), "{key} {}", r["time"]);
            assert_eq!(k.n_event as f64, num(&r["n_event"]), "{key} {}", r["time"]);
            assert!(same(k.surv, num(&r["surv"]), 1e-9), "{key} {}", r["time"]);
            assert!(
                same(k.se(), num(&r["se_surv"]), 1e-9),
                "{key} {} se",
                r["time"]
            );
            for (conf, lo, hi) in [
                (ConfType::Log, "lower_log", "upper_log"),
                (ConfType::LogLog, "lower_loglog", "upper_loglog"),
                (ConfType::Plain, "lower_plain", "upper_plain"),
            ] {
                let (l, u) = conf.interval(k.surv, k.var_log.sqrt(), z());
                assert!(same(l, num(&r[lo]), 1e-9), "{key} {} {lo}: {l}", r["time"]);
                assert!(same(u, num(&r[hi]), 1e-9), "{key} {} {hi}: {u}", r["time"]);
            }
        }
        assert!(!fits.is_empty());
    }
}

/// The digits R itself prints for `summary(survfit(Surv(time, status) ~ x, data = aml))`
/// (therneau/survival tests/doaml.Rout.save), including the NaN/NA row at S = 0.
#[test]
fn kaplan_meier_prints_what_r_prints_for_aml() {
    let g = groups();
    for r in rows(include_str!(
        "../../../tests/data/stats/r_printed_km_aml.csv"
    )) {
        let km = KaplanMeier::fit(&g[&format!("aml:{}", r["group"])]);
        let k = km.event_rows().find(|x| x.time == num(&r["time"])).unwrap();
        // Rounded to the digits printed, ours gives the printed value.
        let printed = |ours: f64, text: &str| {
            let decimals = text.split('.').nth(1).map_or(0, str::len) as i32;
            (ours - num(text)).abs() <= 0.5 * 10f64.powi(-decimals) + 1e-12
        };
        assert!(printed(k.surv, &r["surv"]), "{r:?}");
        let (l, u) = ConfType::Log.interval(k.surv, k.var_log.sqrt(), z());
        if r["lower_95"] == "NA" {
            assert!(l.is_nan() && u.is_nan() && k.se().is_nan());
        } else {
            assert!(printed(k.se(), &r["std_err"]), "{r:?}");
            assert!(printed(l, &r["lower_95"]), "{r:?}");
            assert!(printed(u, &r["upper_95"]), "{r:?}");
        }
    }
}

/// Medians with their intervals for each interval type: R prints 31 (18, NA) and 23 (8, NA)
/// for aml, 310 (285, 363) for lung, 270 (212, 310) and 426 (348, 550) by sex (log intervals).
#[test]
fn medians_and_their_intervals_match_r() {
    let g = groups();
    for r in rows(include_str!("../../../tests/data/stats/km_medians.csv")) {
        let key = format!("{}:{}", r["dataset"], r["group"]);
        let km = KaplanMeier::fit(&g[&key]);
        assert_eq!(km.n as f64, num(&r["n"]), "{key}");
        assert_eq!(km.events as f64, num(&r["events"]), "{key}");
        for (conf, lo, hi) in [
            (ConfType::Log, "lcl_log", "ucl_log"),
            (ConfType::LogLog, "lcl_loglog", "ucl_loglog"),
            (ConfType::Plain, "lcl_plain", "ucl_plain"),
        ] {
            let q = km.quantile(0.5, conf, z());
            assert!(same(q.estimate, num(&r["median"]), 0.0), "{key}: {q:?}");
            assert!(same(q.lower, num(&r[lo]), 0.0), "{key} {lo}: {q:?}");
            assert!(same(q.upper, num(&r[hi]), 0.0), "{key} {hi}: {q:?}");
        }
    }
}

/// `summary(survfit(Surv(time, status) ~ 1, data = lung), times = ...)`: the step in force,
/// the number at risk at the time and the deaths up to it (R prints 0.409, 65, 121 at 365.25).
#[test]
fn the_estimate_at_a_requested_time_is_the_step_in_force() {
    let km = KaplanMeier::fit(&groups()["lung:all"]);
    for r in rows(include_str!(
        "../../../tests/data/stats/km_lung_overall_at_times.csv"
    )) {
        let at = km.at(num(&r["time"]));
        assert_eq!(at.n_risk as f64, num(&r["n_risk_at_time"]), "{}", r["time"]);
        assert_eq!(at.cum_events as f64, num(&r["cum_events"]), "{}", r["time"]);
        assert!(same(at.surv, num(&r["surv"]), 1e-12));
        let (l, u) = ConfType::LogLog.interval(at.surv, at.var_log.sqrt(), z());
        assert!(same(l, num(&r["lower_loglog"]), 1e-9));
        assert!(same(u, num(&r["upper_loglog"]), 1e-9));
    }
}

/// `survdiff(Surv(time, status) ~ x, data = aml)`: O 7 / 11, E 10.69 / 7.31, chi-square 3.4
/// (p 0.0653); `~ sex` on lung: E 91.5817 / 73.4183, chi-square 10.3267, p 0.00131116
/// (published R output; full precision from lifelines and our reference implementation).
#[test]
fn log_rank_matches_r_survdiff() {
    let g = groups();
    let results = rows(include_str!(
        "../../../tests/data/stats/logrank_results.csv"
    ));
    for (dataset, keys) in [
        ("aml_x", ["aml:Maintained", "aml:Nonmaintained"]),
        ("lung_sex", ["lung:sex=1", "lung:sex=2"]),
    ] {
        let test = log_rank(&[g[keys[0]].clone(), g[keys[1]].clone()]);
        let expect: Vec<_> = results.iter().filter(|r| r["dataset"] == dataset).collect();
        assert_eq!(expect.len(), 2, "{dataset}");
        for (got, want) in test.groups.iter().zip(&expect) {
            assert_eq!(got.n as f64, num(&want["N"]));
            assert_eq!(got.observed, num(&want["observed"]));
            assert!(
                same(got.expected, num(&want["expected"]), 1e-9),
                "{dataset}"
            );
            assert!(
                same(got.variance, num(&want["var_diag"]), 1e-9),
                "{dataset}"
            );
        }
        assert!(
            same(test.chi_square, num(&expect[0]["chisq"]), 1e-9),
            "{dataset}"
        );
        assert_eq!(test.df, 1);
        assert!(
            same(test.p_value, num(&expect[0]["p_value"]), 1e-9),
            "{dataset}"
        );
    }
}

/// Three groups: the statistic has 2 degrees of freedom and equals the sum of the two-group
/// form when one group is empty of deaths (a property, not a number from a tool).
#[test]
fn log_rank_with_three_groups_has_two_degrees_of_freedom() {
    let g = groups();
    let test = log_rank(&[
        g["aml:Maintained"].clone(),
        g["aml:Nonmaintained"].clone(),
        g["lung:sex=2"].clone(),
    ]);
    assert_eq!(test.df, 2);
    assert!(test.chi_square > 0.0 && test.p_value < 1.0);
    let o: f64 = test.groups.iter().map(|c| c.observed).sum();
    let e: f64 = test.groups.iter().map(|c| c.expected).sum();
    assert!(
        (o - e).abs() < 1e-9,
        "observed and expected deaths add up to the same total"
    );
}

mod relative {
    use super::super::ratetable::{RateTable, RateTableKind, Sex, days_since_1970};
    use super::super::relative::{RelMethod, RelObservation, estimate, estimate_stepwise};
    use rand::{Rng, SeedableRng};

    fn us() -> RateTable {
        RateTable::from_csv(
            include_str!("../../../schemas/stats/lifetables/survexp_us.csv"),
            RateTableKind::Us,
        )
        .unwrap()
    }

    fn slopop() -> RateTable {
        RateTable::from_csv(
            include_str!("../../../tests/data/stats/slopop.csv"),
            RateTableKind::Calendar { year_days: 365.241 },
        )
        .unwrap()
    }

    /// A cohort: ages 30-90, diagnosed 2000-2013, followed up to 12 years, about half dying,
    /// with ties and deaths and censorings on the same day.
    fn cohort(n: usize, seed: u64) -> Vec<RelObservation> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let base = days_since_1970(chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap());
        (0..n)
            .map(|_| RelObservation {
                time: f64::from(rng.random_range(0..4400u32) / 3 * 3),
                event: rng.random_bool(0.55),
                age_days: rng.random_range(30.0 * 365.25..90.0 * 365.25),
                sex: if rng.random_bool(0.5) {
                    Sex::Male
                } else {
                    Sex::Female
                },
                dx_days: base + f64::from(rng.random_range(0..5113u32)),
            })
            .collect()
    }

    /// The one-pass estimate is the stepwise definition, to rounding, for both estimators, both
    /// kinds of table, and follow-up past the last year of the table (flat extrapolation).
    #[test]
    fn the_one_pass_estimate_equals_the_stepwise_definition() {
        for (table, seed) in [(us(), 1u64), (slopop(), 2u64)] {
            let obs = cohort(300, seed);
            for method in [RelMethod::EdererII, RelMethod::PoharPerme] {
                let slow = estimate_stepwise(&obs, &table, method);
                let fast = estimate(&obs, &table, method);
                assert_eq!(slow.rows.len(), fast.rows.len());
                for (s, f) in slow.rows.iter().zip(&fast.rows) {
                    assert_eq!((s.time, s.n_risk, s.n_event), (f.time, f.n_risk, f.n_event));
                    assert!(
                        (s.surv - f.surv).abs() < 1e-10,
                        "{method:?} at {}: {} vs {}",
                        s.time,
                        s.surv,
                        f.surv
                    );
                    assert!((s.var_log - f.var_log).abs() < 1e-12 * s.var_log.max(1.0));
                }
            }
        }
    }

    /// With no background mortality (a table of zeros) relative and net survival are the
    /// Kaplan-Meier estimate (Ederer II and Pohar-Perme reduce to it when lambda = 0).
    #[test]
    fn without_background_mortality_both_reduce_to_kaplan_meier() {
        let zero = RateTable::from_csv(
            "age,sex,year,daily_hazard\n0,male,2000,0\n0,female,2000,0\n",
            RateTableKind::Calendar { year_days: 365.25 },
        )
        .unwrap();
        let obs = cohort(200, 3);
        let km = super::super::km::KaplanMeier::fit(
            &obs.iter()
                .map(|o| super::super::Observation {
                    time: o.time,
                    event: o.event,
                })
                .collect::<Vec<_>>(),
        );
        for method in [RelMethod::EdererII, RelMethod::PoharPerme] {
            let rel = estimate(&obs, &zero, method);
            for r in km.event_rows() {
                let (s, _) = rel.at(r.time);
                assert!((s - r.surv).abs() < 1e-12, "{method:?} {}", r.time);
            }
        }
    }
}

mod incidence {
    use super::super::incidence::{RateCi, StandardPopulation, adjusted_rate, crude_rate};
    use super::{num, rows};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1e-300)
    }

    /// Fay & Feuer's (1997) worked example, Down syndrome births by maternal age (Fleiss 1981,
    /// Table 14.4): birth order 5+ against total births is 75.52901 (67.70212, 188.30017) per
    /// 100,000 (R dsrTest vignette; epitools `ageadjust.direct`), and the tidyrates table gives
    /// every birth order. Tiwari's upper limits are asht's `wmtype = "tcz"` formula (no
    /// published figure was found).
    #[test]
    fn age_adjusted_rates_and_gamma_intervals_match_fay_feuer_worked_example() {
        let data = rows(include_str!(
            "../../../tests/data/stats/ageadj_fleiss_downs_data.csv"
        ));
        let cells = |order: &str| -> Vec<(f64, f64)> {
            data.iter()
                .filter(|r| r["birth_order"] == order)
                .map(|r| (num(&r["cases"]), num(&r["births"])))
                .collect()
        };
        let standard: Vec<f64> = cells("Total").iter().map(|c| c.1).collect();
        let five = adjusted_rate(&cells("5+"), &standard, RateCi::FayFeuer, 1e5, 0.95);
        assert_eq!(format!("{:.5}", five.rate), "75.52901");
        assert_eq!(format!("{:.5}", five.lower), "67.70212");
        assert_eq!(format!("{:.5}", five.upper), "188.30017");
        for r in rows(include_str!(
            "../../../tests/data/stats/ageadj_fleiss_results.csv"
        ))
        .iter()
        .filter(|r| r["standard"] == "total_births")
        {
            let c = cells(&r["birth_order"]);
            let ff = adjusted_rate(&c, &standard, RateCi::FayFeuer, 1.0, 0.95);
            let tw = adjusted_rate(&c, &standard, RateCi::Tiwari, 1.0, 0.95);
            let crude = crude_rate(ff.count, ff.population, 1.0, 0.95);
            assert!(close(crude.rate, num(&r["crude"])));
            assert!(close(ff.rate, num(&r["adj"])), "{r:?}");
            assert!(close(ff.se, num(&r["se"])));
            assert!(close(ff.lower, num(&r["lower"])));
            assert!(close(tw.lower, num(&r["lower"])));
            assert!(close(ff.upper, num(&r["upper_fayfeuer"])), "{r:?} {ff:?}");
            assert!(close(tw.upper, num(&r["upper_tiwari"])), "{r:?} {tw:?}");
        }
    }

    /// 19 age groups with empty groups, US 2000 standard; the crude rate's exact Poisson
    /// interval; and with one age group both gamma intervals are the exact interval.
    #[test]
    fn nineteen_groups_with_empty_cells_and_the_one_group_limit() {
        let input = rows(include_str!(
            "../../../tests/data/stats/ageadj_synthetic_us2000_input.csv"
        ));
        let want = &rows(include_str!(
            "../../../tests/data/stats/ageadj_synthetic_us2000_results.csv"
        ))[0];
        let cells: Vec<(f64, f64)> = input
            .iter()
            .map(|r| (num(&r["count"]), num(&r["population"])))
            .collect();
        let std_pop: Vec<f64> = input.iter().map(|r| num(&r["std_pop"])).collect();
        let us2000 = StandardPopulation::from_csv(
            "us2000",
            include_str!("../../../schemas/stats/us2000_std_19ages.csv"),
        )
        .unwrap();
        let ff = adjusted_rate(&cells, &std_pop, RateCi::FayFeuer, 1e5, 0.95);
        let tw = us2000.adjust_19(&cells, RateCi::Tiwari, 1e5, 0.95);
        assert!(close(ff.rate, num(&want["adj"])));
        assert!(close(tw.rate, num(&want["adj"])));
        assert!(close(ff.se, num(&want["se"])));
        assert!(close(ff.lower, num(&want["lower"])));
        assert!(close(ff.upper, num(&want["upper_fayfeuer"])));
        assert!(close(tw.upper, num(&want["upper_tiwari"])));
        let crude = crude_rate(ff.count, ff.population, 1e5, 0.95);
        assert!(close(crude.rate, num(&want["crude"])));
        assert!(close(crude.lower, num(&want["crude_lower_exact"])));
        assert!(close(crude.upper, num(&want["crude_upper_exact"])));
        let one = adjusted_rate(&[(7.0, 12345.0)], &[1.0], RateCi::Tiwari, 1e5, 0.95);
        assert!(close(one.rate, 56.703_118_671_526_94));
        assert!(close(one.lower, 22.797_594_585_013_1));
        assert!(close(one.upper, 116.830_096_085_074));
    }
}

/// APC of a ten-year series, unweighted (OLS) and weighted by 1/Var(ln rate) (WLS), against
/// statsmodels 0.15 `OLS`/`WLS(...).conf_int(0.05)` (no published SEER worked example found).
#[test]
fn annual_percent_change_matches_statsmodels() {
    let input = rows(include_str!(
        "../../../tests/data/stats/apc_synthetic_input.csv"
    ));
    let points: Vec<(i32, f64, f64)> = input
        .iter()
        .map(|r| {
            (
                num(&r["year"]) as i32,
                num(&r["rate_per_100k"]),
                num(&r["var_rate"]),
            )
        })
        .collect();
    for r in rows(include_str!(
        "../../../tests/data/stats/apc_synthetic_results.csv"
    )) {
        let weighted = r["method"] == "weighted_kim2000";
        let fit = super::trend::annual_percent_change(&points, weighted, 0.95).unwrap();
        let near = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol;
        assert!(
            near(fit.slope, num(&r["statsmodels_slope"]), 1e-12),
            "{r:?}"
        );
        assert!(near(fit.se_slope, num(&r["statsmodels_se"]), 1e-12));
        assert!(near(fit.lower, num(&r["statsmodels_apc_lower"]), 1e-9));
        assert!(near(fit.upper, num(&r["statsmodels_apc_upper"]), 1e-9));
        assert!(near(fit.apc, num(&r["apc"]), 1e-9));
        assert!(near(fit.t, num(&r["t"]), 1e-8));
        assert!(
            near(fit.p_value, num(&r["p"]), 1e-12),
            "{} vs {}",
            fit.p_value,
            r["p"]
        );
        assert_eq!(fit.df, 8);
    }
    assert!(super::trend::annual_percent_change(&points[..2], false, 0.95).is_err());
}

/// The cases of SEER's own unit test of its survival-time algorithm (imsweb/algorithms
/// `SurvivalTimeUtilsTest.testLogic`, commit 05741035): records that disagree, last contact in
/// the future, missing months and days filled from the neighbouring records and the birth
/// date, several tumors, zero days, DCO and autopsy-only cases.
#[test]
fn seer_survival_time_reproduces_seer_test_cases() {
    use super::survival_time::{PartialDate, SurvivalRecord, survival_times};
    use chrono::Datelike;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let cases = rows(include_str!(
        "../../../tests/data/stats/seer_survival_months_cases.csv"
    ));
    let mut groups: BTreeMap<u32, Vec<&BTreeMap<String, String>>> = BTreeMap::new();
    for c in &cases {
        groups
            .entry(c["group"].parse().unwrap())
            .or_default()
            .push(c);
    }
    let int = |s: &str| -> i64 { s.parse().unwrap() };
    for (group, recs) in groups {
        let records: Vec<SurvivalRecord> = recs
            .iter()
            .map(|c| {
                let last_contact = match c["dolc_year"].as_str() {
                    "NEXT_YEAR" => PartialDate::from_parts(today.year() + 1, 1, 1),
                    "TOMORROW" => {
                        let t = today.succ_opt().unwrap();
                        PartialDate::from_parts(t.year(), t.month(), t.day())
                    }
                    y => PartialDate::from_parts(
                        int(y) as i32,
                        int(&c["dolc_month"]) as u32,
                        int(&c["dolc_day"]) as u32,
                    ),
                };
                SurvivalRecord {
                    dx: PartialDate::from_parts(
                        int(&c["dx_year"]) as i32,
                        int(&c["dx_month"]) as u32,
                        int(&c["dx_day"]) as u32,
                    ),
                    last_contact,
                    birth: PartialDate::from_parts(
                        int(&c["birth_year"]) as i32,
                        int(&c["birth_month"]) as u32,
                        int(&c["birth_day"]) as u32,
                    ),
                    alive: Some(c["vital_status"] == "1"),
                    sequence: int(&c["seq_num"]) as i32,
                    reporting_source: int(&c["reporting_source"]) as u8,
                }
            })
            .collect();
        let cutoff: i32 = recs[0]["cutoff_year"].parse().unwrap();
        let got = survival_times(&records, cutoff, today);
        for (c, g) in recs.iter().zip(&got) {
            let what = format!("group {group} case {} ({})", c["case"], c["description"]);
            let months = |m: Option<i64>| m.unwrap_or(9999);
            assert_eq!(
                months(g.active.months),
                int(&c["exp_surv_months_active"]),
                "{what}: {g:?}"
            );
            assert_eq!(
                i64::from(g.active.flag),
                int(&c["exp_flag_active"]),
                "{what}: {g:?}"
            );
            assert_eq!(
                months(g.presumed_alive.months),
                int(&c["exp_surv_months_presumed_alive"]),
                "{what}: {g:?}"
            );
            assert_eq!(
                i64::from(g.presumed_alive.flag),
                int(&c["exp_flag_presumed_alive"]),
                "{what}: {g:?}"
            );
            if group == 11 {
                continue; // the source asserts only months and flags here
            }
            let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            assert_eq!(date(g.dx_recode), c["exp_dx_date_recode"], "{what}: {g:?}");
            assert_eq!(
                date(g.active.end),
                c["exp_end_date_active"],
                "{what}: {g:?}"
            );
            assert_eq!(
                date(g.presumed_alive.end),
                c["exp_end_date_presumed_alive"],
                "{what}: {g:?}"
            );
        }
    }
}

mod suppression {
    use super::super::suppression::{Hidden, Relations, determined};
    use rand::{Rng, SeedableRng};
    use std::collections::HashMap;

    /// (site, sex, year); none: the total over that dimension.
    type Key = (Option<usize>, Option<usize>, Option<usize>);

    /// A site x sex x year table with every margin (each total the sum of its parts), as a
    /// report by site group, sex and year publishes it.
    fn cube(counts: &[[[u64; 4]; 2]; 5]) -> Relations {
        let mut t = Relations::default();
        let mut idx: HashMap<Key, usize> = HashMap::new();
        let value = |s: Option<usize>, x: Option<usize>, y: Option<usize>| -> u64 {
            let mut v = 0;
            for (si, by_sex) in counts.iter().enumerate() {
                for (xi, by_year) in by_sex.iter().enumerate() {
                    for (yi, c) in by_year.iter().enumerate() {
                        if s.is_none_or(|s| s == si)
                            && x.is_none_or(|x| x == xi)
                            && y.is_none_or(|y| y == yi)
                        {
                            v += c;
                        }
                    }
                }
            }
            v
        };
        let dims = [5usize, 2, 4];
        let opts = |d: usize| -> Vec<Option<usize>> {
            std::iter::once(None)
                .chain((0..dims[d]).map(Some))
                .collect()
        };
        for s in opts(0) {
            for x in opts(1) {
                for y in opts(2) {
                    idx.insert((s, x, y), t.push(value(s, x, y)));
                }
            }
        }
        // Each total over one dimension = the sum of its parts along it.
        for (&(s, x, y), &i) in &idx.clone() {
            if s.is_none() {
                t.relate(i, (0..5).map(|k| idx[&(Some(k), x, y)]).collect());
            }
            if x.is_none() {
                t.relate(i, (0..2).map(|k| idx[&(s, Some(k), y)]).collect());
            }
            if y.is_none() {
                t.relate(i, (0..4).map(|k| idx[&(s, x, Some(k))]).collect());
            }
        }
        t
    }

    /// The subtraction attack: any relation with one unknown member gives it away; repeat
    /// until nothing more is learnt. Returns what was recovered.
    fn subtraction_attack(t: &Relations, hidden: &[Hidden]) -> Vec<usize> {
        let mut known: Vec<Option<i64>> = t
            .counts
            .iter()
            .zip(hidden)
            .map(|(c, h)| (*h == Hidden::No).then_some(*c as i64))
            .collect();
        let mut recovered = Vec::new();
        loop {
            let mut progress = false;
            for (total, parts) in &t.sums {
                let unknown: Vec<usize> = std::iter::once(*total)
                    .chain(parts.iter().copied())
                    .filter(|&i| known[i].is_none())
                    .collect();
                if let [u] = unknown.as_slice() {
                    let sum_parts: i64 = parts
                        .iter()
                        .filter(|&&p| p != *u)
                        .map(|&p| known[p].unwrap())
                        .sum();
                    let v = if *u == *total {
                        sum_parts
                    } else {
                        known[*total].unwrap() - sum_parts
                    };
                    known[*u] = Some(v);
                    recovered.push(*u);
                    progress = true;
                }
            }
            if !progress {
                return recovered;
            }
        }
    }

    /// Random registry-like tables: no count from 1 to 15 is shown, the subtraction attack
    /// recovers nothing, and no hidden count is determined by the relations at all.
    #[test]
    fn no_small_count_is_shown_or_can_be_worked_out_from_the_margins() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for round in 0..60 {
            let mut counts = [[[0u64; 4]; 2]; 5];
            for by_sex in counts.iter_mut() {
                for by_year in by_sex.iter_mut() {
                    for c in by_year.iter_mut() {
                        *c = match rng.random_range(0..10) {
                            0..=2 => rng.random_range(1..=15),
                            3 => 0,
                            _ => rng.random_range(16..400),
                        };
                    }
                }
            }
            let t = cube(&counts);
            let hidden = t.suppress(15);
            for (c, h) in t.counts.iter().zip(&hidden) {
                assert!(
                    !(1..=15).contains(c) || *h != Hidden::No,
                    "round {round}: {c} shown"
                );
            }
            let recovered = subtraction_attack(&t, &hidden);
            assert!(
                recovered.is_empty(),
                "round {round}: recovered {recovered:?}"
            );
            let members: Vec<Vec<usize>> = t
                .sums
                .iter()
                .map(|(a, p)| std::iter::once(*a).chain(p.iter().copied()).collect())
                .collect();
            assert!(
                determined(&members, &hidden, t.counts.len()).is_empty(),
                "round {round}"
            );
        }
    }

    /// A one-row table: one small cell makes a second hidden (the smallest other), and the
    /// threshold is the release policy's.
    #[test]
    fn one_small_cell_takes_the_smallest_other_with_it() {
        let mut t = Relations::default();
        let parts: Vec<usize> = [40u64, 7, 100, 25].iter().map(|&c| t.push(c)).collect();
        let total = t.push(172);
        t.relate(total, parts);
        let h = t.suppress(15);
        assert_eq!(h[1], Hidden::Small);
        assert_eq!(h[3], Hidden::Complementary);
        assert_eq!((h[0], h[2], h[4]), (Hidden::No, Hidden::No, Hidden::No));
        let strict = t.suppress(30);
        assert_eq!((strict[1], strict[3]), (Hidden::Small, Hidden::Small));
    }
}

/// relsurv's `colrec` data (5,971 colorectal cancers, Slovenia; copy from JuliaSurv/
/// NetSurvival.jl@de4ba476 data/colrec.csv) with the Slovenian life table `slopop`: R's
/// `rs.surv(Surv(time, stat) ~ 1, rmap = list(age = age, sex = sex, year = diag), data =
/// colrec, ratetable = slopop, method = "pohar-perme")` prints n 5971, events 4979, median
/// 1153 days, 95% CI 1062-1274 (NetSurvival.jl's documentation, built with R's relsurv). The
/// median is where net survival first reaches 0.5: with a slope of ~4.5e-4 per day there, a
/// curve off by more than about 5e-4 would cross on another day.
#[test]
fn pohar_perme_on_colrec_crosses_one_half_where_relsurv_does() {
    use super::ratetable::{RateTable, RateTableKind, Sex};
    use super::relative::{RelMethod, RelObservation, estimate};
    let table = RateTable::from_csv(
        include_str!("../../../tests/data/stats/slopop.csv"),
        RateTableKind::Calendar { year_days: 365.241 },
    )
    .unwrap();
    let obs: Vec<RelObservation> = rows(include_str!("../../../tests/data/stats/colrec.csv"))
        .iter()
        .map(|r| RelObservation {
            time: num(&r["time"]),
            event: r["stat"] == "1",
            age_days: num(&r["age"]),
            sex: if r["sex"] == "1" {
                Sex::Male
            } else {
                Sex::Female
            },
            // days since 1960-01-01 -> since 1970-01-01
            dx_days: num(&r["diag"]) - 3653.0,
        })
        .collect();
    let curve = estimate(&obs, &table, RelMethod::PoharPerme);
    assert_eq!(curve.n, 5971);
    assert_eq!(curve.rows.iter().map(|r| r.n_event).sum::<u64>(), 4979);
    let z = super::dist::z_two_sided(0.95);
    let first_at_or_below = |f: &dyn Fn(f64, f64) -> f64| {
        curve
            .rows
            .iter()
            .find(|r| f(r.surv, r.var_log.sqrt()) <= 0.5)
            .map(|r| r.time)
    };
    let log_ci = |s: f64, sd: f64, sign: f64| s * (sign * z * sd).exp();
    assert_eq!(first_at_or_below(&|s, _| s), Some(1153.0));
    assert_eq!(
        first_at_or_below(&|s, sd| log_ci(s, sd, -1.0)),
        Some(1062.0)
    );
    assert_eq!(first_at_or_below(&|s, sd| log_ci(s, sd, 1.0)), Some(1274.0));
}

/// The life table of SAS PROC LIFETEST's example "Life-Table Estimates for Males with Angina
/// Pectoris" (Lee 1992, p. 91: deaths and withdrawals of 2,418 men in 16 yearly intervals).
/// SAS prints (as quoted from its documentation): effective sample sizes 2418.0, 1942.5,
/// 1686.0, 1116.5 and 15.0; conditional probabilities of failure 0.1886, 0.1163, 0.0902;
/// survival at the start of [1,2) 0.8114 (SE 0.00796), [2,3) 0.7170 (SE 0.00918), [5,6)
/// 0.5193 (SE 0.0103), [15,inf) 0.1429. SEER*Stat's actuarial method is the same computation.
#[test]
fn actuarial_life_table_matches_the_angina_pectoris_example() {
    use super::actuarial::life_table;
    let counts: [(u32, u32); 16] = [
        (456, 0),
        (226, 39),
        (152, 22),
        (171, 23),
        (135, 24),
        (125, 107),
        (83, 133),
        (74, 102),
        (51, 68),
        (42, 64),
        (43, 45),
        (34, 53),
        (18, 33),
        (9, 27),
        (6, 23),
        (0, 30),
    ];
    let mut obs = Vec::new();
    for (k, (d, w)) in counts.iter().enumerate() {
        let time = k as f64 + 0.5;
        obs.extend((0..*d).map(|_| Observation { time, event: true }));
        obs.extend((0..*w).map(|_| Observation { time, event: false }));
    }
    let t = life_table(&obs, 1.0, 16);
    assert_eq!(t.len(), 16);
    assert_eq!(t[0].alive, 2418);
    let printed = |x: f64, text: &str| {
        let decimals = text.split('.').nth(1).map_or(0, str::len) as i32;
        (x - text.parse::<f64>().unwrap()).abs() <= 0.5 * 10f64.powi(-decimals)
    };
    for (k, eff) in [
        (0, "2418.0"),
        (1, "1942.5"),
        (2, "1686.0"),
        (5, "1116.5"),
        (15, "15.0"),
    ] {
        assert!(
            printed(t[k].effective, eff),
            "interval {k}: {}",
            t[k].effective
        );
    }
    for (k, q) in [(0, "0.1886"), (1, "0.1163"), (2, "0.0902")] {
        assert!(printed(1.0 - t[k].interval_surv, q), "interval {k}");
    }
    // Survival at the start of interval k is the cumulative survival at the end of k - 1.
    for (k, s, se) in [
        (1, "0.8114", "0.00796"),
        (2, "0.7170", "0.00918"),
        (5, "0.5193", "0.0103"),
    ] {
        assert!(
            printed(t[k - 1].cum_surv, s),
            "start of {k}: {}",
            t[k - 1].cum_surv
        );
        assert!(
            printed(t[k - 1].se(), se),
            "start of {k}: {}",
            t[k - 1].se()
        );
    }
    assert!(printed(t[14].cum_surv, "0.1429"), "{}", t[14].cum_surv);
}

/// Ederer II and Pohar-Perme against R's relsurv itself (relsurv 2.2-9, survival 3.5-3, R 4.2.2,
/// Debian bookworm's packages; script tests/data/stats/relsurv_reference.R): relsurv's `colrec`
/// (overall and by sex) and `rdata` with the Slovenian table `slopop`, and `colrec` with R's US
/// table `survexp.us` (birthday-shifted years). Every 8th time of each curve, to 1e-4 (the
/// issue's contract is 1e-4; following METHODS.md section 5 exactly gives ~6e-14, and the
/// test holds it to 1e-9).
#[test]
fn relative_and_net_survival_match_relsurv() {
    use super::ratetable::{RateTable, RateTableKind, Sex};
    use super::relative::{RelCurve, RelMethod, RelObservation, estimate};
    let slopop = RateTable::from_csv(
        include_str!("../../../tests/data/stats/slopop.csv"),
        RateTableKind::Calendar { year_days: 365.241 },
    )
    .unwrap();
    let us = RateTable::from_csv(
        include_str!("../../../schemas/stats/lifetables/survexp_us.csv"),
        RateTableKind::Us,
    )
    .unwrap();
    let sex = |s: &str| if s == "1" { Sex::Male } else { Sex::Female };
    let colrec: Vec<(String, RelObservation)> =
        rows(include_str!("../../../tests/data/stats/colrec.csv"))
            .iter()
            .map(|r| {
                (
                    format!("sex={}", r["sex"]),
                    RelObservation {
                        time: num(&r["time"]),
                        event: r["stat"] == "1",
                        age_days: num(&r["age"]),
                        sex: sex(&r["sex"]),
                        dx_days: num(&r["diag"]) - 3653.0,
                    },
                )
            })
            .collect();
    let rdata: Vec<RelObservation> = rows(include_str!("../../../tests/data/stats/rdata.csv"))
        .iter()
        .map(|r| RelObservation {
            time: num(&r["time"]),
            event: r["cens"] == "1",
            age_days: num(&r["age"]) * 365.241,
            sex: sex(&r["sex"]),
            dx_days: num(&r["year_days_1960"]) - 3653.0,
        })
        .collect();
    let mut fits: BTreeMap<(String, String, String, String), RelCurve> = BTreeMap::new();
    let (mut worst_s, mut worst_se, mut checked) = (0.0f64, 0.0f64, 0);
    for r in rows(include_str!(
        "../../../tests/data/stats/relsurv_reference.csv"
    )) {
        let key = (
            r["dataset"].clone(),
            r["table"].clone(),
            r["method"].clone(),
            r["group"].clone(),
        );
        let curve = fits.entry(key.clone()).or_insert_with(|| {
            let method = if r["method"] == "ederer2" {
                RelMethod::EdererII
            } else {
                RelMethod::PoharPerme
            };
            let table = if r["table"] == "slopop" { &slopop } else { &us };
            let obs: Vec<RelObservation> = if r["dataset"] == "rdata" {
                rdata.clone()
            } else {
                colrec
                    .iter()
                    .filter(|(g, _)| r["group"] == "all" || *g == r["group"])
                    .map(|(_, o)| *o)
                    .collect()
            };
            estimate(&obs, table, method)
        });
        let t = num(&r["time"]);
        let (s, var) = curve.at(t);
        assert_eq!(
            curve.n_risk_at(t) as f64,
            num(&r["n_risk"]),
            "{key:?} at {t}"
        );
        let ds = (s - num(&r["surv"])).abs();
        let dse = (s * var.sqrt() - num(&r["std_err"])).abs();
        assert!(ds < 1e-9, "{key:?} at {t}: {s} vs {}", r["surv"]);
        assert!(
            dse < 1e-9,
            "{key:?} at {t}: se {} vs {}",
            s * var.sqrt(),
            r["std_err"]
        );
        worst_s = worst_s.max(ds);
        worst_se = worst_se.max(dse);
        checked += 1;
    }
    assert_eq!(checked, 2062);
    eprintln!("relsurv: largest difference {worst_s:e} in survival, {worst_se:e} in its SE");
}
