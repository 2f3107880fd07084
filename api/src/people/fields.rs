//! Validated values: once parsed, an email or a name cannot be malformed further in.

use email_address::EmailAddress;
use entity::user::Role;

use crate::{
    error::{ApiError, ApiResult},
    validation::{line_problem, optional_text, required_text},
};

const MAX_EMAIL_CHARS: usize = 254;
const MAX_NAME_CHARS: usize = 200;

/// A syntactically valid address, trimmed and lower-cased so that uniqueness is
/// case-insensitive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: String) -> ApiResult<Self> {
        let normalised = raw.trim().to_lowercase();
        if normalised.chars().count() > MAX_EMAIL_CHARS {
            return Err(ApiError::bad_input(
                field,
                format!("must be at most {MAX_EMAIL_CHARS} characters"),
            ));
        }
        // An address goes into mail headers: one line, nothing that reorders it on screen.
        if let Some(problem) = line_problem(&normalised) {
            return Err(ApiError::bad_input(field, problem));
        }
        // A display name ("Ann <ann@x.fr>") is valid RFC 5322 but not a login.
        if !EmailAddress::is_valid(&normalised) || normalised.contains(['<', '>', ' ']) {
            return Err(ApiError::bad_input(field, "is not a valid email address"));
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Everything needed to create an account, validated.
#[derive(Debug)]
pub struct NewPerson {
    pub email: Email,
    pub name: String,
    pub organisation: Option<String>,
    pub role: Role,
}

impl NewPerson {
    pub fn parse(
        email: String,
        name: String,
        organisation: Option<String>,
        role: Role,
    ) -> ApiResult<Self> {
        Ok(Self {
            email: Email::parse("email", email)?,
            name: required_text("name", name, MAX_NAME_CHARS)?,
            organisation: optional_text("organisation", organisation, MAX_NAME_CHARS)?,
            role,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        let email = Email::parse("email", "  Ann.Martin@Example.FR ".into()).unwrap();
        assert_eq!(email.as_str(), "ann.martin@example.fr");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for raw in [
            "",
            "ann",
            "ann@",
            "@example.fr",
            "Ann <ann@example.fr>",
            "a b@example.fr",
        ] {
            assert!(
                Email::parse("email", raw.into()).is_err(),
                "{raw} was accepted"
            );
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(required_text("name", " Ann ".into(), 10).unwrap(), "Ann");
        assert!(required_text("name", "   ".into(), 10).is_err());
        assert!(required_text("name", "x".repeat(11), 10).is_err());
        assert_eq!(
            optional_text("organisation", Some(" ".into()), 10).unwrap(),
            None
        );
    }
}
