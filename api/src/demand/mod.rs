//! Demand by topic, so that workshops are scheduled where partners want them instead of being
//! cancelled "for lack of candidates": staff open topics (a tool, a theme, optionally a
//! diagnostic axis) with a threshold; partners say they are interested, once each; staff are
//! told once when the threshold is reached. An activity created for a topic is announced to
//! every interested partner when published, who may register `priority_hours` before anyone
//! else; a workshop short of its minimum a few days before its deadline tells the interested
//! partners who have not registered how many places are still needed. Each mail is claimed
//! by a conditional update, so no instance sends it twice.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use entity::{activity, diagnostic_axis, registration, topic, topic_interest, user};
use minijinja::context;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, sea_query::Expr, sea_query::OnConflict,
};

use crate::{
    db::begin_write,
    error::{ApiError, ApiResult},
    mail::{Letter, Mailer, Recipient},
    people::{self, Staff},
    validation::required_text,
};

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_THRESHOLD: i32 = 1_000;
/// A workshop short of its minimum this long before its deadline tells the interested.
pub const SHORTFALL_NOTICE: Duration = Duration::days(3);

/// A topic with how many are interested and whether the reader is.
pub struct TopicDemand {
    pub topic: topic::Model,
    pub interested: u64,
    pub me_interested: bool,
}

