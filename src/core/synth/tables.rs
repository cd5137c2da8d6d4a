//! The code tables the generator draws from, parsed from the text of the files under
//! `schemas/synth/` (see its README for each file's source and licence).
//!
//! Parsing is strict: an unknown sex, a bad number, a tumor that maps to no site group or a
//! female-only group reached from the male mix is an error naming the file and line, so a
//! broken table is found at start and never while generating.

use super::error::SynthError;
use super::weighted::Weighted;

/// The text of every data file the generator needs, one field per file of `schemas/synth/`.
#[derive(Debug, Clone, Copy)]
pub struct SynthSources<'a> {
    /// `site_groups.csv`: age distribution, sex restriction and survival per site group.
    pub site_groups: &'a str,
    /// `tumor_mix.csv`: relative frequency of (site, histology, behavior) by sex.
    pub tumor_mix: &'a str,
    /// `paired_sites.csv`: topographies that need a laterality other than 0, by first year.
    pub paired_sites: &'a str,
    /// `places.csv`: state, county FIPS codes, city, ZIP code, area code and weight.
    pub places: &'a str,
    /// `first_names_female.txt`: one given name per line.
    pub first_names_female: &'a str,
    /// `first_names_male.txt`: one given name per line.
    pub first_names_male: &'a str,
    /// `last_names.txt`: one surname per line.
    pub last_names: &'a str,
    /// `nicknames.csv`: `name,nickname` pairs used for duplicate records.
    pub nicknames: &'a str,
    /// `streets.txt`: one street name per line.
    pub streets: &'a str,
    /// `street_suffixes.txt`: one USPS street suffix abbreviation per line.
    pub street_suffixes: &'a str,
    /// `causes_of_death.csv`: ICD-10 codes and weights of deaths from other causes.
    pub causes_of_death: &'a str,
}

impl SynthSources<'_> {
    /// The file names under `schemas/synth/`, in the order of the fields above.
    pub const FILE_NAMES: [&'static str; 11] = [
        "site_groups.csv",
        "tumor_mix.csv",
        "paired_sites.csv",
        "places.csv",
        "first_names_female.txt",
        "first_names_male.txt",
        "last_names.txt",
        "nicknames.csv",
        "streets.txt",
        "street_suffixes.txt",
        "causes_of_death.csv",
    ];
}

/// Sex Assigned at Birth [225] of a generated person (codes 1 and 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Sex {
    /// Code 1.
    Male,
    /// Code 2.
    Female,
}

impl Sex {
    /// The NAACCR code of item 225.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
        }
    }
}

/// Which sexes a site group may be generated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SexRestriction {
    /// Both sexes (`B`).
    Both,
    /// Males only (`M`), e.g. prostate.
    MaleOnly,
    /// Females only (`F`), e.g. cervix, ovary, uterus.
    FemaleOnly,
}

impl SexRestriction {
    /// Whether a person of this sex may have a tumor of the group.
    pub fn allows(self, sex: Sex) -> bool {
        match self {
            SexRestriction::Both => true,
            SexRestriction::MaleOnly => sex == Sex::Male,
            SexRestriction::FemaleOnly => sex == Sex::Female,
        }
    }
}

/// The shape of a site group's age-at-diagnosis distribution (truncated to its range).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum AgeDistribution {
    /// Normal with this mean and standard deviation (years): adult cancers.
    Normal {
        /// Mean age in years.
        mean: f64,
        /// Standard deviation in years.
        sd: f64,
    },
    /// Log-normal with this median (years) and log-scale sigma: childhood cancers, whose
    /// incidence peaks in the first years of life.
    LogNormal {
        /// Median age in years.
        median: f64,
        /// Standard deviation of the log of the age.
        sigma: f64,
    },
}

/// A closed range of 4-digit codes (topography without `C`, or histology).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CodeRange {
    /// First code included.
    pub low: u16,
    /// Last code included.
    pub high: u16,
}

/// Whether `code` lies in one of `ranges`.
pub fn in_ranges(ranges: &[CodeRange], code: u16) -> bool {
    ranges.iter().any(|r| r.low <= code && code <= r.high)
}

