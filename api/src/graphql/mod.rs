//! The GraphQL schema: one query and one mutation object merged from the domains.

pub mod accounts;
pub mod activities;
pub mod admission;
pub mod answers;
pub mod attendance;
pub mod audit_log;
pub mod auth;
pub mod certificates;
pub mod club;
pub mod club_question;
pub mod connections;
pub mod consents;
pub mod context;
pub mod diagnostics;
pub mod errors;
pub mod followup;
pub mod groups;
pub mod inputs;
pub mod invitations;
pub mod learning;
pub mod limits;
pub mod loaders;
pub mod mail;
pub mod onboarding;
pub mod organisations;
pub mod payments;
pub mod people;
pub mod photos;
pub mod positioning;
pub mod progress;
pub mod registration;
pub mod registrations;
pub mod scalars;
pub mod settle;
pub mod socket_viewer;
pub mod topics;
pub mod training;

use self::{
    accounts::{AccountsMutation, AccountsQuery},
    activities::{ActivityMutation, ActivityQuery},
    admission::AdmissionMutation,
    attendance::AttendanceMutation,
    audit_log::AuditQuery,
    auth::AuthQuery,
    certificates::CertificateQuery,
    club::ClubMutation,
    consents::{ConsentMutation, ConsentQuery},
    diagnostics::{DiagnosticMutation, DiagnosticQuery},
    followup::{FollowUpMutation, FollowUpQuery},
    groups::{GroupMutation, GroupQuery, GroupSubscription, ModerationMutation},
    invitations::{InvitationMutation, InvitationQuery},
    learning::{LearningMutation, LearningQuery},
    mail::MailQuery,
    onboarding::OnboardingMutation,
    organisations::{OrganisationMutation, OrganisationQuery},
    people::{PeopleMutation, PeopleQuery},
    photos::{PhotoMutation, PhotoQuery},
    positioning::{PositioningMutation, PositioningQuery},
    progress::{ProgressMutation, ProgressQuery},
    registrations::{RegistrationMutation, RegistrationQuery},
    topics::{TopicMutation, TopicQuery},
    training::{TrainingMutation, TrainingQuery},
};
use actix_web::web::Bytes;
use async_graphql::{MergedObject, MergedSubscription, Response, Schema, SchemaBuilder};

use self::socket_viewer::SocketViewer;
use crate::{
    auth::Credentials,
    clock,
    graphql::answers::{AnswerKey, Caller, Since},
    graphql::errors::{ErrorCodes, with_codes},
    graphql::limits::{MAX_COMPLEXITY, QueryLimits},
    graphql::settle::{SettleMutations, runs_mutation},
    metrics::ANSWERS_FROM_MEMORY,
    people::Viewer,
    state::AppState,
};

/// What the frontend reads. Every field is authorised in the server.
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
    TrainingQuery,
    LearningQuery,
    PositioningQuery,
    ConsentQuery,
    TopicQuery,
    PhotoQuery,
);

/// What changes Klub's data. Every mutation is authorised in the server and answers once every instance has heard its change.
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
    OnboardingMutation,
    TrainingMutation,
    AttendanceMutation,
    LearningMutation,
    PositioningMutation,
    AdmissionMutation,
    ConsentMutation,
    TopicMutation,
    PhotoMutation,
    ClubMutation,
    GroupMutation,
    ModerationMutation,
);

/// What the server pushes over the WebSocket at `/graphql/ws`.
#[derive(MergedSubscription, Default)]
pub struct Subscription(GroupSubscription);

pub type KlubSchema = Schema<Query, Mutation, Subscription>;

/// The schema and its limits, without extensions.
fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
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
/// one budget; `limits` holds the parsed documents, shared with [`SingleOperationSchema`]), the viewer of each
/// socket operation, error codes, and the wait after a mutation ([`SettleMutations`]).
pub fn build(state: AppState, limits: QueryLimits) -> KlubSchema {
    served(
        builder()
            .extension(limits)
            .extension(SocketViewer)
            .extension(ErrorCodes)
            .extension(SettleMutations),
        state,
    )
}

/// The same schema without extensions, for the one operation of a plain HTTP request, the
/// frontend's every request: [`SingleOperationSchema::execute`] takes the extensions' steps itself, in the
/// same order. With no extension, async-graphql resolves each field straight away instead of
/// passing it down the extensions' chain; with four of them that chain was the largest cost of
/// a page of 20 activities (perf under klub-bench).
pub struct SingleOperationSchema {
    schema: KlubSchema,
    limits: QueryLimits,
}

impl SingleOperationSchema {
    pub fn build(state: AppState, limits: QueryLimits) -> Self {
        Self {
            schema: served(builder(), state),
            limits,
        }
    }

    /// Runs one operation for the caller, as [`build`]'s extensions would, or answers it from
    /// memory when the caller asked the same query since the database last changed
    /// (`responses.rs`).
    pub async fn execute(
        &self,
        state: &AppState,
        mut request: async_graphql::Request,
        viewer: Viewer,
        credentials: Credentials,
        since: Option<Since>,
    ) -> Answer {
        let answers = &state.memory.answers;
        let key = AnswerKey::of(&request, Caller::from(&viewer));
        if let Some(body) = key.as_ref().and_then(|key| answers.get(key)) {
            metrics::counter!(ANSWERS_FROM_MEMORY).increment(1);
            return Answer::Json(body);
        }
        let fresh = match self.limits.prepare(&mut request, None) {
            Ok(fresh) => fresh,
            Err(error) => return Answer::Response(with_codes(Response::from_errors(vec![error]))),
        };
        let operation_name = request.operation_name.clone();
        let mutation = request
            .parsed_query()
            .is_ok_and(|document| runs_mutation(document, operation_name.as_deref()));
        let text = fresh.then(|| request.query.clone());
        let parsed = text.zip(request.parsed_query().ok().cloned());
        let keep_under = match (key, since) {
            (Some(key), Some(since)) if !mutation => Some((key, since)),
            _ => None,
        };
        let (response, read_the_clock) = clock::watch(self.schema.execute(context::for_caller(
            state,
            request,
            viewer,
            credentials,
        )))
        .await;
        if mutation {
            state.memory.settle(&state.db).await;
        }
        // Errors raised before execution carry no path: only a document that passed
        // validation is kept parsed.
        if let Some((text, document)) = parsed
            && response.errors.iter().all(|error| !error.path.is_empty())
        {
            self.limits.remember(&text, &document);
        }
        let response = with_codes(response);
        match keep_under {
            Some((key, since)) if response.is_ok() && !read_the_clock => {
                match serde_json::to_vec(&response) {
                    Ok(body) => {
                        let body = Bytes::from(body);
                        answers.keep(since, key, body.clone());
                        Answer::Json(body)
                    }
                    Err(_) => Answer::Response(response),
                }
            }
            _ => Answer::Response(response),
        }
    }
}

/// The answer to one operation: a successful one, from memory or kept there, as the JSON body
/// it is sent as; or any other, as it ran.
pub enum Answer {
    Json(Bytes),
    Response(Response),
}

impl From<&Viewer> for Caller {
    fn from(viewer: &Viewer) -> Self {
        match viewer {
            Viewer::Anonymous => Self::Anonymous,
            Viewer::InvalidToken => Self::InvalidToken,
            Viewer::User(user) => Self::Account(user.id),
        }
    }
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
