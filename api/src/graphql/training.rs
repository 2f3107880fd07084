use async_graphql::{Context, ID, InputObject, Object};
use entity::training_programme;

use crate::{
    error::ApiResult,
    graphql::{activities::Activity, context::ContextExt, inputs::parse_id},
    people::Access,
    training::{
        programme::{self, ProgrammeDraft},
        trainers,
    },
};

pub struct TrainingProgramme {
    model: training_programme::Model,
    /// The sessions' total, in hours, for a programme that gives no duration.
    duration_hours: f64,
}

impl TrainingProgramme {
    /// The programme of the activity `activity_id`, if it has one.
    pub async fn of(ctx: &Context<'_>, activity_id: i64) -> ApiResult<Option<Self>> {
        let loaders = ctx.loaders()?;
        let Some(model) = loaders
            .programmes()
            .load_one(activity_id)
            .await?
            .and_then(|rows| rows.into_iter().next())
        else {
            return Ok(None);
        };
        let sessions = loaders
            .sessions()
            .load_one(activity_id)
            .await?
            .unwrap_or_default();
        let duration_hours = programme::duration_hours(&model, &sessions);
        Ok(Some(Self {
            model,
            duration_hours,
        }))
    }
}

/// What a training body publishes of a training: its objectives, prerequisites, audience,
/// methods, evaluation, accessibility and duration. Printed on the programme PDF
/// (`Activity.programmeUrl`).
#[Object]
impl TrainingProgramme {
    /// What a trainee will be able to do, one per item (1 to 12).
    async fn objectives(&self) -> Vec<&str> {
        programme::objectives(&self.model)
    }

    /// What a trainee needs before it starts, if anything.
    async fn prerequisites(&self) -> Option<&str> {
        self.model.prerequisites.as_deref()
    }

    /// Whom the training is for.
    async fn audience(&self) -> Option<&str> {
        self.model.audience.as_deref()
    }

    /// How it is taught.
    async fn methods(&self) -> &str {
        &self.model.methods
    }

    /// How what trainees learned is evaluated.
    async fn evaluation(&self) -> &str {
        &self.model.evaluation
    }

    /// Whom a person with a disability contacts, and how.
    async fn accessibility(&self) -> &str {
        &self.model.accessibility
    }

    /// Its duration in hours: as staff wrote it, or else the sessions' total.
    async fn duration_hours(&self) -> f64 {
        self.duration_hours
    }
}

/// A training's programme, as staff write it.
#[derive(InputObject)]
pub struct TrainingProgrammeInput {
    /// What a trainee will be able to do: 1 to 12 objectives, one line each.
    objectives: Vec<String>,
    /// What a trainee needs before it starts.
    prerequisites: Option<String>,
    /// Whom the training is for.
    audience: Option<String>,
    /// How it is taught.
    methods: String,
    /// How what trainees learned is evaluated.
    evaluation: String,
    /// Whom a person with a disability contacts, and how.
    accessibility: String,
    /// The duration in hours; by default the sessions' total.
    duration_hours: Option<f64>,
}

#[derive(Default)]
pub struct TrainingQuery;

#[Object]
impl TrainingQuery {
    /// The activities the caller is assigned to deliver (empty for anyone who delivers none).
    async fn my_trainings(&self, ctx: &Context<'_>) -> ApiResult<Vec<Activity>> {
        let me = ctx.viewer().require(Access::Account)?;
        let activities = trainers::delivered_by(me).all(&ctx.state()?.db).await?;
        Ok(activities.into_iter().map(Activity).collect())
    }
}

#[derive(Default)]
pub struct TrainingMutation;

#[Object]
impl TrainingMutation {
    /// Staff only: sets (or replaces) the programme of an activity, printed on its programme
    /// PDF. BAD_USER_INPUT names the field at fault (no objective or more than 12, a missing
    /// methods, evaluation or accessibility, a duration that is not a positive number of hours).
    async fn set_training_programme(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity.")] activity_id: ID,
        #[graphql(desc = "Its programme.")] input: TrainingProgrammeInput,
    ) -> ApiResult<Activity> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        let id = parse_id("activityId", &activity_id)?;
        let draft = ProgrammeDraft {
            objectives: input.objectives,
            prerequisites: input.prerequisites,
            audience: input.audience,
            methods: input.methods,
            evaluation: input.evaluation,
            accessibility: input.accessibility,
            duration_hours: input.duration_hours,
        };
        programme::set(&state.db, id, draft, staff, state.now()).await?;
        Ok(Activity(
            crate::activities::service::get_visible(&state.db, id, staff.person()).await?,
        ))
    }

    /// Staff only: assigns a staff or TRAINER account to deliver the activity (several may);
    /// assigning again changes nothing. Anyone else: BAD_USER_INPUT on `userId`.
    async fn assign_trainer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity.")] activity_id: ID,
        #[graphql(desc = "The staff or TRAINER account that delivers it.")] user_id: ID,
    ) -> ApiResult<Activity> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        let activity = trainers::assign(
            &state.db,
            parse_id("activityId", &activity_id)?,
            parse_id("userId", &user_id)?,
            staff,
            state.now(),
        )
        .await?;
        Ok(Activity(activity))
    }
}
