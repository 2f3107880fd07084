//! Input rules every domain uses: ids and bounded text, checked at the edge and reported as
//! BAD_USER_INPUT naming the field.
//!
//! Text comes in two kinds, and each refuses what it has no use for rather than cleaning it:
//! - a **line** — a name, a title, a subject, a place, an organisation, a choice — holds no
//!   control character at all (no line break, tab or NUL: a line ends up in mail headers,
//!   certificates, calendar entries and CSV cells, where a line break starts a new header or
//!   row) and no character that reorders text on screen (bidirectional overrides, embeddings,
//!   isolates and marks, and the line and paragraph separators): "Invoice" + U+202E +
//!   "fdp.exe" reads "Invoiceexe.pdf";
//! - a **paragraph** — a description, a message, a post, an answer — may also break lines
//!   (stored as `\n`, whatever the client sent) and hold tabs.
//!
//! NUL is refused in every string of every request before any of this (`graphql::inputs`):
//! PostgreSQL cannot store it, so not even a log-in attempt may carry one.

use crate::error::{ApiError, ApiResult};

/// Characters that change the order or direction text is shown in, or break it like a line
/// break does.
fn reorders_text(ch: char) -> bool {
    matches!(ch,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}'
        | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Why `text` is not a valid line, if it is not.
pub fn line_problem(text: &str) -> Option<&'static str> {
    if text.chars().any(char::is_control) {
        Some("must be one line, without control characters")
    } else if text.chars().any(reorders_text) {
        Some("must not hold characters that reorder text")
    } else {
        None
    }
}

/// Why `text` is not a valid paragraph, if it is not (line breaks already made `\n`).
fn paragraph_problem(text: &str) -> Option<&'static str> {
    if text
        .chars()
        .any(|ch| ch.is_control() && ch != '\n' && ch != '\t')
    {
        Some("must not hold control characters")
    } else if text.chars().any(reorders_text) {
        Some("must not hold characters that reorder text")
    } else {
        None
    }
}

fn bounded(field: &str, text: &str, max_chars: usize) -> ApiResult<()> {
    if text.is_empty() {
        return Err(ApiError::bad_input(field, "must not be empty"));
    }
    if text.chars().count() > max_chars {
        return Err(ApiError::bad_input(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(())
}

/// A required, bounded line of text (a name, an organisation).
pub fn required_text(field: &str, raw: String, max_chars: usize) -> ApiResult<String> {
    let text = raw.trim();
    bounded(field, text, max_chars)?;
    if let Some(problem) = line_problem(text) {
        return Err(ApiError::bad_input(field, problem));
    }
    Ok(text.to_owned())
}

/// An optional bounded line of text: blank counts as absent.
pub fn optional_text(
    field: &str,
    raw: Option<String>,
    max_chars: usize,
) -> ApiResult<Option<String>> {
    match raw {
        Some(text) if !text.trim().is_empty() => required_text(field, text, max_chars).map(Some),
        _ => Ok(None),
    }
}

/// A required, bounded paragraph (a description, a message): line breaks kept, as `\n`.
pub fn required_paragraph(field: &str, raw: String, max_chars: usize) -> ApiResult<String> {
    let text = raw.trim().replace("\r\n", "\n").replace('\r', "\n");
    bounded(field, &text, max_chars)?;
    if let Some(problem) = paragraph_problem(&text) {
        return Err(ApiError::bad_input(field, problem));
    }
    Ok(text)
}

/// An optional bounded paragraph: blank counts as absent.
pub fn optional_paragraph(
    field: &str,
    raw: Option<String>,
    max_chars: usize,
) -> ApiResult<Option<String>> {
    match raw {
        Some(text) if !text.trim().is_empty() => {
            required_paragraph(field, text, max_chars).map(Some)
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_refuse_breaks_controls_and_reordering() {
        for bad in [
            "Ann\nBcc: x@y.fr",
            "Ann\rB",
            "A\u{0}",
            "Tab\there",
            "Ann\u{202E}fdp.exe",
            "x\u{2066}y",
            "a\u{2028}b",
            "a\u{85}b",
        ] {
            assert!(required_text("name", bad.into(), 200).is_err(), "{bad:?}");
        }
        assert_eq!(
            required_text("name", " Zoé Ørsted-Łukasz ".into(), 200).unwrap(),
            "Zoé Ørsted-Łukasz"
        );
        assert_eq!(
            required_text("name", "مطعم البحر".into(), 200).unwrap(),
            "مطعم البحر"
        );
    }

    #[test]
    fn paragraphs_keep_line_breaks_only() {
        assert_eq!(
            required_paragraph("body", "Hello\r\nworld\rand\tyou".into(), 100).unwrap(),
            "Hello\nworld\nand\tyou"
        );
        for bad in ["a\u{0}b", "a\u{1b}[31mred", "a\u{202E}b", "a\u{7f}"] {
            assert!(
                required_paragraph("body", bad.into(), 100).is_err(),
                "{bad:?}"
            );
        }
    }
}
