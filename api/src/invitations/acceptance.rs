//! Accepting an invitation: the link proves the address, and what waits there goes to whoever
//! proves it.

use chrono::{DateTime, Utc};
use entity::{
    invitation::{self, Status},
    user::{self, Role},
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};

use crate::{
    auth::{
        Password, mailed,
        service::{Session, open_session},
    },
    db::begin_write,
    error::{ApiError, ApiResult},
    organisations,
    people::{self, NewPerson},
    registrations::{self, policy::Placement},
    state::AppState,
};

/// Whether a stored invitation can still be accepted, with the reason when not.
fn check_usable(invitation: &invitation::Model, now: DateTime<Utc>) -> ApiResult<()> {
    let problem = match invitation.status {
        Status::Accepted => "this invitation has already been used",
        Status::Revoked => "this invitation has been revoked",
        Status::Pending if invitation.expires_at <= now => "this invitation has expired",
        Status::Pending => return Ok(()),
    };
    Err(ApiError::bad_input("token", problem))
}

/// Creates the invited account (or takes over an account that signed up with the address but
/// never proved it: the link proves it now), registers it for the invited activity
/// (waiting-list rules apply) and logs it in. Of two simultaneous acceptances exactly one
/// succeeds.
pub async fn accept(
    state: &AppState,
    token: &str,
    name: String,
    password: String,
) -> ApiResult<Session> {
    let now = state.now();
    let invitation = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(mailed::hash(token)))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::bad_input("token", "this invitation does not exist"))?;
    check_usable(&invitation, now)?;
    // Validated before the token is spent, so a typo does not burn the invitation.
    let mut person = NewPerson::parse(invitation.email.clone(), name, None, invitation.role)?;
    person.phone.clone_from(&invitation.phone);
    person.locale.clone_from(&invitation.locale);
    let hash = state
        .passwords
        .hash(Password::parse("password", password)?)
        .await?;

    let tx = begin_write(&state.db).await?;
    // The claim: one conditional UPDATE, so a second acceptance racing this one finds nothing.
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::Status, Expr::value(Status::Accepted))
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(invitation.id))
        .filter(invitation::Column::Status.eq(Status::Pending))
        .filter(invitation::Column::ExpiresAt.gt(now))
        .exec(&tx)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(ApiError::bad_input(
            "token",
            "this invitation has already been used",
        ));
    }
    let user = match people::service::find_by_email(&tx, &person.email).await? {
        None => people::service::create(&tx, person, hash, now).await?,
        Some(existing) if existing.email_verified_at.is_none() => {
            people::service::take_over(&tx, existing.id, person, hash).await?
        }
        Some(_) => {
            return Err(ApiError::conflict(
                "an account with this email already exists: log in instead",
            ));
        }
    };
    invitation::Entity::update_many()
        .col_expr(invitation::Column::UserId, Expr::value(user.id))
        .filter(invitation::Column::Id.eq(invitation.id))
        .exec(&tx)
        .await?;
    if let Some(organisation_id) = invitation.organisation_id {
        organisations::membership::join_on_acceptance(&tx, organisation_id, user.id, now).await?;
    }
    // The link reached the address: that proves it.
    let (user, mut activities) = hand_over(&tx, user, now).await?;
    tx.commit().await?;
    activities.extend(invitation.activity_id);
    register_invited(state, &user, activities, now).await;
    open_session(state, user)
}

/// Records that `person` owns its address (a link mailed there was opened) and hands it what
/// was addressed there (see [`people::service::prove_address`] and
/// [`claim_pending`]). Returns the account and the activities it was
/// invited to, for the caller to register it once the transaction is committed.
pub async fn hand_over(
    db: &impl ConnectionTrait,
    person: user::Model,
    now: DateTime<Utc>,
) -> ApiResult<(user::Model, Vec<i64>)> {
    if person.email_verified_at.is_some() {
        return Ok((person, Vec::new()));
    }
    people::service::prove_address(db, &person, now).await?;
    let activities = claim_pending(db, &person, now).await?;
    let person = people::service::get(db, person.id).await?;
    Ok((person, activities))
}

/// Hands `person`, which has just proven its address, the account invitations pending there:
/// each is accepted by it, and its role is raised to the highest one invited to. Returns the
/// activities it was invited to.
pub async fn claim_pending(
    db: &impl ConnectionTrait,
    person: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<Vec<i64>> {
    // Invitations to activities, sent to the address while it was unproven, become its own.
    invitation::Entity::update_many()
        .col_expr(invitation::Column::UserId, Expr::value(person.id))
        .filter(invitation::Column::Email.eq(&person.email))
        .filter(invitation::Column::TokenHash.is_null())
        .filter(invitation::Column::UserId.is_null())
        .exec(db)
        .await?;
    let pending = invitation::Entity::find()
        .filter(invitation::Column::Email.eq(&person.email))
        .filter(invitation::Column::Status.eq(Status::Pending))
        .filter(invitation::Column::TokenHash.is_not_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .all(db)
        .await?;
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    invitation::Entity::update_many()
        .col_expr(invitation::Column::Status, Expr::value(Status::Accepted))
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
        .col_expr(invitation::Column::UserId, Expr::value(person.id))
        .filter(invitation::Column::Id.is_in(pending.iter().map(|i| i.id)))
        .filter(invitation::Column::Status.eq(Status::Pending))
        .exec(db)
        .await?;
    let rank = |role: Role| match role {
        Role::Partner => 0,
        Role::Trainer => 1,
        Role::Animator => 2,
        Role::Admin => 3,
    };
    if let Some(role) = pending
        .iter()
        .map(|i| i.role)
        .filter(|role| rank(*role) > rank(person.role))
        .max_by_key(|role| rank(*role))
    {
        user::Entity::update_many()
            .col_expr(user::Column::Role, Expr::value(role))
            .filter(user::Column::Id.eq(person.id))
            .exec(db)
            .await?;
    }
    Ok(pending.iter().filter_map(|i| i.activity_id).collect())
}

/// Registers an invited account for the activities it was invited to. The account stands
/// even if an activity has closed or filled meanwhile.
pub async fn register_invited(
    state: &AppState,
    person: &user::Model,
    activities: Vec<i64>,
    now: DateTime<Utc>,
) {
    for activity_id in activities {
        if let Err(error) = registrations::service::register(
            &state.db,
            &state.mailer,
            activity_id,
            person,
            Placement::Invitation,
            Vec::new(),
            now,
        )
        .await
        {
            tracing::info!(%error, activity_id, "invited account not registered");
        }
    }
}
