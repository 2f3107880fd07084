use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};
use entity::{activity, session};
use futures_util::FutureExt;
use sea_orm::{ColumnTrait, QueryFilter};

use crate::activities::{
    ActivityDraft, SessionDraft,
    draft::default_audience,
    lifecycle::{self, Cancellation},
    policy, seats,
    service::{self, ActivityFilter as Filter, Listed},
};
use crate::{
    error::{ApiError, ApiResult},
    graphql::attendance::AttendanceSlot,
    graphql::connections::{Direction, List, Page, PageArgs, page_cost, paginate, paginate_rows},
    graphql::context::ContextExt,
    graphql::inputs::parse_id,
    graphql::scalars::Timestamp,
    graphql::{
        admission::{ActivityConsent, RegistrationQuestion},
        club_question::ClubQuestion,
        consents::ConsentPurpose,
        diagnostics::Axis,
        followup::{Reminder, Survey},
        people::User,
        positioning::Positioning,
        registration::{Registration, RegistrationStatus},
        topics::Topic,
        training::TrainingProgramme,
    },
    people::Access,
    validation::required_paragraph,
};

/// The longest reason a cancellation gives.
const MAX_CANCELLATION_REASON_CHARS: usize = 500;

/// What kind of activity it is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "activity::Kind")]
pub enum ActivityKind {
    /// A multi-day cohort: several sessions, a trainer; completing it makes attendees trained.
    Training,
    /// Short, tool-centred, usually paid; may need a minimum number of participants.
    Workshop,
    /// Large, with an external speaker.
    Conference,
    /// The monthly digital club, for trained partners.
    ClubMeeting,
}

/// Where an activity stands in its life cycle.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "activity::Status")]
pub enum ActivityStatus {
    /// Being prepared; seen by staff only.
    Draft,
    /// Open to registration until its deadline.
    Published,
    /// Cancelled by staff or, under its minimum of participants, by the scheduler.
    Cancelled,
    /// Held; attendance is final and certificates are issued.
    Completed,
}

/// Who may see and register for an activity.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "activity::Audience")]
pub enum Audience {
    /// Every partner.
    AllPartners,
    /// Partners who completed a training.
    TrainedPartners,
    /// Staff only.
    Staff,
}

/// A dated sitting of an activity.
#[derive(InputObject)]
pub struct SessionInput {
    /// When updating: the session to edit. Without it a session is created.
    pub id: Option<ID>,
    /// When it starts.
    pub starts_at: Timestamp,
    /// When it ends.
    pub ends_at: Timestamp,
}

/// A new activity; it starts as a draft.
#[derive(InputObject)]
pub struct CreateActivityInput {
    /// What kind of activity it is; the defaults of the other fields follow it.
    pub kind: ActivityKind,
    /// The title (one line).
    pub title: String,
    /// What it is about (a paragraph).
    pub description: Option<String>,
    /// Where it takes place (one line).
    pub location: Option<String>,
    /// Default ALL_PARTNERS; CLUB_MEETING defaults to TRAINED_PARTNERS.
    pub audience: Option<Audience>,
    /// Seats, at least 1.
    pub capacity: i32,
    /// Below this many confirmed registrations at the deadline, the activity is cancelled.
    pub min_participants: Option<i32>,
    /// Registrations close here (default: when the first session starts).
    pub registration_deadline: Option<Timestamp>,
    /// Price in cents, 0 when free (the default).
    pub price_cents: Option<i32>,
    /// Who trains or speaks (one line).
    pub trainer_name: Option<String>,
    /// A body that organises it with the office, printed on certificates (one line).
    pub co_organiser: Option<String>,
    /// TRAINING: the share of sessions a registrant must attend to become trained (default 75).
    pub min_attendance_percent: Option<i32>,
    /// The topic whose demand it answers: its interested partners are told when it is
    /// published.
    pub topic_id: Option<ID>,
    /// With a topic: its interested partners register this many hours (0 to 336) before
    /// anyone else (default 0).
    pub priority_hours: Option<i32>,
    /// At least one; they must not overlap.
    pub sessions: Vec<SessionInput>,
}

