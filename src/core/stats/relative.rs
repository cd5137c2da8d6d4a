//! Relative survival (Ederer II) and net survival (Pohar-Perme), as R's relsurv `rs.surv`
//! computes them (METHODS.md section 5): time in days, the population hazard held constant over
//! 1-day steps at its value at the step's start, and Pohar-Perme's integral accumulated over the
//! steps of each interval the way relsurv's C code does.
//!
//! Two implementations give the same numbers: [`estimate_stepwise`] walks every patient through
//! every step (the definition, for any times), and [`estimate`] does the same sums in one pass
//! over days for integer times (survival in days): the hazard of a patient is constant between
//! its birthdays and New Year's days, so patients are added to and removed from those cells as
//! days pass, and a cell's weights grow geometrically within it.

use super::ratetable::{RateTable, Sex};

/// One patient for relative survival.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RelObservation {
    /// Follow-up in days.
    pub time: f64,
    /// Died at the end of follow-up.
    pub event: bool,
    /// Age at diagnosis in days.
    pub age_days: f64,
    /// Sex.
    pub sex: Sex,
    /// Date of diagnosis in days since 1970-01-01.
    pub dx_days: f64,
}

/// Which estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelMethod {
    /// Ederer II relative survival.
    EdererII,
    /// Pohar-Perme net survival.
    PoharPerme,
}

/// The estimate at one distinct observed time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RelRow {
    /// Time (days).
    pub time: f64,
    /// At risk (follow-up >= time).
    pub n_risk: u64,
    /// Deaths at it.
    pub n_event: u64,
    /// Relative or net survival.
    pub surv: f64,
    /// Variance of log survival (the SE used for intervals is its square root).
    pub var_log: f64,
}

/// The curve.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RelCurve {
    /// Cases.
    pub n: u64,
    /// One row per distinct observed time.
    pub rows: Vec<RelRow>,
}

impl RelCurve {
    /// The row in force at `time` (survival 1, variance 0 before the first time).
    pub fn at(&self, time: f64) -> (f64, f64) {
        let k = self.rows.partition_point(|r| r.time <= time);
        k.checked_sub(1)
            .and_then(|i| self.rows.get(i))
            .map_or((1.0, 0.0), |r| (r.surv, r.var_log))
    }

    /// At risk at `time` (the first distinct time >= it).
    pub fn n_risk_at(&self, time: f64) -> u64 {
        let k = self.rows.partition_point(|r| r.time < time);
        self.rows.get(k).map_or(0, |r| r.n_risk)
    }
}

/// Per-patient constants: sex, age at diagnosis and calendar origin.
struct Prepared {
    time: f64,
    event: bool,
    sex: Sex,
    age: f64,
    origin: f64,
}

fn prepare(obs: &[RelObservation], table: &RateTable) -> Vec<Prepared> {
    let mut p: Vec<Prepared> = obs
        .iter()
        .filter(|o| o.time.is_finite() && o.time >= 0.0 && o.age_days.is_finite())
        .map(|o| Prepared {
            time: o.time,
            event: o.event,
            sex: o.sex,
            age: o.age_days,
            origin: table.calendar_origin(o.dx_days, o.age_days),
        })
        .collect();
    p.sort_by(|a, b| a.time.total_cmp(&b.time));
    p
}

fn hazard(table: &RateTable, p: &Prepared, tau: f64) -> f64 {
    table.cell_hazard(
        p.sex,
        table.age_cell(p.age + tau),
        table.year_cell(p.origin + tau),
    )
}

/// Distinct times with (at risk, deaths), from patients sorted by time.
fn distinct_times(p: &[Prepared]) -> Vec<(f64, u64, u64, usize)> {
    let mut out = Vec::new();
    let n = p.len();
    let mut i = 0;
    while let Some(first) = p.get(i) {
        let t = first.time;
        let start = i;
        let mut d = 0;
        while let Some(q) = p.get(i) {
            if q.time != t {
                break;
            }
            d += u64::from(q.event);
            i += 1;
        }
        // (time, at risk, deaths, index of the first patient with this time)
        out.push((t, (n - start) as u64, d, start));
    }
    out
}

