use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::{diagnostic_axis, diagnostic_option, diagnostic_question};

use crate::diagnostics::service::{self, AxisDraft, OptionDraft, QuestionDraft, Version};
use crate::{error::ApiResult, graphql::context::ContextExt, people::Access};

/// One answer a question offers.
#[derive(Clone, SimpleObject)]
#[graphql(name = "DiagnosticOption")]
pub struct AnswerOption {
    /// The option's id.
    id: ID,
    /// What the option says.
    label: String,
    /// 0 to 4.
    points: i32,
}

/// A question of the self-diagnostic.
#[derive(Clone, SimpleObject)]
#[graphql(name = "DiagnosticQuestion")]
pub struct Question {
    /// The question's id.
    id: ID,
    /// The question.
    text: String,
    /// Its options, in order.
    options: Vec<AnswerOption>,
}

pub struct Axis {
    model: diagnostic_axis::Model,
    /// Known when the whole version was loaded.
    /// The questions when they were read with the axis (a published version), else read on demand.
    questions: Option<Vec<Question>>,
}

impl Axis {
    pub fn new(model: diagnostic_axis::Model) -> Self {
        Self {
            model,
            questions: None,
        }
    }

    /// The axes an activity works on, in the diagnostic's order.
    pub async fn of_activity(ctx: &Context<'_>, activity_id: i64) -> ApiResult<Vec<Self>> {
        let loaders = ctx.loaders()?;
        let tags = loaders
            .activity_axes()
            .load_one(activity_id)
            .await?
            .unwrap_or_default();
        let axes = loaders
            .axes()
            .load_many(tags.iter().map(|t| t.axis_id))
            .await?;
        let mut axes: Vec<_> = axes.into_values().flatten().collect();
        axes.sort_by_key(|a| (a.diagnostic_id, a.position));
        Ok(axes.into_iter().map(Self::new).collect())
    }
}

fn questions_of(
    axis_id: i64,
    questions: &[diagnostic_question::Model],
    options: &[diagnostic_option::Model],
) -> Vec<Question> {
    questions
        .iter()
        .filter(|q| q.axis_id == axis_id)
        .map(|q| Question {
            id: ID(q.id.to_string()),
            text: q.text.clone(),
            options: options
                .iter()
                .filter(|o| o.question_id == q.id)
                .map(|o| AnswerOption {
                    id: ID(o.id.to_string()),
                    label: o.label.clone(),
                    points: o.points,
                })
                .collect(),
        })
        .collect()
}

/// An axis of digital maturity (website, online reviews, social networks, …).
#[Object]
impl Axis {
    /// The axis' id.
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    /// The axis' name.
    async fn name(&self) -> &str {
        &self.model.name
    }
    /// Its questions, in order.
    async fn questions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Question>> {
        if let Some(questions) = &self.questions {
            return Ok(questions.clone());
        }
        let (questions, options) = service::questions_of(&ctx.state()?.db, [self.model.id]).await?;
        Ok(questions_of(self.model.id, &questions, &options))
    }
}

pub struct Diagnostic(pub Version);

/// A published version of the self-diagnostic.
#[Object]
impl Diagnostic {
    /// The version's id.
    async fn id(&self) -> ID {
        ID(self.0.diagnostic.id.to_string())
    }
    /// 1, 2, …: each publication is a new version.
    async fn version(&self) -> i32 {
        self.0.diagnostic.version
    }
    /// Its title.
    async fn title(&self) -> &str {
        &self.0.diagnostic.title
    }
    /// Its axes, in order.
    async fn axes(&self) -> Vec<Axis> {
        self.0
            .axes
            .iter()
            .map(|axis| Axis {
                questions: Some(questions_of(axis.id, &self.0.questions, &self.0.options)),
                model: axis.clone(),
            })
            .collect()
    }
}

/// An option of a question of a new self-diagnostic.
#[derive(InputObject)]
pub struct OptionInput {
    /// What the option says.
    pub label: String,
    /// 0 to 4.
    pub points: i32,
}

/// A question of a new self-diagnostic.
#[derive(InputObject)]
pub struct QuestionInput {
    /// The question.
    pub text: String,
    /// Its options, in order.
    pub options: Vec<OptionInput>,
}

/// An axis of a new version of the self-diagnostic.
#[derive(InputObject)]
pub struct AxisInput {
    /// The axis' name.
    pub name: String,
    /// Its questions, in order.
    pub questions: Vec<QuestionInput>,
}

/// A new version of the self-diagnostic.
#[derive(InputObject)]
pub struct DiagnosticInput {
    /// Its title.
    pub title: String,
    /// Its axes, in order.
    pub axes: Vec<AxisInput>,
}

#[derive(Default)]
pub struct DiagnosticQuery;

#[Object]
impl DiagnosticQuery {
    /// The version partners answer now; null until staff publish one.
    async fn current_diagnostic(&self, ctx: &Context<'_>) -> ApiResult<Option<Diagnostic>> {
        ctx.viewer().require(Access::Member)?;
        Ok(service::current(&ctx.state()?.db).await?.map(Diagnostic))
    }
}

#[derive(Default)]
pub struct DiagnosticMutation;

#[Object]
impl DiagnosticMutation {
    /// Staff only: publishes a new version (1 to 12 axes, 1 to 20 questions each, 2 to 6
    /// options worth 0 to 4 points); earlier assessments keep the version they took.
    async fn publish_diagnostic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new version of the self-diagnostic.")] input: DiagnosticInput,
    ) -> ApiResult<Diagnostic> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        let axes = input
            .axes
            .into_iter()
            .map(|axis| AxisDraft {
                name: axis.name,
                questions: axis
                    .questions
                    .into_iter()
                    .map(|q| QuestionDraft {
                        text: q.text,
                        options: q
                            .options
                            .into_iter()
                            .map(|o| OptionDraft {
                                label: o.label,
                                points: o.points,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        Ok(Diagnostic(
            service::publish(&state.db, input.title, axes, staff, state.now()).await?,
        ))
    }
}
