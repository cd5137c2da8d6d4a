//! Charts of the statistics, drawn with plotters as PNG or SVG: survival curves with their
//! confidence bands and a number-at-risk table, incidence trends with the fitted APC line,
//! age-specific rate curves and cases by site. Text uses DejaVu Sans, built into the binary
//! (assets/fonts) and embedded in SVG files, so a chart looks the same on every machine.

use super::stats::{IncidenceReport, SurvivalReport, TrendRow};
use crate::core::stats::incidence::AGE_GROUPS_19;
use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The font family charts use: DejaVu Sans, registered from the embedded TTF (its own family
/// name, so that the rasteriser finds it by the name the SVG gives).
const FAMILY: &str = "DejaVu Sans";
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const WIDTH: u32 = 1000;

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// Colours that stay apart for readers with colour-vision deficiency (Okabe & Ito, 2008).
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(90, 90, 90),
];

fn colour(i: usize) -> RGBColor {
    PALETTE.get(i % PALETTE.len()).copied().unwrap_or(BLACK)
}

fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK)
}

fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("chart: {e}")
}

/// A chart that can draw itself on any plotters backend.
trait Chart {
    /// Height in pixels (width is fixed).
    fn height(&self) -> u32;
    /// Draws on the (white) area.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// The chart as PNG or SVG bytes. Both come from the same SVG drawing: the PNG is that SVG
/// rasterised by resvg with the embedded font (so text is laid out properly everywhere).
fn render_bytes<C: Chart>(chart: &C, format: &str) -> Result<Vec<u8>> {
    register_font();
    let size = (WIDTH, chart.height());
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        chart.draw(&root)?;
        root.present().map_err(err)?;
    }
    match format {
        "png" => rasterise(&text, size),
        "svg" => Ok(embed_font(&text).into_bytes()),
        other => bail!("chart format {other}: use png or svg"),
    }
}

/// Writes `chart` to `out` as PNG or SVG.
fn render<C: Chart>(chart: &C, out: &Path, format: &str) -> Result<()> {
    let bytes = render_bytes(chart, format)?;
    std::fs::write(out, bytes).with_context(|| format!("cannot write {}", out.display()))
}

/// A survival chart as PNG or SVG bytes.
pub fn survival_chart_bytes(report: &SurvivalReport, format: &str) -> Result<Vec<u8>> {
    render_bytes(&SurvivalChart(report), format)
}

/// An incidence chart as PNG or SVG bytes: cases by site when the report is by site group
/// alone, otherwise the age-specific rate curves of each row (rates by year: the trend chart).
pub fn incidence_chart_bytes(report: &IncidenceReport, format: &str) -> Result<Vec<u8>> {
    if report.by == ["site_group"] {
        render_bytes(&SiteBars(report), format)
    } else {
        render_bytes(&AgeChart(report), format)
    }
}

/// Rasterises an SVG drawing to PNG bytes with the embedded font.
fn rasterise(svg: &str, (w, h): (u32, u32)) -> Result<Vec<u8>> {
    let mut options = resvg::usvg::Options::default();
    options.fontdb_mut().load_font_data(FONT.to_vec());
    options.font_family = FAMILY.to_owned();
    let tree = resvg::usvg::Tree::from_str(svg, &options).map_err(err)?;
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(w, h).ok_or_else(|| anyhow!("chart: empty size"))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(err)
}

/// Puts the font into the SVG (an @font-face data URL) so it renders the same everywhere.
fn embed_font(svg: &str) -> String {
    let data = base64::engine::general_purpose::STANDARD.encode(FONT);
    let style = format!(
        "<defs><style>@font-face{{font-family:'{FAMILY}';src:url(data:font/ttf;base64,{data}) format('truetype');}}</style></defs>"
    );
    match svg
        .find("<svg")
        .and_then(|s| svg[s..].find('>').map(|e| s + e))
    {
        Some(end) => {
            let (head, rest) = svg.split_at(end + 1);
            format!("{head}{style}{rest}")
        }
        None => svg.to_owned(),
    }
}

