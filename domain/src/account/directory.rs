//! The account directory: one stream (`accounts`) that lists every account ever created, so
//! that admins can list accounts without scanning the whole store. An account's own stream stays
//! the one place for its facts; the directory only records that it exists.
//!
//! The API appends to the account's stream first (which makes the username unique) and then lists
//! it here. Listing is idempotent, so a creation that failed between the two steps is completed
//! by running it again.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::types::Username;
use crate::aggregate::Aggregate;
use crate::codec::{EventCodec, EventSchema};
use crate::ids::ClerkId;

/// The directory's stream name. Account streams are `account-…`, so they can never collide.
pub const DIRECTORY_STREAM: &str = "accounts";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectoryCommand {
    /// Lists an account (nothing happens if it is listed already).
    List {
        account_id: ClerkId,
        username: Username,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum DirectoryEvent {
    AccountListed {
        account_id: ClerkId,
        username: Username,
        at: DateTime<Utc>,
    },
}

/// The directory never refuses; the type exists because every aggregate names one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {}

/// Every listed username, in listing order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountDirectory {
    usernames: Vec<Username>,
}

impl AccountDirectory {
    pub fn usernames(&self) -> &[Username] {
        &self.usernames
    }
}

impl Aggregate for AccountDirectory {
    type Command = DirectoryCommand;
    type Event = DirectoryEvent;
    type Error = DirectoryError;

    fn handle(&self, command: DirectoryCommand) -> Result<Vec<DirectoryEvent>, DirectoryError> {
        match command {
            DirectoryCommand::List {
                account_id,
                username,
                at,
            } => {
                if self.usernames.contains(&username) {
                    return Ok(Vec::new());
                }
                Ok(vec![DirectoryEvent::AccountListed {
                    account_id,
                    username,
                    at,
                }])
            }
        }
    }

    fn apply(&mut self, event: &DirectoryEvent) {
        match event {
            DirectoryEvent::AccountListed { username, .. } => {
                if !self.usernames.contains(username) {
                    self.usernames.push(username.clone());
                }
            }
        }
    }
}

/// The directory's one event type.
pub const DIRECTORY_EVENT_SCHEMAS: &[EventSchema] = &[EventSchema {
    event_type: "AccountListed",
    current_version: 1,
    personal_fields: &[],
}];

const CODEC: EventCodec = EventCodec {
    schemas: DIRECTORY_EVENT_SCHEMAS,
    upcasters: &[],
};

crate::codec::impl_domain_event_without_personal_data!(DirectoryEvent, CODEC);
