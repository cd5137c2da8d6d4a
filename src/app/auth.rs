//! Authentication: passwords (Argon2id), login with throttling, short-lived access tokens
//! (JWT, HS256) bound to a server-side session, rotating refresh tokens, logout, and accounts.
//!
//! Every access token names its session (`sid`); each request checks that the session is live
//! and its account active, so logging out or disabling an account ends its tokens at once. Role
//! and facilities come from the account as stored now, never from the token.

use super::{AppError, Registry};
use crate::core::audit::{AuditEvent, Outcome};
use crate::core::auth::{
    CommonPasswords, FacilityScope, LoginThrottle, Role, ThrottlePolicy, UserId, UserStatus,
    check_password,
};
use crate::core::problem::Problem;
use crate::store::security::{self as sq, NewUser, UserRow};
use crate::store::{AnyConnection, StoreError, write_transaction};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm as ArgonAlgorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, NaiveDateTime};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use thiserror::Error;

/// The `iss` of every token this service issues and accepts.
pub const ISSUER: &str = "tumor-registry";
/// The `aud` of access tokens.
pub const AUDIENCE: &str = "tumor-registry-api";
/// Access tokens live 15 minutes (OWASP ASVS 5.0 V7/V9: short-lived, revocable sessions).
pub const ACCESS_TOKEN_MINUTES: i64 = 15;
/// A login session (its refresh-token family) ends 12 hours after login, refreshed or not.
pub const SESSION_HOURS: i64 = 12;
/// Clock skew allowed on `exp`, `nbf` and `iat` (jsonwebtoken's default of 60 s is too lax).
pub const LEEWAY_SECONDS: i64 = 5;
/// The one algorithm accepted: HMAC-SHA-256 with the server's own key. Never taken from a
/// token's header.
const ALGORITHM: Algorithm = Algorithm::HS256;
/// The `typ` claim of access tokens, so that no other token of ours passes as one.
const ACCESS_TYPE: &str = "access";
/// Shortest signing key accepted (RFC 7518 section 3.2: at least the hash size).
const MIN_KEY_BYTES: usize = 32;

/// Argon2id with the OWASP Password Storage Cheat Sheet's first configuration:
/// m = 19 MiB, t = 2, p = 1.
fn argon2() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| AppError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(
        ArgonAlgorithm::Argon2id,
        Version::V0x13,
        params,
    ))
}

/// Why the authentication settings are unusable.
#[derive(Debug, Error)]
pub enum AuthSetupError {
    /// The signing key is too short.
    #[error("the token signing key must be at least {MIN_KEY_BYTES} bytes, got {0}")]
    KeyTooShort(usize),
    /// The system's random source failed.
    #[error("no random numbers: {0}")]
    Random(String),
    /// Hashing the reference password failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// The keys access tokens are signed and checked with: the current one, and during a rotation
/// the previous one (accepted for checking only, for at most one access-token lifetime).
#[derive(Clone)]
pub struct SigningKeys {
    current: Vec<u8>,
    previous: Option<Vec<u8>>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKeys(..)")
    }
}

impl SigningKeys {
    /// Keys from their bytes; each at least 32 bytes.
    pub fn new(current: Vec<u8>, previous: Option<Vec<u8>>) -> Result<Self, AuthSetupError> {
        for k in std::iter::once(&current).chain(previous.iter()) {
            if k.len() < MIN_KEY_BYTES {
                return Err(AuthSetupError::KeyTooShort(k.len()));
            }
        }
        Ok(Self { current, previous })
    }

    /// A fresh random 256-bit key.
    pub fn generate() -> Result<Self, AuthSetupError> {
        Ok(Self {
            current: random_bytes(32)?,
            previous: None,
        })
    }

    /// The current key as text (base64url), for storing in a key file.
    pub fn current_as_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.current)
    }

    /// A key from its text form (base64url, as written by [`Self::current_as_text`]).
    pub fn key_from_text(text: &str) -> Option<Vec<u8>> {
        URL_SAFE_NO_PAD.decode(text.trim()).ok()
    }
}

fn random_bytes(n: usize) -> Result<Vec<u8>, AuthSetupError> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| AuthSetupError::Random(e.to_string()))?;
    Ok(buf)
}

