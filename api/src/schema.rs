//! The GraphQL schema: one query and one mutation object merged from the domains.

use async_graphql::{MergedObject, MergedSubscription, Response, Schema, SchemaBuilder};

use crate::{
    accounts::{AccountsMutation, AccountsQuery},
    activities::{
        ActivityMutation, ActivityQuery,
        certificates::CertificateQuery,
        followup::{FollowUpMutation, FollowUpQuery},
    },
    auth::{
        AuthQuery, Credentials,
        viewers::{SettleMutations, runs_mutation},
    },
    club::ClubMutation,
    diagnostics::{DiagnosticMutation, DiagnosticQuery},
    error::{ErrorCodes, with_codes},
    groups::{GroupMutation, GroupQuery, GroupSubscription, ModerationMutation},
    invitations::{InvitationMutation, InvitationQuery},
    limits::{MAX_COMPLEXITY, QueryLimits},
    mail::MailQuery,
    organisations::{OrganisationMutation, OrganisationQuery},
    people::{AuditQuery, PeopleMutation, PeopleQuery, Viewer},
    progress::{ProgressMutation, ProgressQuery},
    registrations::{RegistrationMutation, RegistrationQuery},
    socket::SocketViewer,
    state::AppState,
};

#[derive(MergedObject, Default)]
pub struct Query(
    AuthQuery,
    AccountsQuery,
    PeopleQuery,
    ActivityQuery,
    FollowUpQuery,
    CertificateQuery,
    RegistrationQuery,
    OrganisationQuery,
    DiagnosticQuery,
    ProgressQuery,
    MailQuery,
    InvitationQuery,
    GroupQuery,
    AuditQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    AccountsMutation,
    PeopleMutation,
    ActivityMutation,
    FollowUpMutation,
    RegistrationMutation,
    OrganisationMutation,
    DiagnosticMutation,
    ProgressMutation,
    InvitationMutation,
    ClubMutation,
    GroupMutation,
    ModerationMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(GroupSubscription);

pub type KlubSchema = Schema<Query, Mutation, Subscription>;

/// Deepest selection accepted; the frontend's deepest document needs 6.
pub const MAX_DEPTH: usize = 12;

/// The schema and its limits, without extensions.
fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(32)
    .limit_directives(MAX_DIRECTIVES)
}

/// Directives on one field.
pub const MAX_DIRECTIVES: usize = 8;

/// With `KLUB_INTROSPECTION=false`, introspection and "did you mean" suggestions are off: a
/// stranger cannot map the API by asking it.
fn served(builder: SchemaBuilder<Query, Mutation, Subscription>, state: AppState) -> KlubSchema {
    let builder = if state.config.introspection {
        builder
    } else {
        builder.disable_introspection().disable_suggestions()
    };
    builder.data(state).finish()
}

/// The served schema with its extensions, for sockets and batches: the limits (a batch shares
/// one budget), the viewer of each socket operation, error codes, and the wait after a
/// mutation ([`SettleMutations`]).
pub fn build(state: AppState) -> KlubSchema {
    served(
        builder()
            .extension(QueryLimits::default())
            .extension(SocketViewer)
            .extension(ErrorCodes)
            .extension(SettleMutations),
        state,
    )
}

/// The same schema without extensions, for the one operation of a plain HTTP request, the
/// frontend's every request: [`Direct::execute`] takes the extensions' steps itself, in the
/// same order. With no extension, async-graphql resolves each field straight away instead of
/// passing it down the extensions' chain; with four of them that chain was the largest cost of
/// a page of 20 activities (perf under klub-bench).
pub struct Direct {
    schema: KlubSchema,
    limits: QueryLimits,
}

impl Direct {
    pub fn build(state: AppState) -> Self {
        Self {
            schema: served(builder(), state),
            limits: QueryLimits::default(),
        }
    }

    /// Runs one operation for the caller, as [`build`]'s extensions would.
    pub async fn execute(
        &self,
        state: &AppState,
        mut request: async_graphql::Request,
        viewer: Viewer,
        credentials: Credentials,
    ) -> Response {
        if let Err(error) = self.limits.prepare(&mut request, None) {
            return with_codes(Response::from_errors(vec![error]));
        }
        let operation_name = request.operation_name.clone();
        let mutation = request
            .parsed_query()
            .is_ok_and(|document| runs_mutation(document, operation_name.as_deref()));
        let response = self
            .schema
            .execute(state.for_caller(request, viewer, credentials))
            .await;
        if mutation {
            state.viewers.settle(&state.db).await;
        }
        with_codes(response)
    }
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
