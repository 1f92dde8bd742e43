//! Who may do what: ONE table, [`permits`], for every operation the API has or will have.
//!
//! Handlers extract the [`Principal`], load whatever names the target (the office of a queue, the
//! case and its office) and call [`require`]. The table is deliberately written as one `match`
//! on the operation, so a reviewer reads each operation's rule in one place, and the tests compare
//! it with a matrix written out by hand for every principal kind and operation.
//!
//! Ownership rules: a clerk acts only on the office the account belongs to; a citizen only on the
//! case their capability link opens. An operation that needs a target but gets none is refused
//! (fail closed).

use domain::account::Role;
use domain::{CaseId, OfficeId};

use super::Principal;
use crate::ApiError;

/// Everything the API does, or will do, that needs permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// See an office's queue and dashboard of a day (no personal data).
    ViewOfficeQueue,
    /// Admit, hold or send back a citizen in an office's waiting room.
    ManageWaitingRoom,
    /// Work on a case of the office: call, check identity, request and judge documents, assess
    /// fees, issue the result, add notes, close.
    HandleCase,
    /// Read a case's full record, personal data included.
    ViewCase,
    /// Replay a case's event history and verify its chain (audit).
    ViewCaseHistory,
    /// Statistics and channel planning reports (no personal data).
    ViewPlanningReports,
    /// Manage offices, their opening hours and the service catalogue.
    ManageOffices,
    /// Create, list, disable, enable accounts; change roles and others' passwords.
    ManageAccounts,
    /// Read one's own session and change one's own password.
    ManageOwnSession,
    /// Citizen: read their own case.
    ViewOwnCase,
    /// Citizen: move their own appointment.
    RescheduleOwnAppointment,
    /// Citizen: cancel their own appointment.
    CancelOwnAppointment,
    /// Citizen: check in to the waiting room for their own appointment.
    CheckInOwnCase,
    /// Citizen: upload a requested document to their own case.
    UploadOwnDocument,
    /// Citizen: pay their own case's fee.
    PayOwnFee,
    /// Join the video call of a case: its citizen, or a clerk of its office.
    JoinVideoCall,
}

impl Operation {
    /// Every operation, for the exhaustive tests.
    pub const ALL: [Operation; 16] = [
        Operation::ViewOfficeQueue,
        Operation::ManageWaitingRoom,
        Operation::HandleCase,
        Operation::ViewCase,
        Operation::ViewCaseHistory,
        Operation::ViewPlanningReports,
        Operation::ManageOffices,
        Operation::ManageAccounts,
        Operation::ManageOwnSession,
        Operation::ViewOwnCase,
        Operation::RescheduleOwnAppointment,
        Operation::CancelOwnAppointment,
        Operation::CheckInOwnCase,
        Operation::UploadOwnDocument,
        Operation::PayOwnFee,
        Operation::JoinVideoCall,
    ];
}

/// The authorisation table. `target_office` is the office the operation acts on (a queue's
/// office, a case's office); `target_case` the case it acts on.
pub fn permits(
    principal: &Principal,
    operation: Operation,
    target_office: Option<&OfficeId>,
    target_case: Option<CaseId>,
) -> bool {
    use Operation as Op;
    let role = principal.role();
    // A clerk of exactly the target office.
    let clerk_here = || match principal {
        Principal::Staff {
            role: Role::Clerk,
            office: Some(own),
            ..
        } => target_office == Some(own),
        _ => false,
    };
    // The citizen whose capability link opens exactly the target case.
    let own_case = || match principal {
        Principal::Citizen { case_id } => target_case == Some(*case_id),
        _ => false,
    };
    match operation {
        Op::ViewOfficeQueue => {
            clerk_here()
                || (target_office.is_some()
                    && matches!(role, Some(Role::Auditor | Role::Planner | Role::Admin)))
        }
        Op::ManageWaitingRoom | Op::HandleCase | Op::ViewCase => clerk_here(),
        Op::ViewCaseHistory => role == Some(Role::Auditor) && target_case.is_some(),
        Op::ViewPlanningReports => matches!(role, Some(Role::Planner | Role::Admin)),
        Op::ManageOffices | Op::ManageAccounts => role == Some(Role::Admin),
        Op::ManageOwnSession => role.is_some(),
        Op::ViewOwnCase
        | Op::RescheduleOwnAppointment
        | Op::CancelOwnAppointment
        | Op::CheckInOwnCase
        | Op::UploadOwnDocument
        | Op::PayOwnFee => own_case(),
        Op::JoinVideoCall => own_case() || (clerk_here() && target_case.is_some()),
    }
}

/// [`permits`] as a handler step: 401 `unauthenticated` for an anonymous caller, 403 `forbidden`
/// for a known one who may not.
pub fn require(
    principal: &Principal,
    operation: Operation,
    target_office: Option<&OfficeId>,
    target_case: Option<CaseId>,
) -> Result<(), ApiError> {
    if permits(principal, operation, target_office, target_case) {
        Ok(())
    } else if matches!(principal, Principal::Anonymous) {
        Err(ApiError::Unauthenticated)
    } else {
        Err(ApiError::Forbidden)
    }
}
