//! The SEER site recode (ICD-O-3/WHO 2008): the site group of a tumor from its primary site and
//! histology (schemas/tables/seer_site_recode.csv; first matching row wins).

use crate::core::edits::table::Table;

/// Inclusive code ranges (`C000-C009,C019` or `9050-9055,9140`), compared as text of equal width.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Ranges(Vec<(String, String)>);

impl Ranges {
    fn parse(s: &str) -> Self {
        Self(
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('-') {
                    Some((a, b)) => (a.to_owned(), b.to_owned()),
                    None => (p.to_owned(), p.to_owned()),
                })
                .collect(),
        )
    }

    fn contains(&self, code: &str) -> bool {
        self.0
            .iter()
            .any(|(lo, hi)| lo.len() == code.len() && lo.as_str() <= code && code <= hi.as_str())
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    group: usize,
    sites_in: Ranges,
    sites_out: Ranges,
    hist_in: Ranges,
    hist_out: Ranges,
}

/// A site group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteGroup {
    /// SEER's recode (`26000`).
    pub code: String,
    /// Its name (`Breast`).
    pub name: String,
}

/// The recode.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SiteRecode {
    groups: Vec<SiteGroup>,
    rules: Vec<Rule>,
}

impl SiteRecode {
    /// Reads the table (`code,name,sites_in,sites_out,hist_in,hist_out`).
    pub fn from_csv(text: &str) -> Result<Self, String> {
        let t = Table::from_csv("seer_site_recode", text).map_err(|e| e.to_string())?;
        let col = |n: &str| {
            t.column(n)
                .ok_or_else(|| format!("seer_site_recode: no column {n}"))
        };
        let (c_code, c_name) = (col("code")?, col("name")?);
        let (si, so, hi, ho) = (
            col("sites_in")?,
            col("sites_out")?,
            col("hist_in")?,
            col("hist_out")?,
        );
        let mut recode = Self::default();
        for row in 0..t.len() {
            let cell = |c: usize| t.cell(row, c).unwrap_or("");
            let code = cell(c_code);
            let group = match recode.groups.iter().position(|g| g.code == code) {
                Some(g) => g,
                None => {
                    recode.groups.push(SiteGroup {
                        code: code.to_owned(),
                        name: cell(c_name).to_owned(),
                    });
                    recode.groups.len() - 1
                }
            };
            recode.rules.push(Rule {
                group,
                sites_in: Ranges::parse(cell(si)),
                sites_out: Ranges::parse(cell(so)),
                hist_in: Ranges::parse(cell(hi)),
                hist_out: Ranges::parse(cell(ho)),
            });
        }
        Ok(recode)
    }

    /// The group of a tumor (primary site `C509`, histology `8500`), if any.
    pub fn classify(&self, site: &str, histology: &str) -> Option<&SiteGroup> {
        self.rules
            .iter()
            .find(|r| {
                (r.sites_in.is_empty() || r.sites_in.contains(site))
                    && !r.sites_out.contains(site)
                    && (r.hist_in.is_empty() || r.hist_in.contains(histology))
                    && !r.hist_out.contains(histology)
            })
            .and_then(|r| self.groups.get(r.group))
    }

    /// Every group, in the table's order.
    pub fn groups(&self) -> &[SiteGroup] {
        &self.groups
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Examples read off SEER's site recode page (seer.cancer.gov/siterecode/icdo3_dwhoheme/).
    #[test]
    fn tumors_fall_in_seer_site_groups() {
        let r = SiteRecode::from_csv(include_str!("../../../schemas/tables/seer_site_recode.csv"))
            .unwrap();
        let name = |s: &str, h: &str| r.classify(s, h).map(|g| g.name.clone());
        assert_eq!(name("C509", "8500").as_deref(), Some("Breast"));
        assert_eq!(name("C341", "8140").as_deref(), Some("Lung and Bronchus"));
        assert_eq!(name("C619", "8140").as_deref(), Some("Prostate"));
        // Histology decides for lymphomas, leukaemias, mesothelioma and Kaposi sarcoma.
        assert_eq!(name("C770", "9680").as_deref(), Some("NHL - Nodal"));
        assert_eq!(name("C341", "9680").as_deref(), Some("NHL - Extranodal"));
        assert_eq!(
            name("C421", "9823").as_deref(),
            Some("Chronic Lymphocytic Leukemia")
        );
        assert_eq!(name("C384", "9050").as_deref(), Some("Mesothelioma"));
        assert_eq!(name("C445", "9140").as_deref(), Some("Kaposi Sarcoma"));
        assert_eq!(name("C809", "8140").as_deref(), Some("Miscellaneous"));
        assert_eq!(r.classify("C509", "8500").unwrap().code, "26000");
    }
}
