//! Importing the partners of a spreadsheet: organisations created or matched by name, each new
//! person invited to create its account, people already known brought up to date. All in one
//! transaction: a file goes in whole (but for its bad rows) or not at all, and a dry run is
//! the same work rolled back, so it answers exactly what the real run would do.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    organisation,
    user::{self, Role},
};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::spreadsheet::{self, PartnerRow, RowError};
use crate::{
    audit::{self, Action},
    db::begin_write,
    error::ApiResult,
    invitations::service::{Imported, Profile, invite_imported},
    organisations::{
        membership::invite_member,
        service::{OrganisationDraft, create_by_staff, membership},
    },
    people::{self, Staff},
    state::AppState,
};

/// What an import did, or with a dry run would do.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// People new to Klub, invited to create their account.
    pub created: usize,
    /// People already known whose record changed: a waiting invitation now says what the file
    /// says, or an account was offered a place in its organisation.
    pub updated: usize,
    /// Invitation mails queued: to create an account, or to join an organisation.
    pub invited: usize,
    pub organisations_created: usize,
    /// The rows left out, by line.
    pub errors: Vec<RowError>,
}

/// Imports the spreadsheet `text` on behalf of `by`; with `dry_run`, writes nothing.
pub async fn import_partners(
    state: &AppState,
    by: Staff<'_>,
    text: &str,
    dry_run: bool,
) -> ApiResult<ImportReport> {
    let sheet = spreadsheet::read(text)?;
    let now = state.now();
    let tx = begin_write(&state.db).await?;
    let mut report = ImportReport {
        errors: sheet.errors,
        ..ImportReport::default()
    };
    let mut organisations = Organisations::load(&tx).await?;
    let accounts = people::service::by_email(&tx, sheet.rows.iter().map(|row| &row.email)).await?;
    let mut invitations = Vec::new();
    for row in sheet.rows {
        let organisation = match &row.organisation {
            Some(name) => Some(
                organisations
                    .find_or_create(&tx, name, &row, by, now, &mut report)
                    .await?,
            ),
            None => None,
        };
        let found = Found {
            row: &row,
            account: accounts.get(row.email.as_str()),
            organisation: organisation.as_ref(),
        };
        if let Some(invitation) = import_person(state, &tx, found, by, now, &mut report).await? {
            invitations.push(invitation);
        }
    }
    audit::record(
        &tx,
        by.person(),
        Action::InvitationSent,
        invitations,
        Some("imported from a spreadsheet"),
        now,
    )
    .await?;
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    report.errors.sort_by_key(|error| error.line);
    Ok(report)
}

/// One row of the file, with the account of its address and the organisation it names.
struct Found<'a> {
    row: &'a PartnerRow,
    account: Option<&'a user::Model>,
    organisation: Option<&'a organisation::Model>,
}

/// One person of the file; returns the invitation mailed, if any.
async fn import_person(
    state: &AppState,
    db: &impl ConnectionTrait,
    found: Found<'_>,
    by: Staff<'_>,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> ApiResult<Option<i64>> {
    let Found {
        row,
        account,
        organisation,
    } = found;
    match account {
        // Someone with an account keeps its own name and details; a partner of no
        // organisation is offered a place in the one the file names, which it may decline.
        Some(person) => {
            if let Some(organisation) = organisation
                && person.role == Role::Partner
                && membership(db, person.id).await?.is_none()
                && invite_member(db, &state.mailer, organisation, person, by, now).await?
            {
                report.updated += 1;
                report.invited += 1;
            }
            Ok(None)
        }
        None => {
            let profile = Profile {
                name: row.name.clone(),
                phone: row.phone.clone(),
                locale: row.locale,
                organisation_id: organisation.map(|o| o.id),
            };
            let (outcome, invitation) =
                invite_imported(state, db, &row.email, &profile, by, now).await?;
            match outcome {
                Imported::Invited => {
                    report.created += 1;
                    report.invited += 1;
                    return Ok(Some(invitation.id));
                }
                Imported::Updated => report.updated += 1,
                Imported::Unchanged => {}
                Imported::Revoked => report.errors.push(RowError {
                    line: row.line,
                    message: format!(
                        "staff revoked the invitation to {}: invite it by hand to send another",
                        row.email.as_str()
                    ),
                }),
            }
            Ok(None)
        }
    }
}

/// The organisations by name, compared as organisations are matched elsewhere (trimmed,
/// without case), loaded once for the whole file.
struct Organisations(HashMap<String, organisation::Model>);

impl Organisations {
    async fn load(db: &impl ConnectionTrait) -> ApiResult<Self> {
        let all = organisation::Entity::find().all(db).await?;
        Ok(Self(
            all.into_iter()
                .map(|organisation| (key(&organisation.name), organisation))
                .collect(),
        ))
    }

    async fn find_or_create(
        &mut self,
        db: &impl ConnectionTrait,
        name: &str,
        row: &PartnerRow,
        by: Staff<'_>,
        now: DateTime<Utc>,
        report: &mut ImportReport,
    ) -> ApiResult<organisation::Model> {
        if let Some(known) = self.0.get(&key(name)) {
            return Ok(known.clone());
        }
        let draft = OrganisationDraft {
            name: name.to_owned(),
            sector: row.sector,
            commune: row.commune.clone(),
            website: None,
        };
        let created = create_by_staff(db, draft, by, now).await?;
        report.organisations_created += 1;
        self.0.insert(key(name), created.clone());
        Ok(created)
    }
}

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}
