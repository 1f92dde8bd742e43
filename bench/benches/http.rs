//! HTTP benchmark of the real `buergeramt` binary: bookings per second with p50/p99 latency at
//! 64 concurrent clients, dashboard reads per second, and the server's idle memory.
//!
//! The binary is a black box here: it is started as a child process (release build, path in
//! `BUERGERAMT_BIN`, default `target/release/buergeramt`) on a fresh PostgreSQL database (created
//! from `BUERGERAMT_TEST_DATABASE_URL`) and then on a fresh embedded SQLite store, with demo data.
//! The load generator speaks only the public API: it lists free slots, fetches a proof-of-work
//! challenge per booking, solves it and books. Rate limits are raised for the run (all clients
//! share one address); the proof-of-work difficulty is lowered to 8 bits so the figures measure
//! the server, not the client's hashing. Every booking takes a slot planned not to overlap
//! another, so nearly every answer is a 201; 409s are counted and reported, never hidden.
//!
//! Run with `make bench-http`. Prints one line per figure; nothing here asserts on time.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::Mutex;

const CLIENTS: usize = 64;
const MAX_BOOKINGS: usize = 3000;
const READ_SECONDS: u64 = 10;
const POW_BITS: u8 = 8;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let binary = std::env::var("BUERGERAMT_BIN").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/buergeramt").to_owned()
    });
    if !std::path::Path::new(&binary).is_file() {
        bail!("{binary} is missing: build it with `cargo build --release -p api --bin buergeramt`");
    }
    let admin_url = std::env::var("BUERGERAMT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let database = format!("bench_http_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .context("connecting to PostgreSQL (BUERGERAMT_TEST_DATABASE_URL)")?;
    sqlx::query(&format!("CREATE DATABASE {database}"))
        .execute(&mut admin)
        .await?;
    let pg_url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{database}"),
        None => bail!("BUERGERAMT_TEST_DATABASE_URL has no database part"),
    };

    let result = bench_backend(&binary, "PostgreSQL", Some(&pg_url)).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    result?;
    bench_backend(&binary, "SQLite", None).await
}

/// A running server and where it listens.
struct Server {
    child: tokio::process::Child,
    base: String,
    pid: u32,
    _data: tempfile::TempDir,
}

impl Server {
    async fn start(binary: &str, database_url: Option<&str>) -> anyhow::Result<Self> {
        let data = tempfile::tempdir()?;
        let mut command = tokio::process::Command::new(binary);
        command
            .args(["serve", "--demo"])
            .env("BUERGERAMT_DATA_DIR", data.path())
            .env("BUERGERAMT_LISTEN", "127.0.0.1:0")
            .env("BUERGERAMT_BOOKING_POW_BITS", POW_BITS.to_string())
            .env("BUERGERAMT_BOOKINGS_PER_CLIENT_HOUR", "1000000")
            .env("RUST_LOG", "warn")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(url) = database_url {
            command.env("DATABASE_URL", url);
        }
        let mut child = command.spawn().context("starting the binary")?;
        let pid = child.id().context("the child has no pid")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let Some(line) = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
                .await
                .context("the server did not print its address in 120 s")??
            else {
                bail!("the server exited before printing its address");
            };
            if let Some(rest) = line.split("running at ").nth(1) {
                let url = rest.split_whitespace().next().unwrap_or_default();
                break url.trim_end_matches('/').to_owned();
            }
        };
        // Keep reading stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            base,
            pid,
            _data: data,
        })
    }

    /// Resident and peak memory of the server process, in KiB, from `/proc`.
    fn memory_kib(&self) -> anyhow::Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Ok((field("VmRSS:"), field("VmHWM:")))
    }
}

