//! The admin API for offices and the service catalogue, admins only
//! (`auth::Operation::ManageOffices`): every change is a command on an aggregate and lands as an
//! event, so the history of every office and of the catalogue can be replayed and audited.
//!
//! - [`offices`] serves `/api/v1/admin/offices` and
//!   `/api/v1/admin/offices/{office}[/profile|/opening-hours|/seats|/closed-days]` over the office
//!   stream `office-{id}`; [`hours`] is the JSON shape of opening hours.
//! - [`catalogue`] serves `PATCH /api/v1/admin/services/{service}` and
//!   `GET /api/v1/admin/catalogue/changes` over the stream `catalogue`.
//!
//! Common shape: bodies may carry `expected_version` (the stream version the admin last saw; a
//! different current version is 409 `conflict`); without it the change applies to the current
//! state. A change that changes nothing answers 200 with the current state and records nothing,
//! so repeating a `PUT` is harmless. Authorisation is checked before the body is read: an
//! anonymous caller gets 401 and a non-admin 403 whatever they send.

pub mod catalogue;
pub mod hours;
pub mod offices;

use domain::Actor;

use crate::auth::Principal;
use crate::extract::Json;
use crate::ApiError;

/// Who is recorded as having made a change.
fn actor_of(principal: &Principal) -> Actor {
    principal.account_id().map_or(Actor::System, Actor::Clerk)
}

/// The body after authorisation: its rejection (400/415/422 problem) only counts for callers who
/// may make the change at all.
fn body<T>(body: Result<Json<T>, ApiError>) -> Result<T, ApiError> {
    body.map(|Json(value)| value)
}

#[cfg(test)]
mod tests;
