//! The calendar file attached to appointment mails (iCalendar, RFC 5545, with the iTIP methods
//! of RFC 5546).
//!
//! One case is one calendar event: its `UID` is derived from the case id, and its `SEQUENCE` is
//! the case stream's version of the event the mail is about, so every later change (a
//! reschedule, a cancellation) carries a higher sequence and calendar programs update the entry
//! they already have instead of adding a second one. Times are written in UTC (`…Z`), which
//! needs no time-zone definition in the file.

use chrono::{DateTime, Utc};

/// What the file asks the calendar to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Add or update the event.
    Request,
    /// Remove the event.
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// The facts of one calendar event.
#[derive(Clone)]
pub struct CalendarEvent {
    pub method: Method,
    /// Stable per case, e.g. `<case uuid>@buergeramt`.
    pub uid: String,
    pub sequence: u64,
    /// When the file was made.
    pub stamp: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: String,
    pub location: String,
    pub description: String,
    /// The join link, if the event has one (it holds a capability token).
    pub url: Option<String>,
    /// The sender's address (`ORGANIZER`), without display name.
    pub organizer: String,
    pub organizer_name: String,
    /// The citizen's address (`ATTENDEE`).
    pub attendee: String,
}

/// Leaves out everything but the method and the sequence: the description and URL hold a
/// capability token, the attendee is personal data.
impl std::fmt::Debug for CalendarEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarEvent")
            .field("method", &self.method)
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}

impl CalendarEvent {
    /// The file's text: CRLF line ends, lines folded at 75 octets.
    pub fn render(&self) -> String {
        let status = match self.method {
            Method::Request => "CONFIRMED",
            Method::Cancel => "CANCELLED",
        };
        let mut lines = vec![
            "BEGIN:VCALENDAR".to_owned(),
            "VERSION:2.0".to_owned(),
            "PRODID:-//buergeramt//Termine//DE".to_owned(),
            "CALSCALE:GREGORIAN".to_owned(),
            format!("METHOD:{}", self.method.as_str()),
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}", escape_text(&self.uid)),
            format!("SEQUENCE:{}", self.sequence),
            format!("DTSTAMP:{}", utc(self.stamp)),
            format!("DTSTART:{}", utc(self.starts_at)),
            format!("DTEND:{}", utc(self.ends_at)),
            format!("SUMMARY:{}", escape_text(&self.summary)),
            format!("LOCATION:{}", escape_text(&self.location)),
            format!("DESCRIPTION:{}", escape_text(&self.description)),
        ];
        if let Some(url) = &self.url {
            // URL is of type URI, which is not escaped like TEXT.
            lines.push(format!("URL:{url}"));
        }
        lines.extend([
            format!(
                "ORGANIZER;CN={}:mailto:{}",
                quote_param(&self.organizer_name),
                self.organizer
            ),
            format!(
                "ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:{}",
                self.attendee
            ),
            format!("STATUS:{status}"),
            "TRANSP:OPAQUE".to_owned(),
            "END:VEVENT".to_owned(),
            "END:VCALENDAR".to_owned(),
        ]);
        let mut out = String::new();
        for line in lines {
            out.push_str(&fold(&line));
            out.push_str("\r\n");
        }
        out
    }
}

/// A UTC date-time in the basic format, `20261124T093000Z`.
fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks.
pub fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value in double quotes (RFC 5545 §3.2); quotes and control characters, which a
/// quoted value cannot hold, are dropped.
fn quote_param(value: &str) -> String {
    let inner: String = value
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    format!("\"{inner}\"")
}