async fn bench_backend(
    binary: &str,
    label: &str,
    database_url: Option<&str>,
) -> anyhow::Result<()> {
    let mut server = Server::start(binary, database_url).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    wait_ready(&client, &server.base).await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (rss, _) = server.memory_kib()?;
    println!(
        "{label}: idle memory after start with demo data: {:.1} MiB RSS",
        rss as f64 / 1024.0
    );

    let plan = plan_slots(&client, &server.base).await?;
    println!(
        "{label}: planned {} non-overlapping bookings over {} office-days",
        plan.slots.len(),
        plan.days
    );
    let bookings = book_all(&client, &server.base, plan.slots).await?;
    println!(
        "{label}: bookings at {CLIENTS} clients: {:.0}/s ({} × 201, {} × 409, {} other) in {:.1} s; \
         POST /bookings latency p50 {:.1} ms, p99 {:.1} ms; challenge + solve + book p50 {:.1} ms",
        bookings.created as f64 / bookings.elapsed.as_secs_f64(),
        bookings.created,
        bookings.conflicts,
        bookings.other,
        bookings.elapsed.as_secs_f64(),
        percentile(&bookings.post_latencies, 0.50),
        percentile(&bookings.post_latencies, 0.99),
        percentile(&bookings.round_latencies, 0.50),
    );

    let cookie = login(&client, &server.base).await?;
    let today = chrono::Local::now().date_naive();
    let path = format!("/api/v1/offices/potsdam-mitte/dashboard/{today}");
    let reads = read_for(&client, &server.base, &path, &cookie).await?;
    println!(
        "{label}: dashboard reads ({path}) at {CLIENTS} clients: {:.0}/s over {READ_SECONDS} s; \
         p50 {:.2} ms, p99 {:.2} ms; {} non-200",
        reads.ok as f64 / reads.elapsed.as_secs_f64(),
        percentile(&reads.latencies, 0.50),
        percentile(&reads.latencies, 0.99),
        reads.failed,
    );

    tokio::time::sleep(Duration::from_secs(5)).await;
    let (rss, peak) = server.memory_kib()?;
    println!(
        "{label}: memory 5 s after the load: {:.1} MiB RSS (peak {:.1} MiB)",
        rss as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    server.child.start_kill()?;
    let _ = server.child.wait().await;
    Ok(())
}

async fn wait_ready(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    for _ in 0..600 {
        if let Ok(response) = client.get(format!("{base}/ready")).send().await {
            if response.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{base}/ready did not answer 200 within 60 s")
}

/// One booking to make: office, service and office-local start.
#[derive(Debug, Clone)]
struct Slot {
    office: String,
    service: String,
    start: NaiveDateTime,
}

struct Plan {
    slots: Vec<Slot>,
    days: usize,
}

/// Lists every office-day's free slots of the shortest video service and keeps, per day, slots
/// that do not overlap (each as often as it has seats), so the bookings do not take each
/// other's time. The list is interleaved across days, as real demand would be.
async fn plan_slots(client: &reqwest::Client, base: &str) -> anyhow::Result<Plan> {
    let offices: Value = get_json(client, &format!("{base}/api/v1/offices")).await?;
    let offices: Vec<String> = offices
        .as_array()
        .context("offices: not a list")?
        .iter()
        .filter_map(|o| o["id"].as_str().map(str::to_owned))
        .collect();
    let services: Value = get_json(client, &format!("{base}/api/v1/services")).await?;
    let service = services
        .as_array()
        .context("services: not a list")?
        .iter()
        .filter(|s| s["video_bookable"] == true)
        .min_by_key(|s| s["appointment_minutes"].as_u64().unwrap_or(u64::MAX))
        .and_then(|s| s["key"].as_str().map(str::to_owned))
        .context("no video-bookable service in the catalogue")?;
    let today = chrono::Local::now().date_naive();
    let mut per_day: Vec<Vec<Slot>> = Vec::new();
    for day in 1..=60 {
        let date: NaiveDate = today + chrono::Duration::days(day);
        for office in &offices {
            let url = format!("{base}/api/v1/offices/{office}/slots?service={service}&date={date}");
            let slots: Value = get_json(client, &url).await?;
            let duration = slots["duration_minutes"].as_i64().unwrap_or(15);
            let mut free_from: Option<NaiveDateTime> = None;
            let mut day_slots = Vec::new();
            for slot in slots["slots"].as_array().into_iter().flatten() {
                let Some(start) = slot["start"]
                    .as_str()
                    .and_then(|s| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok())
                else {
                    continue;
                };
                if free_from.is_some_and(|f| start < f) {
                    continue;
                }
                for _ in 0..slot["seats_left"].as_u64().unwrap_or(0) {
                    day_slots.push(Slot {
                        office: office.clone(),
                        service: service.clone(),
                        start,
                    });
                }
                free_from = Some(start + chrono::Duration::minutes(duration));
            }
            if !day_slots.is_empty() {
                per_day.push(day_slots);
            }
        }
    }
    let days = per_day.len();
    let mut slots = Vec::new();
    let mut index = 0;
    while slots.len() < MAX_BOOKINGS && per_day.iter().any(|d| index < d.len()) {
        for day in &per_day {
            if let Some(slot) = day.get(index) {
                slots.push(slot.clone());
            }
        }
        index += 1;
    }
    slots.truncate(MAX_BOOKINGS);
    Ok(Plan { slots, days })
}

async fn get_json(client: &reqwest::Client, url: &str) -> anyhow::Result<Value> {
    let response = client.get(url).send().await?;
    let status = response.status();
    if !status.is_success() {
        bail!("GET {url}: {status}: {}", response.text().await?);
    }
    Ok(response.json().await?)
}

struct Bookings {
    created: usize,
    conflicts: usize,
    other: usize,
    elapsed: Duration,
    post_latencies: Vec<Duration>,
    round_latencies: Vec<Duration>,
}

async fn book_all(
    client: &reqwest::Client,
    base: &str,
    slots: Vec<Slot>,
) -> anyhow::Result<Bookings> {
    let queue = Arc::new(Mutex::new(slots.into_iter().enumerate()));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CLIENTS {
        let (queue, client, base) = (queue.clone(), client.clone(), base.to_owned());
        workers.push(tokio::spawn(async move {
            let mut results = Vec::new();
            loop {
                let next = queue.lock().await.next();
                let Some((n, slot)) = next else { break };
                results.push(book_one(&client, &base, n, &slot).await?);
            }
            anyhow::Ok(results)
        }));
    }
    let mut bookings = Bookings {
        created: 0,
        conflicts: 0,
        other: 0,
        elapsed: Duration::ZERO,
        post_latencies: Vec::new(),
        round_latencies: Vec::new(),
    };
    for worker in workers {
        for (status, post, round) in worker.await?? {
            match status {
                201 => bookings.created += 1,
                409 => bookings.conflicts += 1,
                _ => bookings.other += 1,
            }
            bookings.post_latencies.push(post);
            bookings.round_latencies.push(round);
        }
    }
    bookings.elapsed = started.elapsed();
    Ok(bookings)
}

/// Challenge, solve, book; returns the booking's status and the POST's and whole round's times.
async fn book_one(
    client: &reqwest::Client,
    base: &str,
    n: usize,
    slot: &Slot,
) -> anyhow::Result<(u16, Duration, Duration)> {
    let round = Instant::now();
    let challenge = get_json(client, &format!("{base}/api/v1/bookings/challenge")).await?;
    let text = challenge["challenge"]
        .as_str()
        .context("challenge: no text")?;
    let bits = challenge["bits"].as_u64().unwrap_or(POW_BITS as u64) as u32;
    let nonce = solve(text, bits);
    let body = json!({
        "service": slot.service,
        "office": slot.office,
        "start": slot.start.format("%Y-%m-%dT%H:%M").to_string(),
        "contact": {"name": format!("Bench Citizen {n}"), "email": format!("bench{n}@example.org"), "language": "de"},
        "proof": {"challenge": text, "nonce": nonce},
    });
    let post = Instant::now();
    let response = client
        .post(format!("{base}/api/v1/bookings"))
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&body)
        .send()
        .await?;
    let status = response.status().as_u16();
    let _ = response.bytes().await?;
    let post = post.elapsed();
    if status >= 500 {
        bail!("POST /bookings answered {status}");
    }
    Ok((status, post, round.elapsed()))
}

/// The same puzzle as the server's: SHA-256("<challenge>:<nonce>") with `bits` leading zero bits.
fn solve(challenge: &str, bits: u32) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|nonce| {
            let hash = Sha256::digest(format!("{challenge}:{nonce}").as_bytes());
            let mut zeros = 0;
            for byte in hash {
                if byte == 0 {
                    zeros += 8;
                } else {
                    zeros += byte.leading_zeros();
                    break;
                }
            }
            zeros >= bits
        })
        .unwrap_or_default()
}

