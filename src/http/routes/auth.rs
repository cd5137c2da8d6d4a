//! Logging in and out: access tokens, refresh tokens, sessions.

use crate::app::Registry;
use crate::app::auth::TokenPair;
use crate::http::error::{ApiError, ErrorEnvelope};
use crate::http::extract::Caller;
use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A login.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginBody {
    /// Login name.
    pub login: String,
    /// Password.
    pub password: String,
}

/// A refresh.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshBody {
    /// The refresh token of the last login or refresh (each works once).
    pub refresh_token: String,
}

/// Tokens: send `Authorization: Bearer <accessToken>`; before it expires, trade the refresh
/// token for new ones at /api/v1/auth/refresh.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenDto {
    /// The access token (JWT).
    pub access_token: String,
    /// Always "Bearer".
    pub token_type: &'static str,
    /// Seconds until the access token expires (900).
    pub expires_in: i64,
    /// The refresh token (opaque; usable once).
    pub refresh_token: String,
    /// Seconds until the session ends; log in again after that.
    pub refresh_expires_in: i64,
}

impl From<TokenPair> for TokenDto {
    fn from(t: TokenPair) -> Self {
        Self {
            access_token: t.access_token,
            token_type: "Bearer",
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
            refresh_expires_in: t.refresh_expires_in,
        }
    }
}

/// Log in with a login name and password.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = LoginBody,
    responses(
        (status = 200, description = "Logged in", body = TokenDto),
        (status = 401, description = "Wrong login name or password", body = ErrorEnvelope),
        (status = 429, description = "Too many failed logins", body = ErrorEnvelope, headers(("Retry-After" = u64))),
    )
)]
#[post("/auth/login")]
pub async fn login(
    caller: Caller,
    registry: web::Data<Registry>,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let tokens = registry.login(&caller.0, body.login, body.password).await?;
    Ok(HttpResponse::Ok().json(TokenDto::from(tokens)))
}

/// Trade a refresh token for new tokens. Presenting a refresh token twice ends its session.
#[utoipa::path(
    tag = "auth",
    security(()),
    request_body = RefreshBody,
    responses(
        (status = 200, description = "New tokens", body = TokenDto),
        (status = 401, description = "Unknown, used or expired refresh token", body = ErrorEnvelope),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh_token(
    caller: Caller,
    registry: web::Data<Registry>,
    body: web::Json<RefreshBody>,
) -> Result<HttpResponse, ApiError> {
    let tokens = registry
        .refresh(&caller.0, body.into_inner().refresh_token)
        .await?;
    Ok(HttpResponse::Ok().json(TokenDto::from(tokens)))
}

/// End this session: its access and refresh tokens stop working at once.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "No valid access token", body = ErrorEnvelope),
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    caller: Caller,
    registry: web::Data<Registry>,
) -> Result<HttpResponse, ApiError> {
    registry.logout(&caller.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
