//! Registrations: seats, the waiting list with automatic promotion, cancellation, attendance,
//! payments, and the staff's CSV files (the sign-in sheet, the accountant's payments).

pub mod feed;
pub mod policy;
pub mod service;
