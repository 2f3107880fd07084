//! Proof of training: what a training body keeps and shows a funder or an auditor about a
//! training. So far its programme ([`programme`]): objectives, prerequisites, audience,
//! methods, evaluation, accessibility and duration, published as a PDF; and who delivers it
//! ([`trainers`]).

pub mod programme;
pub mod trainers;
