//! Schema ID [3800] for synthetic tumors diagnosed from 2018: the SEER EOD schema that the
//! primary site, histology and (where the tables need them) schema discriminators select,
//! valid in the year of diagnosis (schemas/tables/schema_ids.csv and schema_selection.csv).

use super::error::SynthError;

/// One row of `schema_selection.csv`.
#[derive(Debug, Clone)]
struct Row {
    site_lo: String,
    site_hi: String,
    hist_lo: u16,
    hist_hi: u16,
    discriminator_1: String,
    discriminator_2: String,
    schema: usize,
}

/// The selection rows and every schema's years.
#[derive(Debug, Clone, Default)]
pub struct SchemaTable {
    ids: Vec<(String, Option<i32>, Option<i32>)>,
    rows: Vec<Row>,
    /// Rows by primary site (every site of a row's range), in file order.
    by_site: std::collections::HashMap<String, Vec<usize>>,
}

/// The Schema ID of a tumor, with the discriminator values the selection needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaChoice {
    /// Schema ID.
    pub schema_id: String,
    /// Schema Discriminator 1 (empty when not needed).
    pub discriminator_1: String,
    /// Schema Discriminator 2 (empty when not needed).
    pub discriminator_2: String,
}

fn bad(file: &'static str, line: usize, reason: impl Into<String>) -> SynthError {
    SynthError::BadRow {
        file,
        line,
        reason: reason.into(),
    }
}

fn year(file: &'static str, line: usize, s: &str) -> Result<Option<i32>, SynthError> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| bad(file, line, format!("year `{s}` is not a number")))
}

impl SchemaTable {
    /// Parses `schema_ids.csv` (`schema_id,name,from_dx_year,to_dx_year`; names may be quoted
    /// and hold commas) and `schema_selection.csv`.
    pub fn parse(ids: &str, selection: &str) -> Result<Self, SynthError> {
        const IDS: &str = "schema_ids.csv";
        const SEL: &str = "schema_selection.csv";
        let mut table = SchemaTable::default();
        for (i, line) in ids.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let cells: Vec<&str> = line.split(',').collect();
            let (Some(id), Some(to), Some(from)) = (
                cells.first(),
                cells.last(),
                cells.len().checked_sub(2).and_then(|k| cells.get(k)),
            ) else {
                return Err(bad(IDS, i + 1, "expected schema_id,name,from,to"));
            };
            table.ids.push((
                (*id).to_owned(),
                year(IDS, i + 1, from)?,
                year(IDS, i + 1, to)?,
            ));
        }
        for (i, line) in selection.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let c: Vec<&str> = line.split(',').collect();
            let [site_lo, site_hi, hist_lo, hist_hi, d1, d2, schema] = c.as_slice() else {
                return Err(bad(SEL, i + 1, format!("{} cells, expected 7", c.len())));
            };
            let hist = |s: &str| {
                s.parse::<u16>()
                    .map_err(|_| bad(SEL, i + 1, format!("histology `{s}` is not a number")))
            };
            let schema = table
                .ids
                .iter()
                .position(|(id, _, _)| id == schema)
                .ok_or_else(|| bad(SEL, i + 1, format!("unknown Schema ID {schema}")))?;
            table.rows.push(Row {
                site_lo: (*site_lo).to_owned(),
                site_hi: (*site_hi).to_owned(),
                hist_lo: hist(hist_lo)?,
                hist_hi: hist(hist_hi)?,
                discriminator_1: (*d1).to_owned(),
                discriminator_2: (*d2).to_owned(),
                schema,
            });
        }
        if table.rows.is_empty() {
            return Err(SynthError::Empty { file: SEL });
        }
        for (i, r) in table.rows.iter().enumerate() {
            let (Some(lo), Some(hi)) = (
                r.site_lo.get(1..).and_then(|d| d.parse::<u16>().ok()),
                r.site_hi.get(1..).and_then(|d| d.parse::<u16>().ok()),
            ) else {
                return Err(bad(
                    SEL,
                    i + 2,
                    format!("site range {}-{}", r.site_lo, r.site_hi),
                ));
            };
            for site in lo..=hi {
                table
                    .by_site
                    .entry(format!("C{site:03}"))
                    .or_default()
                    .push(i);
            }
        }
        Ok(table)
    }

    /// The schema for a tumor diagnosed in `year`: the first row that matches the site and
    /// histology, of a schema valid that year, preferring a row that needs no discriminator.
    pub fn choose(&self, site: &str, histology: u16, year: i32) -> Option<SchemaChoice> {
        let valid = |r: &&Row| {
            self.ids.get(r.schema).is_some_and(|(_, from, to)| {
                from.is_none_or(|f| f <= year) && to.is_none_or(|t| year <= t)
            }) && (r.hist_lo..=r.hist_hi).contains(&histology)
        };
        let row = self
            .by_site
            .get(site)?
            .iter()
            .filter_map(|&i| self.rows.get(i))
            .filter(valid)
            .min_by_key(|r| {
                (!r.discriminator_1.is_empty()) as u8 + (!r.discriminator_2.is_empty()) as u8
            })?;
        Some(SchemaChoice {
            schema_id: self.ids.get(row.schema)?.0.clone(),
            discriminator_1: row.discriminator_1.clone(),
            discriminator_2: row.discriminator_2.clone(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn table() -> SchemaTable {
        SchemaTable::parse(
            include_str!("../../../schemas/tables/schema_ids.csv"),
            include_str!("../../../schemas/tables/schema_selection.csv"),
        )
        .unwrap()
    }

    /// NAACCR item 3800's example: adenocarcinoma of the lung is 00360; SEER's AJCC version 9
    /// lung schema (09360) replaces it from 2025 (SEER EOD 3.3 release notes).
    #[test]
    fn the_schema_follows_site_histology_and_year() {
        let t = table();
        let lung = |year| t.choose("C341", 8140, year).unwrap().schema_id;
        assert_eq!(lung(2019), "00360");
        assert_eq!(lung(2025), "09360");
        assert_eq!(t.choose("C504", 8500, 2020).unwrap().schema_id, "00480");
        assert_eq!(t.choose("C619", 8140, 2020).unwrap().schema_id, "00580");
        // Retired in 2010: no schema.
        assert_eq!(t.choose("C770", 9670, 2020), None);
    }

    /// The gastro-oesophageal junction needs Schema Discriminator 1 (standard-edits-logic.md
    /// D22); the choice carries the value that selects its schema.
    #[test]
    fn a_schema_that_needs_a_discriminator_comes_with_its_value() {
        let c = table().choose("C160", 8140, 2020).unwrap();
        assert!(
            (c.schema_id == "00170" && ["0", "3", "9"].contains(&c.discriminator_1.as_str()))
                || (c.schema_id == "00169" && c.discriminator_1 == "2"),
            "{c:?}"
        );
    }
}