/// What one interval (t_{j-1}, t_j] gives its estimator.
enum Interval {
    /// Ederer II: the expected deaths, the hazard integrated over those at risk.
    Ederer { expected: f64 },
    /// Pohar-Perme: the weighted deaths (1/S_P and 1/S_P^2 summed over those dying at t_j),
    /// the weighted number at risk, and the integral of the weighted population hazard.
    PoharPerme {
        num: f64,
        num2: f64,
        den: f64,
        integral: f64,
    },
}

/// The curve, built one distinct time at a time.
struct Builder {
    surv: f64,
    var_log: f64,
    rows: Vec<RelRow>,
}

impl Builder {
    fn new(capacity: usize) -> Self {
        Self {
            surv: 1.0,
            var_log: 0.0,
            rows: Vec::with_capacity(capacity),
        }
    }

    /// Closes the interval ending at `t` (`y` at risk, `d` deaths at `t`).
    fn step(&mut self, t: f64, y: u64, d: u64, interval: Interval) {
        let (yf, df) = (y as f64, d as f64);
        let d_lambda = match interval {
            Interval::Ederer { expected } => {
                self.var_log += df / (yf * yf);
                (df - expected) / yf
            }
            Interval::PoharPerme {
                num,
                num2,
                den,
                integral,
            } => {
                self.var_log += num2 / (den * den);
                num / den - integral
            }
        };
        self.surv *= 1.0 - d_lambda;
        self.rows.push(RelRow {
            time: t,
            n_risk: y,
            n_event: d,
            surv: self.surv,
            var_log: self.var_log,
        });
    }

    fn finish(self, n: usize) -> RelCurve {
        RelCurve {
            n: n as u64,
            rows: self.rows,
        }
    }
}

/// The definition: every patient at risk walks through every 1-day step of every interval.
pub fn estimate_stepwise(obs: &[RelObservation], table: &RateTable, method: RelMethod) -> RelCurve {
    let p = prepare(obs, table);
    let times = distinct_times(&p);
    let mut s_pop: Vec<f64> = vec![1.0; p.len()];
    let mut prev = 0.0f64;
    let mut curve = Builder::new(times.len());
    for &(t, y, d, first) in &times {
        let at_risk = first..p.len();
        let (mut ederer, mut integral) = (0.0f64, 0.0f64);
        let (mut a, mut b, mut a2, mut b2) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        let mut cur = prev;
        while cur < t {
            let step = (t - cur).min(1.0);
            for i in at_risk.clone() {
                let (Some(pi), Some(s)) = (p.get(i), s_pop.get_mut(i)) else {
                    continue;
                };
                let lam = hazard(table, pi, cur);
                ederer += step * lam;
                if method == RelMethod::PoharPerme {
                    let before = *s;
                    let after = before * (-step * lam).exp();
                    a += lam / before;
                    b += 1.0 / before;
                    a2 += lam / after;
                    b2 += 1.0 / after;
                    *s = after;
                }
            }
            if method == RelMethod::PoharPerme && b > 0.0 {
                integral += (a / b + a2 / b2) / 2.0 * step;
            }
            cur += step;
        }
        let sums = match method {
            RelMethod::EdererII => Interval::Ederer { expected: ederer },
            RelMethod::PoharPerme => {
                let (mut num, mut num2, mut den) = (0.0f64, 0.0f64, 0.0f64);
                for i in at_risk.clone() {
                    let (Some(pi), Some(s)) = (p.get(i), s_pop.get(i)) else {
                        continue;
                    };
                    den += 1.0 / s;
                    if pi.event && pi.time == t {
                        num += 1.0 / s;
                        num2 += 1.0 / (s * s);
                    }
                }
                Interval::PoharPerme {
                    num,
                    num2,
                    den,
                    integral,
                }
            }
        };
        curve.step(t, y, d, sums);
        prev = t;
    }
    curve.finish(p.len())
}

