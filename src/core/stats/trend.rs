//! Annual percent change (METHODS.md section 7): a log-linear least-squares fit of rates on
//! calendar year, unweighted or weighted by 1 / Var(ln rate) as SEER*Stat does (Kim et al.,
//! 2000), with the t-based interval and the test of no change.

use super::dist::{t_quantile, t_two_sided_p};

/// The fitted trend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Apc {
    /// Slope of ln(rate) per year.
    pub slope: f64,
    /// Its standard error.
    pub se_slope: f64,
    /// 100 (e^slope - 1).
    pub apc: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
    /// t statistic of slope = 0.
    pub t: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Residual degrees of freedom (years - 2).
    pub df: usize,
    /// Fitted intercept at year 0 of ln(rate) (the line is exp(intercept + slope * year)).
    pub intercept: f64,
}

/// Why no trend could be fitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrendError {
    /// Fewer than 3 years.
    #[error("a trend needs at least 3 years, got {0}")]
    TooFewYears(usize),
    /// A rate of zero (its logarithm is undefined), or a missing variance for weights.
    #[error("the rate of {0} is zero or missing: no log-linear trend")]
    ZeroRate(i32),
}

/// Fits the trend of `points` (year, rate, variance of the rate); `weighted` uses weights
/// rate^2 / variance.
pub fn annual_percent_change(
    points: &[(i32, f64, f64)],
    weighted: bool,
    level: f64,
) -> Result<Apc, TrendError> {
    let n = points.len();
    if n < 3 {
        return Err(TrendError::TooFewYears(n));
    }
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    let mut ws = Vec::with_capacity(n);
    for &(year, rate, var) in points {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(TrendError::ZeroRate(year));
        }
        let w = if weighted {
            if !(var.is_finite() && var > 0.0) {
                return Err(TrendError::ZeroRate(year));
            }
            rate * rate / var
        } else {
            1.0
        };
        xs.push(f64::from(year));
        ys.push(rate.ln());
        ws.push(w);
    }
    // Centre the years (the fit on raw years loses digits to cancellation).
    let sw: f64 = ws.iter().sum();
    let xbar = xs.iter().zip(&ws).map(|(x, w)| x * w).sum::<f64>() / sw;
    let ybar = ys.iter().zip(&ws).map(|(y, w)| y * w).sum::<f64>() / sw;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for ((x, y), w) in xs.iter().zip(&ys).zip(&ws) {
        sxx += w * (x - xbar) * (x - xbar);
        sxy += w * (x - xbar) * (y - ybar);
    }
    let slope = sxy / sxx;
    let intercept = ybar - slope * xbar;
    let df = n - 2;
    let rss: f64 = xs
        .iter()
        .zip(&ys)
        .zip(&ws)
        .map(|((x, y), w)| {
            let r = y - (ybar + slope * (x - xbar));
            w * r * r
        })
        .sum();
    let se_slope = (rss / df as f64 / sxx).sqrt();
    let tq = t_quantile(1.0 - (1.0 - level) / 2.0, df as f64);
    let t = slope / se_slope;
    Ok(Apc {
        slope,
        se_slope,
        apc: 100.0 * slope.exp_m1(),
        lower: 100.0 * (slope - tq * se_slope).exp_m1(),
        upper: 100.0 * (slope + tq * se_slope).exp_m1(),
        t,
        p_value: t_two_sided_p(t, df as f64),
        df,
        intercept,
    })
}
