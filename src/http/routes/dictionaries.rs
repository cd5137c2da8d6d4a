//! The NAACCR data dictionaries the registry validates against, for people and programs that
//! need an item's definition.

use crate::app::Registry;
use crate::core::naaccr::{DictionarySet, ItemDef};
use crate::http::error::{ApiError, ErrorCode, ErrorEnvelope};
use crate::http::extract::{Authorized, ReadsDictionaries};
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

/// One dictionary version.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DictionaryInfo {
    /// NAACCR version ("260").
    pub version: String,
    /// Whether requests that name no version use this one.
    pub default: bool,
    /// The base dictionary's URI (as in a data file's baseDictionaryUri).
    pub base_dictionary_uri: String,
    /// The base dictionary's specification version.
    pub specification_version: String,
    /// Items defined, base and user together.
    pub item_count: usize,
    /// Items by level: NaaccrData, Patient, Tumor.
    pub items_by_level: ItemsByLevel,
    /// The user-defined dictionaries loaded for this version, by URI.
    pub user_dictionaries: Vec<String>,
}

/// Item counts per level.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ItemsByLevel {
    /// Root-level items.
    pub naaccr_data: usize,
    /// Patient-level items.
    pub patient: usize,
    /// Tumor-level items.
    pub tumor: usize,
}

/// The dictionaries known.
#[derive(Debug, Serialize, ToSchema)]
pub struct DictionaryList {
    /// Oldest first.
    pub dictionaries: Vec<DictionaryInfo>,
}

/// One item's definition, as the dictionary gives it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemDefDto {
    /// The item's XML id.
    pub naaccr_id: String,
    /// The item's number.
    pub naaccr_num: u32,
    /// The item's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub naaccr_name: Option<String>,
    /// Maximum length in characters.
    pub length: u32,
    /// text, digits, alpha, mixed, numeric, date or dateTime.
    pub data_type: String,
    /// NaaccrData, Patient or Tumor.
    pub parent_xml_element: String,
    /// Whether the length may be exceeded.
    pub allow_unlimited_text: bool,
    /// Record types the item belongs to (A, M, C, I).
    pub record_types: Vec<String>,
    /// none or leftZero (older specifications allowed more).
    pub padding: String,
    /// The dictionary's own pattern, when it gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex_validation: Option<String>,
    /// The standard-setter that defines the item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_of_standard: Option<String>,
    /// The URI of the dictionary that defines it.
    pub dictionary_uri: String,
}

impl ItemDefDto {
    fn new(item: &ItemDef, dictionary_uri: &str) -> Self {
        Self {
            naaccr_id: item.naaccr_id.clone(),
            naaccr_num: item.naaccr_num,
            naaccr_name: item.naaccr_name.clone(),
            length: item.length,
            data_type: item.data_type.as_str().to_owned(),
            parent_xml_element: item.parent.as_str().to_owned(),
            allow_unlimited_text: item.allow_unlimited_text,
            record_types: item
                .record_types
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            padding: item.padding.as_str().to_owned(),
            regex_validation: item.regex_pattern().map(str::to_owned),
            source_of_standard: item.source_of_standard.clone(),
            dictionary_uri: dictionary_uri.to_owned(),
        }
    }
}

fn info(version: &str, default: bool, set: &DictionarySet) -> DictionaryInfo {
    use crate::core::naaccr::ParentElement as P;
    let count = |level: P| set.items().filter(|i| i.parent == level).count();
    DictionaryInfo {
        version: version.to_owned(),
        default,
        base_dictionary_uri: set.base().map(|b| b.uri().to_owned()).unwrap_or_default(),
        specification_version: set
            .base()
            .map(|b| b.specification_version().to_string())
            .unwrap_or_default(),
        item_count: set.item_count(),
        items_by_level: ItemsByLevel {
            naaccr_data: count(P::NaaccrData),
            patient: count(P::Patient),
            tumor: count(P::Tumor),
        },
        user_dictionaries: set
            .user_dictionaries()
            .iter()
            .map(|u| u.uri().to_owned())
            .collect(),
    }
}

/// The NAACCR dictionary versions known, with item counts.
#[utoipa::path(
    tag = "dictionaries",
    responses((status = 200, description = "Oldest first", body = DictionaryList))
)]
#[get("/dictionaries")]
pub async fn list_dictionaries(
    _caller: Authorized<ReadsDictionaries>,
    registry: web::Data<Registry>,
) -> HttpResponse {
    let d = registry.dictionaries();
    HttpResponse::Ok().json(DictionaryList {
        dictionaries: d
            .iter()
            .map(|(v, set)| info(v, v == d.default_version(), set))
            .collect(),
    })
}

/// One item's definition in one dictionary version.
#[utoipa::path(
    tag = "dictionaries",
    params(
        ("version" = String, Path, description = "NAACCR version, e.g. 260"),
        ("naaccrId" = String, Path, description = "Item id, e.g. primarySite"),
    ),
    responses(
        (status = 200, description = "The item", body = ItemDefDto),
        (status = 404, description = "No such version or item", body = ErrorEnvelope),
    )
)]
#[get("/dictionaries/{version}/items/{naaccrId}")]
pub async fn find_dictionary_item(
    _caller: Authorized<ReadsDictionaries>,
    registry: web::Data<Registry>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (version, naaccr_id) = path.into_inner();
    let set = registry.dictionaries().get(&version).ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            format!(
                "no NAACCR dictionary version '{}'; known: {}",
                version.chars().take(16).collect::<String>(),
                registry.dictionaries().versions().join(", ")
            ),
        )
    })?;
    let item = set.item(&naaccr_id).ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            format!(
                "'{}' is not an item of NAACCR dictionary {version}",
                naaccr_id.chars().take(64).collect::<String>()
            ),
        )
    })?;
    // The dictionary that defines the item: a user dictionary, or else the base one.
    let uri = set
        .user_dictionaries()
        .iter()
        .find(|u| u.item(&naaccr_id).is_some())
        .or(set.base())
        .map(|d| d.uri().to_owned())
        .unwrap_or_default();
    Ok(HttpResponse::Ok().json(ItemDefDto::new(item, &uri)))
}
