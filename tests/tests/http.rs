//! Hostile input against the real `buergeramt` binary, on the embedded store and on PostgreSQL:
//! for every endpoint, a table of malformed requests (bad office ids incl. unicode, path
//! traversal, overlong segments, invalid dates, percent-encoding junk, bodies to routes that take
//! none, wrong methods, bogus headers). Every answer must be a 4xx; every answer the application
//! gives is `application/problem+json` with a `type` from the catalogue; nothing is ever a 5xx;
//! and the service is healthy and ready afterwards.
//!
//! Requests are written as raw bytes over TCP, so nothing normalises them on the way (an HTTP
//! client would resolve `..` and re-encode the path).

mod support;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use support::{Backend, TestStore};

/// The problem types of the catalogue (`api/src/problems.rs`).
const CATALOGUE: [&str; 30] = [
    "bad-request",
    "malformed-path",
    "malformed-query",
    "malformed-body",
    "invalid-body",
    "unsupported-media-type",
    "not-found",
    "unknown-route",
    "method-not-allowed",
    "payload-too-large",
    "conflict",
    "slot-taken",
    "slots-available",
    "rule-violated",
    "not-bookable-by-video",
    "too-many-requests",
    "invalid-access-link",
    "proof-of-work",
    "open-booking-limit",
    "idempotency-key-missing",
    "idempotency-key-invalid",
    "idempotency-key-reused",
    "idempotency-key-in-use",
    "timeout",
    "not-ready",
    "internal",
    "unauthenticated",
    "forbidden",
    "login-failed",
    "csrf-rejected",
];
const TYPE_BASE: &str = "https://buergeramt.example/problems/";

/// One answer, as read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `head` (request line and headers, without the final blank line) and `body` on a new
/// connection and reads the answer until the server closes it.
async fn raw(address: &str, head: &str, body: &[u8]) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut request = head.as_bytes().to_vec();
    request.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    request.extend_from_slice(body);
    // The server may answer (413) and close before it has read everything; that is fine.
    let _ = stream.write_all(&request).await;
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => bytes.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer to {head:?}");
    parse(&bytes).unwrap_or_else(|| panic!("no HTTP answer to {head:?}: {bytes:?}"))
}

fn parse(bytes: &[u8]) -> Option<Answer> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some(Answer {
        status,
        headers,
        body: bytes[end + 4..].to_vec(),
    })
}

/// Who must answer a hostile request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    /// The application: problem+json with one of these types.
    App(&'static [&'static str]),
    /// The HTTP parser, before the application sees anything (a request that is not valid
    /// HTTP/1.1): any 4xx.
    Parser,
}

const INVALID: By = By::App(&["bad-request", "malformed-path"]);
const UNKNOWN: By = By::App(&["unknown-route"]);
const METHOD: By = By::App(&["method-not-allowed"]);
const TOO_LARGE: By = By::App(&["payload-too-large"]);
const TOO_LARGE_OR_METHOD: By = By::App(&["payload-too-large", "method-not-allowed"]);

fn queue(office: &str, date: &str) -> String {
    format!("/api/v1/offices/{office}/queue/{date}")
}

