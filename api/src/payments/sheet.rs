//! The accountant's sheet of payments: every registration to the given paid activities that
//! holds a seat or has a payment record, with what it owes and how it was settled (CSV, safe
//! for spreadsheets). Served by `GET /payments.csv` and put in a training's file.

use std::collections::HashMap;

use entity::{activity, payment, registration, user};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select,
};

use crate::{error::ApiResult, payments::Payment, people, safe_csv::SafeCsv};

/// The sheet of `activities` (those with a price count) as CSV.
pub async fn csv(
    db: &impl ConnectionTrait,
    activities: Select<activity::Entity>,
) -> ApiResult<Vec<u8>> {
    let activities: HashMap<i64, activity::Model> = activities
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let registrations = registration::Entity::find()
        .filter(registration::Column::ActivityId.is_in(activities.keys().copied()))
        .order_by_asc(registration::Column::ActivityId)
        .order_by_asc(registration::Column::Id)
        .all(db)
        .await?;
    let mut records: HashMap<i64, payment::Model> = payment::Entity::find()
        .filter(payment::Column::RegistrationId.is_in(registrations.iter().map(|r| r.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.registration_id, p))
        .collect();
    let users = people::service::by_id(db, registrations.iter().map(|r| r.user_id)).await?;
    let organisations =
        people::organisation::names(db, &users.values().collect::<Vec<_>>()).await?;

    let mut sheet = SafeCsv::default();
    sheet.row(HEADER)?;
    for registration in &registrations {
        let (Some(activity), Some(person)) = (
            activities.get(&registration.activity_id),
            users.get(&registration.user_id),
        ) else {
            continue;
        };
        let record = records.remove(&registration.id);
        let Some(payment) = Payment::of(registration, activity, record) else {
            continue;
        };
        let organisation = organisations.get(&person.id).cloned().unwrap_or_default();
        sheet.row(row(activity, person, organisation, registration, &payment))?;
    }
    sheet.finish()
}

const HEADER: [&str; 12] = [
    "activity",
    "first session",
    "name",
    "organisation",
    "email",
    "registration",
    "payment",
    "amount",
    "funder",
    "reference",
    "recorded at",
    "to refund",
];

/// One registration's line, under [`HEADER`].
fn row(
    activity: &activity::Model,
    person: &user::Model,
    organisation: String,
    registration: &registration::Model,
    payment: &Payment,
) -> [String; 12] {
    let record = payment.record.as_ref();
    [
        activity.title.clone(),
        activity.starts_at.format("%Y-%m-%d").to_string(),
        person.name.clone(),
        organisation,
        person.email.clone(),
        registration.status.to_value(),
        record.map_or(payment::Status::Due, |r| r.status).to_value(),
        format!("{:.2}", f64::from(payment.amount_cents) / 100.0),
        record.and_then(|r| r.funder.clone()).unwrap_or_default(),
        record.and_then(|r| r.reference.clone()).unwrap_or_default(),
        record
            .map(|r| r.recorded_at.to_rfc3339())
            .unwrap_or_default(),
        if payment.to_refund { "yes" } else { "" }.to_owned(),
    ]
}
