//! Registrations: seats, the waiting list with automatic promotion, cancellation, attendance,
//! payments, and the staff's CSV files (the sign-in sheet, the accountant's payments).

pub mod csv;
pub mod feed;
pub mod payments_csv;
pub mod policy;
mod schema;
pub mod service;

pub use schema::{RegistrationMutation, RegistrationQuery};
