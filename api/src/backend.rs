//! Opens the configured event store: embedded SQLite under the data directory, or PostgreSQL
//! when `DATABASE_URL` is set. Both are used only through the store's traits from here on.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use store::postgres::PgStore;
use store::sqlite::SqliteStore;
use store::vault::MasterKey;
use store::{EventStore, IdempotencyStore, ReadModelStore, SessionStore};

use crate::settings::Settings;

/// The store, seen through its two traits.
#[derive(Debug, Clone)]
pub struct Backend {
    pub events: Arc<dyn EventStore>,
    pub read_models: Arc<dyn ReadModelStore>,
    /// Idempotency records of state-changing requests (see [`crate::idempotency`]).
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// Staff login sessions (see `crate::auth`).
    pub sessions: Arc<dyn SessionStore>,
    /// `sqlite` or `postgres`, for `/health` and logs.
    pub kind: &'static str,
    /// A key derived from the master key for the service's own signatures (booking challenges,
    /// the open-bookings index), so that every instance of one deployment agrees on them.
    pub derived_key: DerivedKey,
}

/// A secret key; `Debug` never shows it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DerivedKey(pub [u8; 32]);

impl std::fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DerivedKey(<redacted>)")
    }
}

impl DerivedKey {
    /// A sub-key for one purpose, so no two uses share a key.
    pub fn for_purpose(&self, purpose: &str) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        Sha256::new()
            .chain_update(self.0)
            .chain_update(purpose.as_bytes())
            .finalize()
            .into()
    }
}

/// Derives the service key from the master key (a one-way hash with a fixed label).
fn derive_key(master: &MasterKey) -> DerivedKey {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"buergeramt/derived-key/v1\0")
        .chain_update(master.to_hex().as_bytes())
        .finalize();
    DerivedKey(digest.into())
}

impl Backend {
    /// One store that implements every trait, seen through each of them (tests build their
    /// backends this way; `open` does the same for the configured store).
    pub fn from_store<S>(store: Arc<S>, kind: &'static str, derived_key: DerivedKey) -> Self
    where
        S: EventStore + ReadModelStore + IdempotencyStore + SessionStore,
    {
        Self {
            events: store.clone(),
            read_models: store.clone(),
            idempotency: store.clone(),
            sessions: store,
            kind,
            derived_key,
        }
    }

    /// Opens (and migrates) the store the settings name.
    pub async fn open(settings: &Settings) -> anyhow::Result<Self> {
        let master = master_key(settings)?;
        let derived_key = derive_key(&master);
        match &settings.database_url {
            Some(url) => {
                let store = PgStore::connect(url.expose(), master, settings.pg_max_connections)
                    .await
                    .context("connecting to PostgreSQL (DATABASE_URL)")?;
                let store = Arc::new(store);
                Ok(Self {
                    events: store.clone(),
                    read_models: store.clone(),
                    idempotency: store.clone(),
                    sessions: store,
                    kind: "postgres",
                    derived_key,
                })
            }
            None => {
                std::fs::create_dir_all(&settings.data_dir).with_context(|| {
                    format!(
                        "creating the data directory {}",
                        settings.data_dir.display()
                    )
                })?;
                let path = settings.sqlite_path();
                let store = SqliteStore::open(&path, master)
                    .await
                    .with_context(|| format!("opening the embedded store {}", path.display()))?;
                let store = Arc::new(store);
                Ok(Self {
                    events: store.clone(),
                    read_models: store.clone(),
                    idempotency: store.clone(),
                    sessions: store,
                    kind: "sqlite",
                    derived_key,
                })
            }
        }
    }
}

/// The master key from the settings, or from `<data_dir>/master.key`, created on first use with
/// owner-only permissions.
fn master_key(settings: &Settings) -> anyhow::Result<MasterKey> {
    if let Some(hex_key) = &settings.master_key {
        return MasterKey::from_hex(hex_key.expose()).context("BUERGERAMT_MASTER_KEY");
    }
    let path = settings.data_dir.join("master.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        return MasterKey::from_hex(&text).with_context(|| format!("parsing {}", path.display()));
    }
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating {}", settings.data_dir.display()))?;
    let key = MasterKey::generate();
    write_private(&path, &key.to_hex()).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a new master key");
    Ok(key)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}
