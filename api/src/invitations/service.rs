//! The rules of invitations. Tokens: 32 random bytes, mailed once, stored only as their
//! SHA-256; bound to the invited address; single use; valid 14 days; revocable.

use chrono::{DateTime, Duration, Utc};
use entity::{
    activity,
    invitation::{self, Status},
    user::{self, Role},
};
use minijinja::context;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, sea_query::Expr,
};

use crate::{
    activities,
    audit::{self, Action},
    auth::{
        Password, mailed,
        service::{Session, open_session},
    },
    db::begin_write,
    error::{ApiError, ApiResult},
    mail::{Letter, Recipient, calendar::Method},
    people::{self, Admin, Email, NewPerson, Staff, policy::staff_accounts},
    registrations::{self, policy::Placement},
    state::AppState,
};

pub const VALID_FOR_DAYS: i64 = 14;
pub const MAX_RECIPIENTS: usize = 500;

/// Groups that can be invited at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invitees {
    AllStaff,
    AllPartners,
    TrainedPartners,
}

pub struct InviteRequest {
    pub emails: Vec<String>,
    pub audience: Option<Invitees>,
    pub activity_id: Option<i64>,
    pub role: Role,
    pub message: Option<String>,
}

/// Invites every address and audience member; returns the invitations created or re-sent.
pub async fn invite(
    state: &AppState,
    inviter: Staff<'_>,
    request: InviteRequest,
) -> ApiResult<Vec<invitation::Model>> {
    may_send(inviter, request.role)?;
    if request.emails.is_empty() && request.audience.is_none() {
        return Err(ApiError::bad_input(
            "emails",
            "give addresses, an audience, or both",
        ));
    }
    let message = crate::validation::optional_paragraph("message", request.message, 2_000)?;
    let activity =
        invited_activity(state, &request.activity_id, &request.audience, inviter).await?;
    let addresses = recipients(state, request.emails, request.audience).await?;
    let offer = Offer {
        role: request.role,
        activity: activity.as_ref(),
        message,
        by: inviter,
        now: state.now(),
    };
    let tx = begin_write(&state.db).await?;
    let mut invitations = Vec::new();
    for email in addresses {
        invitations.push(invite_address(state, &tx, &email, &offer).await?);
    }
    audit::record(
        &tx,
        inviter.person(),
        Action::InvitationSent,
        invitations.iter().map(|invitation| invitation.id),
        None,
        offer.now,
    )
    .await?;
    tx.commit().await?;
    Ok(invitations)
}

/// What every address of one call is offered.
struct Offer<'a> {
    role: Role,
    activity: Option<&'a activity::Model>,
    message: Option<String>,
    by: Staff<'a>,
    now: DateTime<Utc>,
}

/// The activity invited to: a published one the inviter sees; an audience needs one.
async fn invited_activity(
    state: &AppState,
    activity_id: &Option<i64>,
    audience: &Option<Invitees>,
    inviter: Staff<'_>,
) -> ApiResult<Option<activity::Model>> {
    match activity_id {
        Some(id) => {
            let activity =
                activities::service::get_visible(&state.db, *id, inviter.person()).await?;
            if activity.status != activity::Status::Published {
                return Err(ApiError::conflict(
                    "only a published activity can be invited to",
                ));
            }
            Ok(Some(activity))
        }
        None if audience.is_some() => Err(ApiError::bad_input(
            "activityId",
            "inviting an audience needs an activity",
        )),
        None => Ok(None),
    }
}

/// Every address invited, each once: those given and the audience's.
async fn recipients(
    state: &AppState,
    emails: Vec<String>,
    audience: Option<Invitees>,
) -> ApiResult<Vec<String>> {
    let mut addresses = Vec::new();
    for (index, raw) in emails.into_iter().enumerate() {
        addresses.push(
            Email::parse(&format!("emails[{index}]"), raw)?
                .as_str()
                .to_owned(),
        );
    }
    if let Some(audience) = audience {
        addresses.extend(audience_addresses(&state.db, audience).await?);
    }
    addresses.sort();
    addresses.dedup();
    if addresses.len() > MAX_RECIPIENTS {
        return Err(ApiError::bad_input(
            "emails",
            format!("at most {MAX_RECIPIENTS} recipients per call"),
        ));
    }
    Ok(addresses)
}

