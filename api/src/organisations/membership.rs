//! Who belongs to an organisation, by consent: a manager's or staff's offer of a place, taken only
//! by accepting it; leaving; staff adopting those who gave its name at sign-up.

use chrono::{DateTime, Utc};
use entity::{
    organisation::{self},
    organisation_invitation,
    organisation_member::{self, Role},
    user,
};
use minijinja::context;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, OnConflict, Query},
};

use super::{
    policy::{manages, visible},
    service::{join, membership},
};
use crate::{
    audit::{self, Action},
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    mail::{Letter, Mailer, Recipient},
    people::{self, Staff, policy::is_staff},
};

/// Who may add people, and how: staff put a person in at once; a MANAGER only invites, and
/// the person joins when it accepts ([`answer_invitation`]). Nobody is placed in an
/// organisation without its own consent or staff's word.
enum Adding {
    AtOnce,
    ByInvitation,
}

/// Staff, or a MANAGER of the organisation, changes a member's role, or brings a person in:
/// staff at once, a manager by an invitation the person answers. Someone in another
/// organisation: CONFLICT; a staff account: BAD_USER_INPUT (organisations are the partners').
/// The person is told by mail either way.
pub async fn set_member(
    db: &DatabaseConnection,
    mailer: &Mailer,
    organisation_id: i64,
    person_id: i64,
    role: Role,
    by: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<organisation::Model> {
    let tx = begin_write(db).await?;
    let organisation = visible(&tx, organisation_id, by).await?;
    let adding = adding_by(&tx, by, &organisation).await?;
    let person = partner(&tx, person_id).await?;
    match (membership(&tx, person.id).await?, adding) {
        (Some(current), _) if current.organisation_id != organisation.id => {
            return Err(ApiError::conflict(
                "this person belongs to another organisation",
            ));
        }
        (Some(current), _) => {
            if current.role == Role::Manager && role != Role::Manager {
                keep_a_manager(&tx, &current).await?;
            }
            let mut active: organisation_member::ActiveModel = current.into();
            active.role = Set(role);
            active.update(&tx).await?;
        }
        (None, Adding::AtOnce) => {
            join(&tx, organisation.id, person.id, role, now).await?;
            tell(
                &tx,
                mailer,
                "organisation_joined",
                &person,
                &organisation,
                by,
                now,
            )
            .await?;
        }
        (None, Adding::ByInvitation) => {
            offer_place(
                &tx,
                organisation.id,
                person.id,
                role,
                by.id,
                Earlier::Renewed,
                now,
            )
            .await?;
            tell(
                &tx,
                mailer,
                "organisation_invitation",
                &person,
                &organisation,
                by,
                now,
            )
            .await?;
        }
    }
    audit::record(
        &tx,
        by,
        Action::OrganisationMemberSet,
        [organisation.id],
        Some(&format!(
            "user {} as {}",
            person.id,
            sea_orm::ActiveEnum::to_value(&role)
        )),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(organisation)
}

/// A person who accepted an invitation naming `organisation_id` (staff's import) joins it as a
/// MEMBER: staff's word and the person's acceptance, as [`set_member`] asks. Nothing happens
/// when it belongs to an organisation already or the organisation is gone.
pub async fn join_on_acceptance(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    person_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let exists = organisation::Entity::find_by_id(organisation_id)
        .one(db)
        .await?
        .is_some();
    if exists && membership(db, person_id).await?.is_none() {
        join(db, organisation_id, person_id, Role::Member, now).await?;
    }
    Ok(())
}

/// Staff offer a partner of no organisation a MEMBER's place in `organisation`, which it takes
/// by accepting; an offer already made stays as it is. Returns whether a new offer was mailed.
pub async fn invite_member(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    organisation: &organisation::Model,
    person: &user::Model,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let offered = offer_place(
        db,
        organisation.id,
        person.id,
        Role::Member,
        by.person().id,
        Earlier::Kept,
        now,
    )
    .await?;
    if offered {
        tell(
            db,
            mailer,
            "organisation_invitation",
            person,
            organisation,
            by.person(),
            now,
        )
        .await?;
    }
    Ok(offered)
}

/// How `by` adds people to `organisation`: staff at once, a manager by invitation; anyone
/// else not at all.
async fn adding_by(
    db: &impl ConnectionTrait,
    by: &user::Model,
    organisation: &organisation::Model,
) -> ApiResult<Adding> {
    if is_staff(by) {
        Ok(Adding::AtOnce)
    } else if manages(db, by, organisation.id).await? {
        Ok(Adding::ByInvitation)
    } else {
        Err(ApiError::Forbidden)
    }
}

/// The partner account `person_id`, which may belong to an organisation: not deleted, not staff.
async fn partner(db: &impl ConnectionTrait, person_id: i64) -> ApiResult<user::Model> {
    let person = people::service::get(db, person_id).await?;
    if person.deleted_at.is_some() {
        return Err(ApiError::NotFound("user"));
    }
    if is_staff(&person) {
        return Err(ApiError::bad_input(
            "userId",
            "staff accounts do not belong to partner organisations",
        ));
    }
    Ok(person)
}

async fn tell(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    kind: &'static str,
    person: &user::Model,
    organisation: &organisation::Model,
    by: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if person.id == by.id {
        return Ok(());
    }
    let letter = Letter::new(
        kind,
        Recipient::address_of(person),
        context! {
            name => &person.name,
            organisation => &organisation.name,
            by => &by.name,
            link => format!("{}/organisations/invitations", mailer.public_url),
        },
    );
    mailer.send(db, letter, now).await
}

/// Refuses to leave `member`'s organisation without a manager while it has other members.
/// The organisation's row is locked first, so two managers leaving at once are judged in turn.
async fn keep_a_manager(
    db: &impl ConnectionTrait,
    member: &organisation_member::Model,
) -> ApiResult<()> {
    organisation::Entity::update_many()
        .col_expr(
            organisation::Column::Id,
            Expr::col(organisation::Column::Id),
        )
        .filter(organisation::Column::Id.eq(member.organisation_id))
        .exec(db)
        .await?;
    let others = organisation_member::Entity::find()
        .filter(organisation_member::Column::OrganisationId.eq(member.organisation_id))
        .filter(organisation_member::Column::UserId.ne(member.user_id))
        .all(db)
        .await?;
    if !others.is_empty() && others.iter().all(|m| m.role != Role::Manager) {
        return Err(ApiError::conflict(
            "the organisation would have no manager: name another manager first",
        ));
    }
    Ok(())
}

/// The caller's invitations to join an organisation, oldest first.
pub async fn invitations_of(
    db: &impl ConnectionTrait,
    person: &user::Model,
) -> ApiResult<Vec<organisation_invitation::Model>> {
    Ok(organisation_invitation::Entity::find()
        .filter(organisation_invitation::Column::UserId.eq(person.id))
        .order_by_asc(organisation_invitation::Column::Id)
        .all(db)
        .await?)
}

/// The invited person accepts (it joins with the invited role; CONFLICT when it belongs to an
/// organisation already) or declines (the invitation is forgotten). Anyone else's invitation:
/// NOT_FOUND. Returns the organisation joined.
pub async fn answer_invitation(
    db: &DatabaseConnection,
    id: i64,
    accept: bool,
    person: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<Option<organisation::Model>> {
    let tx = begin_write(db).await?;
    let invitation = organisation_invitation::Entity::find_by_id(id)
        .one(&tx)
        .await?
        .filter(|invitation| invitation.user_id == person.id)
        .ok_or(ApiError::NotFound("invitation"))?;
    organisation_invitation::Entity::delete_by_id(invitation.id)
        .exec(&tx)
        .await?;
    let joined = if accept {
        if membership(&tx, person.id).await?.is_some() {
            return Err(ApiError::conflict(
                "you belong to an organisation already: leave it first",
            ));
        }
        join(
            &tx,
            invitation.organisation_id,
            person.id,
            invitation.role,
            now,
        )
        .await?;
        Some(
            db::get::<organisation::Entity>(&tx, invitation.organisation_id, "organisation")
                .await?,
        )
    } else {
        None
    };
    tx.commit().await?;
    Ok(joined)
}

/// The caller leaves its organisation (CONFLICT when it belongs to none, or is its last
/// manager while others remain). Its registrations stay its own; managers no longer see them.
pub async fn leave(db: &DatabaseConnection, person: &user::Model) -> ApiResult<()> {
    let tx = begin_write(db).await?;
    let Some(member) = membership(&tx, person.id).await? else {
        return Err(ApiError::conflict("you belong to no organisation"));
    };
    if member.role == Role::Manager {
        keep_a_manager(&tx, &member).await?;
    }
    organisation_member::Entity::delete_by_id(person.id)
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Staff invite the partners who gave this organisation's name at sign-up (the free text,
/// compared without case) and belong to none: each joins only if it accepts, since a name
/// anyone can type proves nothing. Returns how many were invited.
pub async fn adopt_by_name(
    db: &DatabaseConnection,
    mailer: &Mailer,
    organisation_id: i64,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let tx = begin_write(db).await?;
    let organisation =
        db::get::<organisation::Entity>(&tx, organisation_id, "organisation").await?;
    let wanted = organisation.name.trim().to_lowercase();
    let candidates = user::Entity::find()
        .filter(user::Column::Role.eq(user::Role::Partner))
        .filter(user::Column::Organisation.is_not_null())
        .filter(user::Column::DeletedAt.is_null())
        .filter(
            user::Column::Id.not_in_subquery(
                Query::select()
                    .column(organisation_member::Column::UserId)
                    .from(organisation_member::Entity)
                    .to_owned(),
            ),
        )
        .all(&tx)
        .await?;
    let mut invited = 0;
    for person in candidates.iter().filter(|p| {
        p.organisation
            .as_deref()
            .is_some_and(|given| given.trim().to_lowercase() == wanted)
    }) {
        if invite_member(&tx, mailer, &organisation, person, by, now).await? {
            invited += 1;
        }
    }
    audit::record(
        &tx,
        by.person(),
        Action::OrganisationMemberSet,
        [organisation.id],
        Some(&format!("{invited} partners invited by the name they gave")),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(invited)
}

/// What offering a place does to an earlier offer to the same person.
enum Earlier {
    /// It takes the new role and inviter (a manager changes their mind).
    Renewed,
    /// It stays as it is (staff adopting by name do not override a manager's offer).
    Kept,
}

/// Offers `person` a place in `organisation` with `role`, which it takes only by accepting.
/// Returns whether a new offer was written.
async fn offer_place(
    db: &impl ConnectionTrait,
    organisation: i64,
    person: i64,
    role: Role,
    by: i64,
    earlier: Earlier,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let mut on_conflict = OnConflict::columns([
        organisation_invitation::Column::UserId,
        organisation_invitation::Column::OrganisationId,
    ]);
    match earlier {
        Earlier::Renewed => on_conflict.update_columns([
            organisation_invitation::Column::Role,
            organisation_invitation::Column::InvitedBy,
        ]),
        Earlier::Kept => on_conflict.do_nothing(),
    };
    let written = organisation_invitation::Entity::insert(organisation_invitation::ActiveModel {
        organisation_id: Set(organisation),
        user_id: Set(person),
        role: Set(role),
        invited_by: Set(by),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(on_conflict.clone())
    .exec_without_returning(db)
    .await?;
    Ok(written == 1)
}
