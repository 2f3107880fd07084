use async_graphql::{Context, Object, SimpleObject};

use crate::{
    error::ApiResult,
    graphql::context::ContextExt,
    onboarding::{self, ImportReport, spreadsheet::RowError},
};

#[derive(Default)]
pub struct OnboardingMutation;

#[Object]
impl OnboardingMutation {
    /// Staff only: imports the office's partners from a spreadsheet saved as CSV, one row per
    /// person. The header row names the columns, in French or English and in any order: email
    /// (`Email`, `Courriel`…), name (`Name`, `Nom`, or `Prénom` and `Nom`), organisation
    /// (`Structure`, `Entreprise`…), sector (Klub's names or words such as `Hôtel`,
    /// `Restaurant`; anything else is OTHER), commune, phone, language (`fr`, `Français`…);
    /// commas or semicolons. Organisations are matched by name (without case) or created;
    /// each person without an account is invited by mail to create one, joins its
    /// organisation when it accepts, and starts with the file's phone and language; a partner
    /// with an account and no organisation is offered a place in the one named. A bad row is
    /// reported by line and the others go in; importing the same file again changes nothing.
    /// A file without an email or a name column: BAD_USER_INPUT. The request body holds at most
    /// 1 MiB; `klub import partners FILE` takes any size.
    async fn import_partners(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file's text (UTF-8; a leading byte-order mark is ignored).")]
        csv: String,
        #[graphql(desc = "True: nothing is written or mailed; the result says what would be.")]
        dry_run: Option<bool>,
    ) -> ApiResult<ImportResult> {
        let staff = ctx.viewer().staff()?;
        let state = ctx.state()?;
        let report =
            onboarding::import_partners(state, staff, &csv, dry_run.unwrap_or(false)).await?;
        Ok(report.into())
    }
}

/// What an import did, or would do with `dryRun`.
#[derive(SimpleObject)]
pub struct ImportResult {
    /// People new to Klub, invited to create their account.
    created: usize,
    /// People already known whose record changed: a waiting invitation now says what the file
    /// says, or an account was offered a place in its organisation.
    updated: usize,
    /// Invitation mails queued (to create an account or to join an organisation).
    invited: usize,
    /// Organisations the file named that Klub did not know.
    organisations_created: usize,
    /// The rows left out, by line.
    errors: Vec<ImportError>,
}

/// A row of the file left out.
#[derive(SimpleObject)]
pub struct ImportError {
    /// Its line in the file; the header is line 1.
    line: usize,
    /// Why, in words for the person who fixes the file.
    message: String,
}

impl From<ImportReport> for ImportResult {
    fn from(report: ImportReport) -> Self {
        Self {
            created: report.created,
            updated: report.updated,
            invited: report.invited,
            organisations_created: report.organisations_created,
            errors: report
                .errors
                .into_iter()
                .map(|RowError { line, message }| ImportError { line, message })
                .collect(),
        }
    }
}