/// Settings of authentication.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Token signing keys.
    pub keys: SigningKeys,
    /// Throttling of failed logins per account.
    pub account_throttle: ThrottlePolicy,
    /// Throttling of failed logins per client address.
    pub address_throttle: ThrottlePolicy,
    /// Most password hashes computed at once (each takes 19 MiB and a core for ~tens of ms).
    pub max_concurrent_hashes: usize,
    /// The common passwords refused by the password policy.
    pub common_passwords: Arc<CommonPasswords>,
}

/// The list of common passwords shipped in `schemas/security/`.
pub fn builtin_common_passwords() -> CommonPasswords {
    CommonPasswords::parse(include_str!("../../schemas/security/common-passwords.txt"))
}

impl AuthSettings {
    /// Default settings around `keys`.
    pub fn new(keys: SigningKeys) -> Self {
        Self {
            keys,
            account_throttle: ThrottlePolicy::per_account(),
            address_throttle: ThrottlePolicy::per_address(),
            max_concurrent_hashes: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .max(2),
            common_passwords: Arc::new(builtin_common_passwords()),
        }
    }
}

/// Authentication state shared by all requests.
pub struct Auth {
    settings: AuthSettings,
    account_throttle: Mutex<LoginThrottle>,
    address_throttle: Mutex<LoginThrottle>,
    hashing: tokio::sync::Semaphore,
    /// A hash of a random password, verified when the login name is unknown, so that an
    /// unknown account costs the same time as a wrong password (no account enumeration).
    dummy_hash: String,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Auth(..)")
    }
}

impl Auth {
    /// Authentication with these settings.
    pub fn new(settings: AuthSettings) -> Result<Self, AuthSetupError> {
        let dummy = URL_SAFE_NO_PAD.encode(random_bytes(24)?);
        let dummy_hash =
            hash_password_blocking(&dummy).map_err(|e| AuthSetupError::Hash(e.to_string()))?;
        Ok(Self {
            account_throttle: Mutex::new(LoginThrottle::new(settings.account_throttle, 100_000)),
            address_throttle: Mutex::new(LoginThrottle::new(settings.address_throttle, 100_000)),
            hashing: tokio::sync::Semaphore::new(settings.max_concurrent_hashes.max(1)),
            dummy_hash,
            settings,
        })
    }
}

/// Hashes a password with Argon2id and a fresh salt (blocking: call off the async workers).
fn hash_password_blocking(password: &str) -> Result<String, AppError> {
    let salt_bytes = random_bytes(16).map_err(|e| AppError::Internal(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| AppError::Internal(format!("salt: {e}")))?;
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

/// Whether `password` matches the PHC string `hash` (blocking).
fn verify_password_blocking(hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    argon2()
        .map(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Who is calling: an authenticated account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account's immutable id.
    pub user_id: UserId,
    /// Its login name.
    pub login: String,
    /// Its role, as stored now.
    pub role: Role,
    /// The facilities it may see, as stored now.
    pub scope: FacilityScope,
    /// The session (row id) the token belongs to.
    pub session: i64,
}

/// Where a request comes from: its caller (if authenticated), its id, its client address.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The authenticated caller; none for logins and for the command line.
    pub principal: Option<Principal>,
    /// The request id (also in the `X-Request-Id` header and in logs).
    pub request_id: Option<String>,
    /// The client address, for throttling and the audit trail.
    pub client: Option<String>,
    /// Set for work done from the command line on the server itself.
    pub system: Option<String>,
    /// Set once an audit event has been made for this request (shared by its clones), so the
    /// HTTP layer can record the requests that failed before reaching a use case.
    pub audited: Arc<std::sync::atomic::AtomicBool>,
}

impl RequestContext {
    /// Work done by an operator from the command line (`label` names the command).
    pub fn system(label: &str) -> Self {
        Self {
            system: Some(label.to_owned()),
            ..Self::default()
        }
    }

    /// An audit event for this caller; marks the request as audited.
    pub fn event(&self, action: &str, outcome: Outcome, at: NaiveDateTime) -> AuditEvent {
        self.audited
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let p = self.principal.as_ref();
        AuditEvent {
            at,
            user_id: p.map(|p| p.user_id.0),
            login: p
                .map(|p| p.login.clone())
                .or_else(|| self.system.as_ref().map(|s| format!("system:{s}"))),
            role: p.map(|p| p.role.as_str().to_owned()),
            action: action.to_owned(),
            entity_kind: None,
            entity_id: None,
            request_id: self.request_id.clone(),
            outcome,
            items: Vec::new(),
            detail: None,
        }
    }
}

/// What a login or refresh gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    /// The access token (a JWT), sent as `Authorization: Bearer ...`.
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The opaque refresh token, usable once.
    pub refresh_token: String,
    /// Seconds until the session ends (no refresh beyond it).
    pub refresh_expires_in: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    sid: String,
    typ: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: String,
}

/// An account as shown to administrators (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Immutable id.
    pub id: UserId,
    /// Login name.
    pub login: String,
    /// Role.
    pub role: Role,
    /// Facilities it may see.
    pub scope: FacilityScope,
    /// Active or disabled.
    pub status: UserStatus,
    /// When the password was last set (UTC).
    pub password_changed_at: NaiveDateTime,
    /// When the account was created (UTC).
    pub created_at: NaiveDateTime,
}

