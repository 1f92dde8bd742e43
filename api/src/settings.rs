//! Typed settings: defaults, then an optional TOML file (`BUERGERAMT_CONFIG`), then environment
//! variables (`BUERGERAMT_*`, and `DATABASE_URL`). Secrets are redacted in `Debug`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A string that never shows in logs or `Debug` output.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The repository's `web/` folder, where `make run` finds the pages and their npm packages.
pub const DEFAULT_WEB_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../web");

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where the embedded store and the master key live. `BUERGERAMT_DATA_DIR`, default `./data`.
    pub data_dir: PathBuf,
    /// The address the HTTP server binds. `BUERGERAMT_LISTEN`, default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// `postgres://…` switches from the embedded SQLite store to PostgreSQL. `DATABASE_URL`.
    pub database_url: Option<Secret>,
    /// 64 hex characters; the key that wraps every citizen's data key. `BUERGERAMT_MASTER_KEY`.
    /// Without it a key is generated once and kept in `<data_dir>/master.key`.
    pub master_key: Option<Secret>,
    /// Connections to PostgreSQL. `BUERGERAMT_PG_MAX_CONNECTIONS`, default 16.
    pub pg_max_connections: u32,
    /// Log lines as JSON (`BUERGERAMT_LOG_JSON=true`) instead of text.
    pub log_json: bool,
    /// The folder the pages are served from (HTML, ES modules, KERN-UX under `node_modules/`).
    /// `BUERGERAMT_WEB_DIR`, default the repository's `web/` folder, fixed at compile time.
    pub web_dir: PathBuf,
    /// The largest request body accepted, in bytes; larger ones get 413.
    /// `BUERGERAMT_MAX_BODY_BYTES`, default 65536 (64 KiB).
    pub max_body_bytes: usize,
    /// Seconds a request may take before it is abandoned with 503.
    /// `BUERGERAMT_REQUEST_TIMEOUT_SECS`, default 30.
    pub request_timeout_secs: u64,
    /// The address citizens and clerks use to reach the service, for links in e-mails and cookie
    /// security (`https://…` makes cookies `Secure` and `__Host-`). `BUERGERAMT_PUBLIC_URL`,
    /// default `http://<the bound address>`.
    pub public_url: Option<String>,
    /// Booking window and fair-access limits (`[booking]` in the file; variables below).
    pub booking: crate::booking::BookingPolicy,
    /// Milliseconds a retry waits for the first request with its `Idempotency-Key` to finish
    /// before answering 409. `BUERGERAMT_IDEMPOTENCY_WAIT_MS`, default 5000.
    pub idempotency_wait_ms: u64,
    /// Hours an `Idempotency-Key` and its reply are remembered.
    /// `BUERGERAMT_IDEMPOTENCY_RETENTION_HOURS`, default 24.
    pub idempotency_retention_hours: u64,
    /// The SMTP server mail goes out through: `smtp://host:port` (plain, for a relay on the same
    /// host), `smtp://host?tls=required` (STARTTLS), `smtps://user:pass@host` (TLS from the
    /// start). `BUERGERAMT_SMTP_URL`. Without it mails are written as files into
    /// `<data_dir>/outbox/`.
    pub smtp_url: Option<Secret>,
    /// The sender of every mail. `BUERGERAMT_MAIL_FROM`,
    /// default `Bürgeramt Potsdam <termine@buergeramt.invalid>`.
    pub mail_from: String,
    /// How many hours before an appointment the reminder goes out. `BUERGERAMT_REMINDER_HOURS`,
    /// default 24.
    pub reminder_hours: u32,
    /// How often the notifier and the reminder loop look for work, in milliseconds.
    /// `BUERGERAMT_NOTIFY_POLL_MS`, default 1000.
    pub notify_poll_ms: u64,
    /// Minutes a staff session may go unused before it ends. `BUERGERAMT_SESSION_IDLE_MINUTES`,
    /// default 30.
    pub session_idle_minutes: u32,
    /// Hours a staff session lives at most, however busy. `BUERGERAMT_SESSION_ABSOLUTE_HOURS`,
    /// default 12.
    pub session_absolute_hours: u32,
    /// The UDP address the SFU binds for every call's media. `BUERGERAMT_SFU_BIND`, default the
    /// HTTP listener's IP with a port the system picks (set a fixed port behind a firewall).
    pub sfu_bind: Option<SocketAddr>,
    /// The address browsers send media to when it differs from the bound one (behind NAT).
    /// `BUERGERAMT_SFU_PUBLIC_ADDR`.
    pub sfu_public_addr: Option<SocketAddr>,
    /// TURN URLs for the browsers, comma-separated (`turn:turn.example:3478?transport=udp,…`).
    /// `BUERGERAMT_TURN_URLS`; without it no TURN server is offered.
    pub turn_urls: Option<String>,
    /// The secrets shared with coturn (`use-auth-secret`), comma-separated; the first mints.
    /// `BUERGERAMT_TURN_SECRETS`. Required with `turn_urls`.
    pub turn_secrets: Option<Secret>,
    /// Seconds a TURN credential is valid. `BUERGERAMT_TURN_TTL_SECS`, default 3600.
    pub turn_ttl_secs: u64,
    /// Tells every browser to send media through TURN only (`iceTransportPolicy: "relay"`).
    /// `BUERGERAMT_TURN_RELAY_ONLY=true`; needs `turn_urls`.
    pub turn_relay_only: bool,
}

