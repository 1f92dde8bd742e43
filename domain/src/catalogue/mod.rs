//! The service catalogue: which services exist, what they cost, how long they take, and whether
//! the law lets them be done by video.
//!
//! The catalogue is data (`catalogue/services.csv` at the repository root, described in its README),
//! parsed here into typed [`Service`]s. Parsing is strict: a malformed cell is an error naming the
//! line and column rather than a silently wrong default, and an empty cell stays "unknown" instead
//! of becoming zero, because the planner's report must not mistake a missing fee for a free service.
//!
//! The CSV is the seed; admins change services through events of the stream `catalogue`
//! ([`changes`]), and the effective catalogue is the seed with those changes applied
//! ([`Catalogue::with_changes`]).

pub mod changes;
mod channel;
mod parse;
mod service;

pub use changes::{
    CatalogueChanges, CatalogueCommand, CatalogueEvent, ChangeError, ServiceChange,
    CATALOGUE_EVENT_SCHEMAS, CATALOGUE_STREAM,
};
pub use channel::{Channel, OnlinePortal, ONLINE_ELSEWHERE};
pub use service::{
    BasisPoints, Feasibility, MinMax, PersonalAppearance, RequiredDocument, Service,
};

use crate::ids::ServiceKey;

/// The catalogue shipped with the repository.
const DEFAULT_CSV: &str = include_str!("../../../catalogue/services.csv");

/// All services, in the order of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    services: Vec<Service>,
}

/// Why a catalogue could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("the header must be {expected:?}, found {found:?}")]
    Header { expected: String, found: String },
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error("line {line}, column {column}: {message}")]
    Cell {
        line: u64,
        column: &'static str,
        message: String,
    },
    #[error("line {line}: service key {key} appears twice")]
    DuplicateKey { line: u64, key: String },
}

impl CatalogueError {
    /// The source line the error refers to, if any.
    pub fn line(&self) -> Option<u64> {
        match self {
            CatalogueError::Header { .. } => Some(1),
            CatalogueError::Csv { line, .. }
            | CatalogueError::Cell { line, .. }
            | CatalogueError::DuplicateKey { line, .. } => Some(*line),
        }
    }
}

impl Catalogue {
    /// Parses a catalogue in the format of `catalogue/services.csv`.
    pub fn from_csv(text: &str) -> Result<Catalogue, CatalogueError> {
        parse::parse(text).map(|services| Catalogue { services })
    }

    /// The catalogue shipped with the repository. It is parsed at runtime so that a broken edit of
    /// the CSV is reported as an error; a test keeps it loading.
    pub fn default_catalogue() -> Result<Catalogue, CatalogueError> {
        Catalogue::from_csv(DEFAULT_CSV)
    }

    /// This catalogue with the admins' changes applied on top (the effective catalogue).
    pub fn with_changes(&self, changes: &CatalogueChanges) -> Catalogue {
        Catalogue {
            services: self
                .services
                .iter()
                .map(|service| changes.effective(service))
                .collect(),
        }
    }

    /// The service with this key.
    pub fn get(&self, key: &ServiceKey) -> Option<&Service> {
        self.services.iter().find(|service| &service.key == key)
    }

    /// All services in source order.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// Iterates over all services in source order.
    pub fn iter(&self) -> std::slice::Iter<'_, Service> {
        self.services.iter()
    }

    /// The number of services.
    pub fn len(&self) -> usize {
        self.services.len()
    }

    /// True for a catalogue without services.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }
}

impl<'a> IntoIterator for &'a Catalogue {
    type Item = &'a Service;
    type IntoIter = std::slice::Iter<'a, Service>;

    fn into_iter(self) -> Self::IntoIter {
        self.services.iter()
    }
}

#[cfg(test)]
mod tests;
