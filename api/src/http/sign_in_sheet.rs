//! `GET /activities/{id}/registrations.csv`: the staff's sign-in sheet and funder's report —
//! name, organisation, email, status, waiting position, attendance per session, and the
//! answers to the activity's registration questions, one column each.

use std::collections::{HashMap, HashSet};

use actix_web::{HttpRequest, HttpResponse, web};
use entity::{attendance, registration, registration_answer};
use sea_orm::{ActiveEnum, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    activities,
    error::{ApiError, ApiResult},
    http::attachment::attachment,
    http::credentials::viewer_of,
    people::{self, Access},
    registrations,
    safe_csv::SafeCsv,
    state::AppState,
};

pub async fn download(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    attachment(sheet(&request, &path, &state).await)
}

async fn sheet(request: &HttpRequest, id: &str, state: &AppState) -> ApiResult<(String, Vec<u8>)> {
    let viewer = viewer_of(request, state).await?;
    let staff = viewer.require(Access::Staff)?;
    let _turn = crate::heavy::turn().await?;
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("activity"))?;
    let activity = activities::service::get_visible(&state.db, id, staff).await?;
    let sessions = activities::service::sessions_of(&state.db, id).await?;
    let registrations = registration::Entity::find()
        .filter(registration::Column::ActivityId.eq(id))
        .order_by_asc(registration::Column::Id)
        .all(&state.db)
        .await?;
    let users = people::service::by_id(&state.db, registrations.iter().map(|r| r.user_id)).await?;
    let attended: HashSet<(i64, i64)> = attendance::Entity::find()
        .filter(attendance::Column::RegistrationId.is_in(registrations.iter().map(|r| r.id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|a| (a.registration_id, a.session_id))
        .collect();
    let organisations =
        people::organisation::names(&state.db, &users.values().collect::<Vec<_>>()).await?;
    let questions = registrations::questions::of_activity(&state.db, id).await?;
    let answers: HashMap<(i64, i64), String> = registration_answer::Entity::find()
        .filter(
            registration_answer::Column::RegistrationId.is_in(registrations.iter().map(|r| r.id)),
        )
        .all(&state.db)
        .await?
        .into_iter()
        .map(|a| {
            let value = registrations::questions::value_of(&a);
            ((a.registration_id, a.question_id), value)
        })
        .collect();

    let mut sheet = SafeCsv::default();
    let mut heading = vec![
        "name".to_owned(),
        "organisation".to_owned(),
        "email".to_owned(),
        "status".to_owned(),
        "position".to_owned(),
    ];
    heading.extend(
        sessions
            .iter()
            .map(|s| format!("session {}", s.starts_at.format("%Y-%m-%d %H:%M UTC"))),
    );
    heading.extend(questions.iter().map(|q| q.text.clone()));
    sheet.row(&heading)?;
    for registration in &registrations {
        let Some(person) = users.get(&registration.user_id) else {
            continue;
        };
        let mut row = vec![
            person.name.clone(),
            organisations.get(&person.id).cloned().unwrap_or_default(),
            person.email.clone(),
            registration.status.to_value(),
            registration
                .position
                .map(|p| p.to_string())
                .unwrap_or_default(),
        ];
        row.extend(sessions.iter().map(|s| {
            if attended.contains(&(registration.id, s.id)) {
                "yes"
            } else {
                ""
            }
            .to_owned()
        }));
        row.extend(questions.iter().map(|q| {
            answers
                .get(&(registration.id, q.id))
                .cloned()
                .unwrap_or_default()
        }));
        sheet.row(&row)?;
    }
    let body = sheet.finish()?;
    Ok((format!("activity-{}-registrations.csv", activity.id), body))
}
