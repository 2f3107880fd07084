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
    /// What an import knew of the person (see `invitations`): a checked phone number and a
    /// language code.
    pub phone: Option<String>,
    pub locale: Option<String>,
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
            phone: None,
            locale: None,
        })
    }
}

const MAX_PHONE_CHARS: usize = 32;

/// A phone number as people write it: digits with spaces, dots, dashes, brackets and a
/// leading `+`, between 6 and 15 digits (E.164's longest). Kept as written; `None` when blank.
pub fn optional_phone(field: &str, raw: Option<String>) -> ApiResult<Option<String>> {
    let Some(phone) = raw
        .map(|raw| raw.trim().to_owned())
        .filter(|p| !p.is_empty())
    else {
        return Ok(None);
    };
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || " .-()".contains(c) || (c == '+' && i == 0));
    if !allowed || !(6..=15).contains(&digits) || phone.chars().count() > MAX_PHONE_CHARS {
        return Err(ApiError::bad_input(field, "is not a phone number"));
    }
    Ok(Some(phone))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_checked_and_kept_as_written() {
        assert_eq!(
            optional_phone("phone", Some(" +33 (0)5 59.12-34-56 ".into())).unwrap(),
            Some("+33 (0)5 59.12-34-56".into())
        );
        assert_eq!(optional_phone("phone", Some("  ".into())).unwrap(), None);
        for bad in ["12345", "05 59 12 34 ab", "05+59123456", "1234567890123456"] {
            assert!(optional_phone("phone", Some(bad.into())).is_err(), "{bad}");
        }
    }

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