/// One row of `site_groups.csv`: the parameters shared by the tumors of a site group.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SiteGroup {
    /// Short identifier, e.g. `prostate`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Topographies of the group (numbers after the `C`).
    pub sites: Vec<CodeRange>,
    /// Histologies of the group.
    pub histologies: Vec<CodeRange>,
    /// Sexes the group may occur in.
    pub sex: SexRestriction,
    /// Youngest plausible age at diagnosis (years, inclusive).
    pub age_min: u32,
    /// Oldest plausible age at diagnosis (years, inclusive).
    pub age_max: u32,
    /// Age-at-diagnosis distribution (truncated to `age_min..=age_max`).
    pub age: AgeDistribution,
    /// Median cancer-specific survival in years (Weibull median).
    pub median_survival_years: f64,
    /// Weibull shape: below 1 the hazard falls with time since diagnosis.
    pub weibull_shape: f64,
    /// ICD-10 code written as Cause of Death when this cancer kills the patient.
    pub death_icd10: String,
}

/// One row of `tumor_mix.csv`: a site/histology/behavior combination and its group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TumorType {
    /// Primary Site [400], e.g. `C509`.
    pub primary_site: String,
    /// Histologic Type ICD-O-3 [522].
    pub histology: u16,
    /// Behavior Code ICD-O-3 [523].
    pub behavior: u8,
    /// Index into [`SynthTables::groups`].
    pub group: usize,
}

/// One row of `places.csv`: where a person lives.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Place {
    /// USPS state abbreviation, e.g. `CT`.
    pub state: String,
    /// 2-digit state FIPS code.
    pub state_fips: String,
    /// 3-digit county FIPS code.
    pub county_fips: String,
    /// City name.
    pub city: String,
    /// 5-digit ZIP code.
    pub postal_code: String,
    /// 3-digit telephone area code.
    pub area_code: String,
}

/// A topography range that needs a laterality code other than 0 from a year of diagnosis on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PairedSites {
    /// The topographies.
    pub sites: CodeRange,
    /// First diagnosis year for which laterality is coded.
    pub from_year: i32,
}

/// Every code table the generator draws from, parsed once and shared read-only.
#[derive(Debug, Clone)]
pub struct SynthTables {
    pub(super) groups: Vec<SiteGroup>,
    pub(super) female_mix: Weighted<TumorType>,
    pub(super) male_mix: Weighted<TumorType>,
    pub(super) paired: Vec<PairedSites>,
    pub(super) places: Weighted<Place>,
    pub(super) first_female: Vec<String>,
    pub(super) first_male: Vec<String>,
    pub(super) last_names: Vec<String>,
    pub(super) nicknames: Vec<(String, String)>,
    pub(super) streets: Vec<String>,
    pub(super) suffixes: Vec<String>,
    pub(super) other_causes: Weighted<String>,
    /// Schema ID selection (none: tumors get no Schema ID).
    pub(super) schemas: Option<super::schema::SchemaTable>,
}

impl SynthTables {
    /// Parses every table from the text of its file; fails on the first malformed line.
    pub fn parse(src: &SynthSources<'_>) -> Result<Self, SynthError> {
        let groups = parse_groups(src.site_groups)?;
        let (female_mix, male_mix) = parse_mix(src.tumor_mix, &groups)?;
        Ok(Self {
            female_mix,
            male_mix,
            paired: parse_paired(src.paired_sites)?,
            places: parse_places(src.places)?,
            first_female: parse_list("first_names_female.txt", src.first_names_female)?,
            first_male: parse_list("first_names_male.txt", src.first_names_male)?,
            last_names: parse_list("last_names.txt", src.last_names)?,
            nicknames: parse_nicknames(src.nicknames)?,
            streets: parse_list("streets.txt", src.streets)?,
            suffixes: parse_list("street_suffixes.txt", src.street_suffixes)?,
            other_causes: parse_causes(src.causes_of_death)?,
            groups,
            schemas: None,
        })
    }

    /// Gives tumors diagnosed from 2018 their Schema ID, selected by `schema_selection.csv`
    /// among the schemas of `schema_ids.csv` (schemas/tables/).
    pub fn with_schemas(mut self, ids: &str, selection: &str) -> Result<Self, SynthError> {
        self.schemas = Some(super::schema::SchemaTable::parse(ids, selection)?);
        Ok(self)
    }

    /// The site groups, in the order of `site_groups.csv` (first match wins).
    pub fn groups(&self) -> &[SiteGroup] {
        &self.groups
    }

    /// Every tumor type either sex may be given (female mix first, then male).
    pub fn tumor_types(&self) -> impl Iterator<Item = &TumorType> {
        self.female_mix.items().iter().chain(self.male_mix.items())
    }

