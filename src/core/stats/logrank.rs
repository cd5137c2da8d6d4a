//! The log-rank test between groups (METHODS.md section 3; R's `survdiff` with rho = 0):
//! observed and expected deaths per group and the chi-square from the hypergeometric
//! covariance, using all groups but one.

use super::Observation;
use super::dist::chi_square_upper;

/// One group's counts.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupCounts {
    /// Cases.
    pub n: u64,
    /// Observed deaths.
    pub observed: f64,
    /// Expected deaths under equal hazards.
    pub expected: f64,
    /// Its diagonal term of the covariance (R's V for (O-E)^2/V).
    pub variance: f64,
}

/// The test's result.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRank {
    /// Per group, in the order given.
    pub groups: Vec<GroupCounts>,
    /// Chi-square statistic.
    pub chi_square: f64,
    /// Degrees of freedom (groups with cases, less one; less any the covariance cannot use).
    pub df: usize,
    /// Upper-tail p-value.
    pub p_value: f64,
}

/// Compares the survival of `groups` (each a list of observations).
pub fn log_rank(groups: &[Vec<Observation>]) -> LogRank {
    let g = groups.len();
    // (time, group, event), sorted by time.
    let mut all: Vec<(f64, usize, bool)> = groups
        .iter()
        .enumerate()
        .flat_map(|(k, obs)| {
            obs.iter()
                .filter(|o| o.time.is_finite() && o.time >= 0.0)
                .map(move |o| (o.time, k, o.event))
        })
        .collect();
    all.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut at_risk: Vec<f64> = vec![0.0; g];
    for &(_, k, _) in &all {
        if let Some(n) = at_risk.get_mut(k) {
            *n += 1.0;
        }
    }
    let counts: Vec<u64> = at_risk.iter().map(|n| *n as u64).collect();
    let mut observed = vec![0.0; g];
    let mut expected = vec![0.0; g];
    let mut cov = vec![vec![0.0; g]; g];
    let mut deaths = vec![0.0; g];
    let mut leaving = vec![0.0; g];
    let mut i = 0;
    while let Some(&(t, _, _)) = all.get(i) {
        deaths.iter_mut().for_each(|d| *d = 0.0);
        leaving.iter_mut().for_each(|d| *d = 0.0);
        while let Some(&(u, k, e)) = all.get(i) {
            if u != t {
                break;
            }
            if let (Some(d), Some(l)) = (deaths.get_mut(k), leaving.get_mut(k)) {
                if e {
                    *d += 1.0;
                }
                *l += 1.0;
            }
            i += 1;
        }
        let d: f64 = deaths.iter().sum();
        let n: f64 = at_risk.iter().sum();
        if d > 0.0 && n > 0.0 {
            let factor = if n > 1.0 {
                d * (n - d) / (n - 1.0)
            } else {
                0.0
            };
            for a in 0..g {
                let na = at_risk.get(a).copied().unwrap_or(0.0);
                if let (Some(o), Some(e)) = (observed.get_mut(a), expected.get_mut(a)) {
                    *o += deaths.get(a).copied().unwrap_or(0.0);
                    *e += d * na / n;
                }
                if let Some(row) = cov.get_mut(a) {
                    for (b, v) in row.iter_mut().enumerate() {
                        let nb = at_risk.get(b).copied().unwrap_or(0.0);
                        let delta = if a == b { 1.0 } else { 0.0 };
                        *v += factor * (na / n) * (delta - nb / n);
                    }
                }
            }
        }
        for (n, l) in at_risk.iter_mut().zip(&leaving) {
            *n -= l;
        }
    }
    // Solve with the first g-1 groups (a generalised inverse: pivots that vanish are dropped).
    let diff: Vec<f64> = observed.iter().zip(&expected).map(|(o, e)| o - e).collect();
    let m = g.saturating_sub(1);
    let (chi_square, df) = quadratic_form(&cov, &diff, m);
    LogRank {
        groups: (0..g)
            .map(|k| GroupCounts {
                n: counts.get(k).copied().unwrap_or(0),
                observed: observed.get(k).copied().unwrap_or(0.0),
                expected: expected.get(k).copied().unwrap_or(0.0),
                variance: cov.get(k).and_then(|r| r.get(k)).copied().unwrap_or(0.0),
            })
            .collect(),
        chi_square,
        df,
        p_value: if df == 0 {
            f64::NAN
        } else {
            chi_square_upper(chi_square, df as f64)
        },
    }
}

/// x' V^- x over the first `m` coordinates, by symmetric Gaussian elimination without
/// pivoting that skips (near-)zero pivots; returns the form and the rank used.
fn quadratic_form(v: &[Vec<f64>], x: &[f64], m: usize) -> (f64, usize) {
    let mut a: Vec<Vec<f64>> = (0..m)
        .map(|i| {
            let mut row: Vec<f64> = (0..m)
                .map(|j| v.get(i).and_then(|r| r.get(j)).copied().unwrap_or(0.0))
                .collect();
            row.push(x.get(i).copied().unwrap_or(0.0));
            row
        })
        .collect();
    let scale = (0..m)
        .map(|i| {
            a.get(i)
                .and_then(|r| r.get(i))
                .copied()
                .unwrap_or(0.0)
                .abs()
        })
        .fold(0.0, f64::max);
    let tol = 1e-10 * scale.max(1e-300);
    let mut result = 0.0;
    let mut rank = 0;
    for k in 0..m {
        let pivot = a.get(k).and_then(|r| r.get(k)).copied().unwrap_or(0.0);
        if pivot.abs() <= tol {
            continue;
        }
        rank += 1;
        let pivot_row = a.get(k).cloned().unwrap_or_default();
        let bk = pivot_row.get(m).copied().unwrap_or(0.0);
        result += bk * bk / pivot;
        for row in a.iter_mut().skip(k + 1) {
            let f = row.get(k).copied().unwrap_or(0.0) / pivot;
            for (c, val) in row.iter_mut().enumerate().skip(k) {
                *val -= f * pivot_row.get(c).copied().unwrap_or(0.0);
            }
        }
    }
    (result, rank)
}
