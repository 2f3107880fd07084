//! What every input goes through before a domain sees it: ids read as keys, and NUL refused in
//! every string of a request (PostgreSQL cannot store it; see `validation.rs` for the rest).

use async_graphql::{ID, Value};

use crate::error::{ApiError, ApiResult};

/// An id from the schema, as the database's key.
pub fn parse_id(field: &str, id: &ID) -> ApiResult<i64> {
    id.parse()
        .map_err(|_| ApiError::bad_input(field, "is not a valid id"))
}

/// The path of the first string holding NUL in `value` (`name`, `name.key`, `name[2]`).
pub fn no_nul_in(name: &str, value: &Value) -> ApiResult<()> {
    match value {
        Value::String(text) if text.contains('\0') => {
            Err(ApiError::bad_input(name, "must not hold the NUL character"))
        }
        Value::List(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(index, item)| no_nul_in(&format!("{name}[{index}]"), item)),
        Value::Object(fields) => fields
            .iter()
            .try_for_each(|(key, item)| no_nul_in(&format!("{name}.{key}"), item)),
        _ => Ok(()),
    }
}