async fn login(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let response = client
        .post(format!("{base}/api/v1/session"))
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&json!({"username": "clerk.mitte", "password": "demo-mitte-passwort"}))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("login: {}", response.status());
    }
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.split(';').next().map(str::to_owned))
        .context("login set no cookie")?;
    Ok(cookie)
}

struct Reads {
    ok: usize,
    failed: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

async fn read_for(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    cookie: &str,
) -> anyhow::Result<Reads> {
    let started = Instant::now();
    let until = started + Duration::from_secs(READ_SECONDS);
    let mut workers = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url, cookie) = (client.clone(), format!("{base}{path}"), cookie.to_owned());
        workers.push(tokio::spawn(async move {
            let (mut ok, mut failed, mut latencies) = (0, 0, Vec::new());
            while Instant::now() < until {
                let t = Instant::now();
                let response = client.get(&url).header("cookie", &cookie).send().await?;
                let success = response.status().is_success();
                let _ = response.bytes().await?;
                latencies.push(t.elapsed());
                if success {
                    ok += 1;
                } else {
                    failed += 1;
                }
            }
            anyhow::Ok((ok, failed, latencies))
        }));
    }
    let mut reads = Reads {
        ok: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for worker in workers {
        let (ok, failed, latencies) = worker.await??;
        reads.ok += ok;
        reads.failed += failed;
        reads.latencies.extend(latencies);
    }
    reads.elapsed = started.elapsed();
    Ok(reads)
}

/// The `q` quantile in milliseconds.
fn percentile(values: &[Duration], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort();
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}
