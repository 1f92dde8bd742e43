//! Requesting, uploading, accepting and rejecting documents.

use super::*;

const FORM: &str = "wohnungsgeberbestaetigung";

fn upload(document_id: DocumentId, document_type: &str) -> CaseCommand {
    CaseCommand::UploadDocument {
        document_id,
        document_type: doc_type(document_type),
        file_name: format!("{CANARY} Wohnungsgeberbestaetigung.pdf"),
        content_type: "application/pdf".into(),
        size_bytes: 120_000,
        actor: Actor::Citizen,
        at: t(9, 4),
    }
}

fn accept(document_id: DocumentId) -> CaseCommand {
    CaseCommand::AcceptDocument {
        clerk: CLERK,
        document_id,
        at: t(9, 5),
    }
}

fn reject(document_id: DocumentId) -> CaseCommand {
    CaseCommand::RejectDocument {
        clerk: CLERK,
        document_id,
        reason: format!("The landlord's form for {CANARY} is not signed"),
        at: t(9, 5),
    }
}

fn request(types: &[&str]) -> CaseCommand {
    CaseCommand::RequestDocuments {
        clerk: CLERK,
        document_types: types.iter().map(|name| doc_type(name)).collect(),
        at: t(9, 3),
    }
}

#[test]
fn a_clerk_requests_documents_by_type() {
    let case = given::<Case>(identified())
        .when(request(&[FORM]))
        .then_expect(vec![documents_requested(&[FORM])]);
    assert_eq!(
        case.requested_documents().get(&doc_type(FORM)),
        Some(&RequestStatus::Outstanding)
    );
}

#[test]
fn requesting_only_types_that_are_already_outstanding_would_change_nothing_and_is_refused() {
    given::<Case>(and(identified(), [documents_requested(&[FORM])]))
        .when(request(&[FORM]))
        .then_error(|e| *e == CaseError::DocumentsAlreadyRequested);
}

#[test]
fn an_empty_document_request_is_refused() {
    given::<Case>(identified())
        .when(request(&[]))
        .then_error(|e| *e == CaseError::NoDocumentTypes);
}

#[test]
fn a_requested_document_is_uploaded_with_its_file_name_as_personal_data() {
    let case = given::<Case>(and(identified(), [documents_requested(&[FORM])]))
        .when(upload(DOC, FORM))
        .then_expect(vec![uploaded(DOC, FORM)]);
    assert_eq!(
        case.documents().get(&DOC).map(|d| d.status),
        Some(DocumentStatus::Uploaded)
    );
}

#[test]
fn a_document_of_a_type_that_was_not_requested_cannot_be_uploaded() {
    given::<Case>(and(identified(), [documents_requested(&[FORM])]))
        .when(upload(DOC, "geburtsurkunde"))
        .then_error(|e| *e == CaseError::DocumentNotRequested(doc_type("geburtsurkunde")));
}

#[test]
fn a_document_id_cannot_be_uploaded_twice() {
    given::<Case>(with_upload())
        .when(upload(DOC, FORM))
        .then_error(|e| *e == CaseError::DuplicateDocument(DOC));
}

#[test]
fn an_empty_file_cannot_be_uploaded() {
    let command = CaseCommand::UploadDocument {
        document_id: DOC,
        document_type: doc_type(FORM),
        file_name: "empty.pdf".into(),
        content_type: "application/pdf".into(),
        size_bytes: 0,
        actor: Actor::Citizen,
        at: t(9, 4),
    };
    given::<Case>(and(identified(), [documents_requested(&[FORM])]))
        .when(command)
        .then_error(|e| *e == CaseError::EmptyDocument);
}

#[test]
fn an_uploaded_document_is_accepted_and_its_type_is_no_longer_outstanding() {
    let case = given::<Case>(with_upload())
        .when(accept(DOC))
        .then_expect(vec![accepted(DOC, FORM)]);
    assert_eq!(
        case.requested_documents().get(&doc_type(FORM)),
        Some(&RequestStatus::Accepted)
    );
}

#[test]
fn a_document_that_was_never_uploaded_cannot_be_accepted() {
    given::<Case>(with_upload())
        .when(accept(DOC2))
        .then_error(|e| *e == CaseError::UnknownDocument(DOC2));
}

#[test]
fn an_accepted_document_cannot_be_accepted_or_rejected_again() {
    let history = and(with_upload(), [accepted(DOC, FORM)]);
    given::<Case>(history.clone())
        .when(accept(DOC))
        .then_error(|e| *e == CaseError::DocumentAlreadyDecided(DOC));
    given::<Case>(history)
        .when(reject(DOC))
        .then_error(|e| *e == CaseError::DocumentAlreadyDecided(DOC));
}

#[test]
fn an_uploaded_document_is_rejected_with_a_reason_as_personal_data() {
    let case = given::<Case>(with_upload())
        .when(reject(DOC))
        .then_expect(vec![rejected(DOC, FORM)]);
    assert_eq!(
        case.documents().get(&DOC).map(|d| d.status),
        Some(DocumentStatus::Rejected)
    );
}

#[test]
fn a_rejection_without_a_reason_is_refused() {
    given::<Case>(with_upload())
        .when(CaseCommand::RejectDocument {
            clerk: CLERK,
            document_id: DOC,
            reason: String::new(),
            at: t(9, 5),
        })
        .then_error(|e| *e == CaseError::NoRejectionReason);
}

#[test]
fn a_rejected_documents_type_stays_outstanding_and_can_be_uploaded_again() {
    let result = given::<Case>(and(with_upload(), [rejected(DOC, FORM)]))
        .when(upload(DOC2, FORM))
        .result();
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn no_further_document_can_be_uploaded_for_a_type_already_accepted() {
    given::<Case>(and(with_upload(), [accepted(DOC, FORM)]))
        .when(upload(DOC2, FORM))
        .then_error(|e| *e == CaseError::DocumentTypeAlreadyAccepted(doc_type(FORM)));
}

#[test]
fn requesting_an_accepted_type_again_reopens_it() {
    let case = given::<Case>(and(with_upload(), [accepted(DOC, FORM)]))
        .when(request(&[FORM]))
        .then_expect(vec![documents_requested(&[FORM])]);
    assert_eq!(
        case.requested_documents().get(&doc_type(FORM)),
        Some(&RequestStatus::Outstanding)
    );
}