/// `(request head, body, who answers)`.
fn hostile_requests() -> Vec<(String, Vec<u8>, By)> {
    let get = |target: &str| format!("GET {target} HTTP/1.1\r\nHost: localhost");
    let mut table: Vec<(String, Vec<u8>, By)> = Vec::new();
    let valid = queue("potsdam-mitte", "2026-11-24");

    // Office ids: unicode (encoded and raw), upper case, spaces, traversal, overlong, junk.
    for office in [
        "B%C3%BCrgerb%C3%BCro",
        "%F0%9F%8F%9B",
        "Potsdam-Mitte",
        "potsdam%20mitte",
        "%2e%2e",
        "..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "%00",
        "mitte%0d%0aSet-Cookie:%20x=1",
        "%ZZ",
        "%",
        "%FF%FE",
        "%C0%AF",
        "'%20OR%201=1--",
        "%3Cscript%3E",
        &"a".repeat(65),
        &"a".repeat(8_000),
    ] {
        table.push((get(&queue(office, "2026-11-24")), vec![], INVALID));
    }
    // Raw non-ASCII bytes in the request target are not HTTP: the parser answers.
    table.push((get(&queue("bürgerbüro", "2026-11-24")), vec![], By::Parser));
    // Dates.
    for date in [
        "2026-02-30",
        "2026-13-01",
        "2026-00-10",
        "26-11-24",
        "2026-11-24T00:00:00Z",
        "2026-11-24%20",
        "+2026-11-24",
        "-0001-01-01",
        "999999-01-01",
        "today",
        "%00",
        "%FF",
        &"9".repeat(8_000),
    ] {
        table.push((get(&queue("potsdam-mitte", date)), vec![], INVALID));
    }
    // An empty office segment: no valid office either way.
    table.push((
        get("/api/v1/offices//queue/2026-11-24"),
        vec![],
        By::App(&["bad-request", "unknown-route"]),
    ));
    // Paths that no endpoint has, including raw traversal.
    for target in [
        "/api/v1/offices/../../../etc/passwd/queue/2026-11-24",
        "/api/v1/offices/potsdam-mitte/queue",
        "/api/v1/offices/potsdam-mitte/queue/",
        "/api/v1/offices/potsdam-mitte/queue/2026-11-24/extra",
        "/api/v2/offices/potsdam-mitte/queue/2026-11-24",
        "/api/../../etc/passwd",
        "/api/v1/openapi.json/..",
        "/api/%2e%2e/%2e%2e/etc/passwd",
        "/api/v1/%FF",
        "/api",
    ] {
        table.push((get(target), vec![], UNKNOWN));
    }
    // Every endpoint: wrong methods, and bodies to routes that take none.
    for target in [valid.as_str(), "/health", "/ready", "/api/v1/openapi.json"] {
        for method in [
            "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND",
        ] {
            let head =
                format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0");
            table.push((head, vec![], METHOD));
        }
        // A huge declared body is refused before it is read.
        let head =
            format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000000");
        table.push((head, vec![], TOO_LARGE));
        let head = format!(
            "POST {target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1048576"
        );
        table.push((head, vec![b'{'; 1 << 20], TOO_LARGE_OR_METHOD));
        // Bogus headers that make the request invalid HTTP.
        for bogus in [
            "Content-Length: -1",
            "Content-Length: 12abc",
            "Content-Length: 1\r\nContent-Length: 2",
            "Transfer-Encoding: gzip, identity",
            "Bad Header: x",
            "X-Nul: a\0b",
            "X-Request-Id: \u{1b}[31mred",
            "Authorization: Bearer \u{7f}",
        ] {
            let head = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n{bogus}");
            table.push((head, vec![], By::Parser));
        }
        let huge_header = format!("X-Junk: {}", "j".repeat(1_000_000));
        let head = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n{huge_header}");
        table.push((head, vec![], By::Parser));
    }
    // The booking endpoints: junk queries, junk bodies, junk capability tokens.
    for target in [
        "/api/v1/offices/potsdam-mitte/slots",
        "/api/v1/offices/potsdam-mitte/slots?service=wohnsitz_anmeldung",
        "/api/v1/offices/potsdam-mitte/slots?service=..%2F..&date=2026-11-24",
        "/api/v1/offices/potsdam-mitte/slots?service=wohnsitz_anmeldung&date=2026-02-30",
        "/api/v1/offices/potsdam-mitte/slots?service=%FF&date=%00",
        "/api/v1/offices/B%C3%BCro/slots?service=wohnsitz_anmeldung&date=2026-11-24",
        "/api/v1/services/%3Cscript%3E",
        "/api/v1/services/..%2F..%2Fetc",
    ] {
        table.push((
            get(target),
            vec![],
            By::App(&["bad-request", "malformed-query", "malformed-path"]),
        ));
    }
    for token in [
        "",
        "Bearer",
        "Bearer x",
        "Basic YTpi",
        "Bearer ' OR 1=1 --",
        &format!("Bearer {}.{}", "0".repeat(32), "A".repeat(43)),
    ] {
        let head =
            format!("GET /api/v1/my-case HTTP/1.1\r\nHost: localhost\r\nAuthorization: {token}");
        table.push((head, vec![], By::App(&["invalid-access-link"])));
    }
    let booking_bodies: [(&str, &[u8], By); 8] = [
        ("application/json", b"{", By::App(&["malformed-body"])),
        ("application/json", b"[]", By::App(&["invalid-body"])),
        ("application/json", b"{\"service\": 1}", By::App(&["invalid-body"])),
        ("application/json", b"null", By::App(&["invalid-body"])),
        ("application/json", b"\xff\xfe", By::App(&["malformed-body"])),
        ("text/plain", b"{}", By::App(&["unsupported-media-type"])),
        ("application/x-www-form-urlencoded", b"service=x", By::App(&["unsupported-media-type"])),
        ("application/json", b"{\"service\":\"wohnsitz_anmeldung\",\"office\":\"potsdam-mitte\",\"start\":\"2026-11-25T10:30\",\"contact\":{\"name\":\"E\",\"email\":\"e@example.org\",\"language\":\"de\"},\"proof\":{\"challenge\":\"forged\",\"nonce\":\"1\"}}", By::App(&["proof-of-work"])),
    ];
    for (content_type, body, by) in booking_bodies {
        let head = format!(
            "POST /api/v1/bookings HTTP/1.1\r\nHost: localhost\r\nIdempotency-Key: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}",
            uuid::Uuid::new_v4(),
            body.len()
        );
        table.push((head, body.to_vec(), by));
    }
    for key_header in [
        "",
        "Idempotency-Key: \r\n",
        &format!("Idempotency-Key: {}\r\n", "k".repeat(300)),
    ] {
        let head = format!(
            "POST /api/v1/bookings HTTP/1.1\r\nHost: localhost\r\n{key_header}Content-Type: application/json\r\nContent-Length: 2"
        );
        table.push((
            head,
            b"{}".to_vec(),
            By::App(&["idempotency-key-missing", "idempotency-key-invalid"]),
        ));
    }
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let head = format!(
        "POST /api/v1/bookings HTTP/1.1\r\nHost: localhost\r\nIdempotency-Key: deep\r\nContent-Type: application/json\r\nContent-Length: {}",
        deep.len()
    );
    table.push((
        head,
        deep.into_bytes(),
        By::App(&["malformed-body", "invalid-body"]),
    ));

    // The admin endpoints without a session: junk paths, queries and bodies are refused as
    // problems (401 before the body is read), never a 5xx.
    for (method, target) in [
        ("GET", "/api/v1/admin/offices/B%C3%BCro"),
        ("GET", "/api/v1/admin/offices/%FF"),
        ("GET", "/api/v1/admin/offices/..%2F..%2Fetc"),
        ("GET", "/api/v1/admin/catalogue/changes?x=%00"),
        ("POST", "/api/v1/admin/offices"),
        ("PUT", "/api/v1/admin/offices/potsdam-mitte/profile"),
        ("PUT", "/api/v1/admin/offices/%00/opening-hours"),
        ("PUT", "/api/v1/admin/offices/potsdam-mitte/seats"),
        ("POST", "/api/v1/admin/offices/potsdam-mitte/closed-days"),
        (
            "DELETE",
            "/api/v1/admin/offices/potsdam-mitte/closed-days/%FF",
        ),
        (
            "DELETE",
            "/api/v1/admin/offices/potsdam-mitte/closed-days/2026-12-24?expected_version=-1",
        ),
        ("PATCH", "/api/v1/admin/services/%3Cscript%3E"),
        ("PATCH", "/api/v1/admin/services/personalausweis_antrag"),
    ] {
        for body in [
            &b"{"[..],
            b"{\"seats\": -1}",
            b"[]",
            b"{\"channel\":{\"kind\":\"video\"}}",
        ] {
            let head = format!(
                "{method} {target} HTTP/1.1\r\nHost: localhost\r\nIdempotency-Key: {}\r\nContent-Type: application/json\r\nContent-Length: {}",
                uuid::Uuid::new_v4(),
                body.len()
            );
            table.push((
                head,
                body.to_vec(),
                By::App(&[
                    "unauthenticated",
                    "malformed-path",
                    "malformed-query",
                    "bad-request",
                ]),
            ));
        }
    }

    // Bogus but well-formed headers on an invalid request: still the application's problem.
    for bogus in [
        "X-Request-Id: ../../etc/passwd\r\nX-Request-Id: second",
        "X-Request-Id: %1b[31mred",
        "Content-Type: application/json; charset=\"${jndi:ldap://x/a}\"",
        "Accept: application/problem+json;q=abc, */*;q=-1",
        "Cookie: session=%%%%%; =; ;;",
        "Host: evil.example:99999",
        "Authorization: Bearer ' OR 1=1 --",
        "Range: bytes=-1-2-3",
    ] {
        let head = format!(
            "GET {} HTTP/1.1\r\nHost: localhost\r\n{bogus}",
            queue("BAD", "2026-11-24")
        );
        table.push((head, vec![], INVALID));
    }
    table
}

