//! The monthly digital club: a season of CLUB_MEETING activities scheduled in one go, and the
//! questions trained partners bring to each meeting, voted on and answered.

pub mod season;
pub mod service;
