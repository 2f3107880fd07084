//! iCalendar attachments (RFC 5545 / iTIP): one VEVENT per session, with a UID that stays the
//! session's for life and the activity's SEQUENCE, so a later update or cancellation replaces
//! the entry in the recipient's calendar instead of adding one.

use entity::{activity, session};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property, ValueType};

/// `REQUEST` adds or updates the events; `CANCEL` removes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Request,
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

/// A session's UID: stable across edits of its dates.
pub fn uid(session: &session::Model, host: &str) -> String {
    format!("session-{}@{host}", session.id)
}

pub fn calendar(
    method: Method,
    activity: &activity::Model,
    sessions: &[session::Model],
    host: &str,
    organiser: &str,
) -> String {
    let mut calendar = named(&activity.title);
    calendar.append_property(("METHOD", method.as_str()));
    for session in sessions {
        let mut event = event(activity, session, host);
        event.add_property("ORGANIZER", format!("mailto:{organiser}"));
        if let Some(description) = &activity.description {
            event.description(&text(description));
        }
        if method == Method::Cancel {
            event.status(EventStatus::Cancelled);
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

/// A calendar of many activities' sessions, for the private feed.
pub fn feed(name: &str, entries: &[(activity::Model, Vec<session::Model>)], host: &str) -> String {
    let mut calendar = named(name);
    for (activity, sessions) in entries {
        for session in sessions {
            calendar.push(event(activity, session, host).done());
        }
    }
    calendar.done().to_string()
}

/// Text as RFC 5545 allows it: the crate escapes `\n` but not a bare carriage return, which
/// some readers take for the end of a line.
fn text(value: &str) -> String {
    value.replace("\r\n", "\n").replace('\r', "\n")
}

/// A calendar with a name. The crate escapes the text properties it knows by name (SUMMARY,
/// LOCATION, DESCRIPTION…) but not NAME and X-WR-CALNAME: marked `VALUE=TEXT`, they are
/// escaped too, so a line break or a `;` in a title stays inside its property.
fn named(name: &str) -> Calendar {
    let mut calendar = Calendar::new();
    for key in ["NAME", "X-WR-CALNAME"] {
        calendar.append_property(
            Property::new(key, text(name))
                .append_parameter(ValueType::Text)
                .done(),
        );
    }
    calendar
}

fn event(activity: &activity::Model, session: &session::Model, host: &str) -> Event {
    let mut event = Event::new();
    event
        .uid(&uid(session, host))
        .summary(&text(&activity.title))
        .starts(session.starts_at)
        .ends(session.ends_at)
        .sequence(u32::try_from(activity.sequence).unwrap_or(0));
    if let Some(location) = &activity.location {
        event.location(&text(location));
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_break_in_a_name_stays_inside_its_property() {
        let ics = named("Atelier\r\nMETHOD:CANCEL; a, b\\ \rX-EVIL:1")
            .done()
            .to_string();
        assert!(
            ics.lines()
                .all(|line| !line.starts_with("METHOD") && !line.starts_with("X-EVIL")),
            "{ics}"
        );
        assert!(
            ics.contains(r"NAME;VALUE=TEXT:Atelier\nMETHOD:CANCEL\; a\, b\\ \nX-EVIL:1"),
            "{ics}"
        );
    }
}