/// Requests that are odd but harmless: answered normally, junk ignored. (The queue needs a
/// staff session, so the junk goes to a public endpoint.)
fn ignored_requests() -> Vec<(String, Vec<u8>)> {
    let valid = "/api/v1/openapi.json";
    let heads = vec![
        format!("GET {valid}?%ZZ=%FF&&&=&a[]=1&a[b]=2 HTTP/1.1\r\nHost: localhost"),
        format!(
            "GET {valid} HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: {}",
            "r".repeat(5_000)
        ),
        format!("GET {valid} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/x-junk"),
        format!("HEAD {valid} HTTP/1.1\r\nHost: localhost"),
        "GET /health?verbose=%00 HTTP/1.1\r\nHost: localhost".to_owned(),
        "GET /ready HTTP/1.1\r\nHost: localhost\r\nAccept: */*".to_owned(),
        "GET /api/v1/openapi.json HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: br;q=2"
            .to_owned(),
    ];
    let mut requests: Vec<(String, Vec<u8>)> = heads.into_iter().map(|h| (h, vec![])).collect();
    // Transfer-Encoding wins over Content-Length (RFC 9112 section 6.3): the body is read as an
    // empty chunked body.
    requests.push((
        format!(
            "GET {valid} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 5"
        ),
        b"0\r\n\r\n".to_vec(),
    ));
    requests
}