/// Invites one address: an account that proved it gets the activity's invitation; any other
/// address gets a link that creates (or takes over) the account.
async fn invite_address(
    state: &AppState,
    tx: &impl ConnectionTrait,
    email: &str,
    offer: &Offer<'_>,
) -> ApiResult<invitation::Model> {
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(tx)
        .await?;
    let inviter = offer.by.person();
    match (&existing, offer.activity) {
        (Some(person), Some(activity)) => {
            let owner = person.email_verified_at.is_some().then_some(person.id);
            let row = upsert(
                tx,
                email,
                offer.role,
                Some(activity.id),
                offer.message.clone(),
                None,
                owner,
                offer.by,
                offer.now,
            )
            .await?;
            queue_activity_invitation(
                state,
                tx,
                person,
                activity,
                inviter,
                offer.message.as_deref(),
                offer.now,
            )
            .await?;
            Ok(row)
        }
        (Some(person), None) if person.email_verified_at.is_some() => Err(ApiError::conflict(
            format!("{email} already has an account"),
        )),
        // An account that has not proven its address does not own what is sent there: the
        // link goes to the address, and whoever opens it owns the account.
        (_, _) => {
            let token = mailed::new_token();
            let row = upsert(
                tx,
                email,
                offer.role,
                offer.activity.map(|a| a.id),
                offer.message.clone(),
                Some(mailed::hash(&token)),
                None,
                offer.by,
                offer.now,
            )
            .await?;
            queue_account_invitation(state, tx, &row, &token, offer.activity, inviter, offer.now)
                .await?;
            Ok(row)
        }
    }
}

async fn audience_addresses(db: &DatabaseConnection, audience: Invitees) -> ApiResult<Vec<String>> {
    let select = user::Entity::find();
    let select = match audience {
        Invitees::AllStaff => select.filter(staff_accounts()),
        Invitees::AllPartners => select.filter(user::Column::Role.eq(Role::Partner)),
        Invitees::TrainedPartners => select
            .filter(user::Column::Role.eq(Role::Partner))
            .filter(user::Column::Trained.eq(true)),
    };
    Ok(select.all(db).await?.into_iter().map(|u| u.email).collect())
}