/// Fields to change; absent fields keep their value, `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateActivityInput {
    /// A new kind.
    pub kind: Option<ActivityKind>,
    /// A new title (one line).
    pub title: Option<String>,
    /// A new description (a paragraph).
    pub description: MaybeUndefined<String>,
    /// A new place (one line).
    pub location: MaybeUndefined<String>,
    /// Who may see and register.
    pub audience: Option<Audience>,
    /// Raising it promotes from the waiting list.
    pub capacity: Option<i32>,
    /// A new minimum of participants (null: none).
    pub min_participants: MaybeUndefined<i32>,
    /// A new deadline (null: the first session's start).
    pub registration_deadline: MaybeUndefined<Timestamp>,
    /// A new price, in cents (0: free).
    pub price_cents: Option<i32>,
    /// A new trainer (null: none).
    pub trainer_name: MaybeUndefined<String>,
    /// A new co-organiser (null: none).
    pub co_organiser: MaybeUndefined<String>,
    /// A new share of hours to attend to complete it.
    pub min_attendance_percent: MaybeUndefined<i32>,
    /// The full new list: entries with an `id` update that session, entries without create
    /// one, sessions left out are removed.
    pub sessions: Option<Vec<SessionInput>>,
}

/// What the programme is narrowed to; every field left out lets everything through.
#[derive(InputObject, Default)]
pub struct ActivityFilter {
    /// Only activities of this kind.
    pub kind: Option<ActivityKind>,
    /// Only activities in this state (staff: drafts too).
    pub status: Option<ActivityStatus>,
    /// Activities still running at or after this time.
    pub from: Option<Timestamp>,
    /// Activities starting at or before this time.
    pub to: Option<Timestamp>,
    /// Only activities with (or without) a free seat.
    pub has_seats_left: Option<bool>,
}

fn sessions_of(input: Vec<SessionInput>) -> ApiResult<Vec<SessionDraft>> {
    input
        .into_iter()
        .enumerate()
        .map(|(index, session)| {
            Ok(SessionDraft {
                id: session
                    .id
                    .as_ref()
                    .map(|id| parse_id(&format!("sessions[{index}].id"), id))
                    .transpose()?,
                starts_at: session.starts_at.into(),
                ends_at: session.ends_at.into(),
            })
        })
        .collect()
}

fn apply<T, U: Into<T>>(field: &mut Option<T>, change: MaybeUndefined<U>) {
    match change {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => *field = None,
        MaybeUndefined::Value(value) => *field = Some(value.into()),
    }
}

impl CreateActivityInput {
    fn into_draft(self) -> ApiResult<ActivityDraft> {
        let kind: activity::Kind = self.kind.into();
        Ok(ActivityDraft {
            kind,
            title: self.title,
            description: self.description,
            location: self.location,
            audience: self
                .audience
                .map_or_else(|| default_audience(kind), Into::into),
            capacity: self.capacity,
            min_participants: self.min_participants,
            registration_deadline: self.registration_deadline.map(Into::into),
            price_cents: self.price_cents.unwrap_or(0),
            trainer_name: self.trainer_name,
            co_organiser: self.co_organiser,
            min_attendance_percent: self
                .min_attendance_percent
                .or_else(|| crate::certificates::default_min_attendance(kind)),
            topic_id: self
                .topic_id
                .map(|id| parse_id("topicId", &id))
                .transpose()?,
            priority_hours: self.priority_hours.unwrap_or(0),
            sessions: sessions_of(self.sessions)?,
        })
    }
}

impl UpdateActivityInput {
    fn apply_to(self, mut draft: ActivityDraft) -> ApiResult<ActivityDraft> {
        if let Some(kind) = self.kind {
            draft.kind = kind.into();
        }
        if let Some(title) = self.title {
            draft.title = title;
        }
        apply(&mut draft.description, self.description);
        apply(&mut draft.location, self.location);
        if let Some(audience) = self.audience {
            draft.audience = audience.into();
        }
        if let Some(capacity) = self.capacity {
            draft.capacity = capacity;
        }
        apply(&mut draft.min_participants, self.min_participants);
        apply(&mut draft.registration_deadline, self.registration_deadline);
        if let Some(price) = self.price_cents {
            draft.price_cents = price;
        }
        apply(&mut draft.trainer_name, self.trainer_name);
        apply(&mut draft.co_organiser, self.co_organiser);
        apply(
            &mut draft.min_attendance_percent,
            self.min_attendance_percent,
        );
        if let Some(sessions) = self.sessions {
            draft.sessions = sessions_of(sessions)?;
        }
        Ok(draft)
    }
}

