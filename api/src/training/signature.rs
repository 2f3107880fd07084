//! A drawn signature: SVG path data in a 300 × 100 box, as a phone's canvas gives it. It is
//! parsed before it is stored, so only path commands and numbers reach the database and the
//! sheets (no markup, no script, nothing a PDF reader or a browser would run).

use svgtypes::{SimplePathSegment, SimplifyingPathParser};

use crate::error::{ApiError, ApiResult};

/// The most characters a signature's path data may have.
pub const MAX_LEN: usize = 20_000;
/// The box a signature is drawn in, in its own units.
pub const WIDTH: f64 = 300.0;
pub const HEIGHT: f64 = 100.0;

/// Checks `data` is a signature: path data only, at most [`MAX_LEN`] characters, at least one
/// line or curve, every point inside the box. BAD_USER_INPUT on `field` otherwise.
pub fn validate(field: &str, data: &str) -> ApiResult<()> {
    let refuse = |message: &str| Err(ApiError::bad_input(field, message));
    if data.chars().count() > MAX_LEN {
        return refuse("a signature has at most 20,000 characters of path data");
    }
    let mut strokes = 0;
    for segment in SimplifyingPathParser::from(data) {
        let Ok(segment) = segment else {
            return refuse("is not SVG path data");
        };
        // Where the pen goes stays in the box; a curve's control points may lie a box's
        // size beyond it (a smooth stroke near an edge reflects one outside).
        let (end, controls): ((f64, f64), Vec<(f64, f64)>) = match segment {
            SimplePathSegment::MoveTo { x, y } => ((x, y), Vec::new()),
            SimplePathSegment::LineTo { x, y } => ((x, y), Vec::new()),
            SimplePathSegment::CurveTo {
                x1,
                y1,
                x2,
                y2,
                x,
                y,
            } => ((x, y), vec![(x1, y1), (x2, y2)]),
            SimplePathSegment::Quadratic { x1, y1, x, y } => ((x, y), vec![(x1, y1)]),
            SimplePathSegment::ClosePath => continue,
        };
        if !matches!(segment, SimplePathSegment::MoveTo { .. }) {
            strokes += 1;
        }
        let inside = |(x, y): (f64, f64), margin: f64| {
            (-margin * WIDTH..=(1.0 + margin) * WIDTH).contains(&x)
                && (-margin * HEIGHT..=(1.0 + margin) * HEIGHT).contains(&y)
        };
        if !inside(end, 0.0) || !controls.into_iter().all(|point| inside(point, 1.0)) {
            return refuse("a signature is drawn inside a 300 x 100 box");
        }
    }
    if strokes == 0 {
        return refuse("a signature draws at least one line");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_data_inside_the_box_is_a_signature() {
        assert!(
            validate(
                "s",
                "M10 80 C 40 10, 65 10, 95 80 S 150 150, 180 80 L 290 20"
            )
            .is_ok()
        );
        assert!(validate("s", "m10,10 l5,5 q10,0 20,20 z").is_ok());
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "M10 10",
            "<script>alert(1)</script>",
            "M10 10 L 20 20\"/><script>",
            "M10 10 L 400 20",
            "M-5 10 L 20 20",
            "M10 10 A 5 5 0 0 1 2000 10",
            "M10 10 C 10 10, 900 10, 20 20",
            "M10 10 L NaN 20",
        ] {
            assert!(validate("signature", bad).is_err(), "{bad:?} passed");
        }
        let long = format!("M1 1{}", " L2 2".repeat(5_000));
        assert!(validate("signature", &long).is_err());
    }
}
