//! The programme: trainings, workshops, conferences and club meetings, with their sessions and
//! their life cycle (DRAFT → PUBLISHED → COMPLETED, or CANCELLED).

pub mod convocation;
pub mod draft;
pub mod lifecycle;
pub mod notices;
pub mod policy;
pub mod seats;
pub mod service;

pub use draft::{ActivityDraft, SessionDraft};
