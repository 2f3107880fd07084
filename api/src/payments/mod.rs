//! What registrations to paid activities owe, and how they were settled. Recording, not a
//! payment provider: staff write down PAID, WAIVED or FUNDED (by a training fund or another
//! funder). A confirmed registration to an activity with a price and no record is DUE; a free
//! activity's registrations have no payment. A cancelled PAID registration keeps its record,
//! shown as to be refunded.

pub mod sheet;

use chrono::{DateTime, Utc};
use entity::{
    activity::{self, Status as ActivityStatus},
    payment::{self, Status},
    registration,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    RelationTrait, Select, sea_query::OnConflict,
};

use crate::{
    audit::{self, Action},
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    people::Staff,
    validation::optional_text,
};

pub const MAX_FUNDER_CHARS: usize = 200;

/// How a registration is settled.
pub struct Payment {
    /// What staff recorded; none while it is due.
    pub record: Option<payment::Model>,
    /// The price in cents (when recorded: the price then).
    pub amount_cents: i32,
    /// A PAID registration that was cancelled: the money goes back.
    pub to_refund: bool,
}

impl Payment {
    /// The payment of `registration` to `activity`, with its record if there is one.
    pub fn of(
        registration: &registration::Model,
        activity: &activity::Model,
        record: Option<payment::Model>,
    ) -> Option<Self> {
        let cancelled = registration.status == registration::Status::Cancelled;
        match record {
            Some(record) => Some(Self {
                amount_cents: record.amount_cents,
                to_refund: cancelled && record.status == Status::Paid,
                record: Some(record),
            }),
            None if activity.price_cents > 0
                && registration.status == registration::Status::Confirmed =>
            {
                Some(Self {
                    record: None,
                    amount_cents: activity.price_cents,
                    to_refund: false,
                })
            }
            None => None,
        }
    }
}

/// Records how a confirmed registration to a paid activity is settled (again: replaces it).
pub async fn record(
    db: &DatabaseConnection,
    registration_id: i64,
    status: Status,
    funder: Option<String>,
    reference: Option<String>,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<registration::Model> {
    let funder = optional_text("funder", funder, MAX_FUNDER_CHARS)?;
    let reference = optional_text("reference", reference, MAX_FUNDER_CHARS)?;
    if status == Status::Funded && funder.is_none() {
        return Err(ApiError::bad_input("funder", "name who funds it"));
    }
    let tx = begin_write(db).await?;
    let registration =
        db::get::<registration::Entity>(&tx, registration_id, "registration").await?;
    let activity = db::get::<activity::Entity>(&tx, registration.activity_id, "activity").await?;
    if activity.price_cents == 0 {
        return Err(ApiError::conflict("a free activity has no payment"));
    }
    if registration.status != registration::Status::Confirmed {
        return Err(ApiError::conflict(
            "only a confirmed registration is paid for",
        ));
    }
    payment::Entity::insert(payment::ActiveModel {
        registration_id: Set(registration.id),
        status: Set(status),
        amount_cents: Set(activity.price_cents),
        funder: Set(funder.clone()),
        reference: Set(reference),
        recorded_at: Set(now),
        recorded_by: Set(Some(by.person().id)),
    })
    .on_conflict(
        OnConflict::column(payment::Column::RegistrationId)
            .update_columns([
                payment::Column::Status,
                payment::Column::AmountCents,
                payment::Column::Funder,
                payment::Column::Reference,
                payment::Column::RecordedAt,
                payment::Column::RecordedBy,
            ])
            .to_owned(),
    )
    .exec_without_returning(&tx)
    .await?;
    let detail = format!(
        "{} {} cents{}",
        sea_orm::ActiveEnum::to_value(&status),
        activity.price_cents,
        funder.map(|f| format!(" by {f}")).unwrap_or_default()
    );
    audit::record(
        &tx,
        by.person(),
        Action::PaymentRecorded,
        [registration.id],
        Some(&detail),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(registration)
}

/// Confirmed registrations to paid activities (not cancelled) with nothing recorded but DUE.
pub fn unpaid() -> Select<registration::Entity> {
    registration::Entity::find()
        .join(
            sea_orm::JoinType::InnerJoin,
            registration::Relation::Activity.def(),
        )
        .filter(registration::Column::Status.eq(registration::Status::Confirmed))
        .filter(activity::Column::PriceCents.gt(0))
        .filter(activity::Column::Status.ne(ActivityStatus::Cancelled))
        .filter(
            registration::Column::Id.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(payment::Column::RegistrationId)
                    .from(payment::Entity)
                    .and_where(payment::Column::Status.ne(Status::Due))
                    .to_owned(),
            ),
        )
}
