//! The texts of the citizen's mails, in German or English by the contact's language: booking
//! confirmation, rescheduled, cancelled, reminder. Each has a subject, a plain-text body, an HTML
//! alternative and (except the reminder) a calendar file.
//!
//! Rendering is a pure function of [`MessageFacts`], so every text is unit-tested without a mail
//! server. Dates are the office's wall-clock time (`Appointment::local_start`), written the way
//! each language writes them; the calendar file carries UTC.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use domain::case::{Appointment, CaseChannel, Language};
use domain::catalogue::Catalogue;
use domain::{CaseId, OfficeId, ServiceKey};

use super::ics::{CalendarEvent, Method};

/// Which mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// The appointment is booked.
    Confirmation,
    /// The appointment moved from `previous`.
    Rescheduled { previous: Appointment },
    /// The appointment is cancelled.
    Cancelled,
    /// The appointment is soon.
    Reminder,
}

/// The citizen's links; both hold a capability token.
#[derive(Clone, PartialEq, Eq)]
pub struct Links {
    /// Opens the appointment page (waiting room, documents).
    pub join: String,
    /// Opens the appointment page with the cancel button.
    pub cancel: String,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Links(<redacted>)")
    }
}

/// Everything a mail says. Holds personal data (name, address) and secrets (links), so its
/// `Debug` form shows only the kind and language.
#[derive(Clone)]
pub struct MessageFacts {
    pub kind: MessageKind,
    pub case_id: CaseId,
    /// The case stream's version of the event the mail is about (the calendar's `SEQUENCE`).
    pub version: u64,
    pub language: Language,
    pub name: String,
    pub email: String,
    pub service: ServiceKey,
    pub office: OfficeId,
    /// The office's display name (from the office aggregate), if it has one.
    pub office_name: Option<String>,
    pub channel: CaseChannel,
    pub appointment: Appointment,
    /// The join and cancel links; `None` for a cancellation.
    pub links: Option<Links>,
    /// Where a new appointment can be booked (the service's start page).
    pub booking_url: String,
    /// When the mail is made.
    pub now: DateTime<Utc>,
}

impl std::fmt::Debug for MessageFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageFacts")
            .field("kind", &self.kind)
            .field("case_id", &self.case_id)
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

/// A finished mail, before addressing.
#[derive(Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub calendar: Option<(Method, String)>,
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered")
            .field("subject", &self.subject)
            .field("calendar", &self.calendar.as_ref().map(|(m, _)| *m))
            .finish_non_exhaustive()
    }
}

/// The sender as the calendar file names it.
#[derive(Debug, Clone)]
pub struct Sender {
    pub name: String,
    pub email: String,
}

/// The label of an office in texts: its name from the office aggregate, or its id when it has
/// none; every text goes through here.
pub fn office_label(office: &OfficeId, name: Option<&str>) -> String {
    name.map_or_else(|| office.as_str().to_owned(), str::to_owned)
}

/// The service's name in `language`, or its key if the catalogue does not know it.
pub fn service_name(catalogue: &Catalogue, service: &ServiceKey, language: Language) -> String {
    match catalogue.get(service) {
        Some(s) if language == Language::De => s.name_de.clone(),
        Some(s) => s.name_en.clone(),
        None => service.as_str().to_owned(),
    }
}

const WEEKDAYS_DE: [&str; 7] = [
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
];
const WEEKDAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `Dienstag, 24. November 2026, 10:30 Uhr` or `Tuesday, 24 November 2026, 10:30`.
pub fn long_date_time(local: NaiveDateTime, language: Language) -> String {
    let weekday = local.weekday().num_days_from_monday() as usize;
    let month = local.month0() as usize;
    let (day, year, hour, minute) = (local.day(), local.year(), local.hour(), local.minute());
    match language {
        Language::De => format!(
            "{}, {day}. {} {year}, {hour:02}:{minute:02} Uhr",
            WEEKDAYS_DE[weekday], MONTHS_DE[month]
        ),
        Language::En => format!(
            "{}, {day} {} {year}, {hour:02}:{minute:02}",
            WEEKDAYS_EN[weekday], MONTHS_EN[month]
        ),
    }
}