fn account_from_row(row: UserRow) -> Result<Account, AppError> {
    let corrupt = |what: &str| {
        AppError::Store(StoreError::Corrupt {
            what: "account",
            reason: format!("account {} has an unknown {what}", row.id),
        })
    };
    Ok(Account {
        id: UserId(row.id),
        role: Role::parse(&row.role).ok_or_else(|| corrupt("role"))?,
        scope: row
            .facilities
            .parse::<FacilityScope>()
            .map_err(|_| corrupt("facility scope"))?,
        status: UserStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        login: row.login,
        password_changed_at: row.password_changed_at,
        created_at: row.created_at,
    })
}

/// A new account as asked for.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login name: 1-64 characters, letters, digits, `.`, `_`, `-`, `@`.
    pub login: String,
    /// Role.
    pub role: Role,
    /// Facilities it may see.
    pub scope: FacilityScope,
    /// Initial password (checked against the password policy).
    pub password: String,
}

fn seconds_since_epoch(t: NaiveDateTime) -> std::time::Duration {
    std::time::Duration::from_micros(
        u64::try_from(t.and_utc().timestamp_micros()).unwrap_or_default(),
    )
}

fn sha256_hex(text: &str) -> String {
    crate::core::hex::lower_hex(&Sha256::digest(text.as_bytes()))
}

/// After an account change that must end its sessions (disable, password reset): ends them,
/// audits `action` and reads the account back. `changed` is whether the account existed.
fn end_sessions_after(
    conn: &mut AnyConnection,
    ctx: &RequestContext,
    changed: bool,
    id: UserId,
    action: &str,
    now: NaiveDateTime,
) -> Result<Account, AppError> {
    if !changed {
        return Err(AppError::NotFoundUser { id: id.0 });
    }
    sq::revoke_sessions_of_user(conn, id.0, action, now)?;
    let mut e = ctx.event(action, Outcome::Success, now);
    e.entity_kind = Some("user".into());
    e.entity_id = Some(id.0);
    sq::append_audit_event(conn, &e)?;
    account_from_row(sq::find_user(conn, id.0)?.ok_or(AppError::NotFoundUser { id: id.0 })?)
}

fn check_login_name(login: &str) -> Result<(), AppError> {
    let ok = (1..=64).contains(&login.chars().count())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            Problem::new(
                "invalid_login",
                "a login name has 1-64 characters: letters, digits, '.', '_', '-', '@'",
            )
            .for_item("login"),
        ))
    }
}

impl Registry {
    fn auth(&self) -> &Auth {
        &self.auth
    }

