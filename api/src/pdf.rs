//! Documents as PDF: lines of text on A4 pages, drawn by krilla with the Libertinus Serif fonts
//! that `typst-assets` ships inside the binary, so nothing needs installing. Long lines wrap at
//! word boundaries and a full page continues on the next. A line may instead be a drawn
//! signature (SVG path data in a 300 × 100 box, validated before it was stored), drawn as
//! strokes. Certificates, training programmes, convocations and attendance sheets are written
//! with it.

use std::sync::LazyLock;

use krilla::{
    Document,
    geom::{PathBuilder, Point},
    metadata::Metadata,
    page::PageSettings,
    paint::{Fill, Stroke},
    surface::Surface,
    text::{Font, TextDirection},
};
use svgtypes::{SimplePathSegment, SimplifyingPathParser};

use crate::error::{ApiError, ApiResult};

/// `typst_assets::fonts()` lists Libertinus Serif Regular first and Bold second.
static FONTS: LazyLock<Option<(Font, Font)>> = LazyLock::new(|| {
    let mut fonts = typst_assets::fonts();
    let regular = Font::new(fonts.next()?.into(), 0)?;
    let bold = Font::new(fonts.next()?.into(), 0)?;
    Some((regular, bold))
});

const WIDTH: f32 = 595.0; // A4, in points
const HEIGHT: f32 = 842.0;
const LEFT: f32 = 72.0;
const TOP: f32 = 120.0;
const BOTTOM: f32 = 72.0;

/// A drawn signature's box (300 × 100 units) printed at this scale: 120 × 40 points.
const SIGNATURE_SCALE: f32 = 0.4;
const SIGNATURE_HEIGHT: f32 = 100.0 * SIGNATURE_SCALE;

/// One line of a document (an empty text is a blank line), or a drawn signature.
#[derive(Clone)]
pub struct Line {
    pub bold: bool,
    pub size: f32,
    pub text: String,
    /// SVG path data drawn in place of text.
    pub drawing: Option<String>,
}

impl Line {
    pub fn title(size: f32, text: impl Into<String>) -> Self {
        Self {
            bold: true,
            size,
            text: text.into(),
            drawing: None,
        }
    }

    pub fn text(size: f32, text: impl Into<String>) -> Self {
        Self {
            bold: false,
            size,
            text: text.into(),
            drawing: None,
        }
    }

    /// A signature drawn as `path_data`, indented under the line before it.
    pub fn signature(path_data: impl Into<String>) -> Self {
        Self {
            drawing: Some(path_data.into()),
            ..Self::text(SIGNATURE_HEIGHT, "")
        }
    }

    pub fn blank() -> Self {
        Self::text(12.0, "")
    }
}

