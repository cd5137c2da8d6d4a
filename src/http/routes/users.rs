//! Accounts, for administrators.

use crate::app::Registry;
use crate::app::auth::{Account, NewAccount};
use crate::core::auth::{FacilityScope, Role, UserId};
use crate::http::error::{ApiError, ErrorEnvelope};
use crate::http::extract::{Authorized, ManagesUsers};
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An account (never its password).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    /// Immutable id.
    pub id: i64,
    /// Login name.
    pub login: String,
    /// admin, central, registrar or researcher.
    pub role: String,
    /// Facility codes it may see, or ["*"] for all.
    pub facilities: Vec<String>,
    /// active or disabled.
    pub status: String,
    /// When the password was last set (UTC).
    pub password_changed_at: DateTime<Utc>,
    /// Created (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<Account> for UserDto {
    fn from(a: Account) -> Self {
        Self {
            id: a.id.0,
            login: a.login,
            role: a.role.as_str().to_owned(),
            facilities: match &a.scope {
                FacilityScope::All => vec!["*".to_owned()],
                FacilityScope::Facilities(f) => f.iter().cloned().collect(),
            },
            status: a.status.as_str().to_owned(),
            password_changed_at: a.password_changed_at.and_utc(),
            created_at: a.created_at.and_utc(),
        }
    }
}

/// Accounts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserList {
    /// In id order.
    pub items: Vec<UserDto>,
}

/// A new account.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUserBody {
    /// Login name (letters, digits, '.', '_', '-', '@'; up to 64).
    pub login: String,
    /// admin, central, registrar or researcher.
    pub role: String,
    /// Facility codes (Reporting Facility, 10 digits) a registrar may see; ["*"] or none for
    /// all (other roles).
    #[serde(default)]
    pub facilities: Vec<String>,
    /// Initial password: 12 to 128 characters, not a common one, not containing the login.
    pub password: String,
}

/// A new password.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordBody {
    /// The new password.
    pub password: String,
}

fn parse_role(role: &str) -> Result<Role, ApiError> {
    Role::parse(role).ok_or_else(|| {
        ApiError::field(
            "role",
            "invalid_role",
            "role must be admin, central, registrar or researcher",
        )
    })
}

fn parse_scope(facilities: &[String]) -> Result<FacilityScope, ApiError> {
    if facilities.is_empty() || facilities.iter().any(|f| f == "*") {
        return Ok(FacilityScope::All);
    }
    facilities.join(",").parse::<FacilityScope>().map_err(|_| {
        ApiError::field(
            "facilities",
            "invalid_scope",
            "facilities must be facility codes, or [\"*\"] for all",
        )
    })
}

/// List accounts (admin).
#[utoipa::path(
    tag = "users",
    responses(
        (status = 200, description = "Accounts", body = UserList),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
    )
)]
#[get("/users")]
pub async fn list_users(
    caller: Authorized<ManagesUsers>,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    let accounts = registry.list_accounts(&caller.0).await?;
    Ok(HttpResponse::Ok().json(UserList {
        items: accounts.into_iter().map(UserDto::from).collect(),
    }))
}

/// Create an account (admin).
#[utoipa::path(
    tag = "users",
    request_body = NewUserBody,
    responses(
        (status = 201, description = "Created", body = UserDto),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 422, description = "Invalid login, role, facilities or weak password", body = ErrorEnvelope),
    )
)]
#[post("/users")]
pub async fn create_user(
    caller: Authorized<ManagesUsers>,
    registry: web::Data<Registry>,
    body: web::Json<NewUserBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let account = registry
        .add_account(
            &caller.0,
            NewAccount {
                role: parse_role(&body.role)?,
                scope: parse_scope(&body.facilities)?,
                login: body.login,
                password: body.password,
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(UserDto::from(account)))
}

/// Disable an account (admin): its sessions end at once.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "Account id")),
    responses(
        (status = 200, description = "Disabled", body = UserDto),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such account", body = ErrorEnvelope),
    )
)]
#[post("/users/{id}/disable")]
pub async fn disable_user(
    caller: Authorized<ManagesUsers>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let account = registry
        .disable_account(&caller.0, UserId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(UserDto::from(account)))
}

/// Set a new password for an account (admin): its sessions end at once.
#[utoipa::path(
    tag = "users",
    params(("id" = i64, Path, description = "Account id")),
    request_body = PasswordBody,
    responses(
        (status = 200, description = "Password set", body = UserDto),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such account", body = ErrorEnvelope),
        (status = 422, description = "Weak password", body = ErrorEnvelope),
    )
)]
#[post("/users/{id}/password")]
pub async fn reset_user_password(
    caller: Authorized<ManagesUsers>,
    registry: web::Data<Registry>,
    id: web::Path<i64>,
    body: web::Json<PasswordBody>,
) -> Result<HttpResponse, ApiError> {
    let account = registry
        .reset_password(
            &caller.0,
            UserId(id.into_inner()),
            body.into_inner().password,
        )
        .await?;
    Ok(HttpResponse::Ok().json(UserDto::from(account)))
}
