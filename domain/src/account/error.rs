//! Why an account refuses a command.

/// A broken rule of a staff account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this username already exists")]
    AlreadyExists,
    #[error("there is no account with this username")]
    NotFound,
    #[error("a clerk belongs to exactly one office")]
    OfficeRequired,
    #[error("only clerks belong to an office")]
    OfficeNotAllowed,
    #[error("nobody can disable their own account")]
    CannotDisableSelf,
    #[error("nobody can change their own role")]
    CannotChangeOwnRole,
}
