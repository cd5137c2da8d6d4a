//! The actuarial (life-table) method as SEER*Stat computes it (METHODS.md section 4): fixed
//! intervals, withdrawals alive counted as half at risk.

use super::{ConfType, Observation};

/// One interval of the life table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifeTableRow {
    /// Interval start (time units of the observations).
    pub start: f64,
    /// Interval end.
    pub end: f64,
    /// Alive at the start (L).
    pub alive: u64,
    /// Died in the interval (D).
    pub died: u64,
    /// Withdrawn alive in it (lost or not followed long enough: U + W).
    pub withdrawn: u64,
    /// Effective number at risk, L - W/2.
    pub effective: f64,
    /// Interval survival P.
    pub interval_surv: f64,
    /// Cumulative survival CP.
    pub cum_surv: f64,
    /// Var[log CP]: sum of D / (L' (L' - D)).
    pub var_log: f64,
}

impl LifeTableRow {
    /// SE of the cumulative survival.
    pub fn se(&self) -> f64 {
        self.cum_surv * self.var_log.sqrt()
    }

    /// Interval for CP.
    pub fn interval(&self, conf: ConfType, z: f64) -> (f64, f64) {
        conf.interval(self.cum_surv, self.var_log.sqrt(), z)
    }
}

/// The life table over intervals of `width` (> 0), `intervals` of them: a case followed for
/// `t` ends in interval floor(t / width); cases past the last interval are withdrawn at its
/// end (they count as alive through it).
pub fn life_table(observations: &[Observation], width: f64, intervals: usize) -> Vec<LifeTableRow> {
    if width.is_nan() || width <= 0.0 || intervals == 0 {
        return Vec::new();
    }
    let mut died = vec![0u64; intervals];
    let mut withdrawn = vec![0u64; intervals];
    let mut beyond = 0u64;
    let mut total = 0u64;
    for o in observations {
        if !(o.time.is_finite() && o.time >= 0.0) {
            continue;
        }
        total += 1;
        let k = (o.time / width).floor() as usize;
        match (died.get_mut(k), withdrawn.get_mut(k)) {
            (Some(d), Some(w)) => {
                if o.event {
                    *d += 1;
                } else {
                    *w += 1;
                }
            }
            _ => beyond += 1,
        }
    }
    let _ = beyond;
    let mut rows = Vec::with_capacity(intervals);
    let (mut alive, mut cum, mut var_log) = (total, 1.0f64, 0.0f64);
    for (k, (d, w)) in died.iter().zip(&withdrawn).enumerate() {
        if alive == 0 {
            break;
        }
        let effective = alive as f64 - *w as f64 / 2.0;
        let df = *d as f64;
        let p = if effective > 0.0 {
            1.0 - df / effective
        } else {
            1.0
        };
        cum *= p;
        if df > 0.0 {
            var_log += if effective > df {
                df / (effective * (effective - df))
            } else {
                f64::INFINITY
            };
        }
        rows.push(LifeTableRow {
            start: k as f64 * width,
            end: (k + 1) as f64 * width,
            alive,
            died: *d,
            withdrawn: *w,
            effective,
            interval_surv: p,
            cum_surv: cum,
            var_log,
        });
        alive -= d + w;
    }
    rows
}
