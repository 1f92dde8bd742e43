//! What may be asked of a staff account.

use chrono::{DateTime, Utc};

use super::types::{DisplayName, PasswordHash, Role, Username};
use crate::actor::Actor;
use crate::ids::{ClerkId, OfficeId};

/// A request to change a staff account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountCommand {
    /// Creates the account. `office` is required for clerks and refused for everybody else.
    Create {
        account_id: ClerkId,
        username: Username,
        display_name: DisplayName,
        role: Role,
        office: Option<OfficeId>,
        password_hash: PasswordHash,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// Replaces the password hash (the API has checked the old password or the admin's right).
    ChangePassword {
        password_hash: PasswordHash,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// Gives the account another role or office (same rules as on creation).
    ChangeRole {
        role: Role,
        office: Option<OfficeId>,
        actor: Actor,
        at: DateTime<Utc>,
    },
    /// Stops the account from logging in; the API also revokes its sessions.
    Disable { actor: Actor, at: DateTime<Utc> },
    /// Lets a disabled account log in again.
    Enable { actor: Actor, at: DateTime<Utc> },
}