pub struct Activity(pub activity::Model);

// async-graphql resolves each field of each listed activity as a boxed copy of one future
// sized for the largest of its fields; a field that awaits the database or a loader boxes
// that work, so the twenty fields of twenty activities on a page are not each a copy of the
// largest (the crowd's memmove and allocation, measured with perf: docs/performance.md).
/// A training, workshop, conference or club meeting.
#[Object]
impl Activity {
    /// The activity's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What kind of activity it is.
    async fn kind(&self) -> ActivityKind {
        self.0.kind.into()
    }
    /// The activity's title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What the activity is about (a paragraph).
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Where it takes place.
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    /// Who may register (staff may register for anything).
    async fn audience(&self) -> Audience {
        self.0.audience.into()
    }
    /// Where it stands in its life cycle.
    async fn status(&self) -> ActivityStatus {
        self.0.status.into()
    }
    /// How many seats it has.
    async fn capacity(&self) -> i32 {
        self.0.capacity
    }
    /// Seats not taken by CONFIRMED registrations.
    async fn seats_left(&self) -> i32 {
        (self.0.capacity - self.0.confirmed_count).max(0)
    }
    /// How many registrations hold a seat.
    async fn confirmed_count(&self) -> i32 {
        self.0.confirmed_count
    }
    /// How many wait for a seat.
    async fn waitlist_count(&self) -> i32 {
        self.0.waitlist_count
    }
    /// Below this many confirmed registrations at the deadline, the activity is cancelled.
    async fn min_participants(&self) -> Option<i32> {
        self.0.min_participants
    }
    /// When registration closes.
    async fn registration_deadline(&self) -> Option<Timestamp> {
        self.0.registration_deadline.map(Timestamp)
    }
    /// Price in cents; 0 when free.
    async fn price_cents(&self) -> i32 {
        self.0.price_cents
    }
    /// Who trains or speaks.
    async fn trainer_name(&self) -> Option<&str> {
        self.0.trainer_name.as_deref()
    }
    /// The organisation co-organising or delivering it, if any.
    async fn co_organiser(&self) -> Option<&str> {
        self.0.co_organiser.as_deref()
    }
    /// The share of its hours a person attends to complete it and earn its certificate.
    async fn min_attendance_percent(&self) -> Option<i32> {
        self.0.min_attendance_percent
    }
    /// Why it was cancelled, when it was.
    async fn cancellation_reason(&self) -> Option<&str> {
        self.0.cancellation_reason.as_deref()
    }
    /// The first session's start.
    async fn starts_at(&self) -> Timestamp {
        self.0.starts_at.into()
    }
    /// The last session's end.
    async fn ends_at(&self) -> Timestamp {
        self.0.ends_at.into()
    }
    /// When it was created.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }

    /// The sessions in date order.
    async fn sessions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Session>> {
        let sessions = ctx
            .loaders()?
            .sessions()
            .load_one(self.0.id)
            .boxed()
            .await?;
        Ok(sessions
            .unwrap_or_default()
            .into_iter()
            .map(Session)
            .collect())
    }

    /// The caller's own registration (the latest one), if any.
    async fn my_registration(&self, ctx: &Context<'_>) -> ApiResult<Option<Registration>> {
        if ctx.viewer().user().is_none() {
            return Ok(None);
        }
        let latest = ctx
            .loaders()?
            .my_registrations()
            .load_one(self.0.id)
            .boxed()
            .await?;
        Ok(latest
            .and_then(|rows| rows.into_iter().next())
            .map(Registration))
    }

