//! Staff accounts: clerks, auditors, planners and admins who log in with a local password.
//!
//! One stream per account, `account-{username}`, so the username is unique by construction (a
//! second creation finds the stream and is refused). The account id is a [`ClerkId`]: it is what
//! events of cases record as `Actor::Clerk`, and it is the subject whose data key seals the
//! display name and the password hash, so erasing an account makes both unreadable while its
//! history (who changed what, when) stays verifiable.
//!
//! Rules recorded here:
//! - A clerk belongs to exactly one office; other roles to none.
//! - Nobody disables their own account or changes their own role (no accidental lock-out, no
//!   self-promotion); another admin must do it.
//! - Disabling, enabling and changing to the same role are idempotent (no event).
//! - Hashing and checking passwords happens in the API; the domain stores the PHC string only.
//!
//! Identity from the city's identity provider (OIDC) can be added later as another way to prove
//! who someone is: accounts and roles stay here, a login method is an event of its own.
//!
//! [`ClerkId`]: crate::ids::ClerkId

mod codec;
mod command;
pub mod directory;
mod error;
mod event;
mod state;
mod types;

pub use codec::ACCOUNT_EVENT_SCHEMAS;
pub use command::AccountCommand;
pub use directory::{AccountDirectory, DirectoryCommand, DirectoryEvent, DIRECTORY_STREAM};
pub use error::AccountError;
pub use event::AccountEvent;
pub use state::{Account, AccountFacts};
pub use types::{AccountValueError, DisplayName, PasswordHash, Role, Username};

use crate::aggregate::Aggregate;

impl Aggregate for Account {
    type Command = AccountCommand;
    type Event = AccountEvent;
    type Error = AccountError;

    fn handle(&self, command: AccountCommand) -> Result<Vec<AccountEvent>, AccountError> {
        self.decide(command)
    }

    fn apply(&mut self, event: &AccountEvent) {
        self.fold(event);
    }
}

#[cfg(test)]
mod tests;
