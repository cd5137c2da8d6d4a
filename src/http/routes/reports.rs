//! Aggregate reports: survival and incidence over the stored abstracts, as JSON (stating the
//! method), CSV, PNG or SVG. Researchers get suppressed results only.

use crate::app::Registry;
use crate::app::reports::{Answer, ReportFilter};
use crate::app::stats::{
    Dim, IncidenceRequest, SurvivalMethod, SurvivalRequest, TimeUnit, standard_population,
    write_incidence_csv, write_survival_csv,
};
use crate::core::problem::Problem;
use crate::core::stats::ConfType;
use crate::core::stats::incidence::RateCi;
use crate::http::error::{ApiError, ErrorEnvelope};
use crate::http::extract::{Authorized, ReadsAggregates};
use actix_web::{HttpResponse, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The answer's format.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// json (default), csv, png or svg.
    pub format: Option<String>,
}

/// Diagnosis years, inclusive.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct YearRange {
    /// First year.
    pub from: i32,
    /// Last year.
    pub to: i32,
}

/// Which tumors a report covers (every filter optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FiltersBody {
    /// SEER site recode group names (`Breast`, `Lung and Bronchus`).
    #[serde(default)]
    pub site_groups: Vec<String>,
    /// Sex Assigned at Birth codes (`1`, `2`).
    #[serde(default)]
    pub sex: Vec<String>,
    /// Diagnosis years.
    pub years: Option<YearRange>,
    /// Counties at diagnosis (County at DX codes).
    #[serde(default)]
    pub areas: Vec<String>,
    /// Summary stage codes.
    #[serde(default)]
    pub stages: Vec<String>,
}

impl FiltersBody {
    fn into_filter(self) -> Result<ReportFilter, ApiError> {
        if let Some(y) = &self.years
            && y.from > y.to
        {
            return Err(invalid("years", "years.from is after years.to"));
        }
        Ok(ReportFilter {
            site_groups: self.site_groups,
            sex: self.sex,
            years: self.years.map(|y| (y.from, y.to)),
            areas: self.areas,
            stages: self.stages,
        })
    }
}

fn invalid(item: &str, message: &str) -> ApiError {
    ApiError::from(crate::app::AppError::invalid(
        Problem::new("invalid_report_request", message).for_item(item),
    ))
}

/// A survival report request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SurvivalBody {
    /// km (default), actuarial, ederer2 or pohar-perme.
    pub method: Option<String>,
    /// days (default) or months.
    pub time_unit: Option<String>,
    /// Report at these times (default: every death time).
    #[serde(default)]
    pub times: Vec<f64>,
    /// Actuarial interval width.
    pub interval: Option<f64>,
    /// log-log (default), log or plain.
    pub conf_type: Option<String>,
    /// site-group, sex, year, area, stage, or an item's naaccrId.
    pub group_by: Option<String>,
    /// Study cutoff (default: today).
    pub cutoff: Option<NaiveDate>,
    /// Filters.
    #[serde(default)]
    pub filters: FiltersBody,
}

/// An incidence report request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncidenceBody {
    /// us2000 (default), segi or who2000.
    pub standard: Option<String>,
    /// tiwari (default) or fay-feuer.
    pub ci: Option<String>,
    /// Columns: year, sex, site-group, county.
    #[serde(default)]
    pub by: Vec<String>,
    /// Filters.
    #[serde(default)]
    pub filters: FiltersBody,
}

/// How a report was released.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuppressionDto {
    /// Whether small cells were suppressed.
    pub applied: bool,
    /// The largest count hidden as small (counts from 1 to it), when applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u64>,
    /// How: primary and complementary suppression over every margin.
    pub rule: &'static str,
}

fn suppression<R>(a: &Answer<R>) -> SuppressionDto {
    SuppressionDto {
        applied: a.suppressed_at.is_some(),
        threshold: a.suppressed_at,
        rule: if a.suppressed_at.is_some() {
            "counts from 1 to the threshold, and enough others that none can be worked out from the totals and margins, are hidden with every figure computed from them"
        } else {
            "none: the caller may read patient data"
        },
    }
}

fn respond<R: Serialize>(
    answer: Answer<R>,
    format: Option<&str>,
    csv: impl Fn(&R, &mut Vec<u8>) -> std::io::Result<()>,
    chart: impl Fn(&R, &str) -> anyhow::Result<Vec<u8>>,
) -> Result<HttpResponse, ApiError> {
    match format.unwrap_or("json") {
        "json" => {
            let mut v = serde_json::to_value(&answer.report)
                .map_err(|e| ApiError::from(crate::app::AppError::Internal(e.to_string())))?;
            null_hidden_counts(&mut v);
            if let Some(o) = v.as_object_mut() {
                o.insert(
                    "suppression".into(),
                    serde_json::to_value(suppression(&answer)).unwrap_or_default(),
                );
            }
            Ok(HttpResponse::Ok().json(v))
        }
        "csv" => {
            let mut buf = Vec::new();
            csv(&answer.report, &mut buf)
                .map_err(|e| ApiError::from(crate::app::AppError::Internal(e.to_string())))?;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .body(buf))
        }
        f @ ("png" | "svg") => {
            let bytes = chart(&answer.report, f)
                .map_err(|e| ApiError::from(crate::app::AppError::Internal(e.to_string())))?;
            let ct = if f == "png" {
                "image/png"
            } else {
                "image/svg+xml"
            };
            Ok(HttpResponse::Ok().content_type(ct).body(bytes))
        }
        _ => Err(invalid("format", "format must be json, csv, png or svg")),
    }
}

