//! The GraphQL schema: one query and one mutation object merged from the domains.

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::{
    accounts::{AccountsMutation, AccountsQuery},
    activities::{
        ActivityMutation, ActivityQuery,
        certificates::CertificateQuery,
        followup::{FollowUpMutation, FollowUpQuery},
    },
    auth::{AuthQuery, viewers::SettleMutations},
    club::ClubMutation,
    diagnostics::{DiagnosticMutation, DiagnosticQuery},
    error::ErrorCodes,
    groups::{GroupMutation, GroupQuery, GroupSubscription, ModerationMutation},
    invitations::{InvitationMutation, InvitationQuery},
    limits::{MAX_COMPLEXITY, QueryLimits},
    mail::MailQuery,
    organisations::{OrganisationMutation, OrganisationQuery},
    people::{AuditQuery, PeopleMutation, PeopleQuery},
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
    .extension(QueryLimits)
    .extension(SocketViewer)
    .extension(ErrorCodes)
    .extension(SettleMutations)
}

/// Directives on one field.
pub const MAX_DIRECTIVES: usize = 8;

/// The served schema. With `KLUB_INTROSPECTION=false`, introspection and "did you mean"
/// suggestions are off: a stranger cannot map the API by asking it.
pub fn build(state: AppState) -> KlubSchema {
    let mut builder = builder();
    if !state.config.introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.data(state).finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