/// The default sender of mails (see [`Settings::mail_from`]).
pub const DEFAULT_MAIL_FROM: &str = "Bürgeramt Potsdam <termine@buergeramt.invalid>";

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            master_key: None,
            pg_max_connections: 16,
            log_json: false,
            web_dir: PathBuf::from(DEFAULT_WEB_DIR),
            max_body_bytes: 64 * 1024,
            request_timeout_secs: 30,
            public_url: None,
            booking: crate::booking::BookingPolicy::default(),
            idempotency_wait_ms: 5000,
            idempotency_retention_hours: 24,
            smtp_url: None,
            mail_from: DEFAULT_MAIL_FROM.to_owned(),
            reminder_hours: 24,
            notify_poll_ms: 1000,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            sfu_bind: None,
            sfu_public_addr: None,
            turn_urls: None,
            turn_secrets: None,
            turn_ttl_secs: 3600,
            turn_relay_only: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read the settings file {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the settings file {path} is not valid: {source}")]
    Toml {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{name} is not valid: {reason}")]
    Env { name: &'static str, reason: String },
}

impl Settings {
    /// Loads settings from the process environment.
    pub fn load() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Loads settings from any variable lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let mut settings = match get("BUERGERAMT_CONFIG") {
            Some(path) => Self::from_file(Path::new(&path))?,
            None => Self::default(),
        };
        if let Some(dir) = get("BUERGERAMT_DATA_DIR") {
            settings.data_dir = PathBuf::from(dir);
        }
        if let Some(listen) = get("BUERGERAMT_LISTEN") {
            settings.listen = listen.parse().map_err(|_| SettingsError::Env {
                name: "BUERGERAMT_LISTEN",
                reason: format!("{listen:?} is not an address like 127.0.0.1:8080"),
            })?;
        }
        if let Some(url) = get("DATABASE_URL").filter(|u| !u.is_empty()) {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(SettingsError::Env {
                    name: "DATABASE_URL",
                    reason:
                        "only postgres:// URLs are supported; leave it unset for the embedded store"
                            .into(),
                });
            }
            settings.database_url = Some(Secret::new(url));
        }
        if let Some(key) = get("BUERGERAMT_MASTER_KEY").filter(|k| !k.is_empty()) {
            settings.master_key = Some(Secret::new(key));
        }
        if let Some(n) = get("BUERGERAMT_PG_MAX_CONNECTIONS") {
            settings.pg_max_connections =
                n.parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(SettingsError::Env {
                        name: "BUERGERAMT_PG_MAX_CONNECTIONS",
                        reason: format!("{n:?} is not a positive number"),
                    })?;
        }
        if let Some(dir) = get("BUERGERAMT_WEB_DIR").filter(|d| !d.is_empty()) {
            settings.web_dir = PathBuf::from(dir);
        }
        if let Some(flag) = get("BUERGERAMT_LOG_JSON") {
            settings.log_json = matches!(flag.as_str(), "1" | "true" | "yes");
        }
        if let Some(n) = get("BUERGERAMT_MAX_BODY_BYTES") {
            settings.max_body_bytes = positive(&n).ok_or(SettingsError::Env {
                name: "BUERGERAMT_MAX_BODY_BYTES",
                reason: format!("{n:?} is not a positive number of bytes"),
            })?;
        }
        if let Some(n) = get("BUERGERAMT_REQUEST_TIMEOUT_SECS") {
            settings.request_timeout_secs = positive(&n).ok_or(SettingsError::Env {
                name: "BUERGERAMT_REQUEST_TIMEOUT_SECS",
                reason: format!("{n:?} is not a positive number of seconds"),
            })?;
        }
        let booking = &mut settings.booking;
        let numbers: [(&'static str, &mut u32); 6] = [
            ("BUERGERAMT_BOOKING_LEAD_MINUTES", &mut booking.lead_minutes),
            ("BUERGERAMT_BOOKING_HORIZON_DAYS", &mut booking.horizon_days),
            (
                "BUERGERAMT_BOOKINGS_PER_CLIENT_HOUR",
                &mut booking.per_client_per_hour,
            ),
            (
                "BUERGERAMT_BOOKINGS_PER_EMAIL_DAY",
                &mut booking.per_email_per_day,
            ),
            (
                "BUERGERAMT_OPEN_BOOKINGS_PER_EMAIL",
                &mut booking.max_open_per_email,
            ),
            (
                "BUERGERAMT_BOOKING_NO_SHOW_GRACE_MINUTES",
                &mut booking.no_show_grace_minutes,
            ),
        ];
        for (name, target) in numbers {
            if let Some(n) = get(name) {
                *target = positive(&n).ok_or(SettingsError::Env {
                    name,
                    reason: format!("{n:?} is not a positive number"),
                })?;
            }
        }
        if let Some(n) = get("BUERGERAMT_BOOKING_POW_BITS") {
            booking.pow_bits = n
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|bits| *bits <= 32)
                .ok_or(SettingsError::Env {
                    name: "BUERGERAMT_BOOKING_POW_BITS",
                    reason: format!("{n:?} is not a number of bits from 0 to 32"),
                })?;
        }
        if let Some(n) = get("BUERGERAMT_IDEMPOTENCY_WAIT_MS") {
            settings.idempotency_wait_ms = n.trim().parse().map_err(|_| SettingsError::Env {
                name: "BUERGERAMT_IDEMPOTENCY_WAIT_MS",
                reason: format!("{n:?} is not a number of milliseconds"),
            })?;
        }
        if let Some(n) = get("BUERGERAMT_IDEMPOTENCY_RETENTION_HOURS") {
            settings.idempotency_retention_hours = positive(&n).ok_or(SettingsError::Env {
                name: "BUERGERAMT_IDEMPOTENCY_RETENTION_HOURS",
                reason: format!("{n:?} is not a positive number of hours"),
            })?;
        }
        if let Some(n) = get("BUERGERAMT_SESSION_IDLE_MINUTES") {
            settings.session_idle_minutes = positive(&n).ok_or(SettingsError::Env {
                name: "BUERGERAMT_SESSION_IDLE_MINUTES",
                reason: format!("{n:?} is not a positive number of minutes"),
            })?;
        }
        if let Some(n) = get("BUERGERAMT_SESSION_ABSOLUTE_HOURS") {
            settings.session_absolute_hours = positive(&n).ok_or(SettingsError::Env {
                name: "BUERGERAMT_SESSION_ABSOLUTE_HOURS",
                reason: format!("{n:?} is not a positive number of hours"),
            })?;
        }
        for (name, target) in [
            ("BUERGERAMT_SFU_BIND", &mut settings.sfu_bind),
            ("BUERGERAMT_SFU_PUBLIC_ADDR", &mut settings.sfu_public_addr),
        ] {
            if let Some(address) = get(name).filter(|a| !a.is_empty()) {
                *target = Some(address.parse().map_err(|_| SettingsError::Env {
                    name,
                    reason: format!("{address:?} is not an address like 192.0.2.10:3479"),
                })?);
            }
        }
        if let Some(urls) = get("BUERGERAMT_TURN_URLS").filter(|u| !u.is_empty()) {
            settings.turn_urls = Some(urls);
        }
        if let Some(secrets) = get("BUERGERAMT_TURN_SECRETS").filter(|s| !s.is_empty()) {
            settings.turn_secrets = Some(Secret::new(secrets));
        }
        if let Some(n) = get("BUERGERAMT_TURN_TTL_SECS") {
            settings.turn_ttl_secs = positive(&n).ok_or(SettingsError::Env {
                name: "BUERGERAMT_TURN_TTL_SECS",
                reason: format!("{n:?} is not a positive number of seconds"),
            })?;
        }
        if let Some(flag) = get("BUERGERAMT_TURN_RELAY_ONLY") {
            settings.turn_relay_only = matches!(flag.as_str(), "1" | "true" | "yes");
        }
        if settings.turn_relay_only && settings.turn_urls.is_none() {
            return Err(SettingsError::Env {
                name: "BUERGERAMT_TURN_RELAY_ONLY",
                reason: "relay only needs TURN servers (BUERGERAMT_TURN_URLS)".into(),
            });
        }
        settings.turn()?;
        if let Some(url) = get("BUERGERAMT_PUBLIC_URL").filter(|u| !u.is_empty()) {
            settings.public_url = Some(url);
        }
        if let Some(url) = &settings.public_url {
            let trimmed = url.trim_end_matches('/');
            let valid = (trimmed.starts_with("https://") || trimmed.starts_with("http://"))
                && !trimmed.contains(['?', '#', ' '])
                && trimmed
                    .split("://")
                    .nth(1)
                    .is_some_and(|rest| !rest.is_empty());
            if !valid {
                return Err(SettingsError::Env {
                    name: "BUERGERAMT_PUBLIC_URL",
                    reason: format!(
                        "{url:?} is not an http(s) URL like https://termine.potsdam.de"
                    ),
                });
            }
            settings.public_url = Some(trimmed.to_owned());
        }
        if let Some(url) = get("BUERGERAMT_SMTP_URL").filter(|u| !u.is_empty()) {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(SettingsError::Env {
                    name: "BUERGERAMT_SMTP_URL",
                    reason: "only smtp:// and smtps:// URLs are supported".into(),
                });
            }
            settings.smtp_url = Some(Secret::new(url));
        }
        if let Some(from) = get("BUERGERAMT_MAIL_FROM").filter(|f| !f.trim().is_empty()) {
            settings.mail_from = from.trim().to_owned();
        }
        if let Some(n) = get("BUERGERAMT_REMINDER_HOURS") {
            settings.reminder_hours = positive(&n).ok_or(SettingsError::Env {
                name: "BUERGERAMT_REMINDER_HOURS",
                reason: format!("{n:?} is not a positive number of hours"),
            })?;
        }
        if let Some(n) = get("BUERGERAMT_NOTIFY_POLL_MS") {
            settings.notify_poll_ms = positive(&n).ok_or(SettingsError::Env {
                name: "BUERGERAMT_NOTIFY_POLL_MS",
                reason: format!("{n:?} is not a positive number of milliseconds"),
            })?;
        }
        Ok(settings)
    }

    fn from_file(path: &Path) -> Result<Self, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::File {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| SettingsError::Toml {
            path: path.to_owned(),
            source,
        })
    }

    /// The TURN servers these settings name: `None` without `turn_urls`; an error when the URLs,
    /// the secrets or the lifetime are not valid, or the secrets are missing.
    pub fn turn(&self) -> Result<Option<media::turn::TurnServers>, SettingsError> {
        let Some(urls) = &self.turn_urls else {
            return Ok(None);
        };
        let invalid = |name: &'static str, reason: String| SettingsError::Env { name, reason };
        let secrets = self.turn_secrets.as_ref().ok_or_else(|| {
            invalid(
                "BUERGERAMT_TURN_SECRETS",
                "TURN URLs are set, so the secrets shared with coturn are needed".into(),
            )
        })?;
        let secrets = media::turn::TurnSecrets::parse_list(secrets.expose())
            .map_err(|e| invalid("BUERGERAMT_TURN_SECRETS", e.to_string()))?;
        media::turn::TurnServers::from_list(
            urls,
            secrets,
            std::time::Duration::from_secs(self.turn_ttl_secs),
        )
        .map(Some)
        .map_err(|e| invalid("BUERGERAMT_TURN_URLS", e.to_string()))
    }

    /// The session limits these settings name.
    pub fn session_policy(&self) -> store::sessions::SessionPolicy {
        store::sessions::SessionPolicy {
            idle: chrono::Duration::minutes(i64::from(self.session_idle_minutes)),
            absolute: chrono::Duration::hours(i64::from(self.session_absolute_hours)),
            ..store::sessions::SessionPolicy::DEFAULT
        }
    }

    /// The embedded store's file.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("buergeramt.db")
    }
}

