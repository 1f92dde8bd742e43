//! Opens the configured event store: embedded SQLite under the data directory, or PostgreSQL
//! when `DATABASE_URL` is set. Both are used only through the store's traits from here on.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use store::postgres::PgStore;
use store::sqlite::SqliteStore;
use store::vault::MasterKey;
use store::{EventStore, ReadModelStore, SessionStore};

use crate::settings::Settings;

/// The store, seen through its two traits.
#[derive(Debug, Clone)]
pub struct Backend {
    pub events: Arc<dyn EventStore>,
    pub read_models: Arc<dyn ReadModelStore>,
    /// Staff login sessions (see `crate::auth`).
    pub sessions: Arc<dyn SessionStore>,
    /// `sqlite` or `postgres`, for `/health` and logs.
    pub kind: &'static str,
}

impl Backend {
    /// Opens (and migrates) the store the settings name.
    pub async fn open(settings: &Settings) -> anyhow::Result<Self> {
        let master = master_key(settings)?;
        match &settings.database_url {
            Some(url) => {
                let store = PgStore::connect(url.expose(), master, settings.pg_max_connections)
                    .await
                    .context("connecting to PostgreSQL (DATABASE_URL)")?;
                let store = Arc::new(store);
                Ok(Self {
                    events: store.clone(),
                    read_models: store.clone(),
                    sessions: store,
                    kind: "postgres",
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
                    sessions: store,
                    kind: "sqlite",
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
