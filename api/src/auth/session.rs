//! Login sessions over HTTP: `POST /api/v1/session` (login), `GET /api/v1/session` (who am I),
//! `DELETE /api/v1/session` (logout).
//!
//! The cookie holds a 256-bit random token (base64url); the store keeps only its SHA-256. Every
//! login makes a new token, so a token planted before login (session fixation) is worth nothing.
//! Over HTTPS the cookie is `__Host-buergeramt-session; Secure; HttpOnly; SameSite=Strict;
//! Path=/`; on plain HTTP (local development, tests) it is `buergeramt-session` without
//! `Secure`, and a warning is logged once.
//!
//! Login limits: every attempt counts against the TCP peer address (30 a minute) and against the
//! username (5 per 15 minutes, forgotten after a successful login); over either, 429 with
//! `Retry-After`. Unknown user, wrong password and disabled account get the same 401
//! `login-failed` after the same amount of hashing work. Logs name account ids, never usernames,
//! passwords or tokens.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use domain::account::{Account, Username};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::sessions::{SessionRecord, TokenHash};
use utoipa::ToSchema;

use super::accounts::load_account;
use super::{password, Operation, Principal};
use crate::extract::Json;
use crate::problems::Problem;
use crate::{ApiError, AppState};

/// The cookie's name over HTTPS (the `__Host-` prefix pins it to this host, `Path=/`, `Secure`).
pub const SECURE_COOKIE: &str = "__Host-buergeramt-session";
/// The cookie's name on plain HTTP, where browsers refuse the `__Host-` prefix.
pub const PLAIN_COOKIE: &str = "buergeramt-session";

const TOKEN_BYTES: usize = 32;
const TOKEN_CHARS: usize = 43;

/// A session token. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<secret>)")
    }
}

impl SessionToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only the exact shape this service hands out.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = text.len() == TOKEN_CHARS
            && URL_SAFE_NO_PAD
                .decode(text)
                .is_ok_and(|b| b.len() == TOKEN_BYTES);
        ok.then(|| Self(text.to_owned()))
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The session cookie's name for this deployment.
pub fn cookie_name(state: &AppState) -> &'static str {
    if state.is_https() {
        SECURE_COOKIE
    } else {
        PLAIN_COOKIE
    }
}

/// The session token from the request's cookies, if it has a well-formed one.
pub fn session_cookie(headers: &HeaderMap, state: &AppState) -> Option<SessionToken> {
    let name = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .and_then(|(_, value)| SessionToken::parse(value.trim()))
}

/// True if the request carries a cookie of this service's session name (valid or not).
pub fn has_session_cookie(headers: &HeaderMap, state: &AppState) -> bool {
    let name = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(n, _)| n == name)
}

fn cookie_header(state: &AppState, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if state.is_https() {
        "; Secure"
    } else {
        state.auth.warn_plain_http_once();
        ""
    };
    let text = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}",
        cookie_name(state)
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A login. `Debug` never shows the password.
#[derive(Clone, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Case does not matter; surrounding blanks are ignored.
    #[schema(example = "clerk.mitte")]
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginRequest(<secret>)")
    }
}

/// The logged-in staff member and when the session ends if unused.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    #[schema(value_type = String, example = "0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b")]
    pub account_id: uuid::Uuid,
    pub username: String,
    /// `clerk`, `auditor`, `planner` or `admin`.
    pub role: String,
    /// The clerk's office; none for other roles.
    pub office: Option<String>,
    /// None once the account's personal data was erased.
    pub display_name: Option<String>,
    /// When the session ends unless used again (idle limit), at the latest the absolute limit.
    pub expires_at: DateTime<Utc>,
}

fn view(state: &AppState, session: &SessionRecord, account: &Account) -> SessionView {
    SessionView {
        account_id: session.account_id.0,
        username: session.username.to_string(),
        role: session.role.to_string(),
        office: session.office.as_ref().map(|o| o.to_string()),
        display_name: account
            .facts()
            .and_then(|f| f.display_name.as_present())
            .map(|d| d.as_str().to_owned()),
        expires_at: state.auth.policy.expires_at(session),
    }
}

