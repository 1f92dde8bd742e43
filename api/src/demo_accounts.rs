//! Demo staff accounts, so that `serve --demo` can be tried out at once: an admin, one clerk per
//! demo office, an auditor and a planner. Their passwords are fixed and printed next to the URL;
//! they are for a demo on one's own machine, never for a service others can reach.

use domain::account::Role;
use domain::Actor;

use crate::auth::accounts::{create_account, NewAccount};
use crate::{ApiError, AppState};

/// `(username, display name, role, office, password)` of each demo account.
pub const DEMO_ACCOUNTS: [(&str, &str, Role, Option<&str>, &str); 5] = [
    (
        "admin",
        "Demo Admin",
        Role::Admin,
        None,
        "demo-admin-passwort",
    ),
    (
        "clerk.mitte",
        "Demo Sachbearbeitung Mitte",
        Role::Clerk,
        Some("potsdam-mitte"),
        "demo-mitte-passwort",
    ),
    (
        "clerk.babelsberg",
        "Demo Sachbearbeitung Babelsberg",
        Role::Clerk,
        Some("potsdam-babelsberg"),
        "demo-babelsberg-passwort",
    ),
    (
        "auditor",
        "Demo Revision",
        Role::Auditor,
        None,
        "demo-auditor-passwort",
    ),
    (
        "planner",
        "Demo Planung",
        Role::Planner,
        None,
        "demo-planner-passwort",
    ),
];

/// Creates the demo accounts that do not exist yet; returns how many it created.
pub async fn seed(state: &AppState) -> anyhow::Result<usize> {
    let mut created = 0;
    for (username, display_name, role, office, password) in DEMO_ACCOUNTS {
        let request = NewAccount {
            username: username.into(),
            display_name: display_name.into(),
            role: role.to_string(),
            office: office.map(str::to_owned),
            password: password.into(),
        };
        match create_account(state, request, Actor::System).await {
            Ok(_) => created += 1,
            Err(ApiError::Conflict(_)) => {}
            Err(other) => return Err(anyhow::anyhow!("creating demo account {username}: {other}")),
        }
    }
    Ok(created)
}

/// The lines `serve --demo` prints: who can log in with which password.
pub fn credentials() -> String {
    let mut text = String::from(
        "Demo logins (username / password; change them before others can reach this):",
    );
    for (username, _, role, office, password) in DEMO_ACCOUNTS {
        let place = office.map(|o| format!(", {o}")).unwrap_or_default();
        text.push_str(&format!(
            "\n  {username:<17} {password:<26} ({role}{place})"
        ));
    }
    text
}