/// The hazard segments of one patient over [0, time): (start day, end day, cell index, hazard),
/// with the patient's cumulative hazard at the segment start; returns the cumulative hazard at
/// `time`. Days are whole: the hazard of day d is the table's value at the start of the day.
fn segments(
    table: &RateTable,
    p: &Prepared,
    end: u32,
    mut f: impl FnMut(u32, u32, usize, f64, f64),
) -> f64 {
    let mut d: u32 = 0;
    let mut cum = 0.0f64;
    while d < end {
        let df = f64::from(d);
        let age = p.age + df;
        let date = p.origin + df;
        let (ac, yc) = (table.age_cell(age), table.year_cell(date));
        let lam = table.cell_hazard(p.sex, ac, yc);
        let to_day = |x: Option<f64>| -> u32 {
            x.map_or(end, |v| {
                let k = v.ceil().max(df + 1.0);
                if k >= f64::from(end) { end } else { k as u32 }
            })
        };
        let next_age = to_day(table.next_age_cut(age).map(|c| c - p.age));
        let next_year = to_day(table.next_year_start(date).map(|s| s - p.origin));
        let stop = next_age.min(next_year).min(end).max(d + 1);
        f(d, stop, table.cell_index(p.sex, ac, yc), lam, cum);
        cum += lam * f64::from(stop - d);
        d = stop;
    }
    cum
}

