//! The learning loop around a training: where each trainee starts ([`positioning`]), what went wrong ([`complaints`]), what each trainee
//! learned against the programme's objectives ([`evaluation`]), the training body's yearly
//! figures ([`year`]), and the training file that gathers a training's whole record for an
//! auditor ([`file`]).

pub mod complaints;
pub mod evaluation;
pub mod file;
pub mod positioning;
pub mod year;
