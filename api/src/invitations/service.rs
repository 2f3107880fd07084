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
    EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};

use super::policy::{may_change, may_send};
use crate::{
    activities,
    audit::{self, Action},
    auth::mailed,
    config::Locale,
    db::begin_write,
    error::{ApiError, ApiResult},
    mail::{Letter, Recipient, calendar::Method},
    people::{Email, Staff, policy::staff_accounts},
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
            let written = Written {
                email,
                role: offer.role,
                activity_id: Some(activity.id),
                message: offer.message.clone(),
                token_hash: None,
                user_id: owner,
                profile: None,
            };
            let row = upsert(tx, written, offer.by, offer.now).await?;
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
            let written = Written {
                email,
                role: offer.role,
                activity_id: offer.activity.map(|a| a.id),
                message: offer.message.clone(),
                token_hash: Some(mailed::hash(&token)),
                user_id: None,
                profile: None,
            };
            let row = upsert(tx, written, offer.by, offer.now).await?;
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

/// What an invitation says, as [`upsert`] writes it.
struct Written<'a> {
    email: &'a str,
    role: Role,
    activity_id: Option<i64>,
    message: Option<String>,
    token_hash: Option<String>,
    user_id: Option<i64>,
    /// What an import said of the person, if it came from one.
    profile: Option<&'a Profile>,
}

/// A pending invitation of the same address (and activity) is refreshed and re-sent rather
/// than duplicated; one statement writes it, profile included.
async fn upsert(
    db: &impl ConnectionTrait,
    written: Written<'_>,
    inviter: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<invitation::Model> {
    let Written {
        email,
        role,
        activity_id,
        message,
        token_hash,
        user_id,
        profile,
    } = written;
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
            if let Some(profile) = profile {
                with_profile(&mut active, profile);
            }
            active.update(db).await?
        }
        None => {
            let mut active = invitation::ActiveModel {
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
            };
            if let Some(profile) = profile {
                with_profile(&mut active, profile);
            }
            active.insert(db).await?
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
    let locale = invitation.locale.as_deref().and_then(Locale::parse);
    let to = Recipient::Address(&invitation.email, locale);
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

/// What an import knows of a person it invites, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub phone: Option<String>,
    pub locale: Option<Locale>,
    /// The organisation the person joins when it accepts.
    pub organisation_id: Option<i64>,
}

/// What inviting an imported person did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imported {
    /// A new account invitation was mailed (or an expired one renewed and mailed again).
    Invited,
    /// A pending invitation now says what the spreadsheet says; nothing was mailed.
    Updated,
    /// The pending invitation already said it.
    Unchanged,
    /// Staff revoked this address's invitation: an import does not overrule them.
    Revoked,
}

/// Invites an address with no account (the caller checks) to create one as a PARTNER, with
/// what the office's spreadsheet says of the person. Importing the same row again changes
/// nothing; a changed row updates the waiting invitation without mailing again.
pub async fn invite_imported(
    state: &AppState,
    db: &impl ConnectionTrait,
    email: &Email,
    profile: &Profile,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<(Imported, invitation::Model)> {
    let latest = invitation::Entity::find()
        .filter(invitation::Column::Email.eq(email.as_str()))
        .filter(invitation::Column::TokenHash.is_not_null())
        .order_by_desc(invitation::Column::Id)
        .one(db)
        .await?;
    match latest {
        Some(row) if row.status == Status::Revoked => Ok((Imported::Revoked, row)),
        Some(row) if row.status == Status::Pending && row.expires_at > now => {
            if profile_of(&row) == *profile {
                Ok((Imported::Unchanged, row))
            } else {
                Ok((Imported::Updated, set_profile(db, row, profile).await?))
            }
        }
        // None yet, or expired: a pending one is renewed by `upsert`, with a new link.
        _ => {
            let token = mailed::new_token();
            let written = Written {
                email: email.as_str(),
                role: Role::Partner,
                activity_id: None,
                message: None,
                token_hash: Some(mailed::hash(&token)),
                user_id: None,
                profile: Some(profile),
            };
            let row = upsert(db, written, by, now).await?;
            queue_account_invitation(state, db, &row, &token, None, by.person(), now).await?;
            Ok((Imported::Invited, row))
        }
    }
}

fn profile_of(row: &invitation::Model) -> Profile {
    Profile {
        name: row.name.clone().unwrap_or_default(),
        phone: row.phone.clone(),
        locale: row.locale.as_deref().and_then(Locale::parse),
        organisation_id: row.organisation_id,
    }
}

async fn set_profile(
    db: &impl ConnectionTrait,
    row: invitation::Model,
    profile: &Profile,
) -> ApiResult<invitation::Model> {
    let mut active: invitation::ActiveModel = row.into();
    with_profile(&mut active, profile);
    Ok(active.update(db).await?)
}

fn with_profile(active: &mut invitation::ActiveModel, profile: &Profile) {
    active.name = Set(Some(profile.name.clone()));
    active.phone = Set(profile.phone.clone());
    active.locale = Set(profile.locale.map(|locale| locale.code().to_owned()));
    active.organisation_id = Set(profile.organisation_id);
}