    /// A club meeting's questions, most votes first, then oldest: the `first` of them (50 by
    /// default, at most 100). For trained partners and staff within the meeting's audience
    /// (others get FORBIDDEN). Empty for other kinds of activity.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn club_questions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many questions to return (the most voted first).")] first: Option<
            i32,
        >,
    ) -> ApiResult<Option<Vec<ClubQuestion>>> {
        let me = ctx.viewer().require(Access::Member)?;
        if !policy::takes_part_in_club(&self.0, me) {
            return Err(ApiError::Forbidden);
        }
        let first = match first {
            None => 50,
            Some(first @ 0..=100) => usize::try_from(first).unwrap_or(0),
            Some(_) => return Err(ApiError::bad_input("first", "must be between 0 and 100")),
        };
        let questions = ctx
            .loaders()?
            .club_questions()
            .load_one(self.0.id)
            .boxed()
            .await?;
        Ok(Some(
            questions
                .unwrap_or_default()
                .into_iter()
                .take(first)
                .map(ClubQuestion)
                .collect(),
        ))
    }

    /// The maturity axes it works on (`recommendations` come from these).
    async fn axes(&self, ctx: &Context<'_>) -> ApiResult<Vec<Axis>> {
        Axis::of_activity(ctx, self.0.id).boxed().await
    }

    /// Staff only (partners get FORBIDDEN): the reminder rules, oldest first.
    async fn reminders(&self, ctx: &Context<'_>) -> ApiResult<Vec<Reminder>> {
        ctx.viewer().require(Access::Staff)?;
        Reminder::of(ctx, &self.0).boxed().await
    }

    /// Who delivers it: staff or TRAINER accounts staff assigned (`assignTrainer`).
    async fn trainers(&self, ctx: &Context<'_>) -> ApiResult<Vec<User>> {
        User::trainers_of(ctx, self.0.id).boxed().await
    }

    /// Its trainers and staff only (FORBIDDEN for others): its half-days, each with its
    /// attendance sheet, in time order.
    async fn attendance_slots(&self, ctx: &Context<'_>) -> ApiResult<Vec<AttendanceSlot>> {
        let me = ctx.viewer().require(Access::Account)?;
        let db = &ctx.state()?.db;
        crate::training::policy::require_keeps_sheets(db, me, self.0.id)
            .boxed()
            .await?;
        AttendanceSlot::of_activity(ctx, self.0.id).boxed().await
    }

    /// Staff only: where the training file is downloaded as one ZIP (with a staff bearer
    /// token): the programme, convocations, every half-day's sheet, certificates, survey
    /// results and payments. Null for an activity that is not a TRAINING or WORKSHOP.
    async fn training_file_url(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        ctx.viewer().require(Access::Staff)?;
        let base = &ctx.state()?.config.public_url;
        Ok(crate::certificates::earns_certificate(self.0.kind)
            .then(|| format!("{base}/activities/{}/training-file.zip", self.0.id)))
    }

    /// The training programme, if staff set one (`setTrainingProgramme`).
    async fn programme(&self, ctx: &Context<'_>) -> ApiResult<Option<TrainingProgramme>> {
        TrainingProgramme::of(ctx, self.0.id).boxed().await
    }

    /// Where the programme's PDF is downloaded (with the caller's bearer token), once the
    /// activity has a programme.
    async fn programme_url(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        let has_programme = ctx
            .loaders()?
            .programmes()
            .load_one(self.0.id)
            .boxed()
            .await?
            .is_some_and(|rows| !rows.is_empty());
        let base = &ctx.state()?.config.public_url;
        Ok(has_programme.then(|| format!("{base}/activities/{}/programme.pdf", self.0.id)))
    }

    /// Staff only (partners get FORBIDDEN): the satisfaction survey at the end, if one is
    /// set. Attendees reach the questions through `mySurveys`.
    async fn survey(&self, ctx: &Context<'_>) -> ApiResult<Option<Survey>> {
        ctx.viewer().require(Access::Staff)?;
        Survey::of(ctx, self.0.id).boxed().await
    }

    /// Its trainers and staff only (FORBIDDEN otherwise): the positioning asked of its
    /// trainees before the first session, if set.
    async fn positioning(&self, ctx: &Context<'_>) -> ApiResult<Option<Positioning>> {
        let me = ctx.viewer().require(Access::Account)?;
        let db = &ctx.state()?.db;
        crate::training::policy::require_keeps_sheets(db, me, self.0.id)
            .boxed()
            .await?;
        Positioning::of(ctx, self.0.id).boxed().await
    }

    /// Staff only: the cold satisfaction survey, sent weeks after the end, if one is set.
    async fn cold_survey(&self, ctx: &Context<'_>) -> ApiResult<Option<Survey>> {
        ctx.viewer().require(Access::Staff)?;
        Survey::cold_of(ctx, self.0.id).boxed().await
    }

    /// The topic whose demand it answers, if any.
    async fn topic(&self, ctx: &Context<'_>) -> ApiResult<Option<Topic>> {
        let Some(id) = self.0.topic_id else {
            return Ok(None);
        };
        let topic = crate::db::get::<entity::topic::Entity>(&ctx.state()?.db, id, "topic")
            .boxed()
            .await?;
        Ok(Some(Topic::bare(topic)))
    }

    /// With a topic: its interested partners register this many hours before anyone else.
    async fn priority_hours(&self) -> i32 {
        self.0.priority_hours
    }

    /// Registrations wait as PENDING for staff's decision.
    async fn requires_approval(&self) -> bool {
        self.0.requires_approval
    }

    /// A freed seat is offered to the first on the waiting list for this many hours; 0 gives
    /// it at once.
    async fn offer_hours(&self) -> i32 {
        self.0.offer_hours
    }

    /// The consents a registrant must have given (`giveConsent`) before registering.
    async fn required_consents(&self) -> Vec<ConsentPurpose> {
        crate::consents::parse_purposes(&self.0.required_consents)
            .into_iter()
            .map(Into::into)
            .collect()
    }

    /// The questions asked at registration, in order.
    async fn registration_questions(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Vec<RegistrationQuestion>> {
        Ok(Activity::questions_of(ctx, self.0.id)
            .boxed()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Staff only: for each consent the activity requires, who of its registrants gave it and
    /// who did not (who may be photographed, say).
    async fn consents(&self, ctx: &Context<'_>) -> ApiResult<Vec<ActivityConsent>> {
        self.consents_of(ctx).boxed().await
    }

    /// Staff only: everyone registered, in the order they registered (or only those of one
    /// status). Null, with a FORBIDDEN error, for partners (who still get the rest).
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn registrations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return (20 by default, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
        #[graphql(desc = "Only the registrations in this status.")] status: Option<
            RegistrationStatus,
        >,
    ) -> ApiResult<Option<Page<i64, Registration>>> {
        ctx.viewer().require(Access::Staff)?;
        let args = PageArgs::parse(first, after)?;
        let mut registrations = seats::registrations_of(self.0.id);
        if let Some(status) = status {
            registrations = registrations.filter(
                entity::registration::Column::Status.eq(entity::registration::Status::from(status)),
            );
        }
        paginate(
            &ctx.state()?.db,
            registrations,
            entity::registration::Column::Id,
            Direction::Ascending,
            args,
            |r| r.id,
            Registration,
        )
        .boxed()
        .await
        .map(Some)
    }
}

pub struct Session(pub session::Model);

/// A dated sitting of an activity.
#[Object]
impl Session {
    /// Stable across edits of the activity's dates.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// When it starts.
    async fn starts_at(&self) -> Timestamp {
        self.0.starts_at.into()
    }
    /// When it ends.
    async fn ends_at(&self) -> Timestamp {
        self.0.ends_at.into()
    }
}

/// Loads in one batch the sessions of every activity of a page, when the selection asks for
/// them. The DataLoaders would batch the nodes' own requests too, but only those made within
/// one delay window; prefetching makes the statement count independent of the page size for
/// certain.
async fn prefetch_sessions(ctx: &Context<'_>, ids: Vec<i64>) -> ApiResult<()> {
    if ctx
        .look_ahead()
        .field("edges")
        .field("node")
        .field("sessions")
        .exists()
    {
        ctx.loaders()?.sessions().load_many(ids).await?;
    }
    Ok(())
}

#[derive(Default)]
pub struct ActivityQuery;

#[Object]
impl ActivityQuery {
    /// The programme, ordered by first session then id. Drafts are listed for staff only.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the programme is narrowed to.")] filter: Option<ActivityFilter>,
        #[graphql(desc = "How many to return (20 by default, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Page<(chrono::DateTime<chrono::Utc>, i64), Activity>> {
        let me = ctx.viewer().require(Access::Member)?;
        let args = PageArgs::parse(first, after)?;
        let filter = filter.unwrap_or_default();
        let select = service::programme(
            Filter {
                kind: filter.kind.map(Into::into),
                status: filter.status.map(Into::into),
                from: filter.from.map(Into::into),
                to: filter.to.map(Into::into),
                has_seats_left: filter.has_seats_left,
            },
            me,
        );
        // The page, its count and the caller's registrations: one statement.
        let mut latest = Vec::new();
        let page = paginate_rows(
            &ctx.state()?.db,
            List {
                matching: select,
                order: (activity::Column::StartsAt, activity::Column::Id),
                direction: Direction::Ascending,
            },
            |page| service::with_latest_registration(page, me.id),
            args,
            |listed: &Listed| (listed.activity.starts_at, listed.activity.id),
            |listed| {
                latest.push((
                    listed.activity.id,
                    Vec::from_iter(listed.latest_registration),
                ));
                Activity(listed.activity)
            },
        )
        .await?;
        ctx.loaders()?.my_registrations().feed_many(latest).await;
        prefetch_sessions(ctx, page.edges.iter().map(|edge| edge.node.0.id).collect()).await?;
        Ok(page)
    }

    /// One activity; a draft is NOT_FOUND for partners, and a TRAINER account finds only the
    /// activities it delivers.
    async fn activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity.")] id: ID,
    ) -> ApiResult<Activity> {
        let me = ctx.viewer().require(Access::Account)?;
        let id = parse_id("id", &id)?;
        Ok(Activity(
            service::get_visible(&ctx.state()?.db, id, me).await?,
        ))
    }
}

