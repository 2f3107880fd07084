//! The programme: trainings, workshops, conferences and club meetings, with their sessions and
//! their life cycle (DRAFT → PUBLISHED → COMPLETED, or CANCELLED).

pub mod certificates;
mod club_question;
mod draft;
pub mod followup;
pub mod payment;
pub mod policy;
mod registration;
mod schema;
pub mod seats;
pub mod service;

pub use club_question::ClubQuestion;
pub use draft::{ActivityDraft, SessionDraft};
pub use registration::{Registration, RegistrationStatus};
pub use schema::{Activity, ActivityKind, ActivityMutation, ActivityQuery, Session};