/// Hidden counts are `null`, never 0 (which would be a real value): in every object marked
/// `suppressed`, the count fields.
fn null_hidden_counts(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            if o.get("suppressed") == Some(&serde_json::Value::Bool(true)) {
                for key in ["count", "n", "events", "n_risk", "n_event"] {
                    if let Some(x) = o.get_mut(key) {
                        *x = serde_json::Value::Null;
                    }
                }
            }
            for x in o.values_mut() {
                null_hidden_counts(x);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(null_hidden_counts),
        _ => {}
    }
}

/// Survival by group over the stored abstracts: Kaplan-Meier, actuarial, Ederer II relative
/// or Pohar-Perme net survival (US life table), with SEER's survival time. Researchers get
/// suppressed results.
#[utoipa::path(
    tag = "reports",
    params(FormatQuery),
    request_body = SurvivalBody,
    responses(
        (status = 200, description = "The report (JSON states the method; CSV, PNG or SVG with ?format)"),
        (status = 422, description = "Bad method, unit, interval type or filter", body = ErrorEnvelope),
    )
)]
#[post("/reports/survival")]
pub async fn survival(
    caller: Authorized<ReadsAggregates>,
    registry: web::Data<Registry>,
    query: web::Query<FormatQuery>,
    body: web::Json<SurvivalBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let method = SurvivalMethod::parse(b.method.as_deref().unwrap_or("km")).ok_or_else(|| {
        invalid(
            "method",
            "method must be km, actuarial, ederer2 or pohar-perme",
        )
    })?;
    let time_unit = TimeUnit::parse(b.time_unit.as_deref().unwrap_or("days"))
        .ok_or_else(|| invalid("timeUnit", "timeUnit must be days or months"))?;
    let conf_type = ConfType::parse(b.conf_type.as_deref().unwrap_or("log-log"))
        .ok_or_else(|| invalid("confType", "confType must be log-log, log or plain"))?;
    if b.times.iter().any(|t| !t.is_finite() || *t < 0.0) || b.times.len() > 1000 {
        return Err(invalid("times", "times must be at most 1,000 numbers >= 0"));
    }
    let interval = b.interval.unwrap_or(0.0);
    if !interval.is_finite() || interval < 0.0 {
        return Err(invalid("interval", "interval must be a number > 0"));
    }
    let request = SurvivalRequest {
        method,
        time_unit,
        times: b.times,
        interval,
        conf_type,
        level: 0.95,
    };
    let cutoff = b.cutoff;
    let answer = registry
        .survival_report(
            &caller.0,
            request,
            cutoff,
            b.group_by.unwrap_or_default(),
            b.filters.into_filter()?,
            registry.suppression_threshold(),
        )
        .await?;
    respond(
        answer,
        query.format.as_deref(),
        |r, w| write_survival_csv(r, w),
        crate::app::charts::survival_chart_bytes,
    )
}

/// Incidence over the stored abstracts and population: counts, crude and age-adjusted rates
/// per 100,000 with Tiwari or Fay-Feuer intervals. Researchers get suppressed results.
#[utoipa::path(
    tag = "reports",
    params(FormatQuery),
    request_body = IncidenceBody,
    responses(
        (status = 200, description = "The report (JSON states the standard and interval; CSV, PNG or SVG with ?format)"),
        (status = 422, description = "Bad standard, interval, column or filter, or no population stored", body = ErrorEnvelope),
    )
)]
#[post("/reports/incidence")]
pub async fn incidence(
    caller: Authorized<ReadsAggregates>,
    registry: web::Data<Registry>,
    query: web::Query<FormatQuery>,
    body: web::Json<IncidenceBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let standard = standard_population(b.standard.as_deref().unwrap_or("us2000"))
        .ok_or_else(|| invalid("standard", "standard must be us2000, segi or who2000"))?;
    let ci = RateCi::parse(b.ci.as_deref().unwrap_or("tiwari"))
        .ok_or_else(|| invalid("ci", "ci must be tiwari or fay-feuer"))?;
    let mut by = Vec::new();
    for d in &b.by {
        let dim = Dim::parse(d).ok_or_else(|| {
            invalid(
                "by",
                "by must list year, sex, site-group, county or age-group",
            )
        })?;
        if by.contains(&dim) {
            return Err(invalid("by", "a column is listed twice"));
        }
        by.push(dim);
    }
    let filter = b.filters.into_filter()?;
    let years = filter.years;
    let answer = registry
        .incidence_report(
            &caller.0,
            IncidenceRequest {
                by,
                years,
                standard,
                ci,
            },
            filter,
            registry.suppression_threshold(),
        )
        .await?;
    respond(
        answer,
        query.format.as_deref(),
        |r, w| write_incidence_csv(r, w),
        crate::app::charts::incidence_chart_bytes,
    )
}
