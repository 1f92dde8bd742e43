//! Account administration: `POST/GET /api/v1/accounts` and
//! `POST /api/v1/accounts/{username}/{disable,enable,password,role}`, admins only, except that
//! every staff member may change their own password by giving the current one.
//!
//! Every change that affects what a session may do (disable, role or office, password) revokes
//! all sessions of the account after the change is stored. Someone who changes their own password
//! gets a new session at once, so they stay logged in with a fresh token.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::account::{
    Account, AccountCommand, AccountDirectory, AccountError, DirectoryCommand, DisplayName, Role,
    Username, DIRECTORY_STREAM,
};
use domain::{Actor, ClerkId, OfficeId};
use serde::{Deserialize, Serialize};
use store::repository::{CommandError, Loaded, Repository};
use store::StreamId;
use utoipa::ToSchema;

use super::password::{self, NewPassword};
use super::session::{start_session, with_cookie};
use super::{require, Operation, Principal};
use crate::extract::{Json, Path};
use crate::problems::Problem;
use crate::{ApiError, AppState};

/// An account as admins see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountView {
    #[schema(value_type = String, example = "0190a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b")]
    pub account_id: uuid::Uuid,
    pub username: String,
    /// `clerk`, `auditor`, `planner` or `admin`.
    pub role: String,
    pub office: Option<String>,
    /// None once the account's personal data was erased.
    pub display_name: Option<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

impl AccountView {
    fn of(account: &Account) -> Option<Self> {
        let facts = account.facts()?;
        Some(Self {
            account_id: facts.account_id.0,
            username: facts.username.to_string(),
            role: facts.role.to_string(),
            office: facts.office.as_ref().map(|o| o.to_string()),
            display_name: facts
                .display_name
                .as_present()
                .map(|d| d.as_str().to_owned()),
            enabled: facts.enabled,
            created_at: facts.created_at,
        })
    }
}

/// A new account. `Debug` never shows the password or the name.
#[derive(Clone, Deserialize, ToSchema)]
pub struct NewAccount {
    #[schema(example = "clerk.mitte")]
    pub username: String,
    pub display_name: String,
    /// `clerk`, `auditor`, `planner` or `admin`.
    pub role: String,
    /// Required for clerks, refused for other roles.
    pub office: Option<String>,
    /// 12 to 256 characters.
    pub password: String,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewAccount(<personal>)")
    }
}

/// A password change. `current_password` is required when changing one's own password.
#[derive(Clone, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub new_password: String,
    pub current_password: Option<String>,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange(<secret>)")
    }
}

/// A role (and office) change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RoleChange {
    pub role: String,
    pub office: Option<String>,
}

fn stream_of(username: &Username) -> Result<StreamId, ApiError> {
    Ok(StreamId::new(username.stream_name())?)
}

fn command_error(error: CommandError<AccountError>) -> ApiError {
    match error {
        CommandError::Rejected(AccountError::NotFound) => ApiError::NotFound,
        CommandError::Rejected(e @ AccountError::AlreadyExists) => {
            ApiError::Conflict(e.to_string())
        }
        CommandError::Rejected(
            e @ (AccountError::OfficeRequired | AccountError::OfficeNotAllowed),
        ) => ApiError::InvalidBody(e.to_string()),
        CommandError::Rejected(
            AccountError::CannotDisableSelf | AccountError::CannotChangeOwnRole,
        ) => ApiError::Forbidden,
        CommandError::Store(e) => e.into(),
        other => ApiError::Internal(anyhow::anyhow!("{other}")),
    }
}

/// Loads an account (absent accounts load as the default state at version 0).
pub async fn load_account(
    state: &AppState,
    username: &Username,
) -> Result<Loaded<Account>, ApiError> {
    Repository::new(state.backend.events.clone())
        .load::<Account>(&stream_of(username)?)
        .await
        .map_err(command_error)
}

fn parse_username(text: &str) -> Result<Username, ApiError> {
    Username::normalize(text).map_err(|e| ApiError::InvalidParameter(format!("username: {e}")))
}

fn parse_role(role: &str, office: Option<&str>) -> Result<(Role, Option<OfficeId>), ApiError> {
    let role: Role = role
        .parse()
        .map_err(|e| ApiError::InvalidBody(format!("role: {e}")))?;
    let office = office
        .map(OfficeId::parse)
        .transpose()
        .map_err(|e| ApiError::InvalidBody(format!("office: {e}")))?;
    Ok((role, office))
}

