//! Documents as PDF: lines of text on A4 pages, drawn by krilla with the Libertinus Serif fonts
//! that `typst-assets` ships inside the binary, so nothing needs installing. Long lines wrap at
//! word boundaries and a full page continues on the next. Certificates and training
//! programmes are written with it.

use std::sync::LazyLock;

use krilla::{
    Document,
    geom::Point,
    metadata::Metadata,
    page::PageSettings,
    text::{Font, TextDirection},
};

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

/// One line of a document (an empty text is a blank line).
pub struct Line {
    pub bold: bool,
    pub size: f32,
    pub text: String,
}

impl Line {
    pub fn title(size: f32, text: impl Into<String>) -> Self {
        Self {
            bold: true,
            size,
            text: text.into(),
        }
    }

    pub fn text(size: f32, text: impl Into<String>) -> Self {
        Self {
            bold: false,
            size,
            text: text.into(),
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
        for (y, strong, size, text) in lines {
            if text.is_empty() {
                continue;
            }
            let font = if strong {
                bold.clone()
            } else {
                regular.clone()
            };
            surface.draw_text(
                Point::from_xy(LEFT, y),
                font,
                size,
                &text,
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

/// Each page's lines, wrapped, with their height on the page: `(y, bold, size, text)`.
fn pages(lines: &[Line]) -> Vec<Vec<(f32, bool, f32, String)>> {
    let mut pages = vec![Vec::new()];
    let mut y = TOP;
    for line in lines {
        for text in wrapped(&line.text, line.size) {
            if y > HEIGHT - BOTTOM {
                pages.push(Vec::new());
                y = TOP;
            }
            if let Some(page) = pages.last_mut() {
                page.push((y, line.bold, line.size, text));
            }
            y += line.size * 1.8;
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
        assert!(laid_out[0].iter().all(|(y, ..)| *y <= HEIGHT - BOTTOM));
        let pdf = render("t".into(), "c".into(), &lines).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    }
}
