//! Input rules every domain uses: ids and bounded text, checked at the edge and reported as
//! BAD_USER_INPUT naming the field.

use async_graphql::ID;

use crate::error::{ApiError, ApiResult};

/// An id from the schema, as the database's key.
pub fn parse_id(field: &str, id: &ID) -> ApiResult<i64> {
    id.parse()
        .map_err(|_| ApiError::bad_input(field, "is not a valid id"))
}

/// A required, bounded line of text (a name, an organisation).
pub fn required_text(field: &str, raw: String, max_chars: usize) -> ApiResult<String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(ApiError::bad_input(field, "must not be empty"));
    }
    if text.chars().count() > max_chars {
        return Err(ApiError::bad_input(
            field,
            format!("must be at most {max_chars} characters"),
        ));
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
