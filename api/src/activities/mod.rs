//! The programme: trainings, workshops, conferences and club meetings, with their sessions and
//! their life cycle (DRAFT → PUBLISHED → COMPLETED, or CANCELLED).

mod draft;
pub mod policy;
mod schema;
pub mod seats;
pub mod service;

pub use draft::{ActivityDraft, SessionDraft};
pub use schema::{Activity, ActivityMutation, ActivityQuery, Session};
