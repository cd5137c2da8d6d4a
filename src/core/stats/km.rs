//! Kaplan-Meier observed survival (METHODS.md section 2): the product-limit estimate at every
//! distinct time, Greenwood's variance of log S, plain/log/log-log intervals, the median with
//! its interval, and the number at risk at any time. Ties: deaths precede censorings at the
//! same time (a case censored at t is at risk at t), as in R's `survfit`.

use super::{ConfType, Observation};

/// The curve at one distinct observed time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KmRow {
    /// The time.
    pub time: f64,
    /// At risk just before it (follow-up >= time).
    pub n_risk: u64,
    /// Deaths at it.
    pub n_event: u64,
    /// Censored at it.
    pub n_censor: u64,
    /// S(time).
    pub surv: f64,
    /// Greenwood's sum: Var[log S(time)] (infinite once everyone left at risk has died).
    pub var_log: f64,
}

impl KmRow {
    /// Standard error of S (R's `std.err` in `summary`): S times the SE of log S.
    pub fn se(&self) -> f64 {
        if self.surv == 0.0 {
            f64::NAN
        } else {
            self.surv * self.var_log.sqrt()
        }
    }
}

/// The estimate in force at a requested time, as R's `summary(survfit, times = )` gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KmAt {
    /// The requested time.
    pub time: f64,
    /// At risk at that time: follow-up >= time.
    pub n_risk: u64,
    /// Deaths up to and including that time.
    pub cum_events: u64,
    /// S of the step in force.
    pub surv: f64,
    /// Var[log S] of the step in force.
    pub var_log: f64,
}

/// A median (or other quantile) with its interval; NaN where the curve never reaches it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantile {
    /// Estimate.
    pub estimate: f64,
    /// From the lower confidence curve.
    pub lower: f64,
    /// From the upper confidence curve.
    pub upper: f64,
}

/// (time, S, lower, upper) at a death time.
type CurvePoint = (f64, f64, f64, f64);

/// A fitted Kaplan-Meier curve.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KaplanMeier {
    /// Cases.
    pub n: u64,
    /// Deaths.
    pub events: u64,
    /// One row per distinct observed time (deaths or censorings), in time order.
    pub rows: Vec<KmRow>,
}

impl KaplanMeier {
    /// Fits the curve. Observations with a negative or non-finite time are left out (the
    /// caller reports them before).
    pub fn fit(observations: &[Observation]) -> Self {
        let mut obs: Vec<(f64, bool)> = observations
            .iter()
            .filter(|o| o.time.is_finite() && o.time >= 0.0)
            .map(|o| (o.time, o.event))
            .collect();
        obs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        Self::fit_sorted(&obs)
    }

    /// Fits the curve from (time, event) pairs already sorted by time.
    pub fn fit_sorted(obs: &[(f64, bool)]) -> Self {
        let n = obs.len() as u64;
        let mut rows = Vec::new();
        let (mut at_risk, mut surv, mut var_log, mut events) = (n, 1.0f64, 0.0f64, 0u64);
        let mut i = 0;
        while let Some(&(t, _)) = obs.get(i) {
            let (mut d, mut c) = (0u64, 0u64);
            while let Some(&(u, e)) = obs.get(i) {
                if u != t {
                    break;
                }
                if e {
                    d += 1;
                } else {
                    c += 1;
                }
                i += 1;
            }
            if d > 0 {
                let (nr, df) = (at_risk as f64, d as f64);
                surv *= 1.0 - df / nr;
                var_log += if d < at_risk {
                    df / (nr * (nr - df))
                } else {
                    f64::INFINITY
                };
            }
            rows.push(KmRow {
                time: t,
                n_risk: at_risk,
                n_event: d,
                n_censor: c,
                surv,
                var_log,
            });
            events += d;
            at_risk -= d + c;
        }
        Self { n, events, rows }
    }

    /// The rows with at least one death (R's `summary(survfit)` without `times`).
    pub fn event_rows(&self) -> impl Iterator<Item = &KmRow> {
        self.rows.iter().filter(|r| r.n_event > 0)
    }

    /// The estimate at `time`: the step in force (S = 1 before the first death), the number at
    /// risk at that time and the deaths up to it.
    pub fn at(&self, time: f64) -> KmAt {
        // Rows with row.time <= time.
        let k = self.rows.partition_point(|r| r.time <= time);
        let (surv, var_log) = match k.checked_sub(1).and_then(|i| self.rows.get(i)) {
            Some(r) => (r.surv, r.var_log),
            None => (1.0, 0.0),
        };
        let cum_events = self.rows.iter().take(k).map(|r| r.n_event).sum();
        // At risk at `time`: the first distinct time >= time.
        let first_at_or_after = self.rows.partition_point(|r| r.time < time);
        let n_risk = self.rows.get(first_at_or_after).map_or(0, |r| r.n_risk);
        KmAt {
            time,
            n_risk,
            cum_events,
            surv,
            var_log,
        }
    }

    /// The `p` quantile of survival time (0.5: the median) with its interval read off the
    /// confidence curves of `conf` at normal quantile `z` (R's `quantile.survfit`): the first
    /// time the curve is at or below 1 - p; where it equals 1 - p on a plateau, the midpoint
    /// between the plateau's start and the next death. The lower limit comes from the lower
    /// curve, the upper from the upper curve; NaN when a curve never gets there.
    pub fn quantile(&self, p: f64, conf: ConfType, z: f64) -> Quantile {
        let target = 1.0 - p;
        let points: Vec<CurvePoint> = self
            .event_rows()
            .map(|r| {
                let (lo, hi) = conf.interval(r.surv, r.var_log.sqrt(), z);
                (r.time, r.surv, lo, hi)
            })
            .collect();
        let find = |value: &dyn Fn(&CurvePoint) -> f64| -> f64 {
            const TOL: f64 = 1.490_116_119_384_765_6e-8; // sqrt(.Machine$double.eps), as R
            let Some(j) = points.iter().position(|pt| value(pt) <= target + TOL) else {
                return f64::NAN;
            };
            let Some(here) = points.get(j) else {
                return f64::NAN;
            };
            if (value(here) - target).abs() < TOL {
                let level = value(here);
                if let Some(next) = points.iter().skip(j + 1).find(|pt| value(pt) < level - TOL) {
                    return (here.0 + next.0) / 2.0;
                }
            }
            here.0
        };
        Quantile {
            estimate: find(&|pt| pt.1),
            lower: find(&|pt| pt.2),
            upper: find(&|pt| pt.3),
        }
    }
}