/// Opens a topic (staff).
pub async fn create(
    db: &DatabaseConnection,
    name: String,
    threshold: i32,
    axis_id: Option<i64>,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<topic::Model> {
    let name = required_text("name", name, MAX_NAME_CHARS)?;
    if !(1..=MAX_THRESHOLD).contains(&threshold) {
        return Err(ApiError::bad_input(
            "threshold",
            format!("1 to {MAX_THRESHOLD} interested partners"),
        ));
    }
    if let Some(axis) = axis_id {
        crate::db::get::<diagnostic_axis::Entity>(db, axis, "axis").await?;
    }
    Ok(topic::ActiveModel {
        name: Set(name),
        threshold: Set(threshold),
        axis_id: Set(axis_id),
        created_by: Set(Some(by.person().id)),
        created_at: Set(now),
        reached_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

async fn interested_count(db: &impl ConnectionTrait, topic_id: i64) -> ApiResult<u64> {
    Ok(topic_interest::Entity::find()
        .filter(topic_interest::Column::TopicId.eq(topic_id))
        .count(db)
        .await?)
}

/// Every topic, newest first, with its demand as `reader` sees it.
pub async fn list(db: &impl ConnectionTrait, reader: &user::Model) -> ApiResult<Vec<TopicDemand>> {
    let topics = topic::Entity::find()
        .order_by_desc(topic::Column::Id)
        .all(db)
        .await?;
    let interests = topic_interest::Entity::find().all(db).await?;
    Ok(topics
        .into_iter()
        .map(|topic| {
            let of_topic = interests.iter().filter(|i| i.topic_id == topic.id);
            let interested = u64::try_from(of_topic.clone().count()).unwrap_or(u64::MAX);
            let me_interested = of_topic.clone().any(|i| i.user_id == reader.id);
            TopicDemand {
                topic,
                interested,
                me_interested,
            }
        })
        .collect())
}

/// `person` says it wants (or no longer wants) an activity on the topic; once each. Reaching
/// the threshold tells staff, once.
pub async fn set_interest(
    db: &DatabaseConnection,
    mailer: &Mailer,
    topic_id: i64,
    person: &user::Model,
    interested: bool,
    now: DateTime<Utc>,
) -> ApiResult<TopicDemand> {
    let tx = begin_write(db).await?;
    let topic = crate::db::get::<topic::Entity>(&tx, topic_id, "topic").await?;
    if interested {
        topic_interest::Entity::insert(topic_interest::ActiveModel {
            topic_id: Set(topic.id),
            user_id: Set(person.id),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                topic_interest::Column::TopicId,
                topic_interest::Column::UserId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&tx)
        .await?;
    } else {
        topic_interest::Entity::delete_by_id((topic.id, person.id))
            .exec(&tx)
            .await?;
    }
    let count = interested_count(&tx, topic.id).await?;
    if count >= u64::try_from(topic.threshold).unwrap_or(u64::MAX) {
        let claimed = topic::Entity::update_many()
            .col_expr(topic::Column::ReachedAt, Expr::value(now))
            .filter(topic::Column::Id.eq(topic.id))
            .filter(topic::Column::ReachedAt.is_null())
            .exec(&tx)
            .await?;
        if claimed.rows_affected == 1 {
            tell_staff(&tx, mailer, &topic, count, now).await?;
        }
    }
    let topic = crate::db::get::<topic::Entity>(&tx, topic.id, "topic").await?;
    tx.commit().await?;
    Ok(TopicDemand {
        topic,
        interested: count,
        me_interested: interested,
    })
}

async fn tell_staff(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    topic: &topic::Model,
    count: u64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let staff = people::service::staff_members(db).await?;
    for member in &staff {
        let letter = Letter::new(
            "topic_demand_reached",
            Recipient::Account(member),
            context! { name => &member.name, subject => &topic.name, position => count },
        );
        mailer.send(db, letter, now).await?;
    }
    Ok(())
}

/// The partners interested in `topic_id`.
async fn interested_people(
    db: &impl ConnectionTrait,
    topic_id: i64,
) -> ApiResult<Vec<user::Model>> {
    let ids: Vec<i64> = topic_interest::Entity::find()
        .filter(topic_interest::Column::TopicId.eq(topic_id))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.user_id)
        .collect();
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .filter(user::Column::DeletedAt.is_null())
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?)
}

/// When the activity opens to everyone: `priority_hours` after it was announced to the
/// partners interested in its topic.
pub fn opens_to_all_at(activity: &activity::Model) -> Option<DateTime<Utc>> {
    let announced = activity.announced_at?;
    (activity.priority_hours > 0)
        .then(|| announced + Duration::hours(activity.priority_hours.into()))
}

/// Whether `person` may register now: anyone once the priority window closed, until then only
/// the partners interested in the topic (CONFLICT for the others, saying when it opens).
pub async fn require_priority(
    db: &impl ConnectionTrait,
    activity: &activity::Model,
    person: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let (Some(topic), Some(opens)) = (activity.topic_id, opens_to_all_at(activity)) else {
        return Ok(());
    };
    if now >= opens
        || topic_interest::Entity::find_by_id((topic, person.id))
            .one(db)
            .await?
            .is_some()
    {
        return Ok(());
    }
    Err(ApiError::conflict(format!(
        "reserved until {} to the partners who asked for this topic",
        opens.to_rfc3339()
    )))
}

/// On publication, inside its transaction: the partners interested in the activity's topic
/// are told it is open (and until when only to them), once.
pub async fn announce(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    activity_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let claimed = activity::Entity::update_many()
        .col_expr(activity::Column::AnnouncedAt, Expr::value(now))
        .filter(activity::Column::Id.eq(activity_id))
        .filter(activity::Column::TopicId.is_not_null())
        .filter(activity::Column::AnnouncedAt.is_null())
        .exec_with_returning(db)
        .await?;
    let Some(activity) = claimed.into_iter().next() else {
        return Ok(());
    };
    let Some(topic_id) = activity.topic_id else {
        return Ok(());
    };
    let topic = crate::db::get::<topic::Entity>(db, topic_id, "topic").await?;
    let opens = opens_to_all_at(&activity);
    for person in interested_people(db, topic_id).await? {
        let locale = mailer.locale_of(&person);
        let letter = Letter::new(
            "topic_activity_open",
            Recipient::address_of(&person),
            context! {
                name => &person.name,
                subject => &topic.name,
                activity => &activity.title,
                day => mailer.day(activity.starts_at, locale),
                expires => opens.map(|at| format!("{} {}", mailer.day(at, locale), mailer.time(at))),
                link => format!("{}/activities/{}", mailer.public_url, activity.id),
            },
        );
        mailer.send(db, letter, now).await?;
    }
    Ok(())
}

/// The scheduler's job: a published activity of a topic, short of its minimum within
/// [`SHORTFALL_NOTICE`] of its deadline, tells the interested partners who have not registered
/// how many places are still needed, once.
pub async fn notice_shortfalls(
    db: &DatabaseConnection,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let candidates = activity::Entity::find()
        .filter(activity::Column::Status.eq(activity::Status::Published))
        .filter(activity::Column::TopicId.is_not_null())
        .filter(activity::Column::MinParticipants.is_not_null())
        .filter(activity::Column::ShortfallNoticedAt.is_null())
        .all(db)
        .await?;
    for activity in candidates {
        let (Some(topic_id), Some(minimum)) = (activity.topic_id, activity.min_participants) else {
            continue;
        };
        let closes = activity.registration_closes_at();
        if activity.confirmed_count >= minimum || now < closes - SHORTFALL_NOTICE || now >= closes {
            continue;
        }
        let tx = begin_write(db).await?;
        let claimed = activity::Entity::update_many()
            .col_expr(activity::Column::ShortfallNoticedAt, Expr::value(now))
            .filter(activity::Column::Id.eq(activity.id))
            .filter(activity::Column::ShortfallNoticedAt.is_null())
            .exec(&tx)
            .await?;
        if claimed.rows_affected == 1 {
            let registered: HashSet<i64> = registration::Entity::find()
                .filter(registration::Column::ActivityId.eq(activity.id))
                .filter(registration::Column::Status.ne(registration::Status::Cancelled))
                .all(&tx)
                .await?
                .into_iter()
                .map(|r| r.user_id)
                .collect();
            let needed = minimum - activity.confirmed_count;
            for person in interested_people(&tx, topic_id).await? {
                if registered.contains(&person.id) {
                    continue;
                }
                let locale = mailer.locale_of(&person);
                let letter = Letter::new(
                    "topic_activity_short",
                    Recipient::address_of(&person),
                    context! {
                        name => &person.name,
                        activity => &activity.title,
                        position => needed,
                        day => mailer.day(closes, locale),
                        link => format!("{}/activities/{}", mailer.public_url, activity.id),
                    },
                );
                mailer.send(&tx, letter, now).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(())
}
