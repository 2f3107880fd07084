//! Registrations: seats, the waiting list with automatic promotion (at once, or as offers that
//! expire), approval by staff, questions asked at registration, required consents, cancellation,
//! attendance, and the calendar feed.

pub mod admission;
pub mod feed;
pub mod offers;
pub mod policy;
pub mod questions;
pub mod service;
