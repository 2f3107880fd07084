//! Demand by topic: staff open topics, partners say they are interested, activities answer
//! them. The rules are in `demand`.

use async_graphql::{Context, ID, Object};
use entity::topic;

use crate::{
    demand::{self, TopicDemand},
    error::ApiResult,
    graphql::{context::ContextExt, inputs::parse_id},
    people::Access,
};

pub struct Topic {
    topic: topic::Model,
    /// Known when the topic was read with its demand; None when reached from an activity.
    demand: Option<(u64, bool)>,
}

impl Topic {
    pub fn bare(topic: topic::Model) -> Self {
        Self {
            topic,
            demand: None,
        }
    }

    async fn demand(&self, ctx: &Context<'_>) -> ApiResult<(u64, bool)> {
        if let Some(demand) = self.demand {
            return Ok(demand);
        }
        let me = ctx.viewer().require(Access::Account)?;
        let all = demand::list(&ctx.state()?.db, me).await?;
        Ok(all
            .into_iter()
            .find(|d| d.topic.id == self.topic.id)
            .map_or((0, false), |d| (d.interested, d.me_interested)))
    }
}

impl From<TopicDemand> for Topic {
    fn from(demand: TopicDemand) -> Self {
        Self {
            topic: demand.topic,
            demand: Some((demand.interested, demand.me_interested)),
        }
    }
}

/// A topic (a tool, a theme) whose demand staff gather so that activities fill.
#[Object]
impl Topic {
    /// The topic's id.
    async fn id(&self) -> ID {
        ID(self.topic.id.to_string())
    }
    /// What it is about.
    async fn name(&self) -> &str {
        &self.topic.name
    }
    /// How many interested partners make an activity worth scheduling.
    async fn threshold(&self) -> i32 {
        self.topic.threshold
    }
    /// The diagnostic axis it helps with, if any.
    async fn axis_id(&self) -> Option<ID> {
        self.topic.axis_id.map(|id| ID(id.to_string()))
    }
    /// How many partners said they are interested.
    async fn interested_count(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        Ok(self.demand(ctx).await?.0)
    }
    /// Whether the caller is.
    async fn me_interested(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(self.demand(ctx).await?.1)
    }
}

#[derive(Default)]
pub struct TopicQuery;

#[Object]
impl TopicQuery {
    /// Everyone signed in: the topics, newest first, and whether the caller is interested.
    async fn topics(&self, ctx: &Context<'_>) -> ApiResult<Vec<Topic>> {
        let me = ctx.viewer().require(Access::Account)?;
        Ok(demand::list(&ctx.state()?.db, me)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(Default)]
pub struct TopicMutation;

#[Object]
impl TopicMutation {
    /// Staff: a topic to gather demand for, optionally tied to a diagnostic axis. Staff are
    /// told once when interest reaches `threshold` (1 to 1,000).
    async fn create_topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What it is about (one line).")] name: String,
        #[graphql(desc = "How many interested partners make an activity worth scheduling.")]
        threshold: i32,
        #[graphql(desc = "The diagnostic axis it helps with.")] axis_id: Option<ID>,
    ) -> ApiResult<Topic> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        let axis_id = axis_id.map(|id| parse_id("axisId", &id)).transpose()?;
        let created =
            demand::create(&state.db, name, threshold, axis_id, staff, state.now()).await?;
        Ok(Topic {
            topic: created,
            demand: Some((0, false)),
        })
    }

    /// A partner says it wants (or no longer wants) an activity on the topic, once each.
    async fn set_interest(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topic.")] topic_id: ID,
        #[graphql(desc = "True to be counted, false to withdraw.")] interested: bool,
    ) -> ApiResult<Topic> {
        let me = ctx.viewer().require(Access::Member)?;
        let state = ctx.state()?;
        let demand = demand::set_interest(
            &state.db,
            &state.mailer,
            parse_id("topicId", &topic_id)?,
            me,
            interested,
            state.now(),
        )
        .await?;
        Ok(demand.into())
    }
}
