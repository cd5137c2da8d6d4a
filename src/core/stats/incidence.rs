//! Incidence rates (METHODS.md section 6): crude and age-specific rates with exact Poisson
//! intervals, and directly age-adjusted rates with Fay-Feuer (1997) or Tiwari, Clegg & Zou
//! (2006) gamma intervals, as SEER*Stat computes them. Rates are per `per` persons (100,000).

use super::dist::gamma_quantile;

/// How the interval of an age-adjusted rate is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RateCi {
    /// Tiwari et al. (2006) modified gamma (SEER*Stat's default).
    #[default]
    Tiwari,
    /// Fay and Feuer (1997) gamma (R's epitools `ageadjust.direct`).
    FayFeuer,
}

impl RateCi {
    /// Parses `tiwari` or `fay-feuer`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "tiwari" => Some(Self::Tiwari),
            "fay-feuer" | "fayfeuer" => Some(Self::FayFeuer),
            _ => None,
        }
    }

    /// `tiwari` or `fay-feuer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tiwari => "tiwari",
            Self::FayFeuer => "fay-feuer",
        }
    }
}

/// A rate with its standard error and interval, per `per` persons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Cases.
    pub count: f64,
    /// Person-years.
    pub population: f64,
    /// The rate.
    pub rate: f64,
    /// Its standard error.
    pub se: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
    /// Variance of the rate per person (for trend weights): v of METHODS.md.
    pub variance_per_person: f64,
}

/// A crude (or age-specific) rate with the exact Poisson interval at `level`.
pub fn crude_rate(count: f64, population: f64, per: f64, level: f64) -> Rate {
    let alpha = 1.0 - level;
    if population <= 0.0 {
        return Rate {
            count,
            population,
            rate: f64::NAN,
            se: f64::NAN,
            lower: f64::NAN,
            upper: f64::NAN,
            variance_per_person: f64::NAN,
        };
    }
    let lower = if count > 0.0 {
        gamma_quantile(alpha / 2.0, count, 1.0) / population * per
    } else {
        0.0
    };
    let upper = gamma_quantile(1.0 - alpha / 2.0, count + 1.0, 1.0) / population * per;
    Rate {
        count,
        population,
        rate: count / population * per,
        se: count.sqrt() / population * per,
        lower,
        upper,
        variance_per_person: count / (population * population),
    }
}

/// A directly age-adjusted rate over age groups given as (count, population), with the
/// standard population's weights for the same groups (renormalised over them). A group with
/// no population and no cases adds nothing; one with cases but no population has its
/// population set to its count (SEER*Stat's rule).
pub fn adjusted_rate(
    cells: &[(f64, f64)],
    standard: &[f64],
    ci: RateCi,
    per: f64,
    level: f64,
) -> Rate {
    let alpha = 1.0 - level;
    let total_w: f64 = standard.iter().take(cells.len()).sum();
    let k = cells.len().min(standard.len());
    let (mut y, mut v, mut u_max, mut u_sum, mut u2_sum) = (0.0, 0.0, 0.0f64, 0.0, 0.0);
    let (mut count, mut population) = (0.0, 0.0);
    for (&(x, n), &s) in cells.iter().zip(standard) {
        count += x;
        population += n;
        let w = if total_w > 0.0 { s / total_w } else { 0.0 };
        let n_eff = if n > 0.0 { n } else { x };
        let u = if n_eff > 0.0 { w / n_eff } else { 0.0 };
        y += u * x;
        v += u * u * x;
        u_max = u_max.max(u);
        u_sum += u;
        u2_sum += u * u;
    }
    let lower = if y > 0.0 {
        gamma_quantile(alpha / 2.0, y * y / v, v / y)
    } else {
        0.0
    };
    let (um, um2) = match ci {
        RateCi::FayFeuer => (u_max, u_max * u_max),
        RateCi::Tiwari => {
            let kf = k.max(1) as f64;
            (u_sum / kf, u2_sum / kf)
        }
    };
    let upper = if um > 0.0 {
        let ys = y + um;
        let vs = v + um2;
        gamma_quantile(1.0 - alpha / 2.0, ys * ys / vs, vs / ys)
    } else {
        f64::NAN
    };
    Rate {
        count,
        population,
        rate: y * per,
        se: v.sqrt() * per,
        lower: lower * per,
        upper: upper * per,
        variance_per_person: v,
    }
}

/// A standard population: labels and weights of its age groups.
#[derive(Debug, Clone, PartialEq)]
pub struct StandardPopulation {
    /// `us2000`, `segi`, `who2000`.
    pub name: String,
    /// (age group label, weight), youngest first.
    pub groups: Vec<(String, f64)>,
}

/// The 19 age groups of population files and SEER: `00`, `01-04`, `05-09`, ..., `80-84`, `85+`.
pub const AGE_GROUPS_19: [&str; 19] = [
    "00", "01-04", "05-09", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49",
    "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85+",
];

/// The 19-group index of an age in completed years.
pub fn age_group_19(age: u32) -> usize {
    match age {
        0 => 0,
        1..=4 => 1,
        _ => ((age / 5) as usize + 1).min(18),
    }
}

impl StandardPopulation {
    /// Reads a standard from shared/stats' layout: `age_group` and `weight` columns (the
    /// population and per-million columns are informational).
    pub fn from_csv(name: &str, text: &str) -> Result<Self, String> {
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
        let col = |n: &str| header.iter().position(|h| *h == n);
        let (Some(g), Some(w)) = (col("age_group"), col("weight")) else {
            return Err(format!("{name}: needs age_group and weight columns"));
        };
        let mut groups = Vec::new();
        for (i, l) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let c: Vec<&str> = l.split(',').collect();
            let (Some(label), Some(weight)) = (c.get(g), c.get(w)) else {
                return Err(format!("{name} line {}: too few cells", i + 2));
            };
            let weight: f64 = weight
                .parse()
                .map_err(|_| format!("{name} line {}: weight `{weight}`", i + 2))?;
            groups.push(((*label).to_owned(), weight));
        }
        Ok(Self {
            name: name.to_owned(),
            groups,
        })
    }

    /// The age-adjusted rate of data in the 19 population groups ([`AGE_GROUPS_19`]): with a
    /// 19-group standard directly; with an 18-group one (WHO 2000-2025) the groups `00` and
    /// `01-04` are first pooled into 0-4 (METHODS.md section 6: SEER's split is not published).
    pub fn adjust_19(&self, cells: &[(f64, f64)], ci: RateCi, per: f64, level: f64) -> Rate {
        let weights: Vec<f64> = self.groups.iter().map(|g| g.1).collect();
        if weights.len() == cells.len() {
            return adjusted_rate(cells, &weights, ci, per, level);
        }
        let mut pooled: Vec<(f64, f64)> = Vec::with_capacity(cells.len().saturating_sub(1));
        let (a, b) = (
            cells.first().copied().unwrap_or((0.0, 0.0)),
            cells.get(1).copied().unwrap_or((0.0, 0.0)),
        );
        pooled.push((a.0 + b.0, a.1 + b.1));
        pooled.extend(cells.iter().skip(2).copied());
        adjusted_rate(&pooled, &weights, ci, per, level)
    }
}