/// Round tick spacing for a range.
fn tick_step(max: f64, wanted: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / wanted;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 2.5 {
        2.5
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

struct SurvivalChart<'a>(&'a SurvivalReport);

impl Chart for SurvivalChart<'_> {
    fn height(&self) -> u32 {
        560 + 26 * self.0.groups.len().max(1) as u32 + 60
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let r = self.0;
        let table_h = 26 * r.groups.len().max(1) as u32 + 60;
        let (plot, table) = root.split_vertically(self.height() - table_h);
        let max_t = r
            .groups
            .iter()
            .flat_map(|g| g.curve.iter().map(|p| p.0))
            .fold(0.0, f64::max)
            .max(1.0);
        let max_y = r
            .groups
            .iter()
            .flat_map(|g| g.curve.iter().map(|p| p.3))
            .filter(|v| v.is_finite())
            .fold(1.0, f64::max)
            .min(1.5);
        let title = format!(
            "{} ({}% {} confidence band)",
            match r.method {
                "km" => "Kaplan-Meier observed survival",
                "actuarial" => "Actuarial observed survival",
                "ederer2" => "Ederer II relative survival",
                _ => "Pohar-Perme net survival",
            },
            (r.conf_level * 100.0).round(),
            r.conf_type
        );
        let left = 110;
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, font(24))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(left)
            .build_cartesian_2d(0.0..max_t * 1.02, 0.0..max_y)
            .map_err(err)?;
        let step = tick_step(max_t, 8.0);
        let ticks: Vec<f64> = (0..=((max_t / step) as usize))
            .map(|k| k as f64 * step)
            .collect();
        chart
            .configure_mesh()
            .x_desc(format!("Time since diagnosis ({})", r.time_unit))
            .x_labels(0)
            .disable_x_mesh()
            .y_desc(if r.method == "ederer2" || r.method == "pohar-perme" {
                "Relative / net survival"
            } else {
                "Proportion surviving"
            })
            .axis_desc_style(font(18))
            .label_style(font(15))
            .y_labels(11)
            .y_label_formatter(&|v| format!("{v:.1}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        // The time ticks, shared with the number-at-risk table below.
        for t in &ticks {
            chart
                .draw_series(LineSeries::new(
                    [(*t, 0.0), (*t, max_y)],
                    BLACK.mix(0.12).stroke_width(1),
                ))
                .map_err(err)?;
        }
        let tick_x: Vec<i32> = ticks
            .iter()
            .map(|t| chart.backend_coord(&(*t, 0.0)).0)
            .collect();
        let axis_y = chart.backend_coord(&(0.0, 0.0)).1;
        for (t, x) in ticks.iter().zip(&tick_x) {
            let label = format!("{t:.0}");
            plot.draw_text(&label, &font(15), (x - 4 * label.len() as i32, axis_y + 8))
                .map_err(err)?;
        }
        for (i, g) in r.groups.iter().enumerate() {
            let c = colour(i);
            // Band: the step curves of the limits, filled between.
            let mut upper: Vec<(f64, f64)> = Vec::new();
            let mut lower: Vec<(f64, f64)> = Vec::new();
            for (a, b) in g.curve.iter().zip(g.curve.iter().skip(1)) {
                if a.2.is_finite() && a.3.is_finite() {
                    upper.push((a.0, a.3));
                    upper.push((b.0, a.3));
                    lower.push((a.0, a.2));
                    lower.push((b.0, a.2));
                }
            }
            let mut poly = upper.clone();
            poly.extend(lower.iter().rev());
            if poly.len() > 2 {
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.15).filled())))
                    .map_err(err)?;
            }
            let mut steps: Vec<(f64, f64)> = Vec::with_capacity(g.curve.len() * 2);
            for (a, b) in g.curve.iter().zip(g.curve.iter().skip(1)) {
                steps.push((a.0, a.1));
                steps.push((b.0, a.1));
            }
            if let Some(last) = g.curve.last() {
                steps.push((last.0, last.1));
            }
            let label = match g.median.and_then(|m| m.estimate) {
                Some(m) => format!("{} (n = {}, median {m:.0} {})", g.group, g.n, r.time_unit),
                None => format!("{} (n = {})", g.group, g.n),
            };
            chart
                .draw_series(LineSeries::new(steps, c.stroke_width(2)))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3))
                });
        }
        chart
            .configure_series_labels()
            .label_font(font(15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;

        // Number at risk, under the time ticks.
        table
            .draw_text("Number at risk", &font(16), (20, 8))
            .map_err(err)?;
        for (i, g) in r.groups.iter().enumerate() {
            let y = 36 + 26 * i as i32;
            let name: String = g.group.chars().take(12).collect();
            table
                .draw_text(&name, &font(14).color(&colour(i)), (8, y))
                .map_err(err)?;
            for (t, x) in ticks.iter().zip(&tick_x) {
                let n = g.n_risk_at(*t).to_string();
                table
                    .draw_text(&n, &font(14), (x - 4 * n.len() as i32, y))
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}

struct TrendChart<'a> {
    trends: &'a [TrendRow],
    weighted: bool,
}

impl Chart for TrendChart<'_> {
    fn height(&self) -> u32 {
        650
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let years: Vec<i32> = self
            .trends
            .iter()
            .flat_map(|t| t.points.iter().map(|p| p.0))
            .collect();
        let (lo, hi) = (
            years.iter().copied().min().unwrap_or(2000),
            years.iter().copied().max().unwrap_or(2001),
        );
        let max_rate = self
            .trends
            .iter()
            .flat_map(|t| t.points.iter().map(|p| p.1))
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
            .max(1.0)
            * 1.15;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "Age-adjusted incidence by year, with the fitted annual percent change ({})",
                    if self.weighted {
                        "weighted"
                    } else {
                        "unweighted"
                    }
                ),
                font(22),
            )
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(f64::from(lo) - 0.5..f64::from(hi) + 0.5, 0.0..max_rate)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("Year of diagnosis")
            .y_desc("Rate per 100,000 (age-adjusted)")
            .axis_desc_style(font(18))
            .label_style(font(15))
            .x_labels(((hi - lo) as usize + 1).min(20))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        for (i, t) in self.trends.iter().enumerate() {
            let c = colour(i);
            chart
                .draw_series(
                    t.points
                        .iter()
                        .map(|p| Circle::new((f64::from(p.0), p.1), 5, c.filled())),
                )
                .map_err(err)?;
            let label = match &t.fit {
                Ok(f) => format!(
                    "{}: APC {:+.1}% ({:+.1} to {:+.1})",
                    t.group, f.apc, f.lower, f.upper
                ),
                Err(_) => format!("{}: no trend", t.group),
            };
            if let Ok(f) = &t.fit {
                let line: Vec<(f64, f64)> = (lo..=hi)
                    .map(|y| (f64::from(y), (f.intercept + f.slope * f64::from(y)).exp()))
                    .collect();
                chart
                    .draw_series(LineSeries::new(line, c.stroke_width(2)))
                    .map_err(err)?
                    .label(label)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3))
                    });
            } else {
                chart
                    .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                    .map_err(err)?
                    .label(label)
                    .legend(move |(x, y)| Circle::new((x + 12, y), 5, c.filled()));
            }
        }
        chart
            .configure_series_labels()
            .label_font(font(15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

/// Rates by year with the fitted APC line per group.
pub fn trend_chart(trends: &[TrendRow], out: &Path, format: &str, weighted: bool) -> Result<()> {
    render(&TrendChart { trends, weighted }, out, format)
}

struct AgeChart<'a>(&'a IncidenceReport);

impl Chart for AgeChart<'_> {
    fn height(&self) -> u32 {
        650
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let rate = |c: (f64, f64)| if c.1 > 0.0 { c.0 / c.1 * 1e5 } else { f64::NAN };
        let max_rate = self
            .0
            .rows
            .iter()
            .flat_map(|r| r.by_age.iter().map(|c| rate(*c)))
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
            .max(1.0)
            * 1.1;
        let mut chart = ChartBuilder::on(root)
            .caption("Age-specific incidence rates", font(24))
            .margin(20)
            .x_label_area_size(60)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.5..18.5, 0.0..max_rate)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("Age at diagnosis (years)")
            .y_desc("Rate per 100,000 per year")
            .axis_desc_style(font(18))
            .label_style(font(13))
            .x_labels(19)
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_label_formatter(&|v: &f64| {
                let i = v.round();
                if (v - i).abs() < 0.01 && (0.0..19.0).contains(&i) {
                    AGE_GROUPS_19
                        .get(i as usize)
                        .copied()
                        .unwrap_or("")
                        .to_owned()
                } else {
                    String::new()
                }
            })
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        for (i, r) in self.0.rows.iter().enumerate() {
            let c = colour(i);
            let pts: Vec<(f64, f64)> = r
                .by_age
                .iter()
                .enumerate()
                .map(|(a, cell)| (a as f64, rate(*cell)))
                .filter(|p| p.1.is_finite())
                .collect();
            let label = if r.keys.is_empty() {
                "all".to_owned()
            } else {
                r.keys.join(" / ")
            };
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3))
                });
            chart
                .draw_series(pts.iter().map(|p| Circle::new(*p, 3, c.filled())))
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .label_font(font(15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

struct SiteBars<'a>(&'a IncidenceReport);

impl Chart for SiteBars<'_> {
    fn height(&self) -> u32 {
        140 + 24 * self.0.rows.len().clamp(1, 40) as u32
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let mut rows: Vec<(&str, u64)> = self
            .0
            .rows
            .iter()
            .filter(|r| !r.suppressed)
            .map(|r| (r.keys.first().map_or("all", |k| k.as_str()), r.count))
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.1));
        rows.truncate(40);
        let n = rows.len().max(1);
        let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64 * 1.12;
        let mut chart = ChartBuilder::on(root)
            .caption("Cases by site group (SEER site recode)", font(24))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(300)
            .build_cartesian_2d(0.0..max, (0..n).into_segmented())
            .map_err(err)?;
        let labels: Vec<String> = rows.iter().map(|r| r.0.to_owned()).collect();
        chart
            .configure_mesh()
            .x_desc("Tumors (malignant)")
            .axis_desc_style(font(18))
            .label_style(font(14))
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => (n - 1)
                    .checked_sub(*i)
                    .and_then(|k| labels.get(k))
                    .cloned()
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .x_label_formatter(&|v| format!("{v:.0}"))
            .disable_y_mesh()
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                let y = (n - 1).saturating_sub(i);
                Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(y)),
                        (r.1 as f64, SegmentValue::Exact(y + 1)),
                    ],
                    colour(0).mix(0.85).filled(),
                )
            }))
            .map_err(err)?;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                let y = (n - 1).saturating_sub(i);
                Text::new(
                    r.1.to_string(),
                    (r.1 as f64 + max * 0.01, SegmentValue::CenterOf(y)),
                    font(13),
                )
            }))
            .map_err(err)?;
        Ok(())
    }
}