/// Folds a content line (RFC 5545 §3.1): no line longer than 75 octets, continuation lines
/// start with one space, and a UTF-8 character is never split.
pub fn fold(line: &str) -> String {
    const LIMIT: usize = 75;
    let mut out = String::with_capacity(line.len() + line.len() / LIMIT * 3);
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > LIMIT {
            out.push_str("\r\n ");
            // The leading space counts towards the next line's 75 octets.
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(method: Method) -> CalendarEvent {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        CalendarEvent {
            method,
            uid: "0190aaaa-0000-7000-8000-000000000001@buergeramt".into(),
            sequence: 4,
            stamp: at("2026-11-20T08:00:00Z"),
            starts_at: at("2026-11-24T09:30:00Z"),
            ends_at: at("2026-11-24T09:45:00Z"),
            summary: "Meldebescheinigung; Bürgeramt, Potsdam".into(),
            location: "Videotermin".into(),
            description: "Zeile eins\nZeile zwei \\ Ende".into(),
            url: Some(format!(
                "https://termine.example/mein-termin.html#token={}",
                "x".repeat(80)
            )),
            organizer: "termine@buergeramt.invalid".into(),
            organizer_name: "Bürgeramt \"Potsdam\"".into(),
            attendee: "person@example.org".into(),
        }
    }

    /// Undoes folding, as a calendar program reads the file.
    fn unfold(text: &str) -> String {
        text.replace("\r\n ", "")
    }

    #[test]
    fn every_line_ends_in_crlf_and_is_at_most_75_octets() {
        let text = event(Method::Request).render();
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'), "a bare LF");
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        }
        assert!(text.contains("\r\n "), "the long URL must be folded");
        let unfolded = unfold(&text);
        assert!(unfolded.contains(&format!("#token={}\r\n", "x".repeat(80))));
    }

    #[test]
    fn folding_never_splits_a_multi_byte_character() {
        let line = format!("SUMMARY:{}", "ü".repeat(60));
        let folded = fold(&line);
        for part in folded.split("\r\n") {
            assert!(part.len() <= 75);
        }
        // Each part is valid UTF-8 on its own (split on octets would panic or garble here).
        assert_eq!(folded.replace("\r\n ", ""), line);
        assert_eq!(fold("short"), "short");
        let exactly = "x".repeat(75);
        assert_eq!(fold(&exactly), exactly);
        assert_eq!(fold(&"x".repeat(76)), format!("{}\r\n x", "x".repeat(75)));
    }

    #[test]
    fn text_values_are_escaped_and_parameters_quoted() {
        let text = unfold(&event(Method::Request).render());
        assert!(text.contains("SUMMARY:Meldebescheinigung\\; Bürgeramt\\, Potsdam\r\n"));
        assert!(text.contains("DESCRIPTION:Zeile eins\\nZeile zwei \\\\ Ende\r\n"));
        assert!(text
            .contains("ORGANIZER;CN=\"Bürgeramt Potsdam\":mailto:termine@buergeramt.invalid\r\n"));
        assert_eq!(escape_text("a\r\nb\u{7}c"), "a\\nbc");
    }

    #[test]
    fn a_request_is_confirmed_in_utc_and_a_cancellation_says_cancel() {
        let request = unfold(&event(Method::Request).render());
        for line in [
            "METHOD:REQUEST",
            "UID:0190aaaa-0000-7000-8000-000000000001@buergeramt",
            "SEQUENCE:4",
            "DTSTAMP:20261120T080000Z",
            "DTSTART:20261124T093000Z",
            "DTEND:20261124T094500Z",
            "STATUS:CONFIRMED",
        ] {
            assert!(request.contains(&format!("\r\n{line}\r\n")), "{line}");
        }
        let cancel = unfold(&event(Method::Cancel).render());
        assert!(cancel.contains("\r\nMETHOD:CANCEL\r\n"));
        assert!(cancel.contains("\r\nSTATUS:CANCELLED\r\n"));
    }

    #[test]
    fn the_debug_form_shows_neither_the_link_nor_the_attendee() {
        let shown = format!("{:?}", event(Method::Request));
        assert!(
            !shown.contains("token") && !shown.contains("person@"),
            "{shown}"
        );
    }
}