/// Creates a session for an account that has just proven who it is; returns the token and the
/// stored record. Also purges sessions that died meanwhile (one cheap delete per login).
pub async fn start_session(
    state: &AppState,
    account: &Account,
) -> Result<(SessionToken, SessionRecord), ApiError> {
    let facts = account.facts().ok_or(ApiError::LoginFailed)?;
    let now = state.auth.clock.now();
    let token = SessionToken::generate();
    let record = SessionRecord {
        token_hash: token.hash(),
        account_id: facts.account_id,
        username: facts.username.clone(),
        role: facts.role,
        office: facts.office.clone(),
        created_at: now,
        last_seen_at: now,
    };
    let sessions = &state.backend.sessions;
    sessions
        .purge_expired_sessions(now, &state.auth.policy)
        .await?;
    sessions.create_session(&record).await?;
    Ok((token, record))
}

/// The answer that sets the cookie.
pub fn with_cookie(state: &AppState, token: &SessionToken, body: impl IntoResponse) -> Response {
    let max_age = state.auth.policy.absolute.num_seconds();
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::SET_COOKIE,
        cookie_header(state, token.expose(), max_age),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The key of the per-username limit: what was typed, normalised, bounded in length.
fn username_key(typed: &str) -> String {
    typed.trim().to_lowercase().chars().take(64).collect()
}

#[utoipa::path(
    post,
    path = "/api/v1/session",
    tag = "session",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the session cookie is set (a new token every time)", body = SessionView),
        (status = 401, description = "`login-failed`: unknown user, wrong password or disabled account (one answer for all)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too-many-requests`: too many attempts for this username or from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    crate::extract::ClientAddr(peer_key): crate::extract::ClientAddr,
    Json(request): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let limited = |r: crate::rate_limit::RetryAfter| ApiError::TooManyRequests {
        retry_after_secs: r.seconds(),
    };
    state.auth.login_by_peer.check(&peer_key).map_err(limited)?;
    let user_key = username_key(&request.username);
    state
        .auth
        .login_by_username
        .check(&user_key)
        .map_err(limited)?;

    let account = match Username::normalize(&request.username) {
        Ok(username) => Some(load_account(&state, &username).await?),
        Err(_) => None,
    };
    let hash = account
        .as_ref()
        .filter(|loaded| loaded.state.can_log_in())
        .and_then(|loaded| loaded.state.facts())
        .and_then(|facts| facts.password_hash.as_present().cloned());
    if !password::verify(request.password, hash).await? {
        tracing::info!("login failed");
        return Err(ApiError::LoginFailed);
    }
    let Some(before) = account else {
        return Err(ApiError::LoginFailed);
    };
    let (token, record) = start_session(&state, &before.state).await?;
    // A disable (or role change) stored meanwhile either shows here or revokes this session.
    let after = load_account(&state, &record.username).await?;
    if after.version != before.version || !after.state.can_log_in() {
        state
            .backend
            .sessions
            .revoke_session(&record.token_hash)
            .await?;
        return Err(ApiError::LoginFailed);
    }
    state.auth.login_by_username.reset(&user_key);
    tracing::info!(account_id = %record.account_id, "logged in");
    let body = Json(view(&state, &record, &after.state));
    Ok(with_cookie(&state, &token, body))
}

#[utoipa::path(
    get,
    path = "/api/v1/session",
    tag = "session",
    responses(
        (status = 200, description = "The logged-in staff member and the session's expiry", body = SessionView),
        (status = 401, description = "`unauthenticated`: no live session", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: a citizen's link is not a staff session", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn who_am_i(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Response, ApiError> {
    super::require(&principal, Operation::ManageOwnSession, None, None)?;
    let Principal::Staff { session, .. } = &principal else {
        return Err(ApiError::Forbidden);
    };
    let account = load_account(&state, &session.username).await?;
    let mut response = Json(view(&state, session, &account.state)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[utoipa::path(
    delete,
    path = "/api/v1/session",
    tag = "session",
    responses(
        (status = 204, description = "Logged out: the session is revoked (if there was one) and the cookie cleared"),
        (status = 403, description = "`csrf-rejected`: the cookie came with a cross-site request", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = session_cookie(&headers, &state) {
        state.backend.sessions.revoke_session(&token.hash()).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie_header(&state, "", 0));
    Ok(response)
}