/// `24.11.2026, 10:30 Uhr` or `24 November 2026, 10:30`, for subject lines.
fn short_date_time(local: NaiveDateTime, language: Language) -> String {
    match language {
        Language::De => local.format("%d.%m.%Y, %H:%M Uhr").to_string(),
        Language::En => format!(
            "{} {} {}, {:02}:{:02}",
            local.day(),
            MONTHS_EN[local.month0() as usize],
            local.year(),
            local.hour(),
            local.minute()
        ),
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One paragraph or link of a mail, rendered both as text and as HTML.
enum Block {
    Para(String),
    /// A label and the facts under it.
    Facts(Vec<(String, String)>),
    Link {
        label: String,
        url: String,
    },
}

/// Renders the mail for `facts` in the contact's language.
pub fn render(facts: &MessageFacts, catalogue: &Catalogue, sender: &Sender) -> Rendered {
    let lang = facts.language;
    let de = lang == Language::De;
    let service = service_name(catalogue, &facts.service, lang);
    let when = long_date_time(facts.appointment.local_start, lang);
    let short = short_date_time(facts.appointment.local_start, lang);
    let office = office_label(&facts.office, facts.office_name.as_deref());
    let place = match (facts.channel, de) {
        (CaseChannel::Video, true) => format!("Videotermin ({office})"),
        (CaseChannel::Video, false) => format!("Video appointment ({office})"),
        (CaseChannel::InPerson, true) => format!("Vor Ort: {office}"),
        (CaseChannel::InPerson, false) => format!("In person: {office}"),
    };
    let duration = if de {
        format!("{} Minuten", facts.appointment.duration_minutes)
    } else {
        format!("{} minutes", facts.appointment.duration_minutes)
    };
    let (subject, lead) = match (facts.kind, de) {
        (MessageKind::Confirmation, true) => (
            format!("Terminbestätigung: {service} am {short}"),
            "Ihr Termin ist gebucht.".to_owned(),
        ),
        (MessageKind::Confirmation, false) => (
            format!("Appointment confirmed: {service} on {short}"),
            "Your appointment is booked.".to_owned(),
        ),
        (MessageKind::Rescheduled { previous }, true) => (
            format!("Termin verschoben: {service} jetzt am {short}"),
            format!(
                "Ihr Termin wurde verschoben. Der bisherige Termin am {} gilt nicht mehr.",
                long_date_time(previous.local_start, lang)
            ),
        ),
        (MessageKind::Rescheduled { previous }, false) => (
            format!("Appointment moved: {service} now on {short}"),
            format!(
                "Your appointment has been moved. The previous time, {}, no longer applies.",
                long_date_time(previous.local_start, lang)
            ),
        ),
        (MessageKind::Cancelled, true) => (
            format!("Termin abgesagt: {service} am {short}"),
            "Ihr Termin ist abgesagt.".to_owned(),
        ),
        (MessageKind::Cancelled, false) => (
            format!("Appointment cancelled: {service} on {short}"),
            "Your appointment has been cancelled.".to_owned(),
        ),
        (MessageKind::Reminder, true) => (
            format!("Erinnerung: {service} am {short}"),
            "wir erinnern Sie an Ihren Termin.".to_owned(),
        ),
        (MessageKind::Reminder, false) => (
            format!("Reminder: {service} on {short}"),
            "This is a reminder of your appointment.".to_owned(),
        ),
    };
    let greeting = if de {
        format!("Guten Tag {},", facts.name)
    } else {
        format!("Dear {},", facts.name)
    };
    let labels = if de {
        ["Anliegen", "Wann", "Dauer", "Wo"]
    } else {
        ["Service", "When", "Duration", "Where"]
    };
    let mut blocks = vec![
        Block::Para(greeting),
        Block::Para(lead),
        Block::Facts(vec![
            (labels[0].into(), service.clone()),
            (labels[1].into(), when.clone()),
            (labels[2].into(), duration),
            (labels[3].into(), place.clone()),
        ]),
    ];
    match &facts.links {
        Some(links) => {
            blocks.push(Block::Link {
                label: if de {
                    "Zu Ihrem Termin (Warteraum und Unterlagen)".into()
                } else {
                    "Your appointment (waiting room and documents)".into()
                },
                url: links.join.clone(),
            });
            blocks.push(Block::Link {
                label: if de {
                    "Termin absagen".into()
                } else {
                    "Cancel the appointment".into()
                },
                url: links.cancel.clone(),
            });
            blocks.push(Block::Para(if de {
                "Bitte geben Sie diese Links nicht weiter: Wer sie hat, kann Ihren Termin öffnen und absagen.".into()
            } else {
                "Please do not share these links: whoever has them can open and cancel your appointment.".into()
            }));
        }
        None => blocks.push(Block::Link {
            label: if de {
                "Neuen Termin buchen".into()
            } else {
                "Book a new appointment".into()
            },
            url: facts.booking_url.clone(),
        }),
    }
    if !matches!(facts.kind, MessageKind::Reminder) {
        blocks.push(Block::Para(if de {
            "Die Kalenderdatei im Anhang trägt die Änderung in Ihren Kalender ein.".into()
        } else {
            "The calendar file attached updates your calendar.".into()
        }));
    }
    blocks.push(Block::Para(if de {
        format!("Mit freundlichen Grüßen\nIhr {}", sender.name)
    } else {
        format!("Kind regards,\n{}", sender.name)
    }));
    let calendar = calendar(facts, sender, &service, &place, &when).map(|c| (c.method, c.render()));
    Rendered {
        subject,
        text: text_of(&blocks),
        html: html_of(&blocks, lang),
        calendar,
    }
}

fn calendar(
    facts: &MessageFacts,
    sender: &Sender,
    service: &str,
    place: &str,
    when: &str,
) -> Option<CalendarEvent> {
    let de = facts.language == Language::De;
    let method = match facts.kind {
        MessageKind::Confirmation | MessageKind::Rescheduled { .. } => Method::Request,
        MessageKind::Cancelled => Method::Cancel,
        MessageKind::Reminder => return None,
    };
    let join = facts.links.as_ref().map(|l| l.join.clone());
    let description = match &join {
        Some(url) if de => format!("{service}\n{when}\nZu Ihrem Termin: {url}"),
        Some(url) => format!("{service}\n{when}\nYour appointment: {url}"),
        None => format!("{service}\n{when}"),
    };
    Some(CalendarEvent {
        method,
        uid: format!("{}@buergeramt", facts.case_id.as_uuid()),
        sequence: facts.version,
        stamp: facts.now,
        starts_at: facts.appointment.starts_at,
        ends_at: facts.appointment.ends_at(),
        summary: if de {
            format!("Bürgeramt: {service}")
        } else {
            format!("Citizens' office: {service}")
        },
        location: match &join {
            Some(url) if facts.channel == CaseChannel::Video => url.clone(),
            _ => place.to_owned(),
        },
        description,
        url: join,
        organizer: sender.email.clone(),
        organizer_name: sender.name.clone(),
        attendee: facts.email.clone(),
    })
}

fn text_of(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Para(text) => out.push_str(text),
            Block::Facts(rows) => {
                for (label, value) in rows {
                    out.push_str(&format!("{label}: {value}\n"));
                }
                out.pop();
            }
            Block::Link { label, url } => out.push_str(&format!("{label}:\n{url}")),
        }
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

fn html_of(blocks: &[Block], language: Language) -> String {
    let lang = match language {
        Language::De => "de",
        Language::En => "en",
    };
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head><meta charset=\"utf-8\"></head>\n<body>\n"
    );
    for block in blocks {
        match block {
            Block::Para(text) => out.push_str(&format!(
                "<p>{}</p>\n",
                html_escape(text).replace('\n', "<br>")
            )),
            Block::Facts(rows) => {
                out.push_str("<dl>\n");
                for (label, value) in rows {
                    out.push_str(&format!(
                        "<dt>{}</dt><dd>{}</dd>\n",
                        html_escape(label),
                        html_escape(value)
                    ));
                }
                out.push_str("</dl>\n");
            }
            Block::Link { label, url } => out.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p>\n",
                html_escape(url),
                html_escape(label)
            )),
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn appointment(starts_at: &str, local: &str) -> Appointment {
        Appointment {
            starts_at: DateTime::parse_from_rfc3339(starts_at).unwrap().to_utc(),
            local_start: NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap(),
            duration_minutes: 15,
        }
    }

    fn facts(kind: MessageKind, language: Language) -> MessageFacts {
        MessageFacts {
            kind,
            case_id: CaseId(uuid::Uuid::from_u64_pair(1, 2)),
            version: 2,
            language,
            name: "Erika <Mustermann> & Co".into(),
            email: "erika@example.org".into(),
            service: ServiceKey::parse("meldebescheinigung").unwrap(),
            office: OfficeId::parse("potsdam-mitte").unwrap(),
            office_name: Some("Bürgerservice Potsdam-Mitte".into()),
            channel: CaseChannel::Video,
            appointment: appointment("2026-11-24T09:30:00Z", "2026-11-24 10:30"),
            links: (kind != MessageKind::Cancelled).then(|| Links {
                join: "https://t.example/mein-termin.html#token=SECRET-TOKEN".into(),
                cancel: "https://t.example/mein-termin.html#token=SECRET-TOKEN&action=cancel"
                    .into(),
            }),
            booking_url: "https://t.example/".into(),
            now: DateTime::parse_from_rfc3339("2026-11-20T08:00:00Z")
                .unwrap()
                .to_utc(),
        }
    }

    fn sender() -> Sender {
        Sender {
            name: "Bürgeramt Potsdam".into(),
            email: "termine@buergeramt.invalid".into(),
        }
    }

    fn catalogue() -> Catalogue {
        Catalogue::default_catalogue().unwrap()
    }

    #[test]
    fn mails_name_the_office_by_its_name_and_fall_back_to_its_id() {
        let named = render(
            &facts(MessageKind::Confirmation, Language::De),
            &catalogue(),
            &sender(),
        );
        assert!(named
            .text
            .contains("Videotermin (Bürgerservice Potsdam-Mitte)"));
        let mut unnamed = facts(MessageKind::Confirmation, Language::En);
        unnamed.office_name = None;
        let unnamed = render(&unnamed, &catalogue(), &sender());
        assert!(unnamed.text.contains("Video appointment (potsdam-mitte)"));
    }

    #[test]
    fn dates_are_written_the_german_and_the_english_way() {
        let local = appointment("2026-11-24T09:30:00Z", "2026-11-24 10:30").local_start;
        assert_eq!(
            long_date_time(local, Language::De),
            "Dienstag, 24. November 2026, 10:30 Uhr"
        );
        assert_eq!(
            long_date_time(local, Language::En),
            "Tuesday, 24 November 2026, 10:30"
        );
        let march = NaiveDateTime::parse_from_str("2027-03-01 08:05", "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(
            long_date_time(march, Language::De),
            "Montag, 1. März 2027, 08:05 Uhr"
        );
    }

    #[test]
    fn a_german_confirmation_names_the_service_time_and_links_and_carries_a_request() {
        let mail = render(
            &facts(MessageKind::Confirmation, Language::De),
            &catalogue(),
            &sender(),
        );
        assert_eq!(
            mail.subject,
            "Terminbestätigung: Meldebescheinigung / Aufenthaltsbescheinigung am 24.11.2026, 10:30 Uhr"
        );
        for expected in [
            "Guten Tag Erika <Mustermann> & Co,",
            "Ihr Termin ist gebucht.",
            "Wann: Dienstag, 24. November 2026, 10:30 Uhr",
            "Wo: Videotermin (Bürgerservice Potsdam-Mitte)",
            "https://t.example/mein-termin.html#token=SECRET-TOKEN\n",
            "#token=SECRET-TOKEN&action=cancel",
        ] {
            assert!(
                mail.text.contains(expected),
                "{expected:?} in {}",
                mail.text
            );
        }
        let (method, ics) = mail.calendar.unwrap();
        assert_eq!(method, Method::Request);
        assert!(ics.contains("SEQUENCE:2\r\n"));
    }

    #[test]
    fn an_english_confirmation_is_english_throughout() {
        let mail = render(
            &facts(MessageKind::Confirmation, Language::En),
            &catalogue(),
            &sender(),
        );
        assert_eq!(
            mail.subject,
            "Appointment confirmed: Certificate of registration on 24 November 2026, 10:30"
        );
        assert!(mail
            .text
            .contains("When: Tuesday, 24 November 2026, 10:30\n"));
        assert!(mail.html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        for german in ["Termin", "Uhr", "Guten Tag"] {
            assert!(!mail.text.contains(german), "{german} in {}", mail.text);
        }
    }

    #[test]
    fn the_html_alternative_escapes_the_name_and_links() {
        let mut f = facts(MessageKind::Confirmation, Language::De);
        if let Some(links) = &mut f.links {
            links.join.push_str("&x=\"1\"");
        }
        let mail = render(&f, &catalogue(), &sender());
        assert!(mail
            .html
            .contains("Guten Tag Erika &lt;Mustermann&gt; &amp; Co,"));
        assert!(!mail.html.contains("<Mustermann>"));
        assert!(mail.html.contains(
            "href=\"https://t.example/mein-termin.html#token=SECRET-TOKEN&amp;x=&quot;1&quot;\""
        ));
    }

    #[test]
    fn reschedule_cancel_and_reminder_each_say_what_happened() {
        let previous = appointment("2026-11-23T13:00:00Z", "2026-11-23 14:00");
        let moved = render(
            &facts(MessageKind::Rescheduled { previous }, Language::De),
            &catalogue(),
            &sender(),
        );
        assert!(moved.subject.starts_with("Termin verschoben:"));
        assert!(moved
            .text
            .contains("Montag, 23. November 2026, 14:00 Uhr gilt nicht mehr"));
        let cancelled = render(
            &facts(MessageKind::Cancelled, Language::En),
            &catalogue(),
            &sender(),
        );
        assert!(cancelled.subject.starts_with("Appointment cancelled:"));
        assert!(cancelled
            .text
            .contains("Book a new appointment:\nhttps://t.example/"));
        assert!(!cancelled.text.contains("token="));
        assert_eq!(cancelled.calendar.unwrap().0, Method::Cancel);
        let reminder = render(
            &facts(MessageKind::Reminder, Language::De),
            &catalogue(),
            &sender(),
        );
        assert!(reminder
            .subject
            .starts_with("Erinnerung: Meldebescheinigung"));
        assert!(reminder.text.contains("#token=SECRET-TOKEN"));
        assert!(reminder.calendar.is_none());
    }

    #[test]
    fn no_debug_form_shows_a_token_a_name_or_an_address() {
        let f = facts(MessageKind::Confirmation, Language::De);
        let mail = render(&f, &catalogue(), &sender());
        for shown in [
            format!("{f:?}"),
            format!("{mail:?}"),
            format!("{:?}", f.links),
        ] {
            for secret in ["SECRET-TOKEN", "Erika", "erika@example.org"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
        }
    }
}
