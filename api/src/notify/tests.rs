//! The notifier end to end on both store backends, over real SMTP on loopback: case events are
//! appended through the repository, the outbox and the reminder loop send through lettre to a
//! [`testkit::SmtpSink`], and the tests read what arrived with `mail-parser`.
//!
//! Waiting is bounded polling for a state (a mail arrived, an event is recorded, the checkpoint
//! passed an event); no test asserts on how long anything took. The clock is injected.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::case::{Appointment, CaseChannel, CaseCommand, Contact, Language, NotificationKind};
use domain::catalogue::Catalogue;
use domain::{Actor, Case, CaseId, CitizenId, OfficeId, ServiceKey};
use mail_parser::{MessageParser, MimeHeaders};
use store::repository::Repository;
use store::sqlite::SqliteStore;
use store::testing::{fresh_pg_database, TestDatabase};
use store::vault::MasterKey;
use store::{Cursor, StreamId, SubjectId};
use testkit::{ReceivedMail, SmtpSink};
use tokio::sync::watch;

use super::outbox::CONSUMER;
use super::{Clock, MailTransport, Notifier, NotifyConfig, NotifyError, SendError, SmtpMailer};
use crate::capability::CapabilityToken;
use crate::Backend;

const PUBLIC_URL: &str = "https://termine.example";
const PATIENCE: Duration = Duration::from_secs(30);

struct Env {
    name: &'static str,
    backend: Backend,
    _guard: (Option<tempfile::TempDir>, Option<TestDatabase>),
}

async fn sqlite() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(&dir.path().join("n.db"), MasterKey::generate())
            .await
            .unwrap(),
    );
    Env {
        name: "sqlite",
        backend: Backend::from_store(store, "sqlite", crate::backend::DerivedKey([7; 32])),
        _guard: (Some(dir), None),
    }
}

async fn postgres() -> Env {
    let db = fresh_pg_database().await;
    let store = Arc::new(db.pg_store(MasterKey::generate(), 8).await);
    Env {
        name: "postgres",
        backend: Backend::from_store(store, "postgres", crate::backend::DerivedKey([7; 32])),
        _guard: (None, Some(db)),
    }
}

async fn backends() -> Vec<Env> {
    vec![sqlite().await, postgres().await]
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

/// A clock the test moves.
#[derive(Clone)]
struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    fn new(now: &str) -> Self {
        Self(Arc::new(Mutex::new(at(now))))
    }
    fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().unwrap() = now;
    }
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
    fn clock(&self) -> Clock {
        let inner = self.0.clone();
        Arc::new(move || *inner.lock().unwrap())
    }
}

fn config() -> NotifyConfig {
    NotifyConfig {
        from: crate::settings::DEFAULT_MAIL_FROM.parse().unwrap(),
        reminder_window: chrono::Duration::hours(24),
        poll: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
    }
}

fn notifier_with(env: &Env, transport: Arc<dyn MailTransport>, clock: &TestClock) -> Notifier {
    Notifier::new(
        &env.backend,
        transport,
        Arc::new(Catalogue::default_catalogue().unwrap()),
        PUBLIC_URL,
        config(),
        clock.clock(),
    )
}

fn notifier(env: &Env, sink_url: &str, clock: &TestClock) -> Notifier {
    notifier_with(
        env,
        Arc::new(SmtpMailer::from_url(sink_url).unwrap()),
        clock,
    )
}

/// A running outbox; stopping it waits for it to end.
struct Running {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), NotifyError>>,
}

fn run_outbox(notifier: &Notifier) -> Running {
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(notifier.outbox().run_until(stopped));
    Running { stop, task }
}

