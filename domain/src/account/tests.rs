//! Given/when/then tests of the account rules, and codec round trips with the sealed fields.

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::actor::Actor;
use crate::codec::{DomainEvent, PersonalInput};
use crate::ids::{ClerkId, OfficeId};
use crate::pii::Pii;
use crate::testing::{given, Given};

const ACCOUNT: ClerkId = ClerkId(Uuid::from_u128(0xACC));
const ADMIN: ClerkId = ClerkId(Uuid::from_u128(0xAD));
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
const NEW_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA";

fn t(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, minute, 0).unwrap()
}

fn admin() -> Actor {
    Actor::Clerk(ADMIN)
}

fn mitte() -> OfficeId {
    OfficeId::parse("potsdam-mitte").unwrap()
}

fn username() -> Username {
    Username::parse("e.mustermann").unwrap()
}

fn create(role: Role, office: Option<OfficeId>) -> AccountCommand {
    AccountCommand::Create {
        account_id: ACCOUNT,
        username: username(),
        display_name: DisplayName::parse("Erika Mustermann").unwrap(),
        role,
        office,
        password_hash: PasswordHash::parse(HASH).unwrap(),
        actor: admin(),
        at: t(0),
    }
}

fn created() -> AccountEvent {
    AccountEvent::AccountCreated {
        account_id: ACCOUNT,
        username: username(),
        role: Role::Clerk,
        office: Some(mitte()),
        display_name: Pii::Present(DisplayName::parse("Erika Mustermann").unwrap()),
        password_hash: Pii::Present(PasswordHash::parse(HASH).unwrap()),
        actor: admin(),
        at: t(0),
    }
}

fn disabled() -> AccountEvent {
    AccountEvent::AccountDisabled {
        account_id: ACCOUNT,
        actor: admin(),
        at: t(5),
    }
}

#[test]
fn a_clerk_account_is_created_for_one_office() {
    let account = Given::<Account>::nothing()
        .when(create(Role::Clerk, Some(mitte())))
        .then_expect(vec![created()]);
    let facts = account.facts().unwrap();
    assert_eq!(
        (facts.role, facts.office.clone()),
        (Role::Clerk, Some(mitte()))
    );
    assert!(facts.enabled && account.can_log_in());
}

#[test]
fn a_clerk_needs_an_office_and_other_roles_must_not_have_one() {
    Given::<Account>::nothing()
        .when(create(Role::Clerk, None))
        .then_error(|e| *e == AccountError::OfficeRequired);
    for role in [Role::Auditor, Role::Planner, Role::Admin] {
        Given::<Account>::nothing()
            .when(create(role, Some(mitte())))
            .then_error(|e| *e == AccountError::OfficeNotAllowed);
        Given::<Account>::nothing()
            .when(create(role, None))
            .then_ok();
    }
}

#[test]
fn a_username_can_be_taken_only_once() {
    given::<Account>([created()])
        .when(create(Role::Admin, None))
        .then_error(|e| *e == AccountError::AlreadyExists);
}

#[test]
fn commands_to_an_account_that_does_not_exist_are_refused() {
    Given::<Account>::nothing()
        .when(AccountCommand::Disable {
            actor: admin(),
            at: t(1),
        })
        .then_error(|e| *e == AccountError::NotFound);
}

#[test]
fn a_disabled_account_cannot_log_in_until_it_is_enabled_again() {
    let account = given::<Account>([created()])
        .when(AccountCommand::Disable {
            actor: admin(),
            at: t(5),
        })
        .then_expect(vec![disabled()]);
    assert!(!account.can_log_in());
    let account = given::<Account>([created(), disabled()])
        .when(AccountCommand::Enable {
            actor: admin(),
            at: t(6),
        })
        .then_expect(vec![AccountEvent::AccountEnabled {
            account_id: ACCOUNT,
            actor: admin(),
            at: t(6),
        }]);
    assert!(account.can_log_in());
}

#[test]
fn disabling_a_disabled_account_and_enabling_an_enabled_one_record_nothing() {
    given::<Account>([created(), disabled()])
        .when(AccountCommand::Disable {
            actor: admin(),
            at: t(7),
        })
        .then_expect(vec![]);
    given::<Account>([created()])
        .when(AccountCommand::Enable {
            actor: admin(),
            at: t(7),
        })
        .then_expect(vec![]);
}

#[test]
fn nobody_disables_their_own_account_or_changes_their_own_role() {
    let me = Actor::Clerk(ACCOUNT);
    given::<Account>([created()])
        .when(AccountCommand::Disable {
            actor: me,
            at: t(1),
        })
        .then_error(|e| *e == AccountError::CannotDisableSelf);
    given::<Account>([created()])
        .when(AccountCommand::ChangeRole {
            role: Role::Admin,
            office: None,
            actor: me,
            at: t(1),
        })
        .then_error(|e| *e == AccountError::CannotChangeOwnRole);
}

