//! Assessing, paying, waiving and refunding the fee.

use super::*;

fn assess(cents: i64) -> CaseCommand {
    CaseCommand::AssessFee {
        clerk: CLERK,
        amount: Cents(cents),
        at: t(9, 6),
    }
}

fn start_payment() -> CaseCommand {
    CaseCommand::StartPayment {
        payment_id: PAYMENT,
        actor: Actor::Citizen,
        at: t(9, 7),
    }
}

fn pay(payment_id: PaymentId, cents: i64) -> CaseCommand {
    CaseCommand::PayFee {
        payment_id,
        amount: Cents(cents),
        actor: Actor::System,
        at: t(9, 8),
    }
}

fn waive() -> CaseCommand {
    CaseCommand::WaiveFee {
        clerk: CLERK,
        reason: WaiverReason::SocialHardship,
        at: t(9, 8),
    }
}

fn refund() -> CaseCommand {
    CaseCommand::RefundFee {
        clerk: CLERK,
        at: t(9, 9),
    }
}

#[test]
fn a_fee_is_assessed_in_cents() {
    let case = given::<Case>(identified())
        .when(assess(1250))
        .then_expect(vec![fee_assessed(1250)]);
    assert_eq!(
        case.fee(),
        Some(&Fee {
            amount: Cents(1250),
            status: FeeStatus::Assessed
        })
    );
}

#[test]
fn a_fee_cannot_be_assessed_twice() {
    given::<Case>(and(identified(), [fee_assessed(1250)]))
        .when(assess(1300))
        .then_error(|e| *e == CaseError::FeeAlreadyAssessed);
}

#[test]
fn a_fee_can_be_assessed_again_after_a_refund() {
    let history = and(
        identified(),
        [
            fee_assessed(1250),
            payment_started(1250),
            fee_paid(1250),
            fee_refunded(1250),
        ],
    );
    let result = given::<Case>(history).when(assess(1000)).result();
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn a_negative_fee_is_refused() {
    given::<Case>(identified())
        .when(assess(-1))
        .then_error(|e| *e == CaseError::NegativeFee);
}

#[test]
fn a_payment_starts_for_an_assessed_unpaid_fee() {
    given::<Case>(and(identified(), [fee_assessed(1250)]))
        .when(start_payment())
        .then_expect(vec![payment_started(1250)]);
}

#[test]
fn a_payment_cannot_start_without_an_assessed_fee() {
    given::<Case>(identified())
        .when(start_payment())
        .then_error(|e| *e == CaseError::NoFee);
}

#[test]
fn a_payment_cannot_start_for_a_paid_fee() {
    given::<Case>(and(
        identified(),
        [fee_assessed(1250), payment_started(1250), fee_paid(1250)],
    ))
    .when(start_payment())
    .then_error(|e| *e == CaseError::FeeAlreadyPaid);
}

#[test]
fn a_payment_cannot_start_for_a_zero_fee() {
    given::<Case>(and(identified(), [fee_assessed(0)]))
        .when(start_payment())
        .then_error(|e| *e == CaseError::NothingToPay);
}

#[test]
fn a_fee_is_paid_with_the_started_payment_and_the_exact_amount() {
    let case = given::<Case>(and(
        identified(),
        [fee_assessed(1250), payment_started(1250)],
    ))
    .when(pay(PAYMENT, 1250))
    .then_expect(vec![fee_paid(1250)]);
    assert!(case.fee().is_some_and(|fee| fee.is_settled()));
}

#[test]
fn a_fee_cannot_be_paid_twice() {
    given::<Case>(and(
        identified(),
        [fee_assessed(1250), payment_started(1250), fee_paid(1250)],
    ))
    .when(pay(PAYMENT, 1250))
    .then_error(|e| *e == CaseError::FeeAlreadyPaid);
}

#[test]
fn the_paid_amount_must_equal_the_assessed_amount() {
    given::<Case>(and(
        identified(),
        [fee_assessed(1250), payment_started(1250)],
    ))
    .when(pay(PAYMENT, 1200))
    .then_error(|e| {
        *e == CaseError::AmountMismatch {
            assessed: Cents(1250),
            paid: Cents(1200),
        }
    });
}

#[test]
fn a_payment_that_was_never_started_cannot_pay_the_fee() {
    let other = PaymentId(Uuid::from_u128(0xBA2));
    given::<Case>(and(
        identified(),
        [fee_assessed(1250), payment_started(1250)],
    ))
    .when(pay(other, 1250))
    .then_error(|e| *e == CaseError::UnknownPayment(other));
}

#[test]
fn an_unpaid_fee_can_be_waived() {
    let case = given::<Case>(and(identified(), [fee_assessed(1250)]))
        .when(waive())
        .then_expect(vec![fee_waived(1250)]);
    assert!(case.fee().is_some_and(|fee| fee.is_settled()));
}

#[test]
fn a_paid_fee_cannot_be_waived() {
    given::<Case>(and(
        identified(),
        [fee_assessed(1250), payment_started(1250), fee_paid(1250)],
    ))
    .when(waive())
    .then_error(|e| *e == CaseError::FeeAlreadyPaid);
}

#[test]
fn a_paid_fee_is_refunded_in_full() {
    given::<Case>(and(
        identified(),
        [fee_assessed(1250), payment_started(1250), fee_paid(1250)],
    ))
    .when(refund())
    .then_expect(vec![fee_refunded(1250)]);
}

#[test]
fn an_unpaid_fee_cannot_be_refunded() {
    given::<Case>(and(identified(), [fee_assessed(1250)]))
        .when(refund())
        .then_error(|e| *e == CaseError::FeeNotPaid);
}
