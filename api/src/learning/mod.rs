//! The learning loop around a training: what went wrong ([`complaints`]), what each trainee
//! learned against the programme's objectives ([`evaluation`]), and the training body's yearly
//! figures ([`year`]).

pub mod complaints;
pub mod evaluation;
pub mod year;