#[test]
fn a_role_change_follows_the_office_rules_and_a_same_role_change_records_nothing() {
    given::<Account>([created()])
        .when(AccountCommand::ChangeRole {
            role: Role::Auditor,
            office: Some(mitte()),
            actor: admin(),
            at: t(1),
        })
        .then_error(|e| *e == AccountError::OfficeNotAllowed);
    given::<Account>([created()])
        .when(AccountCommand::ChangeRole {
            role: Role::Clerk,
            office: Some(mitte()),
            actor: admin(),
            at: t(1),
        })
        .then_expect(vec![]);
    let babelsberg = OfficeId::parse("potsdam-babelsberg").unwrap();
    let account = given::<Account>([created()])
        .when(AccountCommand::ChangeRole {
            role: Role::Clerk,
            office: Some(babelsberg.clone()),
            actor: admin(),
            at: t(1),
        })
        .then_ok();
    assert_eq!(account.facts().unwrap().office, Some(babelsberg));
}

#[test]
fn a_password_change_replaces_the_hash() {
    let account = given::<Account>([created()])
        .when(AccountCommand::ChangePassword {
            password_hash: PasswordHash::parse(NEW_HASH).unwrap(),
            actor: Actor::Clerk(ACCOUNT),
            at: t(2),
        })
        .then_ok();
    assert_eq!(
        account.facts().unwrap().password_hash,
        Pii::Present(PasswordHash::parse(NEW_HASH).unwrap())
    );
}

#[test]
fn usernames_are_three_to_sixty_four_of_lowercase_letters_digits_dot_underscore_and_dash() {
    for good in ["abc", "e.mustermann", "clerk_1-mitte", &"a".repeat(64)] {
        assert!(Username::parse(good).is_ok(), "{good}");
    }
    for bad in [
        "ab",
        "Erika",
        "a b",
        "müller",
        "x@y.de",
        "",
        &"a".repeat(65),
    ] {
        assert!(Username::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(Username::normalize(" E.Mustermann ").unwrap(), username());
    assert_eq!(username().stream_name(), "account-e.mustermann");
}

#[test]
fn display_names_and_password_hashes_never_show_in_debug_output() {
    let shown = format!("{:?}", created());
    assert!(!shown.contains("Erika"), "{shown}");
    assert!(!shown.contains("aGFzaGhhc2hoYXNo"), "{shown}");
}

#[test]
fn the_display_name_and_password_hash_are_sealed_under_the_account_id() {
    let encoded = created().encode();
    let payload = String::from_utf8(encoded.payload.clone()).unwrap();
    assert!(
        !payload.contains("Erika") && !payload.contains("argon2"),
        "{payload}"
    );
    assert!(payload.contains("potsdam-mitte") && payload.contains("e.mustermann"));
    let (subject, sealed) = encoded.personal.clone().expect("a sealed part");
    assert_eq!(subject, ACCOUNT.0);
    let sealed = String::from_utf8(sealed).unwrap();
    assert!(
        sealed.contains("Erika") && sealed.contains("argon2"),
        "{sealed}"
    );

    let decoded = AccountEvent::decode(
        &encoded.event_type,
        encoded.schema_version,
        &encoded.payload,
        PersonalInput::Present(sealed.as_bytes()),
    );
    assert_eq!(decoded, Ok(created()));
}

#[test]
fn an_erased_account_decodes_without_name_or_hash_and_can_no_longer_log_in() {
    let encoded = created().encode();
    let decoded = AccountEvent::decode(
        &encoded.event_type,
        encoded.schema_version,
        &encoded.payload,
        PersonalInput::Erased,
    )
    .unwrap();
    let account = given::<Account>([decoded]).state();
    let facts = account.facts().unwrap();
    assert!(facts.display_name.is_erased() && facts.password_hash.is_erased());
    assert!(facts.enabled && !account.can_log_in());
}

#[test]
fn every_account_event_decodes_to_itself_after_encoding() {
    let events = vec![
        created(),
        AccountEvent::PasswordChanged {
            account_id: ACCOUNT,
            password_hash: Pii::Present(PasswordHash::parse(NEW_HASH).unwrap()),
            actor: admin(),
            at: t(1),
        },
        AccountEvent::RoleChanged {
            account_id: ACCOUNT,
            role: Role::Planner,
            office: None,
            actor: admin(),
            at: t(2),
        },
        disabled(),
        AccountEvent::AccountEnabled {
            account_id: ACCOUNT,
            actor: admin(),
            at: t(6),
        },
    ];
    let types: Vec<String> = events.iter().map(|e| e.encode().event_type).collect();
    let schema: Vec<&str> = ACCOUNT_EVENT_SCHEMAS.iter().map(|s| s.event_type).collect();
    assert_eq!(types, schema);
    for event in events {
        let encoded = event.encode();
        let personal = match &encoded.personal {
            Some((_, bytes)) => PersonalInput::Present(bytes),
            None => PersonalInput::None,
        };
        let decoded = AccountEvent::decode(
            &encoded.event_type,
            encoded.schema_version,
            &encoded.payload,
            personal,
        );
        assert_eq!(decoded, Ok(event));
    }
}

#[test]
fn the_directory_lists_each_account_once() {
    let listed = DirectoryEvent::AccountListed {
        account_id: ACCOUNT,
        username: username(),
        at: t(0),
    };
    let directory = given::<AccountDirectory>([listed.clone()])
        .when(DirectoryCommand::List {
            account_id: ACCOUNT,
            username: username(),
            at: t(1),
        })
        .then_expect(vec![]);
    assert_eq!(directory.usernames(), &[username()]);
    let encoded = listed.encode();
    assert!(encoded.personal.is_none());
    assert_ne!(DIRECTORY_STREAM, username().stream_name());
}