    /// The site group of a site and histology: the first row of `site_groups.csv` whose
    /// topography and histology ranges both contain them.
    pub fn group_of(&self, primary_site: &str, histology: u16) -> Option<usize> {
        group_index(&self.groups, primary_site, histology)
    }

    /// Whether Laterality [410] must be coded (not 0) for this site in this diagnosis year,
    /// per the paired-site list of SEER edit IF24.
    pub fn is_paired(&self, primary_site: &str, dx_year: i32) -> bool {
        topography_number(primary_site).is_some_and(|n| {
            self.paired
                .iter()
                .any(|p| dx_year >= p.from_year && in_ranges(&[p.sites], n))
        })
    }

    pub(super) fn mix(&self, sex: Sex) -> &Weighted<TumorType> {
        match sex {
            Sex::Female => &self.female_mix,
            Sex::Male => &self.male_mix,
        }
    }

    pub(super) fn group(&self, index: usize) -> Option<&SiteGroup> {
        self.groups.get(index)
    }

    pub(super) fn first_names(&self, sex: Sex) -> &[String] {
        match sex {
            Sex::Female => &self.first_female,
            Sex::Male => &self.first_male,
        }
    }
}

/// `C509` -> 509.
pub fn topography_number(primary_site: &str) -> Option<u16> {
    let digits = primary_site.strip_prefix('C')?;
    if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn group_index(groups: &[SiteGroup], primary_site: &str, histology: u16) -> Option<usize> {
    let site = topography_number(primary_site)?;
    groups
        .iter()
        .position(|g| in_ranges(&g.sites, site) && in_ranges(&g.histologies, histology))
}

/// Lines that carry data: no blank lines, no `#` comments; numbered from 1 as in an editor.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r').trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// Rows of a comma-separated file without quoting, header checked and skipped.
fn csv_rows<'a>(
    file: &'static str,
    text: &'a str,
    header: &[&str],
) -> Result<Vec<(usize, Vec<&'a str>)>, SynthError> {
    let mut lines = data_lines(text);
    let Some((_, first)) = lines.next() else {
        return Err(SynthError::Empty { file });
    };
    let found: Vec<&str> = first.split(',').map(str::trim).collect();
    if found != header {
        return Err(SynthError::BadHeader {
            file,
            expected: header.join(","),
            found: first.to_owned(),
        });
    }
    let mut rows = Vec::new();
    for (line, l) in lines {
        let cells: Vec<&str> = l.split(',').map(str::trim).collect();
        if cells.len() != header.len() {
            return Err(SynthError::BadRow {
                file,
                line,
                reason: format!("{} cells, expected {}", cells.len(), header.len()),
            });
        }
        rows.push((line, cells));
    }
    if rows.is_empty() {
        return Err(SynthError::Empty { file });
    }
    Ok(rows)
}

fn cell<'a>(
    file: &'static str,
    line: usize,
    cells: &[&'a str],
    i: usize,
) -> Result<&'a str, SynthError> {
    cells.get(i).copied().ok_or_else(|| SynthError::BadRow {
        file,
        line,
        reason: format!("missing cell {}", i + 1),
    })
}

fn number<T: std::str::FromStr>(
    file: &'static str,
    line: usize,
    what: &str,
    s: &str,
) -> Result<T, SynthError> {
    s.parse().map_err(|_| SynthError::BadRow {
        file,
        line,
        reason: format!("{what} `{s}` is not a number"),
    })
}

fn positive(file: &'static str, line: usize, what: &str, s: &str) -> Result<f64, SynthError> {
    let v: f64 = number(file, line, what, s)?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(SynthError::BadRow {
            file,
            line,
            reason: format!("{what} `{s}` must be a positive number"),
        })
    }
}