async fn ready_eventually(app: &support::App) {
    for _ in 0..200 {
        if app.get("/ready").await.status() == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the service never became ready");
}

async fn every_hostile_request_gets_a_4xx_problem_and_the_service_stays_healthy(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.serve(&[]);
    ready_eventually(&app).await;
    let address = app.url.trim_start_matches("http://").to_owned();

    let mut failures = Vec::new();
    for (head, body, by) in hostile_requests() {
        let answer = raw(&address, &head, &body).await;
        let shown: String = head.chars().take(120).collect();
        if !(400..500).contains(&answer.status) {
            failures.push(format!("{shown:?}: status {}", answer.status));
            continue;
        }
        let By::App(types) = by else { continue };
        if answer.header("content-type") != Some("application/problem+json") {
            failures.push(format!(
                "{shown:?}: {} with content type {:?}",
                answer.status,
                answer.header("content-type")
            ));
            continue;
        }
        if answer.header("x-request-id").is_none() {
            failures.push(format!("{shown:?}: no x-request-id"));
        }
        let problem: serde_json::Value = match serde_json::from_slice(&answer.body) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{shown:?}: body is not JSON: {e}"));
                continue;
            }
        };
        let slug = problem["type"]
            .as_str()
            .and_then(|t| t.strip_prefix(TYPE_BASE))
            .unwrap_or_default();
        if !CATALOGUE.contains(&slug) || !types.contains(&slug) {
            failures.push(format!(
                "{shown:?}: type {slug:?}, expected one of {types:?}"
            ));
        }
        if problem["status"] != answer.status {
            failures.push(format!("{shown:?}: status member {}", problem["status"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    for (head, body) in ignored_requests() {
        let answer = raw(&address, &head, &body).await;
        assert_eq!(answer.status, 200, "{head:?}");
        let id = answer.header("x-request-id").expect("an x-request-id");
        assert!(id.len() <= 64, "{head:?}: the request id was not replaced");
    }

    assert_eq!(app.get("/health").await.status(), 200);
    assert_eq!(app.get("/ready").await.status(), 200);
    assert!(app.stop().success(), "SIGTERM stops the service cleanly");
}

#[tokio::test]
async fn every_hostile_request_gets_a_4xx_problem_and_the_service_stays_healthy_on_sqlite() {
    every_hostile_request_gets_a_4xx_problem_and_the_service_stays_healthy(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_hostile_request_gets_a_4xx_problem_and_the_service_stays_healthy_on_postgres() {
    every_hostile_request_gets_a_4xx_problem_and_the_service_stays_healthy(Backend::Postgres).await;
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint_of_the_running_binary() {
    let store = TestStore::new(Backend::Sqlite).await;
    let app = store.serve(&[]);
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for path in [
        "/health",
        "/ready",
        "/api/v1/offices/{office}/queue/{date}",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.contains(&path), "{path} missing from {paths:?}");
    }
    // And each documented GET answers without a problem for a valid request (or asks for the
    // credential it documents).
    for path in paths {
        if doc["paths"][path].get("get").is_none() {
            continue;
        }
        let staff_only = [
            "/api/v1/offices/{office}/queue/{date}",
            "/api/v1/offices/{office}/waitlist/{date}",
            "/api/v1/offices/{office}/dashboard/{date}",
            "/api/v1/offices/{office}/dashboard/{date}/stream",
            "/api/v1/session",
            "/api/v1/accounts",
        ]
        .contains(&path)
            || path.starts_with("/api/v1/admin/");
        let mut uri = path
            .replace("{office}", "potsdam-mitte")
            .replace("{date}", "2026-11-24")
            .replace("{service}", "wohnsitz_anmeldung")
            .replace("{case_id}", "0191e4a6-7a1c-7c3e-9a57-1d2b3c4d5e6f");
        if path.ends_with("/slots") {
            uri.push_str("?service=wohnsitz_anmeldung&date=2026-11-24");
        }
        let status = app.get(&uri).await.status();
        let expected_ok = match path {
            "/ready" => status == 200 || status == 503,
            // The office of the demo exists only with --demo; an unknown office is a 404.
            p if p.ends_with("/slots") => status == 200 || status == 404,
            "/api/v1/my-case" | "/api/v1/my-case/stream" | "/api/v1/cases/{case_id}" => {
                status == 401
            }
            // A plain GET is not a WebSocket upgrade: 400, as documented.
            "/api/v1/call/ws" => status == 400,
            _ if staff_only => status == 401,
            _ => status == 200,
        };
        assert!(expected_ok, "{path}: {status}");
    }
}