/// Creates an account and lists it in the directory. Used by the HTTP endpoint, the CLI and the
/// demo. A creation that stored the account but not the listing completes the listing when run
/// again (and then answers 409 for the account itself).
pub async fn create_account(
    state: &AppState,
    request: NewAccount,
    actor: Actor,
) -> Result<AccountView, ApiError> {
    let username = Username::normalize(&request.username)
        .map_err(|e| ApiError::InvalidBody(format!("username: {e}")))?;
    let display_name = DisplayName::parse(request.display_name)
        .map_err(|e| ApiError::InvalidBody(format!("display_name: {e}")))?;
    let (role, office) = parse_role(&request.role, request.office.as_deref())?;
    let new_password = NewPassword::parse(request.password)
        .map_err(|e| ApiError::InvalidBody(format!("password: {e}")))?;
    let repository = Repository::new(state.backend.events.clone());
    let stream = stream_of(&username)?;
    let existing = repository
        .load::<Account>(&stream)
        .await
        .map_err(command_error)?;
    if let Some(facts) = existing.state.facts() {
        list(state, facts.account_id, &username).await?;
        return Err(ApiError::Conflict(AccountError::AlreadyExists.to_string()));
    }
    let password_hash = password::hash(new_password).await?;
    let account_id = ClerkId(uuid::Uuid::now_v7());
    let executed = repository
        .execute_at::<Account>(
            &stream,
            existing.version,
            AccountCommand::Create {
                account_id,
                username: username.clone(),
                display_name,
                role,
                office,
                password_hash,
                actor,
                at: state.auth.clock.now(),
            },
        )
        .await
        .map_err(command_error)?;
    list(state, account_id, &username).await?;
    tracing::info!(%account_id, role = %role, "account created");
    AccountView::of(&executed.state)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a created account has no facts")))
}

async fn list(state: &AppState, account_id: ClerkId, username: &Username) -> Result<(), ApiError> {
    Repository::new(state.backend.events.clone())
        .execute_with_retry::<AccountDirectory>(
            &StreamId::new(DIRECTORY_STREAM)?,
            DirectoryCommand::List {
                account_id,
                username: username.clone(),
                at: state.auth.clock.now(),
            },
            5,
        )
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("listing an account: {e}")))?;
    Ok(())
}

/// Every listed account, in creation order.
pub async fn all_accounts(state: &AppState) -> Result<Vec<AccountView>, ApiError> {
    let directory = Repository::new(state.backend.events.clone())
        .load::<AccountDirectory>(&StreamId::new(DIRECTORY_STREAM)?)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("reading the directory: {e}")))?;
    let mut views = Vec::new();
    for username in directory.state.usernames() {
        let account = load_account(state, username).await?;
        views.extend(AccountView::of(&account.state));
    }
    Ok(views)
}

/// Runs one command on an existing account and revokes its sessions if `revoke`.
async fn change(
    state: &AppState,
    username: &Username,
    command: AccountCommand,
    revoke: bool,
) -> Result<Account, ApiError> {
    let executed = Repository::new(state.backend.events.clone())
        .execute::<Account>(&stream_of(username)?, command)
        .await
        .map_err(command_error)?;
    if revoke {
        if let Some(facts) = executed.state.facts() {
            let ended = state
                .backend
                .sessions
                .revoke_account_sessions(facts.account_id)
                .await?;
            tracing::info!(account_id = %facts.account_id, sessions = ended, "sessions revoked");
        }
    }
    Ok(executed.state)
}

fn actor_of(principal: &Principal) -> Actor {
    principal.account_id().map_or(Actor::System, Actor::Clerk)
}

fn view_of(account: &Account) -> Result<Json<AccountView>, ApiError> {
    AccountView::of(account).map(Json).ok_or(ApiError::NotFound)
}

