//! People: partners and staff, their directory, roles and the `trained` flag.

pub mod fields;
pub mod roles;
mod schema;
pub mod service;

pub use fields::{Email, NewPerson};
pub use roles::{Admin, Staff};
pub use schema::{PeopleMutation, PeopleQuery, Role, User};