/// A number above zero, or `None`.
fn positive<T: std::str::FromStr + Default + PartialOrd>(text: &str) -> Option<T> {
    text.trim().parse().ok().filter(|n| *n > T::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn the_public_url_must_be_http_or_https_and_loses_its_trailing_slash() {
        let s = load(&[("BUERGERAMT_PUBLIC_URL", "https://termine.potsdam.de/")]).unwrap();
        assert_eq!(s.public_url.as_deref(), Some("https://termine.potsdam.de"));
        for bad in [
            "ftp://x",
            "termine.potsdam.de",
            "https://",
            "https://x/?a=b",
        ] {
            assert!(load(&[("BUERGERAMT_PUBLIC_URL", bad)]).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_are_the_embedded_store_on_localhost_8080() {
        let s = load(&[]).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert!(s.database_url.is_none());
    }

    #[test]
    fn environment_variables_override_defaults() {
        let s = load(&[
            ("BUERGERAMT_LISTEN", "0.0.0.0:9000"),
            ("BUERGERAMT_DATA_DIR", "/tmp/x"),
            ("DATABASE_URL", "postgres://u@h/db"),
        ])
        .unwrap();
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(s.database_url.unwrap().expose(), "postgres://u@h/db");
    }

    #[test]
    fn the_pages_come_from_the_repository_web_folder_unless_buergeramt_web_dir_names_another() {
        let default = load(&[]).unwrap().web_dir;
        assert!(default.join("index.html").is_file(), "{default:?}");
        let s = load(&[("BUERGERAMT_WEB_DIR", "/srv/web")]).unwrap();
        assert_eq!(s.web_dir, PathBuf::from("/srv/web"));
    }

    #[test]
    fn request_limits_default_to_64_kib_and_30_seconds_and_can_be_set() {
        let s = load(&[]).unwrap();
        assert_eq!((s.max_body_bytes, s.request_timeout_secs), (65536, 30));
        let s = load(&[
            ("BUERGERAMT_MAX_BODY_BYTES", "1024"),
            ("BUERGERAMT_REQUEST_TIMEOUT_SECS", "5"),
        ])
        .unwrap();
        assert_eq!((s.max_body_bytes, s.request_timeout_secs), (1024, 5));
        for (name, value) in [
            ("BUERGERAMT_MAX_BODY_BYTES", "0"),
            ("BUERGERAMT_MAX_BODY_BYTES", "lots"),
            ("BUERGERAMT_REQUEST_TIMEOUT_SECS", "-1"),
        ] {
            let err = load(&[(name, value)]).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn turn_needs_its_secrets_and_valid_urls_and_never_shows_a_secret_in_an_error() {
        assert!(
            load(&[]).unwrap().turn().unwrap().is_none(),
            "no TURN by default"
        );
        let secret = "a-secret-of-at-least-thirty-two-characters";
        let s = load(&[
            (
                "BUERGERAMT_TURN_URLS",
                "turn:turn.example:3478?transport=udp,turn:turn.example:3478?transport=tcp",
            ),
            ("BUERGERAMT_TURN_SECRETS", secret),
            ("BUERGERAMT_TURN_TTL_SECS", "600"),
        ])
        .unwrap();
        let turn = s.turn().unwrap().unwrap();
        assert_eq!(turn.ttl(), std::time::Duration::from_secs(600));
        assert!(!format!("{s:?}").contains(secret));
        let missing = load(&[("BUERGERAMT_TURN_URLS", "turn:turn.example:3478")]).unwrap_err();
        assert!(
            missing.to_string().contains("BUERGERAMT_TURN_SECRETS"),
            "{missing}"
        );
        let bad_url = load(&[
            ("BUERGERAMT_TURN_URLS", "http://turn.example"),
            ("BUERGERAMT_TURN_SECRETS", secret),
        ])
        .unwrap_err();
        assert!(
            bad_url.to_string().contains("BUERGERAMT_TURN_URLS"),
            "{bad_url}"
        );
        let short = load(&[
            ("BUERGERAMT_TURN_URLS", "turn:turn.example:3478"),
            ("BUERGERAMT_TURN_SECRETS", "short"),
        ])
        .unwrap_err();
        assert!(!short.to_string().contains("short\""), "{short}");
    }

    #[test]
    fn idempotency_keys_wait_5_seconds_and_are_kept_24_hours_unless_set() {
        let s = load(&[]).unwrap();
        assert_eq!(
            (s.idempotency_wait_ms, s.idempotency_retention_hours),
            (5000, 24)
        );
        let s = load(&[
            ("BUERGERAMT_IDEMPOTENCY_WAIT_MS", "0"),
            ("BUERGERAMT_IDEMPOTENCY_RETENTION_HOURS", "48"),
        ])
        .unwrap();
        assert_eq!(
            (s.idempotency_wait_ms, s.idempotency_retention_hours),
            (0, 48)
        );
        for (name, value) in [
            ("BUERGERAMT_IDEMPOTENCY_WAIT_MS", "-1"),
            ("BUERGERAMT_IDEMPOTENCY_RETENTION_HOURS", "0"),
        ] {
            let err = load(&[(name, value)]).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn sessions_default_to_thirty_idle_minutes_and_twelve_hours_and_can_be_set() {
        let s = load(&[]).unwrap();
        assert_eq!((s.session_idle_minutes, s.session_absolute_hours), (30, 12));
        assert_eq!(s.session_policy(), store::sessions::SessionPolicy::DEFAULT);
        let s = load(&[
            ("BUERGERAMT_SESSION_IDLE_MINUTES", "15"),
            ("BUERGERAMT_SESSION_ABSOLUTE_HOURS", "8"),
        ])
        .unwrap();
        assert_eq!(s.session_policy().idle, chrono::Duration::minutes(15));
        assert_eq!(s.session_policy().absolute, chrono::Duration::hours(8));
        let err = load(&[("BUERGERAMT_SESSION_IDLE_MINUTES", "0")]).unwrap_err();
        assert!(err.to_string().contains("BUERGERAMT_SESSION_IDLE_MINUTES"));
    }

    #[test]
    fn a_bad_listen_address_is_an_error_that_names_the_variable() {
        let err = load(&[("BUERGERAMT_LISTEN", "eight-thousand")]).unwrap_err();
        assert!(err.to_string().contains("BUERGERAMT_LISTEN"));
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = load(&[
            ("DATABASE_URL", "postgres://user:hunter2@h/db"),
            ("BUERGERAMT_MASTER_KEY", "00ff"),
        ])
        .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("00ff"));
    }

    #[test]
    fn mail_settings_have_defaults_and_the_smtp_password_never_shows() {
        let s = load(&[]).unwrap();
        assert_eq!(s.smtp_url, None);
        assert_eq!(s.mail_from, DEFAULT_MAIL_FROM);
        assert_eq!((s.reminder_hours, s.notify_poll_ms), (24, 1000));
        let s = load(&[
            (
                "BUERGERAMT_SMTP_URL",
                "smtps://user:hunter2@mail.example.org",
            ),
            ("BUERGERAMT_MAIL_FROM", "Termine <t@example.org>"),
            ("BUERGERAMT_REMINDER_HOURS", "48"),
            ("BUERGERAMT_NOTIFY_POLL_MS", "250"),
        ])
        .unwrap();
        assert_eq!(
            s.smtp_url.as_ref().map(Secret::expose),
            Some("smtps://user:hunter2@mail.example.org")
        );
        assert_eq!(s.mail_from, "Termine <t@example.org>");
        assert_eq!((s.reminder_hours, s.notify_poll_ms), (48, 250));
        assert!(!format!("{s:?}").contains("hunter2"));
        for (name, value) in [
            ("BUERGERAMT_SMTP_URL", "http://mail.example.org"),
            ("BUERGERAMT_REMINDER_HOURS", "0"),
            ("BUERGERAMT_NOTIFY_POLL_MS", "soon"),
        ] {
            let err = load(&[(name, value)]).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn a_settings_file_is_read_before_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:7000\"\ndata_dir = \"/srv/b\"\n",
        )
        .unwrap();
        let s = load(&[
            ("BUERGERAMT_CONFIG", path.to_str().unwrap()),
            ("BUERGERAMT_LISTEN", "127.0.0.1:7001"),
        ])
        .unwrap();
        assert_eq!(s.data_dir, PathBuf::from("/srv/b"));
        assert_eq!(s.listen.port(), 7001);
    }
}
