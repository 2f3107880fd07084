//! Who of an activity's people a message or a reminder reaches.

use std::collections::HashSet;

use entity::{
    attendance,
    registration::{self, Status},
    user,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::error::{ApiError, ApiResult};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum RecipientFilter {
    /// Holding a seat.
    Confirmed,
    /// On the waiting list.
    Waitlisted,
    /// Attended at least one session.
    Attended,
    /// Confirmed, attended none.
    NoShow,
}

impl RecipientFilter {
    const ALL: [Self; 4] = [
        Self::Confirmed,
        Self::Waitlisted,
        Self::Attended,
        Self::NoShow,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Confirmed => "CONFIRMED",
            Self::Waitlisted => "WAITLISTED",
            Self::Attended => "ATTENDED",
            Self::NoShow => "NO_SHOW",
        }
    }

    fn matches(self, registration: &registration::Model, attended: bool) -> bool {
        match self {
            Self::Confirmed => registration.status == Status::Confirmed,
            Self::Waitlisted => registration.status == Status::Waitlisted,
            Self::Attended => attended,
            Self::NoShow => registration.status == Status::Confirmed && !attended,
        }
    }

    /// The filters as stored: codes, comma-separated.
    pub fn join(filters: &[Self]) -> String {
        filters
            .iter()
            .map(|f| f.code())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn split(stored: &str) -> Vec<Self> {
        stored
            .split(',')
            .filter_map(|code| Self::ALL.into_iter().find(|f| f.code() == code))
            .collect()
    }

    /// At least one filter, each once.
    pub fn checked(field: &str, mut filters: Vec<Self>) -> ApiResult<Vec<Self>> {
        if filters.is_empty() {
            return Err(ApiError::bad_input(field, "name at least one filter"));
        }
        let mut seen = HashSet::new();
        filters.retain(|f| seen.insert(*f));
        Ok(filters)
    }
}

/// The people of an activity matching any of `filters`, each once; cancelled registrations
/// match none.
pub async fn recipients(
    db: &impl ConnectionTrait,
    activity_id: i64,
    filters: &[RecipientFilter],
) -> ApiResult<Vec<user::Model>> {
    let registrations = registration::Entity::find()
        .filter(registration::Column::ActivityId.eq(activity_id))
        .filter(registration::Column::Status.ne(Status::Cancelled))
        .all(db)
        .await?;
    let attended = present(db, &registrations).await?;
    let chosen: HashSet<i64> = registrations
        .iter()
        .filter(|r| {
            filters
                .iter()
                .any(|f| f.matches(r, attended.contains(&r.id)))
        })
        .map(|r| r.user_id)
        .collect();
    if chosen.is_empty() {
        return Ok(Vec::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(chosen))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?)
}

/// Those of `registrations` that attended at least one session.
pub async fn present(
    db: &impl ConnectionTrait,
    registrations: &[registration::Model],
) -> ApiResult<HashSet<i64>> {
    Ok(attendance::Entity::find()
        .filter(attendance::Column::RegistrationId.is_in(registrations.iter().map(|r| r.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.registration_id)
        .collect())
}

/// Attendees: the people who attended at least one session.
pub async fn attendees(db: &impl ConnectionTrait, activity_id: i64) -> ApiResult<Vec<user::Model>> {
    recipients(db, activity_id, &[RecipientFilter::Attended]).await
}

#[cfg(test)]
mod tests {
    use super::RecipientFilter;

    #[test]
    fn filters_survive_storage() {
        let all = RecipientFilter::ALL.to_vec();
        assert_eq!(RecipientFilter::split(&RecipientFilter::join(&all)), all);
        assert!(RecipientFilter::split("").is_empty());
    }
}
