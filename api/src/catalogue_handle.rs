//! The live service catalogue: the CSV seed with the admins' changes (stream `catalogue`, see
//! [`domain::catalogue::changes`]) folded on top.
//!
//! Handlers call [`CatalogueHandle::current`], which first reads the catalogue stream after the
//! version it last folded. Nearly always that read returns nothing and the cached catalogue is
//! handed out as it is; after an append (by this process or another one writing to the same
//! store) the new events are folded and a new `Arc<Catalogue>` replaces the old one. So a change
//! shows at once in every process, and a restart rebuilds the same catalogue from the stream.

use std::sync::{Arc, Mutex};

use domain::catalogue::{CatalogueChanges, CatalogueEvent, CATALOGUE_STREAM};
use domain::{Aggregate, Catalogue};
use store::repository::decode;
use store::{EventStore, StreamId};

use crate::ApiError;

/// The catalogue as last folded, with the stream version it reflects.
#[derive(Debug)]
struct Folded {
    version: u64,
    changes: CatalogueChanges,
    effective: Arc<Catalogue>,
}

/// A cheap-to-clone handle on the effective catalogue.
#[derive(Debug, Clone)]
pub struct CatalogueHandle {
    seed: Arc<Catalogue>,
    events: Arc<dyn EventStore>,
    folded: Arc<Mutex<Folded>>,
}

impl CatalogueHandle {
    /// The seed plus the changes recorded in `events`.
    pub fn new(seed: Arc<Catalogue>, events: Arc<dyn EventStore>) -> Self {
        Self {
            folded: Arc::new(Mutex::new(Folded {
                version: 0,
                changes: CatalogueChanges::default(),
                effective: seed.clone(),
            })),
            seed,
            events,
        }
    }

    /// The CSV seed, without changes.
    pub fn seed(&self) -> &Arc<Catalogue> {
        &self.seed
    }

    /// The effective catalogue, caught up with the catalogue stream.
    pub async fn current(&self) -> Result<Arc<Catalogue>, ApiError> {
        Ok(self.current_with_version().await?.0)
    }

    /// The effective catalogue and the catalogue stream's version it reflects.
    pub async fn current_with_version(&self) -> Result<(Arc<Catalogue>, u64), ApiError> {
        let version = self.lock().version;
        let stream = StreamId::new(CATALOGUE_STREAM)?;
        let recorded = self.events.read_stream(&stream, version).await?;
        let mut decoded = Vec::with_capacity(recorded.len());
        for event in &recorded {
            let change: CatalogueEvent = decode(event).map_err(|e| {
                ApiError::Internal(anyhow::anyhow!(
                    "catalogue event {} cannot be decoded: {e}",
                    event.stream_version
                ))
            })?;
            decoded.push((event.stream_version, change));
        }
        let mut folded = self.lock();
        // Another request may have folded some of these meanwhile: apply each version once.
        let mut changed = false;
        for (stream_version, event) in &decoded {
            if *stream_version == folded.version + 1 {
                folded.changes.apply(event);
                folded.version = *stream_version;
                changed = true;
            }
        }
        if changed {
            folded.effective = Arc::new(self.seed.with_changes(&folded.changes));
        }
        Ok((folded.effective.clone(), folded.version))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Folded> {
        self.folded.lock().unwrap_or_else(|p| p.into_inner())
    }
}
