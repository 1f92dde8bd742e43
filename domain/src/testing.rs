//! Given/when/then helpers for aggregate tests: a history, a command, and the expected decision.
//! No database is involved; the aggregate is rebuilt from the given events with `apply`.

use std::fmt::Debug;

use crate::aggregate::Aggregate;

/// Starts a test from a history of events.
pub fn given<A: Aggregate>(events: impl IntoIterator<Item = A::Event>) -> Given<A> {
    let mut aggregate = A::default();
    for event in events {
        aggregate.apply(&event);
    }
    Given { aggregate }
}

/// An aggregate rebuilt from its history, waiting for a command.
#[derive(Debug)]
pub struct Given<A: Aggregate> {
    aggregate: A,
}

impl<A: Aggregate> Given<A> {
    /// Starts a test from an aggregate without history.
    pub fn nothing() -> Self {
        Given {
            aggregate: A::default(),
        }
    }

    /// The aggregate rebuilt from the history, for checks of its read accessors.
    pub fn state(self) -> A {
        self.aggregate
    }

    /// Handles one command.
    pub fn when(self, command: A::Command) -> Then<A> {
        let result = self.aggregate.handle(command);
        Then {
            aggregate: self.aggregate,
            result,
        }
    }
}

/// The decision of the aggregate.
#[derive(Debug)]
pub struct Then<A: Aggregate> {
    aggregate: A,
    result: Result<Vec<A::Event>, A::Error>,
}

impl<A: Aggregate> Then<A>
where
    A::Event: PartialEq + Debug,
    A::Error: Debug,
{
    /// Asserts the exact events and returns the aggregate with them applied, for further checks.
    #[track_caller]
    pub fn then_expect(self, expected: Vec<A::Event>) -> A {
        match self.result {
            Ok(events) => {
                assert_eq!(events, expected);
                let mut aggregate = self.aggregate;
                for event in &events {
                    aggregate.apply(event);
                }
                aggregate
            }
            Err(error) => panic!("expected events {expected:?}, got error {error:?}"),
        }
    }

    /// Asserts that the command was accepted and returns the aggregate with its events applied.
    #[track_caller]
    pub fn then_ok(self) -> A {
        match self.result {
            Ok(events) => {
                let mut aggregate = self.aggregate;
                for event in &events {
                    aggregate.apply(event);
                }
                aggregate
            }
            Err(error) => panic!("expected events, got error {error:?}"),
        }
    }

    /// Asserts that the command was refused with an error the predicate accepts.
    #[track_caller]
    pub fn then_error(self, predicate: impl FnOnce(&A::Error) -> bool) {
        match self.result {
            Ok(events) => panic!("expected an error, got events {events:?}"),
            Err(error) => assert!(predicate(&error), "unexpected error {error:?}"),
        }
    }

    /// Returns the raw result for tests that check something other than equality.
    pub fn result(self) -> Result<Vec<A::Event>, A::Error> {
        self.result
    }
}
