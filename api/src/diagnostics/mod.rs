//! The digital-maturity self-diagnostic (in the spirit of the SNUT tool of tourist offices):
//! versions of axes, questions and options worth 0 to 4 points, published by staff, and the
//! axes each activity works on. Scoring lives here too; who takes an assessment and what it
//! shows is `progress`.

pub mod service;