#[derive(Default)]
pub struct ActivityMutation;

#[Object]
impl ActivityMutation {
    /// Staff only: creates a DRAFT activity with its sessions.
    async fn create_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity to create, as a draft.")] input: CreateActivityInput,
    ) -> ApiResult<Activity> {
        let me = ctx.viewer().staff()?;
        let state = ctx.state()?;
        let created = service::create(
            &state.db,
            input.into_draft()?,
            state.config.reminder_before,
            me,
            state.now(),
        )
        .await?;
        Ok(Activity(created))
    }

    /// Staff only. Raising the capacity promotes from the waiting list; changing the dates or
    /// place of a published activity tells its registrants.
    async fn update_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity to edit.")] id: ID,
        #[graphql(desc = "The fields to change; those left out keep their value.")]
        input: UpdateActivityInput,
    ) -> ApiResult<Activity> {
        let me = ctx.viewer().staff()?;
        let state = ctx.state()?;
        let id = parse_id("id", &id)?;
        let updated = service::update(
            &state.db,
            &state.mailer,
            id,
            |draft| input.apply_to(draft),
            me,
            state.now(),
        )
        .await?;
        Ok(Activity(updated))
    }

    /// Staff only: DRAFT → PUBLISHED, open to registration.
    async fn publish_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The draft to publish.")] id: ID,
    ) -> ApiResult<Activity> {
        let me = ctx.viewer().staff()?;
        let state = ctx.state()?;
        let id = parse_id("id", &id)?;
        let published = lifecycle::advance(
            &state.db,
            &state.mailer,
            id,
            activity::Status::Published,
            me,
            state.now(),
        )
        .await?;
        Ok(Activity(published))
    }

    /// Staff only: cancels a draft or published activity and all its registrations. The
    /// `reason` (at most 500 characters) is mailed to the registrants.
    async fn cancel_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity to cancel.")] id: ID,
        #[graphql(desc = "Why, told to the registered people (a paragraph).")] reason: String,
    ) -> ApiResult<Activity> {
        let me = ctx.viewer().staff()?;
        let state = ctx.state()?;
        let id = parse_id("id", &id)?;
        let reason = required_paragraph("reason", reason, MAX_CANCELLATION_REASON_CHARS)?;
        let cancellation = Cancellation::ByStaff {
            by: me,
            reason: &reason,
        };
        let cancelled = lifecycle::cancel(&state.db, &state.mailer, id, cancellation, state.now())
            .await?
            .ok_or_else(|| {
                ApiError::conflict("only a draft or published activity can be cancelled")
            })?;
        Ok(Activity(cancelled))
    }

    /// Staff only: closes a published activity; for a TRAINING every registrant who attended
    /// at least minAttendancePercent of its sessions becomes trained.
    async fn complete_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity whose last session has ended.")] id: ID,
    ) -> ApiResult<Activity> {
        let me = ctx.viewer().staff()?;
        let state = ctx.state()?;
        let id = parse_id("id", &id)?;
        let completed = lifecycle::advance(
            &state.db,
            &state.mailer,
            id,
            activity::Status::Completed,
            me,
            state.now(),
        )
        .await?;
        Ok(Activity(completed))
    }
}