#[utoipa::path(
    post,
    path = "/api/v1/accounts",
    tag = "accounts",
    request_body = NewAccount,
    responses(
        (status = 201, description = "The account was created", body = AccountView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (admins only) or `csrf-rejected`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: the username is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body`: a field breaks a rule (username, role and office, password length)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(request): Json<NewAccount>,
) -> Result<Response, ApiError> {
    require(&principal, Operation::ManageAccounts, None, None)?;
    let view = create_account(&state, request, actor_of(&principal)).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    tag = "accounts",
    responses(
        (status = 200, description = "Every account, in creation order", body = Vec<AccountView>),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (admins only)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_accounts(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    require(&principal, Operation::ManageAccounts, None, None)?;
    Ok(Json(all_accounts(&state).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/accounts/{username}/disable",
    tag = "accounts",
    params(("username" = String, Path, description = "The account's username")),
    responses(
        (status = 200, description = "The account is disabled and all its sessions are revoked", body = AccountView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (admins only; nobody disables themselves) or `csrf-rejected`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`: no such account", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn disable(
    State(state): State<AppState>,
    principal: Principal,
    Path(username): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    require(&principal, Operation::ManageAccounts, None, None)?;
    let username = parse_username(&username)?;
    let command = AccountCommand::Disable {
        actor: actor_of(&principal),
        at: state.auth.clock.now(),
    };
    view_of(&change(&state, &username, command, true).await?)
}

#[utoipa::path(
    post,
    path = "/api/v1/accounts/{username}/enable",
    tag = "accounts",
    params(("username" = String, Path, description = "The account's username")),
    responses(
        (status = 200, description = "The account can log in again", body = AccountView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (admins only) or `csrf-rejected`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`: no such account", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn enable(
    State(state): State<AppState>,
    principal: Principal,
    Path(username): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    require(&principal, Operation::ManageAccounts, None, None)?;
    let username = parse_username(&username)?;
    let command = AccountCommand::Enable {
        actor: actor_of(&principal),
        at: state.auth.clock.now(),
    };
    view_of(&change(&state, &username, command, false).await?)
}

#[utoipa::path(
    post,
    path = "/api/v1/accounts/{username}/role",
    tag = "accounts",
    params(("username" = String, Path, description = "The account's username")),
    request_body = RoleChange,
    responses(
        (status = 200, description = "The role (and office) changed; the account's sessions are revoked", body = AccountView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden` (admins only; nobody changes their own role) or `csrf-rejected`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`: no such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body`: unknown role, or an office where none belongs (or none where one must)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_role(
    State(state): State<AppState>,
    principal: Principal,
    Path(username): Path<String>,
    Json(request): Json<RoleChange>,
) -> Result<Json<AccountView>, ApiError> {
    require(&principal, Operation::ManageAccounts, None, None)?;
    let username = parse_username(&username)?;
    let (role, office) = parse_role(&request.role, request.office.as_deref())?;
    let command = AccountCommand::ChangeRole {
        role,
        office,
        actor: actor_of(&principal),
        at: state.auth.clock.now(),
    };
    view_of(&change(&state, &username, command, true).await?)
}

#[utoipa::path(
    post,
    path = "/api/v1/accounts/{username}/password",
    tag = "accounts",
    params(("username" = String, Path, description = "The account's username")),
    request_body = PasswordChange,
    responses(
        (status = 200, description = "The password changed and the account's sessions are revoked; changing one's own password sets a new session cookie", body = AccountView),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: someone else's account without being admin, or a wrong current password; or `csrf-rejected`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`: no such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-body`: the new password is not 12 to 256 characters", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    Path(username): Path<String>,
    Json(request): Json<PasswordChange>,
) -> Result<Response, ApiError> {
    let username = parse_username(&username)?;
    let own =
        matches!(&principal, Principal::Staff { session, .. } if session.username == username);
    if own {
        require(&principal, Operation::ManageOwnSession, None, None)?;
    } else {
        require(&principal, Operation::ManageAccounts, None, None)?;
    }
    let new_password = NewPassword::parse(request.new_password)
        .map_err(|e| ApiError::InvalidBody(format!("new_password: {e}")))?;
    let current = load_account(&state, &username).await?;
    if !current.state.exists() {
        return Err(ApiError::NotFound);
    }
    if own {
        let hash = current
            .state
            .facts()
            .and_then(|f| f.password_hash.as_present().cloned());
        let given = request.current_password.unwrap_or_default();
        if !password::verify(given, hash).await? {
            return Err(ApiError::Forbidden);
        }
    }
    let command = AccountCommand::ChangePassword {
        password_hash: password::hash(new_password).await?,
        actor: actor_of(&principal),
        at: state.auth.clock.now(),
    };
    let account = change(&state, &username, command, true).await?;
    if own {
        let (token, _) = start_session(&state, &account).await?;
        return Ok(with_cookie(&state, &token, view_of(&account)?));
    }
    Ok(view_of(&account)?.into_response())
}