/// The PDF of `lines`, titled `title` and made by `creator` in its metadata.
pub fn render(title: String, creator: String, lines: &[Line]) -> ApiResult<Vec<u8>> {
    let (regular, bold) = FONTS
        .clone()
        .ok_or_else(|| ApiError::internal("the PDF fonts did not load"))?;
    let mut document = Document::new();
    document.set_metadata(Metadata::new().title(title).creator(creator));
    let settings =
        PageSettings::from_wh(WIDTH, HEIGHT).ok_or_else(|| ApiError::internal("page size"))?;
    for lines in pages(lines) {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for (y, line) in lines {
            if let Some(drawing) = &line.drawing {
                draw_signature(&mut surface, drawing, y);
                continue;
            }
            if line.text.is_empty() {
                continue;
            }
            let font = if line.bold {
                bold.clone()
            } else {
                regular.clone()
            };
            surface.draw_text(
                Point::from_xy(LEFT, y),
                font,
                line.size,
                &line.text,
                false,
                TextDirection::Auto,
            );
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|error| ApiError::internal(format!("PDF: {error:?}")))
}

/// Draws a signature's strokes with its box's top left corner at (`LEFT` + 20, `top`).
fn draw_signature(surface: &mut Surface<'_>, path_data: &str, top: f32) {
    let (x0, y0) = (LEFT + 20.0, top);
    let at = |x: f64, y: f64| {
        (
            x0 + crate::numbers::real32(x) * SIGNATURE_SCALE,
            y0 + crate::numbers::real32(y) * SIGNATURE_SCALE,
        )
    };
    let mut builder = PathBuilder::new();
    for segment in SimplifyingPathParser::from(path_data).map_while(Result::ok) {
        match segment {
            SimplePathSegment::MoveTo { x, y } => {
                let (x, y) = at(x, y);
                builder.move_to(x, y);
            }
            SimplePathSegment::LineTo { x, y } => {
                let (x, y) = at(x, y);
                builder.line_to(x, y);
            }
            SimplePathSegment::CurveTo {
                x1,
                y1,
                x2,
                y2,
                x,
                y,
            } => {
                let ((x1, y1), (x2, y2), (x, y)) = (at(x1, y1), at(x2, y2), at(x, y));
                builder.cubic_to(x1, y1, x2, y2, x, y);
            }
            SimplePathSegment::Quadratic { x1, y1, x, y } => {
                let ((x1, y1), (x, y)) = (at(x1, y1), at(x, y));
                builder.quad_to(x1, y1, x, y);
            }
            SimplePathSegment::ClosePath => builder.close(),
        }
    }
    let Some(path) = builder.finish() else {
        return;
    };
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke {
        width: 1.2,
        ..Stroke::default()
    }));
    surface.draw_path(&path);
    surface.set_stroke(None);
    surface.set_fill(Some(Fill::default()));
}

/// Each page's lines, wrapped, with their height on the page. A signature takes its own
/// height below the line before it.
fn pages(lines: &[Line]) -> Vec<Vec<(f32, Line)>> {
    let mut pages = vec![Vec::new()];
    let mut y = TOP;
    for line in lines {
        let pieces = if line.drawing.is_some() {
            vec![line.clone()]
        } else {
            wrapped(&line.text, line.size)
                .into_iter()
                .map(|text| Line {
                    text,
                    ..line.clone()
                })
                .collect()
        };
        for piece in pieces {
            let height = if piece.drawing.is_some() {
                SIGNATURE_HEIGHT + 6.0
            } else {
                piece.size * 1.8
            };
            if y + height - piece.size > HEIGHT - BOTTOM {
                pages.push(Vec::new());
                y = TOP;
            }
            // Text sits on its baseline at `y`; a drawing hangs from just above it.
            let at = if piece.drawing.is_some() { y - 10.0 } else { y };
            if let Some(page) = pages.last_mut() {
                page.push((at, piece));
            }
            y += height;
        }
    }
    pages
}

/// `text` cut at spaces into lines that fit the page at `size` points: a serif letter is
/// about half as wide as it is tall, so a line holds about twice the width over the size.
fn wrapped(text: &str, size: f32) -> Vec<String> {
    let fits = (f64::from(WIDTH - 2.0 * LEFT) * 2.0 / f64::from(size)).max(20.0);
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let Some(line) = lines.last_mut() else { break };
        let width = crate::numbers::real_len(line.chars().count() + 1 + word.chars().count());
        if line.is_empty() || width <= fits {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        } else {
            lines.push(word.to_owned());
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_at_spaces() {
        let text = "mot ".repeat(60);
        let lines = wrapped(text.trim(), 12.0);
        assert!(lines.len() >= 3, "{lines:?}");
        assert!(lines.iter().all(|line| line.chars().count() <= 80));
        assert_eq!(lines.join(" "), text.trim());
        assert_eq!(wrapped("", 12.0), [""]);
    }

    #[test]
    fn many_lines_make_several_pages() {
        let lines: Vec<_> = (0..60)
            .map(|i| Line::text(12.0, format!("ligne {i}")))
            .collect();
        let laid_out = pages(&lines);
        assert_eq!(laid_out.len(), 2);
        assert_eq!(laid_out.iter().map(Vec::len).sum::<usize>(), 60);
        assert!(laid_out[0].iter().all(|(y, _)| *y <= HEIGHT - BOTTOM));
        let pdf = render("t".into(), "c".into(), &lines).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    }
}
