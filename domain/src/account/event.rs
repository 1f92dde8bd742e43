//! What happened to a staff account. The display name and the password hash are sealed with the
//! account id as the subject (see `codec.rs`), so erasing the account makes both unreadable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::types::{DisplayName, PasswordHash, Role, Username};
use crate::actor::Actor;
use crate::ids::{ClerkId, OfficeId};
use crate::pii::Pii;

/// An event of an account stream (`account-{username}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AccountEvent {
    AccountCreated {
        account_id: ClerkId,
        username: Username,
        role: Role,
        office: Option<OfficeId>,
        #[serde(default, skip_serializing_if = "Pii::is_erased")]
        display_name: Pii<DisplayName>,
        #[serde(default, skip_serializing_if = "Pii::is_erased")]
        password_hash: Pii<PasswordHash>,
        actor: Actor,
        at: DateTime<Utc>,
    },
    PasswordChanged {
        account_id: ClerkId,
        #[serde(default, skip_serializing_if = "Pii::is_erased")]
        password_hash: Pii<PasswordHash>,
        actor: Actor,
        at: DateTime<Utc>,
    },
    RoleChanged {
        account_id: ClerkId,
        role: Role,
        office: Option<OfficeId>,
        actor: Actor,
        at: DateTime<Utc>,
    },
    AccountDisabled {
        account_id: ClerkId,
        actor: Actor,
        at: DateTime<Utc>,
    },
    AccountEnabled {
        account_id: ClerkId,
        actor: Actor,
        at: DateTime<Utc>,
    },
}

impl AccountEvent {
    /// The account the event belongs to; also the subject whose key seals its personal fields.
    pub fn account_id(&self) -> ClerkId {
        match self {
            AccountEvent::AccountCreated { account_id, .. }
            | AccountEvent::PasswordChanged { account_id, .. }
            | AccountEvent::RoleChanged { account_id, .. }
            | AccountEvent::AccountDisabled { account_id, .. }
            | AccountEvent::AccountEnabled { account_id, .. } => *account_id,
        }
    }
}
