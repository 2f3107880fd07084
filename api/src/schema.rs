//! The GraphQL schema: one query and one mutation object merged from the domains.

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::{
    activities::{ActivityMutation, ActivityQuery},
    auth::{AuthMutation, AuthQuery},
    club::ClubMutation,
    error::ErrorCodes,
    groups::{GroupMutation, GroupQuery, GroupSubscription, ModerationMutation},
    invitations::{InvitationMutation, InvitationQuery},
    mail::MailQuery,
    people::{PeopleMutation, PeopleQuery},
    registrations::{RegistrationMutation, RegistrationQuery},
    state::AppState,
};

#[derive(MergedObject, Default)]
pub struct Query(
    AuthQuery,
    PeopleQuery,
    ActivityQuery,
    RegistrationQuery,
    MailQuery,
    InvitationQuery,
    GroupQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    AuthMutation,
    PeopleMutation,
    ActivityMutation,
    RegistrationMutation,
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
/// Fields per request, each counting 1 unless it declares more.
pub const MAX_COMPLEXITY: usize = 2_000;

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(32)
    .limit_directives(8)
    .extension(ErrorCodes)
}

pub fn build(state: AppState) -> KlubSchema {
    builder().data(state).finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