/// A pending invitation of the same address (and activity) is refreshed and re-sent rather
/// than duplicated.
#[allow(clippy::too_many_arguments)]
async fn upsert(
    db: &impl ConnectionTrait,
    email: &str,
    role: Role,
    activity_id: Option<i64>,
    message: Option<String>,
    token_hash: Option<String>,
    user_id: Option<i64>,
    inviter: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<invitation::Model> {
    let mut pending = invitation::Entity::find()
        .filter(invitation::Column::Email.eq(email))
        .filter(invitation::Column::Status.eq(Status::Pending));
    pending = match (&token_hash, activity_id) {
        // Account invitations: one pending per address.
        (Some(_), _) => pending.filter(invitation::Column::TokenHash.is_not_null()),
        (None, Some(id)) => pending.filter(invitation::Column::ActivityId.eq(id)),
        (None, None) => pending,
    };
    let expires_at = now + Duration::days(VALID_FOR_DAYS);
    let row = match pending.one(db).await? {
        Some(existing) => {
            // Re-sending rewrites the invitation (its role among others): only someone who
            // may send the invitation as it stands may do that.
            may_change(inviter, &existing)?;
            let mut active: invitation::ActiveModel = existing.into();
            active.role = Set(role);
            active.activity_id = Set(activity_id);
            active.message = Set(message);
            active.token_hash = Set(token_hash);
            active.expires_at = Set(expires_at);
            active.invited_by = Set(inviter.person().id);
            active.update(db).await?
        }
        None => {
            invitation::ActiveModel {
                email: Set(email.to_owned()),
                role: Set(role),
                activity_id: Set(activity_id),
                message: Set(message),
                token_hash: Set(token_hash),
                status: Set(Status::Pending),
                expires_at: Set(expires_at),
                invited_by: Set(inviter.person().id),
                created_at: Set(now),
                accepted_at: Set(None),
                user_id: Set(user_id),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    Ok(row)
}

async fn queue_account_invitation(
    state: &AppState,
    db: &impl ConnectionTrait,
    invitation: &invitation::Model,
    token: &str,
    activity: Option<&activity::Model>,
    inviter: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mailer = &state.mailer;
    let to = Recipient::Address(&invitation.email);
    let letter = Letter::new(
        "invitation_account",
        to,
        context! {
            inviter => &inviter.name,
            activity => activity.map(|a| a.title.clone()),
            message => &invitation.message,
            link => mailer.secret_link("/invitations/accept?token="),
            expires => mailer.day(invitation.expires_at, mailer.locale_for(to)),
        },
    );
    mailer
        .send(db, letter.with_secret(token.to_owned()), now)
        .await
}

async fn queue_activity_invitation(
    state: &AppState,
    db: &impl ConnectionTrait,
    person: &user::Model,
    activity: &activity::Model,
    inviter: &user::Model,
    message: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mailer = &state.mailer;
    // Sent to the address: the account's only once it proved the address.
    let to = Recipient::address_of(person);
    let locale = mailer.locale_for(to);
    let sessions = activities::service::sessions_of(db, activity.id).await?;
    let letter = Letter::new(
        "invitation_activity",
        to,
        context! {
            name => &person.name,
            inviter => &inviter.name,
            activity => &activity.title,
            message => message,
            when => mailer.when(&sessions, locale),
            link => format!("{}/activities/{}", mailer.public_url, activity.id),
        },
    );
    let calendar = mailer.calendar(Method::Request, activity, &sessions);
    mailer.send(db, letter.with_calendar(calendar), now).await
}

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
    let person = NewPerson::parse(invitation.email.clone(), name, None, invitation.role)?;
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
        Role::Animator => 1,
        Role::Admin => 2,
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
            now,
        )
        .await
        {
            tracing::info!(%error, activity_id, "invited account not registered");
        }
    }
}

/// Who may send an invitation of `role`: staff roles come from admins only.
pub fn may_send(inviter: Staff<'_>, role: Role) -> ApiResult<()> {
    if role.is_staff() && Admin::of(inviter.person()).is_none() {
        return Err(ApiError::Forbidden);
    }
    Ok(())
}

/// Who may re-send or revoke an invitation: whoever may send one like it.
fn may_change(by: Staff<'_>, invitation: &invitation::Model) -> ApiResult<()> {
    may_send(by, invitation.role)
}

pub async fn revoke(
    db: &DatabaseConnection,
    by: Staff<'_>,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<invitation::Model> {
    let tx = begin_write(db).await?;
    let invitation = crate::db::get::<invitation::Entity>(&tx, id, "invitation").await?;
    may_change(by, &invitation)?;
    match invitation.status {
        Status::Revoked => return Ok(invitation),
        Status::Accepted => {
            return Err(ApiError::conflict(
                "only a pending invitation can be revoked",
            ));
        }
        Status::Pending => {}
    }
    // Conditional, so an acceptance that commits first is not overwritten.
    let revoked = invitation::Entity::update_many()
        .col_expr(invitation::Column::Status, Expr::value(Status::Revoked))
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::Status.eq(Status::Pending))
        .exec(&tx)
        .await?;
    if revoked.rows_affected == 0 {
        return Err(ApiError::conflict(
            "only a pending invitation can be revoked",
        ));
    }
    audit::record(&tx, by.person(), Action::InvitationRevoked, [id], None, now).await?;
    let invitation = crate::db::get::<invitation::Entity>(&tx, id, "invitation").await?;
    tx.commit().await?;
    Ok(invitation)
}
