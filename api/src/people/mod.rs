//! People: partners and staff, their directory, roles and the `trained` flag.

pub mod fields;
pub mod organisation;
pub mod policy;
pub mod roles;
pub mod service;
mod viewer;

pub use fields::{Email, NewPerson};
pub use roles::{Admin, Staff};
pub use viewer::{Access, Viewer};

/// The private calendar feed of the account whose feed secret is `secret`
/// (`GET /calendar/{secret}.ics`, served by `registrations::feed`).
pub fn calendar_feed_url(public_url: &str, secret: &str) -> String {
    format!("{public_url}/calendar/{secret}.ics")
}
