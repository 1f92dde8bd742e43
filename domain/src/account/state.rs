//! The state of a staff account and its rules.

use chrono::{DateTime, Utc};

use super::command::AccountCommand;
use super::error::AccountError;
use super::event::AccountEvent;
use super::types::{DisplayName, PasswordHash, Role, Username};
use crate::actor::Actor;
use crate::ids::{ClerkId, OfficeId};
use crate::pii::Pii;

/// The facts every existing account has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFacts {
    pub account_id: ClerkId,
    pub username: Username,
    pub role: Role,
    pub office: Option<OfficeId>,
    pub display_name: Pii<DisplayName>,
    /// `Erased` once the account's key is deleted: then nobody can log in with it.
    pub password_hash: Pii<PasswordHash>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// A staff account: absent until created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Account {
    facts: Option<AccountFacts>,
}

impl Account {
    /// The account's facts, if it exists.
    pub fn facts(&self) -> Option<&AccountFacts> {
        self.facts.as_ref()
    }

    pub fn exists(&self) -> bool {
        self.facts.is_some()
    }

    /// True if the account exists, is enabled and still has a readable password hash.
    pub fn can_log_in(&self) -> bool {
        self.facts
            .as_ref()
            .is_some_and(|f| f.enabled && !f.password_hash.is_erased())
    }

    /// Applies the rules to one command.
    pub(super) fn decide(
        &self,
        command: AccountCommand,
    ) -> Result<Vec<AccountEvent>, AccountError> {
        if let AccountCommand::Create {
            account_id,
            username,
            display_name,
            role,
            office,
            password_hash,
            actor,
            at,
        } = command
        {
            if self.facts.is_some() {
                return Err(AccountError::AlreadyExists);
            }
            check_office(role, office.as_ref())?;
            return Ok(vec![AccountEvent::AccountCreated {
                account_id,
                username,
                role,
                office,
                display_name: Pii::Present(display_name),
                password_hash: Pii::Present(password_hash),
                actor,
                at,
            }]);
        }
        let facts = self.facts.as_ref().ok_or(AccountError::NotFound)?;
        let account_id = facts.account_id;
        let is_self = |actor: &Actor| *actor == Actor::Clerk(account_id);
        let events = match command {
            AccountCommand::Create { .. } => return Err(AccountError::AlreadyExists),
            AccountCommand::ChangePassword {
                password_hash,
                actor,
                at,
            } => vec![AccountEvent::PasswordChanged {
                account_id,
                password_hash: Pii::Present(password_hash),
                actor,
                at,
            }],
            AccountCommand::ChangeRole {
                role,
                office,
                actor,
                at,
            } => {
                if is_self(&actor) {
                    return Err(AccountError::CannotChangeOwnRole);
                }
                check_office(role, office.as_ref())?;
                if facts.role == role && facts.office == office {
                    Vec::new()
                } else {
                    vec![AccountEvent::RoleChanged {
                        account_id,
                        role,
                        office,
                        actor,
                        at,
                    }]
                }
            }
            AccountCommand::Disable { actor, at } => {
                if is_self(&actor) {
                    return Err(AccountError::CannotDisableSelf);
                }
                if facts.enabled {
                    vec![AccountEvent::AccountDisabled {
                        account_id,
                        actor,
                        at,
                    }]
                } else {
                    Vec::new()
                }
            }
            AccountCommand::Enable { actor, at } => {
                if facts.enabled {
                    Vec::new()
                } else {
                    vec![AccountEvent::AccountEnabled {
                        account_id,
                        actor,
                        at,
                    }]
                }
            }
        };
        Ok(events)
    }

    /// Folds one event into the state. Events for an account that was never created change
    /// nothing (they cannot be stored by `decide`, and `apply` must not fail).
    pub(super) fn fold(&mut self, event: &AccountEvent) {
        match event {
            AccountEvent::AccountCreated {
                account_id,
                username,
                role,
                office,
                display_name,
                password_hash,
                at,
                ..
            } => {
                self.facts = Some(AccountFacts {
                    account_id: *account_id,
                    username: username.clone(),
                    role: *role,
                    office: office.clone(),
                    display_name: display_name.clone(),
                    password_hash: password_hash.clone(),
                    enabled: true,
                    created_at: *at,
                });
            }
            AccountEvent::PasswordChanged { password_hash, .. } => {
                if let Some(facts) = &mut self.facts {
                    facts.password_hash = password_hash.clone();
                }
            }
            AccountEvent::RoleChanged { role, office, .. } => {
                if let Some(facts) = &mut self.facts {
                    facts.role = *role;
                    facts.office = office.clone();
                }
            }
            AccountEvent::AccountDisabled { .. } => {
                if let Some(facts) = &mut self.facts {
                    facts.enabled = false;
                }
            }
            AccountEvent::AccountEnabled { .. } => {
                if let Some(facts) = &mut self.facts {
                    facts.enabled = true;
                }
            }
        }
    }
}

/// Clerks need an office; the other roles work across offices and must not name one.
fn check_office(role: Role, office: Option<&OfficeId>) -> Result<(), AccountError> {
    match (role.needs_office(), office) {
        (true, None) => Err(AccountError::OfficeRequired),
        (false, Some(_)) => Err(AccountError::OfficeNotAllowed),
        _ => Ok(()),
    }
}