impl Running {
    async fn stop(self) {
        self.stop.send(true).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

/// The office's appointment: 24 November 2026, 10:30 in Potsdam (09:30 UTC), 15 minutes.
fn appointment(starts_at: &str) -> Appointment {
    let starts_at = at(starts_at);
    Appointment {
        starts_at,
        local_start: crate::local_time::to_local(starts_at),
        duration_minutes: 15,
    }
}

struct Booked {
    case_id: CaseId,
    citizen_id: CitizenId,
    stream: StreamId,
    email: String,
}

/// Opens a case for `language` and books `starts_at`, both at the clock's time.
async fn book(env: &Env, clock: &TestClock, language: Language, starts_at: &str) -> Booked {
    let repository = Repository::new(env.backend.events.clone());
    let catalogue = Catalogue::default_catalogue().unwrap();
    let service = catalogue
        .get(&ServiceKey::parse("meldebescheinigung").unwrap())
        .unwrap()
        .clone();
    let case_id = CaseId(uuid::Uuid::now_v7());
    let citizen_id = CitizenId(uuid::Uuid::now_v7());
    let stream = StreamId::new(case_id.stream_name()).unwrap();
    let email = format!("person-{}@example.org", case_id.as_uuid().simple());
    repository
        .execute::<Case>(
            &stream,
            CaseCommand::Open {
                case_id,
                citizen_id,
                service: Box::new(service),
                office: OfficeId::parse("potsdam-mitte").unwrap(),
                channel: CaseChannel::Video,
                contact: Contact {
                    name: "Erika Mustermann".into(),
                    email: email.clone(),
                    phone: None,
                    language,
                },
                actor: Actor::Citizen,
                at: clock.now(),
            },
        )
        .await
        .unwrap();
    repository
        .execute::<Case>(
            &stream,
            CaseCommand::BookAppointment {
                appointment: appointment(starts_at),
                actor: Actor::Citizen,
                at: clock.now(),
            },
        )
        .await
        .unwrap();
    Booked {
        case_id,
        citizen_id,
        stream,
        email,
    }
}

async fn case(env: &Env, stream: &StreamId) -> Case {
    Repository::new(env.backend.events.clone())
        .load::<Case>(stream)
        .await
        .unwrap()
        .state
}

/// Runs a command, re-deciding after a conflict: the notifier appends to the same case.
async fn execute(env: &Env, stream: &StreamId, command: CaseCommand) {
    Repository::new(env.backend.events.clone())
        .execute_with_retry::<Case>(stream, command, 10)
        .await
        .unwrap();
}

/// Polls `check` until it holds; panics with `what` after [`PATIENCE`].
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the notifier's checkpoint has passed the last event of `stream`.
async fn checkpoint_passes(env: &Env, stream: &StreamId) {
    let events = env.backend.events.read_stream(stream, 0).await.unwrap();
    let last = events.last().unwrap().cursor;
    let models = env.backend.read_models.clone();
    eventually("the notifier's checkpoint passes the stream", || {
        let models = models.clone();
        async move { models.checkpoint(CONSUMER).await.unwrap() >= last }
    })
    .await;
}

async fn mails(sink: &SmtpSink, n: usize) -> Vec<ReceivedMail> {
    sink.wait_for(n, PATIENCE).await.unwrap()
}

/// What a test reads from one mail.
struct Parsed {
    subject: String,
    text: String,
    html: String,
    ics: Option<String>,
    ics_type: Option<String>,
}

fn parse(mail: &ReceivedMail) -> Parsed {
    let message = MessageParser::default().parse(&mail.data).unwrap();
    let calendar = message
        .attachments()
        .find(|p| p.attachment_name() == Some("termin.ics"));
    Parsed {
        subject: message.subject().unwrap().to_owned(),
        text: message.body_text(0).unwrap().into_owned(),
        html: message.body_html(0).unwrap().into_owned(),
        ics: calendar.map(|p| String::from_utf8(p.contents().to_vec()).unwrap()),
        ics_type: calendar.and_then(|p| {
            p.content_type().map(|ct| {
                format!(
                    "{}/{}; method={}",
                    ct.ctype(),
                    ct.subtype().unwrap_or_default(),
                    ct.attribute("method").unwrap_or_default()
                )
            })
        }),
    }
}

/// The token of the join link in a mail's text.
fn join_token(text: &str) -> CapabilityToken {
    let start = text.find("#token=").unwrap() + "#token=".len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '&')
        .collect();
    CapabilityToken::parse(&token).unwrap()
}

/// The value of an unfolded calendar line, e.g. `SEQUENCE`.
fn ics_value(ics: &str, name: &str) -> String {
    let unfolded = ics.replace("\r\n ", "");
    unfolded
        .split("\r\n")
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("{name} missing in {unfolded}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_sends_one_german_confirmation_with_a_calendar_file_and_a_recorded_join_link() {
    for env in backends().await {
        let sink = SmtpSink::start().await.unwrap();
        let clock = TestClock::new("2026-11-20T08:00:00Z");
        let outbox = run_outbox(&notifier(&env, &sink.url(), &clock));
        let booked = book(&env, &clock, Language::De, "2026-11-24T09:30:00Z").await;

        let mail = mails(&sink, 1).await.remove(0);
        assert_eq!(mail.rcpt_to, vec![booked.email.clone()], "{}", env.name);
        assert_eq!(mail.mail_from, "termine@buergeramt.invalid");
        let parsed = parse(&mail);
        assert!(parsed
            .subject
            .starts_with("Terminbestätigung: Meldebescheinigung"));
        assert!(parsed
            .text
            .contains("Wann: Dienstag, 24. November 2026, 10:30 Uhr"));
        assert!(parsed.html.contains("<html lang=\"de\">"));
        let ics = parsed.ics.expect("a calendar file");
        assert_eq!(
            parsed.ics_type.as_deref(),
            Some("text/calendar; method=REQUEST")
        );
        assert!(ics.contains("\r\nMETHOD:REQUEST\r\n"), "{ics}");
        assert_eq!(
            ics_value(&ics, "UID"),
            format!("{}@buergeramt", booked.case_id.as_uuid())
        );
        assert_eq!(ics_value(&ics, "DTSTART"), "20261124T093000Z");
        assert_eq!(ics_value(&ics, "DTEND"), "20261124T094500Z");
        let token = join_token(&parsed.text);
        assert_eq!(token.case_id(), booked.case_id);
        assert!(ics_value(&ics, "URL").contains(token.expose()));

        checkpoint_passes(&env, &booked.stream).await;
        let case = case(&env, &booked.stream).await;
        assert!(
            case.has_access_link(&token.hash()),
            "the join link's hash is recorded"
        );
        assert!(case.was_notified(NotificationKind::BookingConfirmed, 2));
        let stored = env
            .backend
            .events
            .read_stream(&booked.stream, 0)
            .await
            .unwrap();
        assert!(
            !stored
                .iter()
                .any(|e| String::from_utf8_lossy(&e.payload).contains(token.expose())),
            "the token itself is never stored"
        );
        outbox.stop().await;
        assert_eq!(sink.messages().len(), 1, "exactly one mail");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_english_contact_gets_an_english_confirmation() {
    for env in backends().await {
        let sink = SmtpSink::start().await.unwrap();
        let clock = TestClock::new("2026-11-20T08:00:00Z");
        let outbox = run_outbox(&notifier(&env, &sink.url(), &clock));
        book(&env, &clock, Language::En, "2026-11-24T09:30:00Z").await;
        let parsed = parse(&mails(&sink, 1).await[0]);
        assert!(
            parsed
                .subject
                .starts_with("Appointment confirmed: Certificate of registration"),
            "{}: {}",
            env.name,
            parsed.subject
        );
        assert!(parsed
            .text
            .contains("When: Tuesday, 24 November 2026, 10:30"));
        assert!(parsed.text.starts_with("Dear Erika Mustermann,"));
        assert!(parsed.html.contains("<html lang=\"en\">"));
        outbox.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reschedule_sends_an_update_with_a_higher_sequence_and_a_cancellation_sends_cancel() {
    for env in backends().await {
        let sink = SmtpSink::start().await.unwrap();
        let clock = TestClock::new("2026-11-20T08:00:00Z");
        let outbox = run_outbox(&notifier(&env, &sink.url(), &clock));
        let booked = book(&env, &clock, Language::De, "2026-11-24T09:30:00Z").await;
        let first = parse(&mails(&sink, 1).await[0]);

        execute(
            &env,
            &booked.stream,
            CaseCommand::RescheduleAppointment {
                appointment: appointment("2026-11-25T13:00:00Z"),
                actor: Actor::Citizen,
                at: clock.now(),
            },
        )
        .await;
        let moved = parse(&mails(&sink, 2).await[1]);
        assert!(
            moved.subject.starts_with("Termin verschoben:"),
            "{}",
            env.name
        );
        assert!(moved
            .text
            .contains("Mittwoch, 25. November 2026, 14:00 Uhr"));
        assert!(moved
            .text
            .contains("Dienstag, 24. November 2026, 10:30 Uhr gilt nicht mehr"));
        let (first_ics, moved_ics) = (first.ics.unwrap(), moved.ics.unwrap());
        assert_eq!(ics_value(&moved_ics, "UID"), ics_value(&first_ics, "UID"));
        let sequence = |ics: &str| ics_value(ics, "SEQUENCE").parse::<u64>().unwrap();
        assert!(sequence(&moved_ics) > sequence(&first_ics));
        assert_eq!(ics_value(&moved_ics, "DTSTART"), "20261125T130000Z");
        assert_ne!(
            join_token(&moved.text).hash(),
            join_token(&first.text).hash(),
            "every mail carries a new token"
        );

        execute(
            &env,
            &booked.stream,
            CaseCommand::CancelAppointment {
                actor: Actor::Citizen,
                at: clock.now(),
            },
        )
        .await;
        let cancelled = parse(&mails(&sink, 3).await[2]);
        assert!(cancelled.subject.starts_with("Termin abgesagt:"));
        assert!(
            !cancelled.text.contains("#token="),
            "no link to a cancelled appointment"
        );
        let cancel_ics = cancelled.ics.unwrap();
        assert_eq!(
            cancelled.ics_type.as_deref(),
            Some("text/calendar; method=CANCEL")
        );
        assert!(cancel_ics.contains("\r\nMETHOD:CANCEL\r\n"));
        assert_eq!(ics_value(&cancel_ics, "UID"), ics_value(&first_ics, "UID"));
        assert!(sequence(&cancel_ics) > sequence(&moved_ics));

        checkpoint_passes(&env, &booked.stream).await;
        let case = case(&env, &booked.stream).await;
        for kind in [
            NotificationKind::BookingConfirmed,
            NotificationKind::AppointmentRescheduled,
            NotificationKind::AppointmentCancelled,
        ] {
            let recorded = (1..=case.version()).any(|v| case.was_notified(kind, v));
            assert!(recorded, "{kind:?} recorded");
        }
        outbox.stop().await;
        assert_eq!(sink.messages().len(), 3);
    }
}

/// Catches the `reminders_due` read model up with `stream`. On PostgreSQL a reader may see a
/// committed event only later (while older transactions run), so this repeats until the
/// projection's checkpoint has passed the stream's last event.
async fn catch_up_reminders(env: &Env, stream: &StreamId) {
    let events = env.backend.events.read_stream(stream, 0).await.unwrap();
    let last = events.last().unwrap().cursor;
    let mut runner = projections::Runner::new(
        env.backend.events.clone(),
        env.backend.read_models.clone(),
        projections::by_name(projections::reminders_due::NAME).unwrap(),
    );
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        runner.catch_up().await.unwrap();
        let checkpoint = env
            .backend
            .read_models
            .checkpoint(projections::reminders_due::NAME)
            .await
            .unwrap();
        if checkpoint >= last {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "reminders_due never caught up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_goes_out_once_24_hours_before_even_across_two_ticks_and_a_restart() {
    for env in backends().await {
        let sink = SmtpSink::start().await.unwrap();
        let clock = TestClock::new("2026-11-20T08:00:00Z");
        let notifier = notifier(&env, &sink.url(), &clock);
        let booked = book(&env, &clock, Language::De, "2026-11-24T09:30:00Z").await;
        let start = at("2026-11-24T09:30:00Z");
        catch_up_reminders(&env, &booked.stream).await;

        clock.set(start - chrono::Duration::hours(25));
        let reminders = notifier.reminders();
        assert_eq!(
            reminders.tick().await.unwrap().sent,
            0,
            "{}: too early",
            env.name
        );

        clock.set(start - chrono::Duration::hours(23));
        assert_eq!(reminders.tick().await.unwrap().sent, 1);
        let parsed = parse(&mails(&sink, 1).await[0]);
        assert!(parsed.subject.starts_with("Erinnerung: Meldebescheinigung"));
        assert!(parsed
            .text
            .contains("Dienstag, 24. November 2026, 10:30 Uhr"));
        let token = join_token(&parsed.text);
        let state = case(&env, &booked.stream).await;
        assert!(state.reminded_for_current_appointment());
        assert!(state.has_access_link(&token.hash()));

        // A second tick before the read model has seen the reminder: the case says no.
        assert_eq!(reminders.tick().await.unwrap().sent, 0);
        catch_up_reminders(&env, &booked.stream).await;
        assert_eq!(reminders.tick().await.unwrap().sent, 0);
        // A restarted loop asks the same case.
        assert_eq!(notifier.reminders().tick().await.unwrap().sent, 0);
        assert_eq!(sink.messages().len(), 1, "exactly one reminder");

        // The counter sees a second reminder when there is one: a moved appointment is new.
        let later = at("2026-11-27T09:30:00Z");
        execute(
            &env,
            &booked.stream,
            CaseCommand::RescheduleAppointment {
                appointment: appointment("2026-11-27T09:30:00Z"),
                actor: Actor::Citizen,
                at: clock.now(),
            },
        )
        .await;
        catch_up_reminders(&env, &booked.stream).await;
        clock.set(later - chrono::Duration::hours(2));
        assert_eq!(reminders.tick().await.unwrap().sent, 1);
        assert_eq!(mails(&sink, 2).await.len(), 2);

        // Booked inside the window: the confirmation is enough.
        let late = book(&env, &clock, Language::En, "2026-11-27T10:30:00Z").await;
        catch_up_reminders(&env, &late.stream).await;
        let tick = reminders.tick().await.unwrap();
        assert_eq!((tick.sent, tick.skipped), (0, 1));
        assert!(!case(&env, &late.stream)
            .await
            .reminded_for_current_appointment());
        assert_eq!(sink.messages().len(), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_smtp_is_down_nothing_is_recorded_and_the_checkpoint_waits_then_the_mail_arrives_once(
) {
    for env in backends().await {
        let sink = SmtpSink::start().await.unwrap();
        let addr = sink.addr();
        let url = sink.url();
        sink.stop().await;
        let clock = TestClock::new("2026-11-20T08:00:00Z");
        let notifier = notifier(&env, &url, &clock);
        let outbox = run_outbox(&notifier);
        let booked = book(&env, &clock, Language::De, "2026-11-24T09:30:00Z").await;
        let booked_at = env
            .backend
            .events
            .read_stream(&booked.stream, 0)
            .await
            .unwrap()[1]
            .cursor;

        let failures = notifier.clone();
        eventually("several sends fail", || {
            let n = failures.send_failures();
            async move { n >= 3 }
        })
        .await;
        let state = case(&env, &booked.stream).await;
        assert!(
            !state.was_notified(NotificationKind::BookingConfirmed, 2),
            "{}: nothing recorded while SMTP is down",
            env.name
        );
        assert!(env.backend.read_models.checkpoint(CONSUMER).await.unwrap() < booked_at);
        let links = env
            .backend
            .events
            .read_stream(&booked.stream, 0)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.event_type == "AccessLinkIssued")
            .count();
        assert_eq!(links, 1, "retries reuse the one link");

        let sink = SmtpSink::start_on(addr).await.unwrap();
        let mail = mails(&sink, 1).await.remove(0);
        assert_eq!(mail.rcpt_to, vec![booked.email.clone()]);
        checkpoint_passes(&env, &booked.stream).await;
        assert!(case(&env, &booked.stream)
            .await
            .was_notified(NotificationKind::BookingConfirmed, 2));
        outbox.stop().await;
        assert_eq!(
            sink.messages().len(),
            1,
            "exactly once after the server is back"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_contact_gets_no_mail_and_the_notifier_moves_on() {
    for env in backends().await {
        let sink = SmtpSink::start().await.unwrap();
        let clock = TestClock::new("2026-11-20T08:00:00Z");
        let erased = book(&env, &clock, Language::De, "2026-11-24T09:30:00Z").await;
        assert!(env
            .backend
            .events
            .erase_subject(SubjectId(erased.citizen_id.as_uuid()))
            .await
            .unwrap());
        let kept = book(&env, &clock, Language::De, "2026-11-24T10:30:00Z").await;
        let outbox = run_outbox(&notifier(&env, &sink.url(), &clock));

        let mail = mails(&sink, 1).await.remove(0);
        assert_eq!(mail.rcpt_to, vec![kept.email.clone()], "{}", env.name);
        checkpoint_passes(&env, &kept.stream).await;
        assert!(env.backend.read_models.checkpoint(CONSUMER).await.unwrap() > Cursor::START);
        let state = case(&env, &erased.stream).await;
        assert!(!state.was_notified(NotificationKind::BookingConfirmed, 2));
        assert_eq!(state.version(), 2, "nothing appended to the erased case");
        assert!(!outbox.task.is_finished(), "the notifier still runs");
        outbox.stop().await;
        assert_eq!(sink.messages().len(), 1);
    }
}

/// A transport that delivers and then never returns, as if the process died between sending
/// and recording.
#[derive(Debug)]
struct DiesAfterSending(SmtpMailer);

#[async_trait]
impl MailTransport for DiesAfterSending {
    async fn send(&self, message: lettre::Message) -> Result<(), SendError> {
        self.0.send(message).await?;
        std::future::pending().await
    }

    fn describe(&self) -> String {
        "dies after sending".into()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_sending_and_recording_resends_and_a_recorded_mail_is_never_resent() {
    for env in backends().await {
        let sink = SmtpSink::start().await.unwrap();
        let clock = TestClock::new("2026-11-20T08:00:00Z");
        let booked = book(&env, &clock, Language::De, "2026-11-24T09:30:00Z").await;

        // Negative control: the mail left but was not recorded; a restart sends it again, and
        // the counter must see the duplicate.
        let dying = notifier_with(
            &env,
            Arc::new(DiesAfterSending(SmtpMailer::from_url(&sink.url()).unwrap())),
            &clock,
        );
        let crashed = run_outbox(&dying);
        mails(&sink, 1).await;
        crashed.task.abort();
        let _ = crashed.task.await;
        assert!(!case(&env, &booked.stream)
            .await
            .was_notified(NotificationKind::BookingConfirmed, 2));
        let restarted = run_outbox(&notifier(&env, &sink.url(), &clock));
        checkpoint_passes(&env, &booked.stream).await;
        restarted.stop().await;
        assert_eq!(
            sink.messages().len(),
            2,
            "{}: at least once: resent",
            env.name
        );

        // Recorded: even replaying the whole stream from the start sends nothing more.
        env.backend
            .read_models
            .reset_projection(CONSUMER)
            .await
            .unwrap();
        let replay = run_outbox(&notifier(&env, &sink.url(), &clock));
        checkpoint_passes(&env, &booked.stream).await;
        replay.stop().await;
        assert_eq!(sink.messages().len(), 2, "a recorded mail is never resent");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_closed_or_an_appointment_started_before_the_notifier_sees_it_gets_no_mail() {
    let env = sqlite().await;
    let sink = SmtpSink::start().await.unwrap();
    let clock = TestClock::new("2026-11-20T08:00:00Z");
    let closed = book(&env, &clock, Language::De, "2026-11-24T09:30:00Z").await;
    execute(
        &env,
        &closed.stream,
        CaseCommand::Close {
            outcome: domain::case::Outcome::Cancelled,
            actor: Actor::Citizen,
            at: clock.now(),
        },
    )
    .await;
    let started = book(&env, &clock, Language::De, "2026-11-20T09:00:00Z").await;
    let control = book(&env, &clock, Language::De, "2026-11-24T11:30:00Z").await;
    clock.set(at("2026-11-20T09:05:00Z"));
    let outbox = run_outbox(&notifier(&env, &sink.url(), &clock));
    let mail = mails(&sink, 1).await.remove(0);
    checkpoint_passes(&env, &control.stream).await;
    outbox.stop().await;
    assert_eq!(mail.rcpt_to, vec![control.email]);
    assert_eq!(sink.messages().len(), 1);
    assert!(!case(&env, &started.stream)
        .await
        .was_notified(NotificationKind::BookingConfirmed, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_the_notifier_reports_it_in_ready_and_stops_it_on_shutdown() {
    let env = sqlite().await;
    let sink = SmtpSink::start().await.unwrap();
    let clock = TestClock::new("2026-11-20T08:00:00Z");
    let state = crate::AppState::new(
        env.backend.clone(),
        Arc::new(Catalogue::default_catalogue().unwrap()),
        crate::HttpLimits::default(),
    )
    .with_public_url(PUBLIC_URL)
    .with_notifier(notifier(&env, &sink.url(), &clock));
    let runners = state.runners.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::serve(listener, state, async move {
        let _ = stop_rx.await;
    }));

    book(&env, &clock, Language::De, "2026-11-24T09:30:00Z").await;
    mails(&sink, 1).await;
    let client = reqwest::Client::new();
    let ready: serde_json::Value = {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let response = client.get(format!("{url}/ready")).send().await.unwrap();
            if response.status() == 200 {
                break response.json().await.unwrap();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "/ready never answered 200"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    assert_eq!(ready["projections"]["notifier"], "running");
    assert_eq!(ready["projections"]["reminders"], "running");
    assert_eq!(ready["projections"]["reminders_due"], "running");

    stop_tx.send(()).unwrap();
    server.await.unwrap().unwrap();
    let states = runners.snapshot();
    assert_eq!(states["notifier"], crate::readiness::RunnerState::Stopped);
    assert_eq!(states["reminders"], crate::readiness::RunnerState::Stopped);
}

#[tokio::test]
async fn without_an_smtp_url_mails_are_written_into_the_outbox_folder() {
    let env = sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = crate::settings::Settings {
        data_dir: dir.path().to_owned(),
        ..crate::settings::Settings::default()
    };
    let clock = TestClock::new("2026-11-20T08:00:00Z");
    let mut notifier = Notifier::from_settings(
        &settings,
        &env.backend,
        Arc::new(Catalogue::default_catalogue().unwrap()),
        PUBLIC_URL,
    )
    .unwrap();
    // The same notifier with the test's clock.
    notifier = Notifier::new(
        &env.backend,
        notifier.inner.transport.clone(),
        Arc::new(Catalogue::default_catalogue().unwrap()),
        PUBLIC_URL,
        config(),
        clock.clock(),
    );
    let outbox = run_outbox(&notifier);
    let booked = book(&env, &clock, Language::En, "2026-11-24T09:30:00Z").await;
    checkpoint_passes(&env, &booked.stream).await;
    outbox.stop().await;
    let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let data = std::fs::read(&files[0]).unwrap();
    let parsed = parse(&ReceivedMail {
        mail_from: String::new(),
        rcpt_to: Vec::new(),
        data,
    });
    assert!(parsed.subject.starts_with("Appointment confirmed:"));
}

#[test]
fn a_bad_sender_address_is_refused_at_start() {
    let settings = crate::settings::Settings {
        mail_from: "not an address".into(),
        ..crate::settings::Settings::default()
    };
    let error = NotifyConfig::from_settings(&settings).unwrap_err();
    assert!(error.to_string().contains("BUERGERAMT_MAIL_FROM"));
}

#[test]
fn send_errors_and_the_smtp_mailer_never_show_the_password() {
    let mailer = SmtpMailer::from_url("smtps://user:hunter2@mail.example.org:465").unwrap();
    assert_eq!(mailer.describe(), "SMTP server mail.example.org:465");
    assert!(!format!("{mailer:?}").contains("hunter2"));
    assert!(SmtpMailer::from_url("smtp://").is_err());
}
