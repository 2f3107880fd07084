//! Counts as floating point, for ratios, averages and gauges: the one place a count becomes an
//! `f64` (the workspace forbids `as` elsewhere, so that no number from a client changes value
//! silently).

/// `n` as an `f64`. Exact: counts, sizes and sums of cents stay far below 2^53, below which
/// every integer has an exact `f64`.
#[allow(
    clippy::as_conversions,
    clippy::cast_precision_loss,
    reason = "exact below 2^53, which no count reaches"
)]
pub fn real(n: impl Into<i128>) -> f64 {
    n.into() as f64
}

/// The length of a collection as an `f64` (see [`real`]).
pub fn real_len(len: usize) -> f64 {
    real(i128::try_from(len).unwrap_or(i128::MAX))
}

/// The integer nearest to `x`, when `x` is finite and the integer fits an `i64`.
#[allow(
    clippy::as_conversions,
    clippy::cast_possible_truncation,
    reason = "the bounds are checked first, so the conversion is exact"
)]
pub fn whole(x: f64) -> Option<i64> {
    let rounded = x.round();
    (rounded.is_finite() && rounded.abs() < 9.0e15).then_some(rounded as i64)
}

/// `x` as an `f32`, for drawing: a signature's coordinates are validated to lie in a
/// 300 × 100 box, where the lost precision is far below a printed point.
#[allow(
    clippy::as_conversions,
    clippy::cast_possible_truncation,
    reason = "drawing coordinates in a small box; f32 is the PDF library's unit"
)]
pub fn real32(x: f64) -> f32 {
    x as f32
}
