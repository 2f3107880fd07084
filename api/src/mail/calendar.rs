//! iCalendar attachments (RFC 5545 / iTIP): one VEVENT per session, with a UID that stays the
//! session's for life and the activity's SEQUENCE, so a later update or cancellation replaces
//! the entry in the recipient's calendar instead of adding one.

use entity::{activity, session};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};

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
    let mut calendar = Calendar::new();
    calendar.name(&activity.title);
    calendar.append_property(("METHOD", method.as_str()));
    for session in sessions {
        let mut event = event(activity, session, host);
        event.add_property("ORGANIZER", format!("mailto:{organiser}"));
        if let Some(description) = &activity.description {
            event.description(description);
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
    let mut calendar = Calendar::new();
    calendar.name(name);
    for (activity, sessions) in entries {
        for session in sessions {
            calendar.push(event(activity, session, host).done());
        }
    }
    calendar.done().to_string()
}

fn event(activity: &activity::Model, session: &session::Model, host: &str) -> Event {
    let mut event = Event::new();
    event
        .uid(&uid(session, host))
        .summary(&activity.title)
        .starts(session.starts_at)
        .ends(session.ends_at)
        .sequence(u32::try_from(activity.sequence).unwrap_or(0));
    if let Some(location) = &activity.location {
        event.location(location);
    }
    event
}