/// The same estimates as [`estimate_stepwise`] in one pass over days; times must be whole days
/// (otherwise the stepwise definition is used).
pub fn estimate(obs: &[RelObservation], table: &RateTable, method: RelMethod) -> RelCurve {
    if obs
        .iter()
        .any(|o| o.time.fract() != 0.0 || o.time > f64::from(u32::MAX / 2))
    {
        return estimate_stepwise(obs, table, method);
    }
    let p = prepare(obs, table);
    let times = distinct_times(&p);
    let horizon = p.last().map_or(0, |q| q.time as u32);
    let days = horizon as usize + 1;
    // Ederer II: the summed hazard of those at risk on each day, from a difference array.
    let mut diff = vec![0.0f64; days + 1];
    // Pohar-Perme: cell events (day, cell, weight; negative weight = leaves) by day, and each
    // patient's cumulative hazard at the end of follow-up.
    let pp = method == RelMethod::PoharPerme;
    let mut per_day: Vec<u32> = if pp { vec![0; days + 1] } else { Vec::new() };
    let mut events: Vec<(u32, u32, f64)> = Vec::new();
    let mut h_end: Vec<f64> = Vec::with_capacity(if pp { p.len() } else { 0 });
    for q in &p {
        let end = q.time as u32;
        let h = segments(table, q, end, |s, e, cell, lam, cum| {
            if let Some(x) = diff.get_mut(s as usize) {
                *x += lam;
            }
            if let Some(x) = diff.get_mut(e as usize) {
                *x -= lam;
            }
            if pp {
                let c = (cum - lam * f64::from(s)).exp();
                let cell = u32::try_from(cell).unwrap_or(u32::MAX);
                events.push((s, cell, c));
                events.push((e, cell, -c));
                for day in [s, e] {
                    if let Some(n) = per_day.get_mut(day as usize) {
                        *n += 1;
                    }
                }
            }
        });
        if pp {
            h_end.push(h);
        }
    }
    // Events in day order (a counting sort).
    let mut by_day: Vec<(u32, f64)> = Vec::new();
    let mut offsets: Vec<usize> = Vec::new();
    if pp {
        offsets = Vec::with_capacity(days + 2);
        let mut acc = 0usize;
        offsets.push(0);
        for n in &per_day {
            acc += *n as usize;
            offsets.push(acc);
        }
        by_day = vec![(0, 0.0); events.len()];
        let mut fill = offsets.clone();
        for (day, cell, c) in events.drain(..) {
            if let Some(slot) = fill.get_mut(day as usize)
                && let Some(dst) = by_day.get_mut(*slot)
            {
                *dst = (cell, c);
                *slot += 1;
            }
        }
    }
    let ncells = table.cell_count();
    let mut weight = vec![0.0f64; if pp { ncells } else { 0 }];
    let mut members = vec![0u32; if pp { ncells } else { 0 }];
    let mut active: Vec<u32> = Vec::new();
    let mut position = vec![u32::MAX; if pp { ncells } else { 0 }];

    let mut curve = Builder::new(times.len());
    let mut lambda_sum = 0.0f64;
    let mut day: usize = 0;
    let mut last_b2 = 0.0f64;
    for &(t, y, d, first) in &times {
        let t_day = t as usize;
        let (mut ederer, mut integral) = (0.0f64, 0.0f64);
        let (mut a_acc, mut b_acc, mut a2_acc, mut b2_acc) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        while day < t_day {
            lambda_sum += diff.get(day).copied().unwrap_or(0.0);
            ederer += lambda_sum;
            if pp {
                let (lo, hi) = (
                    offsets.get(day).copied().unwrap_or(0),
                    offsets.get(day + 1).copied().unwrap_or(0),
                );
                for &(cell, c) in by_day.get(lo..hi).unwrap_or(&[]) {
                    let ci = cell as usize;
                    let (Some(w), Some(m)) = (weight.get_mut(ci), members.get_mut(ci)) else {
                        continue;
                    };
                    if c > 0.0 {
                        *w += c;
                        *m += 1;
                        if *m == 1
                            && let Some(pos) = position.get_mut(ci)
                        {
                            *pos = active.len() as u32;
                            active.push(cell);
                        }
                    } else {
                        *w += c;
                        *m = m.saturating_sub(1);
                        if *m == 0 {
                            *w = 0.0;
                            if let Some(&pos) = position.get(ci) {
                                active.swap_remove(pos as usize);
                                if let Some(&moved) = active.get(pos as usize)
                                    && let Some(mp) = position.get_mut(moved as usize)
                                {
                                    *mp = pos;
                                }
                            }
                        }
                    }
                }
                let (mut a, mut b, mut a2, mut b2) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
                let df = day as f64;
                for &cell in &active {
                    let lam = table.hazard_by_index(cell as usize);
                    let w = weight.get(cell as usize).copied().unwrap_or(0.0);
                    let inv_s = w * (lam * df).exp();
                    let grow = lam.exp();
                    a += lam * inv_s;
                    b += inv_s;
                    a2 += lam * inv_s * grow;
                    b2 += inv_s * grow;
                }
                a_acc += a;
                b_acc += b;
                a2_acc += a2;
                b2_acc += b2;
                if b_acc > 0.0 {
                    integral += (a_acc / b_acc + a2_acc / b2_acc) / 2.0;
                }
                last_b2 = b2;
            }
            day += 1;
        }
        let sums = match method {
            RelMethod::EdererII => Interval::Ederer { expected: ederer },
            RelMethod::PoharPerme => {
                let (mut num, mut num2) = (0.0f64, 0.0f64);
                for (q, h) in p.iter().zip(&h_end).skip(first) {
                    if q.time != t {
                        break;
                    }
                    if q.event {
                        num += h.exp();
                        num2 += (2.0 * h).exp();
                    }
                }
                Interval::PoharPerme {
                    num,
                    num2,
                    den: if t_day == 0 { y as f64 } else { last_b2 },
                    integral,
                }
            }
        };
        curve.step(t, y, d, sums);
    }
    curve.finish(p.len())
}
