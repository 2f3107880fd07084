//! Progress: partner businesses assess their digital maturity and see it move, with the
//! activities that would help them most; staff read the programme's statistics, and admins
//! receive them monthly with charts.

pub mod assessments;
pub mod monthly;
pub mod report;