    /// Hashes off the async workers, at most `max_concurrent_hashes` at once.
    async fn hash_password(&self, password: String) -> Result<String, AppError> {
        let _permit = self
            .auth()
            .hashing
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || hash_password_blocking(&password))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
    }

    async fn verify_password(&self, hash: String, password: String) -> Result<bool, AppError> {
        let _permit = self
            .auth()
            .hashing
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || verify_password_blocking(&hash, &password))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    fn check_new_password(&self, password: &str, login: &str) -> Result<(), AppError> {
        check_password(password, login, &self.auth().settings.common_passwords).map_err(|ps| {
            AppError::Invalid(
                ps.into_iter()
                    .map(|p| Problem::new(p.code(), p.to_string()).for_item("password"))
                    .collect(),
            )
        })
    }

    /// Appends one audit event in a transaction of its own.
    pub async fn append_audit(&self, event: AuditEvent) -> Result<(), AppError> {
        self.db
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    sq::append_audit_event(conn, &event)?;
                    Ok::<(), AppError>(())
                })
            })
            .await
    }

    /// Logs in: checks the throttles, the password (same cost for an unknown account), and
    /// starts a session. Every attempt is audited.
    pub async fn login(
        &self,
        ctx: &RequestContext,
        login: String,
        password: String,
    ) -> Result<TokenPair, AppError> {
        let now = self.clock.now();
        let epoch = seconds_since_epoch(now);
        let account_key = format!("account:{}", login.to_lowercase());
        let address_key = ctx.client.as_ref().map(|a| format!("address:{a}"));
        let throttled = {
            let accounts = self.auth().account_throttle.lock();
            let addresses = self.auth().address_throttle.lock();
            match (accounts, addresses) {
                (Ok(a), Ok(b)) => a
                    .check(&account_key, epoch)
                    .err()
                    .or_else(|| address_key.as_ref().and_then(|k| b.check(k, epoch).err())),
                _ => return Err(AppError::Internal("throttle lock poisoned".into())),
            }
        };
        if let Some(wait) = throttled {
            let mut e = ctx.event("auth.login", Outcome::Denied, now);
            e.detail = Some("throttled".into());
            self.append_audit(e).await?;
            return Err(AppError::Throttled {
                retry_after_secs: wait.seconds(),
            });
        }
        let user = self
            .db
            .run({
                let login = login.clone();
                move |conn| Ok::<_, AppError>(sq::find_user_by_login(conn, &login)?)
            })
            .await?;
        let hash = user.as_ref().map_or_else(
            || self.auth().dummy_hash.clone(),
            |u| u.password_hash.clone(),
        );
        let matches = self.verify_password(hash, password).await?;
        let account = match user {
            Some(u) if matches => Some(account_from_row(u)?),
            _ => None,
        };
        let account = match account {
            Some(a) if a.status == UserStatus::Active => a,
            other => {
                if let (Ok(mut a), Ok(mut b)) = (
                    self.auth().account_throttle.lock(),
                    self.auth().address_throttle.lock(),
                ) {
                    a.record_failure(&account_key, epoch);
                    if let Some(k) = &address_key {
                        b.record_failure(k, epoch);
                    }
                }
                let mut e = ctx.event("auth.login", Outcome::Failure, now);
                e.user_id = other.as_ref().map(|a| a.id.0);
                e.detail = Some(
                    if other.is_some() {
                        "account disabled"
                    } else {
                        "bad login name or password"
                    }
                    .into(),
                );
                self.append_audit(e).await?;
                return Err(AppError::InvalidCredentials);
            }
        };
        if let Ok(mut a) = self.auth().account_throttle.lock() {
            a.record_success(&account_key);
        }
        let registry = self.clone();
        let ctx = ctx.clone();
        self.db
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let public_id = uuid::Uuid::new_v4().to_string();
                    let expires = now + Duration::hours(SESSION_HOURS);
                    let session = sq::insert_session(conn, &public_id, account.id.0, now, expires)?;
                    let pair = registry
                        .issue_tokens(conn, session, &public_id, account.id, now, expires)?;
                    let mut e = ctx.event("auth.login", Outcome::Success, now);
                    e.user_id = Some(account.id.0);
                    e.login = Some(account.login.clone());
                    e.role = Some(account.role.as_str().to_owned());
                    sq::append_audit_event(conn, &e)?;
                    Ok(pair)
                })
            })
            .await
    }

    /// A new access token and a new refresh token for a live session.
    fn issue_tokens(
        &self,
        conn: &mut AnyConnection,
        session: i64,
        public_id: &str,
        user: UserId,
        now: NaiveDateTime,
        session_expires: NaiveDateTime,
    ) -> Result<TokenPair, AppError> {
        let refresh = URL_SAFE_NO_PAD
            .encode(random_bytes(32).map_err(|e| AppError::Internal(e.to_string()))?);
        sq::insert_refresh_token(conn, session, &sha256_hex(&refresh), now, session_expires)?;
        let iat = now.and_utc().timestamp();
        let exp = iat + ACCESS_TOKEN_MINUTES * 60;
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: user.0.to_string(),
            sid: public_id.to_owned(),
            typ: ACCESS_TYPE.to_owned(),
            iat,
            nbf: iat,
            exp,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let token = jsonwebtoken::encode(
            &Header::new(ALGORITHM),
            &claims,
            &EncodingKey::from_secret(&self.auth().settings.keys.current),
        )
        .map_err(|e| AppError::Internal(format!("token: {e}")))?;
        Ok(TokenPair {
            access_token: token,
            expires_in: exp - iat,
            refresh_token: refresh,
            refresh_expires_in: (session_expires - now).num_seconds(),
        })
    }

    /// Checks an access token's signature and claims (no database): the claims, or why not.
    fn check_token(&self, token: &str, now: NaiveDateTime) -> Result<Claims, &'static str> {
        let mut v = Validation::new(ALGORITHM);
        v.leeway = 0;
        v.set_audience(&[AUDIENCE]);
        v.set_issuer(&[ISSUER]);
        v.set_required_spec_claims(&["exp", "nbf", "iat", "aud", "iss", "sub"]);
        // Times are checked below against the registry's clock, with a 5 s leeway.
        v.validate_exp = false;
        v.validate_nbf = false;
        let keys = &self.auth().settings.keys;
        let claims = std::iter::once(&keys.current)
            .chain(keys.previous.iter())
            .find_map(|k| {
                jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(k), &v).ok()
            })
            .ok_or("the token is malformed, not signed by this registry, or has a wrong audience, issuer or algorithm")?
            .claims;
        if claims.typ != ACCESS_TYPE {
            return Err("the token is not an access token");
        }
        let t = now.and_utc().timestamp();
        if claims.exp + LEEWAY_SECONDS <= t {
            return Err("the token has expired");
        }
        if claims.nbf - LEEWAY_SECONDS > t || claims.iat - LEEWAY_SECONDS > t {
            return Err("the token is not valid yet");
        }
        Ok(claims)
    }

    /// The caller behind an access token, or `Unauthorized` (audited).
    pub async fn authenticate(
        &self,
        ctx: &RequestContext,
        token: &str,
    ) -> Result<Principal, AppError> {
        let now = self.clock.now();
        let claims = match self.check_token(token, now) {
            Ok(c) => c,
            Err(reason) => return self.refuse_token(ctx, now, reason, None).await,
        };
        let sid = claims.sid.clone();
        let found = self
            .db
            .run(move |conn| Ok::<_, AppError>(sq::find_session_with_user(conn, &sid)?))
            .await?;
        let Some((session, user)) = found else {
            return self
                .refuse_token(ctx, now, "the session does not exist", None)
                .await;
        };
        let user_id = user.id;
        if claims.sub != user.id.to_string() {
            return self
                .refuse_token(
                    ctx,
                    now,
                    "the token's subject does not own its session",
                    Some(user_id),
                )
                .await;
        }
        if session.revoked_at.is_some() {
            return self
                .refuse_token(
                    ctx,
                    now,
                    "the session has ended (logout or revoked)",
                    Some(user_id),
                )
                .await;
        }
        if session.expires_at <= now {
            return self
                .refuse_token(ctx, now, "the session has expired", Some(user_id))
                .await;
        }
        let account = account_from_row(user)?;
        if account.status != UserStatus::Active {
            return self
                .refuse_token(ctx, now, "the account is disabled", Some(user_id))
                .await;
        }
        Ok(Principal {
            user_id: account.id,
            login: account.login,
            role: account.role,
            scope: account.scope,
            session: session.id,
        })
    }

    async fn refuse_token<T>(
        &self,
        ctx: &RequestContext,
        now: NaiveDateTime,
        reason: &'static str,
        user: Option<i64>,
    ) -> Result<T, AppError> {
        let mut e = ctx.event("auth.token", Outcome::Failure, now);
        e.user_id = user;
        e.detail = Some(reason.to_owned());
        self.append_audit(e).await?;
        Err(AppError::Unauthorized { reason })
    }

    /// Trades a refresh token for new tokens. A refresh token works once: presenting one
    /// already used revokes its whole session (the token was stolen, or replayed).
    pub async fn refresh(
        &self,
        ctx: &RequestContext,
        refresh_token: String,
    ) -> Result<TokenPair, AppError> {
        let now = self.clock.now();
        let registry = self.clone();
        let ctx2 = ctx.clone();
        let outcome: Result<TokenPair, (&'static str, Option<i64>)> = self
            .db
            .run(move |conn| {
                write_transaction::<_, AppError, _>(conn, |conn| {
                    let Some((token_id, session_id, expires, used)) =
                        sq::find_refresh_token(conn, &sha256_hex(&refresh_token))?
                    else {
                        return Ok(Err(("unknown refresh token", None)));
                    };
                    let Some(session) = sq::find_session(conn, session_id)? else {
                        return Ok(Err(("unknown session", None)));
                    };
                    let user = Some(session.user_id);
                    if used.is_some() || !sq::use_refresh_token(conn, token_id, now)? {
                        sq::revoke_session(conn, session_id, "refresh token reused", now)?;
                        let mut e = ctx2.event("auth.refresh", Outcome::Denied, now);
                        e.user_id = user;
                        e.detail = Some("refresh token reused: session revoked".into());
                        sq::append_audit_event(conn, &e)?;
                        return Ok(Err((
                            "refresh token already used; the session is revoked",
                            user,
                        )));
                    }
                    if session.revoked_at.is_some() || session.expires_at <= now || expires <= now {
                        return Ok(Err(("the session has ended", user)));
                    }
                    let Some(account) = sq::find_user(conn, session.user_id)? else {
                        return Ok(Err(("unknown account", user)));
                    };
                    let account = account_from_row(account)?;
                    if account.status != UserStatus::Active {
                        return Ok(Err(("the account is disabled", user)));
                    }
                    let pair = registry.issue_tokens(
                        conn,
                        session.id,
                        &session.public_id,
                        account.id,
                        now,
                        session.expires_at,
                    )?;
                    let mut e = ctx2.event("auth.refresh", Outcome::Success, now);
                    e.user_id = Some(account.id.0);
                    e.login = Some(account.login);
                    e.role = Some(account.role.as_str().to_owned());
                    sq::append_audit_event(conn, &e)?;
                    Ok(Ok(pair))
                })
            })
            .await?;
        match outcome {
            Ok(pair) => Ok(pair),
            Err((reason, user)) => {
                // A reuse was audited (and its revocation kept) inside the transaction.
                if reason != "refresh token already used; the session is revoked" {
                    let mut e = ctx.event("auth.refresh", Outcome::Failure, now);
                    e.user_id = user;
                    e.detail = Some(reason.to_owned());
                    self.append_audit(e).await?;
                }
                Err(AppError::Unauthorized { reason })
            }
        }
    }

    /// Ends the caller's session: its access and refresh tokens stop working at once.
    pub async fn logout(&self, ctx: &RequestContext) -> Result<(), AppError> {
        let principal = ctx.principal.clone().ok_or(AppError::Unauthorized {
            reason: "no session",
        })?;
        let now = self.clock.now();
        let ctx = ctx.clone();
        self.db
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    sq::revoke_session(conn, principal.session, "logout", now)?;
                    sq::append_audit_event(conn, &ctx.event("auth.logout", Outcome::Success, now))?;
                    Ok(())
                })
            })
            .await
    }

    /// Creates an account (administrators, or the command line).
    pub async fn add_account(
        &self,
        ctx: &RequestContext,
        new: NewAccount,
    ) -> Result<Account, AppError> {
        self.require_admin(ctx, "user.create").await?;
        check_login_name(&new.login)?;
        self.check_new_password(&new.password, &new.login)?;
        if new.role == Role::Registrar && new.scope == FacilityScope::All {
            return Err(AppError::invalid(
                Problem::new(
                    "invalid_scope",
                    "a registrar must be given the facilities they may see",
                )
                .for_item("facilities"),
            ));
        }
        let hash = self.hash_password(new.password.clone()).await?;
        let now = self.clock.now();
        let ctx = ctx.clone();
        self.db
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    if sq::find_user_by_login(conn, &new.login)?.is_some() {
                        return Err(AppError::invalid(
                            Problem::new("login_taken", "this login name is already in use")
                                .for_item("login"),
                        ));
                    }
                    let id = sq::insert_user(
                        conn,
                        &NewUser {
                            login: &new.login,
                            role: new.role.as_str(),
                            facilities: &new.scope.to_string(),
                            password_hash: &hash,
                        },
                        now,
                    )?;
                    let mut e = ctx.event("user.create", Outcome::Success, now);
                    e.entity_kind = Some("user".into());
                    e.entity_id = Some(id);
                    sq::append_audit_event(conn, &e)?;
                    account_from_row(sq::find_user(conn, id)?.ok_or(AppError::NotFoundUser { id })?)
                })
            })
            .await
    }

    /// Every account.
    pub async fn list_accounts(&self, ctx: &RequestContext) -> Result<Vec<Account>, AppError> {
        self.require_admin(ctx, "user.list").await?;
        let now = self.clock.now();
        let ctx = ctx.clone();
        self.db
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    sq::append_audit_event(conn, &ctx.event("user.list", Outcome::Success, now))?;
                    sq::list_users(conn)?
                        .into_iter()
                        .map(account_from_row)
                        .collect()
                })
            })
            .await
    }

    /// Disables an account and ends all its sessions at once.
    pub async fn disable_account(
        &self,
        ctx: &RequestContext,
        id: UserId,
    ) -> Result<Account, AppError> {
        self.require_admin(ctx, "user.disable").await?;
        let now = self.clock.now();
        let ctx = ctx.clone();
        self.db
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let changed =
                        sq::set_user_status(conn, id.0, UserStatus::Disabled.as_str(), now)?;
                    end_sessions_after(conn, &ctx, changed, id, "user.disable", now)
                })
            })
            .await
    }

    /// Sets a new password for an account and ends all its sessions.
    pub async fn reset_password(
        &self,
        ctx: &RequestContext,
        id: UserId,
        password: String,
    ) -> Result<Account, AppError> {
        self.require_admin(ctx, "user.reset_password").await?;
        let login = self
            .db
            .run(move |conn| Ok::<_, AppError>(sq::find_user(conn, id.0)?))
            .await?
            .ok_or(AppError::NotFoundUser { id: id.0 })?
            .login;
        self.check_new_password(&password, &login)?;
        let hash = self.hash_password(password).await?;
        let now = self.clock.now();
        let ctx = ctx.clone();
        self.db
            .run(move |conn| {
                write_transaction(conn, |conn| {
                    let changed = sq::set_password_hash(conn, id.0, &hash, now)?;
                    end_sessions_after(conn, &ctx, changed, id, "user.reset_password", now)
                })
            })
            .await
    }

    /// On an empty database, creates the `admin` account, with `password` or a random one.
    /// Returns the password when it was generated, to be shown once.
    pub async fn bootstrap_admin(
        &self,
        password: Option<String>,
    ) -> Result<Option<String>, AppError> {
        let count = self
            .db
            .run(|conn| Ok::<_, AppError>(sq::count_users(conn)?))
            .await?;
        if count > 0 {
            return Ok(None);
        }
        let (password, generated) = match password {
            Some(p) => (p, false),
            None => (
                URL_SAFE_NO_PAD
                    .encode(random_bytes(18).map_err(|e| AppError::Internal(e.to_string()))?),
                true,
            ),
        };
        self.add_account(
            &RequestContext::system("bootstrap"),
            NewAccount {
                login: "admin".into(),
                role: Role::Admin,
                scope: FacilityScope::All,
                password: password.clone(),
            },
        )
        .await?;
        Ok(generated.then_some(password))
    }

    /// Administrators and the command line pass; anyone else is refused (and audited).
    async fn require_admin(&self, ctx: &RequestContext, action: &str) -> Result<(), AppError> {
        let allowed = ctx.system.is_some()
            || ctx
                .principal
                .as_ref()
                .is_some_and(|p| p.role.allows(crate::core::auth::Permission::ManageUsers));
        if allowed {
            return Ok(());
        }
        let now = self.clock.now();
        self.append_audit(ctx.event(action, Outcome::Denied, now))
            .await?;
        Err(AppError::Forbidden {
            reason: "this needs the admin role".into(),
        })
    }
}