/// `C000-C148 C300-C319` or `9590-9729 9811`: space-separated codes and ranges.
fn parse_ranges(
    file: &'static str,
    line: usize,
    spec: &str,
    prefix: &str,
) -> Result<Vec<CodeRange>, SynthError> {
    let bad = || SynthError::BadRow {
        file,
        line,
        reason: format!("bad code range list `{spec}`"),
    };
    let code = |s: &str| -> Option<u16> {
        let d = s.strip_prefix(prefix)?;
        if d.len() != 4 - prefix.len() || !d.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        d.parse().ok()
    };
    let mut out = Vec::new();
    for part in spec.split_whitespace() {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (low, high) = (code(a).ok_or_else(bad)?, code(b).ok_or_else(bad)?);
        if low > high {
            return Err(bad());
        }
        out.push(CodeRange { low, high });
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

fn parse_groups(text: &str) -> Result<Vec<SiteGroup>, SynthError> {
    const FILE: &str = "site_groups.csv";
    let header = [
        "group",
        "name",
        "sites",
        "histologies",
        "sex",
        "age_min",
        "age_max",
        "age_dist",
        "age_loc",
        "age_scale",
        "median_survival_years",
        "weibull_shape",
        "death_icd10",
    ];
    let mut groups = Vec::new();
    for (line, c) in csv_rows(FILE, text, &header)? {
        let get = |i| cell(FILE, line, &c, i);
        let sex = match get(4)? {
            "B" => SexRestriction::Both,
            "M" => SexRestriction::MaleOnly,
            "F" => SexRestriction::FemaleOnly,
            other => {
                return Err(SynthError::BadRow {
                    file: FILE,
                    line,
                    reason: format!("sex `{other}` is not B, M or F"),
                });
            }
        };
        let age_min: u32 = number(FILE, line, "age_min", get(5)?)?;
        let age_max: u32 = number(FILE, line, "age_max", get(6)?)?;
        if age_min > age_max || age_max > 120 {
            return Err(SynthError::BadRow {
                file: FILE,
                line,
                reason: format!("age range {age_min}-{age_max} is not within 0-120"),
            });
        }
        let loc = positive(FILE, line, "age_loc", get(8)?)?;
        let scale = positive(FILE, line, "age_scale", get(9)?)?;
        let age = match get(7)? {
            "normal" => AgeDistribution::Normal {
                mean: loc,
                sd: scale,
            },
            "lognormal" => AgeDistribution::LogNormal {
                median: loc,
                sigma: scale,
            },
            other => {
                return Err(SynthError::BadRow {
                    file: FILE,
                    line,
                    reason: format!("age_dist `{other}` is not normal or lognormal"),
                });
            }
        };
        let death = get(12)?;
        if !(3..=4).contains(&death.len()) || !death.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(SynthError::BadRow {
                file: FILE,
                line,
                reason: format!("death_icd10 `{death}` is not a 3- or 4-character ICD-10 code"),
            });
        }
        groups.push(SiteGroup {
            id: get(0)?.to_owned(),
            name: get(1)?.to_owned(),
            sites: parse_ranges(FILE, line, get(2)?, "C")?,
            histologies: parse_ranges(FILE, line, get(3)?, "")?,
            sex,
            age_min,
            age_max,
            age,
            median_survival_years: positive(FILE, line, "median_survival_years", get(10)?)?,
            weibull_shape: positive(FILE, line, "weibull_shape", get(11)?)?,
            death_icd10: death.to_owned(),
        });
    }
    Ok(groups)
}

fn parse_mix(
    text: &str,
    groups: &[SiteGroup],
) -> Result<(Weighted<TumorType>, Weighted<TumorType>), SynthError> {
    const FILE: &str = "tumor_mix.csv";
    let header = ["sex", "weight", "primarySite", "histology", "behavior"];
    let mut female = Vec::new();
    let mut male = Vec::new();
    for (line, c) in csv_rows(FILE, text, &header)? {
        let get = |i| cell(FILE, line, &c, i);
        let sex = match get(0)? {
            "F" => Sex::Female,
            "M" => Sex::Male,
            other => {
                return Err(SynthError::BadRow {
                    file: FILE,
                    line,
                    reason: format!("sex `{other}` is not F or M"),
                });
            }
        };
        let weight = positive(FILE, line, "weight", get(1)?)?;
        let site = get(2)?;
        let histology: u16 = number(FILE, line, "histology", get(3)?)?;
        let behavior: u8 = number(FILE, line, "behavior", get(4)?)?;
        if topography_number(site).is_none() || !(8000..=9999).contains(&histology) || behavior > 3
        {
            return Err(SynthError::BadRow {
                file: FILE,
                line,
                reason: format!(
                    "`{site} {histology}/{behavior}` is not an ICD-O-3 site and morphology"
                ),
            });
        }
        let group =
            group_index(groups, site, histology).ok_or_else(|| SynthError::UnmappedTumor {
                line,
                primary_site: site.to_owned(),
                histology,
            })?;
        if !groups.get(group).is_some_and(|g| g.sex.allows(sex)) {
            return Err(SynthError::SexConflict {
                line,
                primary_site: site.to_owned(),
            });
        }
        let row = TumorType {
            primary_site: site.to_owned(),
            histology,
            behavior,
            group,
        };
        match sex {
            Sex::Female => female.push((row, weight)),
            Sex::Male => male.push((row, weight)),
        }
    }
    let f = Weighted::new(female).ok_or(SynthError::Empty { file: FILE })?;
    let m = Weighted::new(male).ok_or(SynthError::Empty { file: FILE })?;
    Ok((f, m))
}

fn parse_paired(text: &str) -> Result<Vec<PairedSites>, SynthError> {
    const FILE: &str = "paired_sites.csv";
    let mut out = Vec::new();
    for (line, c) in csv_rows(FILE, text, &["sites", "from_year"])? {
        let from_year: i32 = number(FILE, line, "from_year", cell(FILE, line, &c, 1)?)?;
        for sites in parse_ranges(FILE, line, cell(FILE, line, &c, 0)?, "C")? {
            out.push(PairedSites { sites, from_year });
        }
    }
    Ok(out)
}

fn digits_of_len(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_places(text: &str) -> Result<Weighted<Place>, SynthError> {
    const FILE: &str = "places.csv";
    let header = [
        "state",
        "state_fips",
        "county_fips",
        "county",
        "city",
        "postal_code",
        "area_code",
        "weight",
    ];
    let mut out = Vec::new();
    for (line, c) in csv_rows(FILE, text, &header)? {
        let get = |i| cell(FILE, line, &c, i);
        let place = Place {
            state: get(0)?.to_owned(),
            state_fips: get(1)?.to_owned(),
            county_fips: get(2)?.to_owned(),
            city: get(4)?.to_owned(),
            postal_code: get(5)?.to_owned(),
            area_code: get(6)?.to_owned(),
        };
        let ok = place.state.len() == 2
            && place.state.bytes().all(|b| b.is_ascii_uppercase())
            && digits_of_len(&place.state_fips, 2)
            && digits_of_len(&place.county_fips, 3)
            && digits_of_len(&place.postal_code, 5)
            && digits_of_len(&place.area_code, 3)
            && !place.city.is_empty();
        if !ok {
            return Err(SynthError::BadRow {
                file: FILE,
                line,
                reason: "state, FIPS codes, ZIP code or area code malformed".to_owned(),
            });
        }
        out.push((place, positive(FILE, line, "weight", get(7)?)?));
    }
    Weighted::new(out).ok_or(SynthError::Empty { file: FILE })
}

fn parse_list(file: &'static str, text: &str) -> Result<Vec<String>, SynthError> {
    let out: Vec<String> = data_lines(text).map(|(_, l)| l.to_owned()).collect();
    if let Some((line, _)) = data_lines(text).find(|(_, l)| l.len() > 30 || l.contains(',')) {
        return Err(SynthError::BadRow {
            file,
            line,
            reason: "entries must be at most 30 characters without commas".to_owned(),
        });
    }
    if out.is_empty() {
        return Err(SynthError::Empty { file });
    }
    Ok(out)
}

fn parse_nicknames(text: &str) -> Result<Vec<(String, String)>, SynthError> {
    const FILE: &str = "nicknames.csv";
    let rows = csv_rows(FILE, text, &["name", "nickname"])?;
    rows.into_iter()
        .map(|(line, c)| {
            Ok((
                cell(FILE, line, &c, 0)?.to_owned(),
                cell(FILE, line, &c, 1)?.to_owned(),
            ))
        })
        .collect()
}

fn parse_causes(text: &str) -> Result<Weighted<String>, SynthError> {
    const FILE: &str = "causes_of_death.csv";
    let mut out = Vec::new();
    for (line, c) in csv_rows(FILE, text, &["icd10", "weight", "description"])? {
        let code = cell(FILE, line, &c, 0)?;
        if !(3..=4).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(SynthError::BadRow {
                file: FILE,
                line,
                reason: format!("`{code}` is not a 3- or 4-character ICD-10 code"),
            });
        }
        out.push((
            code.to_owned(),
            positive(FILE, line, "weight", cell(FILE, line, &c, 1)?)?,
        ));
    }
    Weighted::new(out).ok_or(SynthError::Empty { file: FILE })
}
