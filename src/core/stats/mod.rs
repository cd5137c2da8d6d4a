//! Survival and incidence statistics, pure: observations in, estimates out. The formulas and
//! their conventions (ties, confidence intervals, the numerical scheme of R's relsurv) follow
//! `shared/stats/METHODS.md`, so that results agree with R's survival and relsurv packages and
//! with SEER*Stat; each estimator's tests name the reference they reproduce.
//!
//! - [`survival_time`]: survival in days and months from NAACCR dates (SEER's algorithm);
//! - [`km`]: Kaplan-Meier with Greenwood errors, plain/log/log-log intervals, medians;
//! - [`logrank`]: the log-rank test between groups;
//! - [`actuarial`]: SEER*Stat's life table (withdrawals count half);
//! - [`ratetable`], [`relative`]: population life tables, Ederer II and Pohar-Perme;
//! - [`incidence`]: crude, age-specific and directly age-adjusted rates with gamma intervals;
//! - [`trend`]: annual percent change;
//! - [`suppression`]: small-cell and complementary suppression for researchers.

pub mod actuarial;
pub mod dist;
pub mod incidence;
pub mod km;
pub mod logrank;
pub mod ratetable;
pub mod relative;
pub mod site_recode;
pub mod suppression;
pub mod survival_time;
pub mod trend;

#[cfg(test)]
mod tests;

/// One person's follow-up: time from diagnosis (days or months) and whether it ended in death.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// Follow-up time (>= 0).
    pub time: f64,
    /// True when the follow-up ended with death (an event); false when censored.
    pub event: bool,
}

/// How a confidence interval for a survival probability is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConfType {
    /// S +/- z SE, clipped to [0, 1].
    Plain,
    /// exp(log S +/- z sigma), upper clipped to 1 (R's default).
    Log,
    /// Kalbfleisch-Prentice log(-log S) interval (SEER*Stat, lifelines).
    #[default]
    LogLog,
}

impl ConfType {
    /// Parses `plain`, `log` or `log-log`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "plain" => Some(Self::Plain),
            "log" => Some(Self::Log),
            "log-log" | "loglog" => Some(Self::LogLog),
            _ => None,
        }
    }

    /// `plain`, `log` or `log-log`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Log => "log",
            Self::LogLog => "log-log",
        }
    }

    /// The interval for survival `s` whose log has standard error `sigma`, at normal quantile
    /// `z`: `(lower, upper)`, NaN where undefined (R's NA).
    pub fn interval(self, s: f64, sigma: f64, z: f64) -> (f64, f64) {
        // Once everyone left at risk has died, Greenwood's sum is infinite: R gives NA.
        if s.is_nan() || !sigma.is_finite() {
            return (f64::NAN, f64::NAN);
        }
        match self {
            Self::Plain => {
                let half = z * sigma * s;
                ((s - half).max(0.0), (s + half).min(1.0))
            }
            Self::Log => {
                if s <= 0.0 {
                    return (f64::NAN, f64::NAN);
                }
                let l = s.ln();
                ((l - z * sigma).exp(), (l + z * sigma).exp().min(1.0))
            }
            Self::LogLog => {
                if s <= 0.0 || s >= 1.0 {
                    return (f64::NAN, f64::NAN);
                }
                let ll = (-s.ln()).ln();
                let c = z * sigma / s.ln();
                ((-(ll - c).exp()).exp(), (-(ll + c).exp()).exp())
            }
        }
    }
}
