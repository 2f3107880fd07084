//! Proof of training: what a training body keeps and shows a funder or an auditor about a
//! training. Its programme ([`programme`]): objectives, prerequisites, audience, methods,
//! evaluation, accessibility and duration, published as a PDF; who delivers it
//! ([`trainers`], and what they may do: [`policy`]); its half-days ([`slots`]), signed in the
//! room ([`sign_in`], [`signature`]) onto sheets that are chains of hashes ([`sheets`]).

pub mod policy;
pub mod programme;
pub mod sheet_pdf;
pub mod sheets;
pub mod sign_in;
pub mod signature;
pub mod slots;
pub mod trainers;
