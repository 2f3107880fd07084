//! Registrations: seats, the waiting list with automatic promotion, cancellation, attendance,
//! and the staff's CSV sign-in sheet.

pub mod csv;
pub mod feed;
pub mod policy;
mod schema;
pub mod service;

pub use schema::{RegistrationMutation, RegistrationQuery};
