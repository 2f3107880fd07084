//! The rules of organisations: who creates one, who adds members, who registers colleagues.

use chrono::{DateTime, Utc};
use entity::{
    organisation::{self, Sector},
    organisation_invitation,
    organisation_member::{self, Role},
    registration, user,
};
use minijinja::context;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, Select,
    sea_query::{Expr, OnConflict, Query},
};

use crate::{
    audit::{self, Action},
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    mail::{Letter, Mailer, Recipient},
    people::{self, Staff, policy::is_staff},
    registrations::{self, policy::Placement},
    validation::{optional_text, required_text},
};

pub const MAX_NAME_CHARS: usize = 200;

/// An organisation as its creator describes it.
pub struct OrganisationDraft {
    pub name: String,
    pub sector: Sector,
    pub commune: Option<String>,
    pub website: Option<String>,
}

impl OrganisationDraft {
    fn checked(self) -> ApiResult<Self> {
        let website = optional_text("website", self.website, 300)?;
        if let Some(site) = &website
            && !(site.starts_with("https://") || site.starts_with("http://"))
        {
            return Err(ApiError::bad_input(
                "website",
                "must start with https:// or http://",
            ));
        }
        Ok(Self {
            name: required_text("name", self.name, MAX_NAME_CHARS)?,
            sector: self.sector,
            commune: optional_text("commune", self.commune, 100)?,
            website,
        })
    }
}

pub async fn membership(
    db: &impl ConnectionTrait,
    person_id: i64,
) -> ApiResult<Option<organisation_member::Model>> {
    Ok(organisation_member::Entity::find_by_id(person_id)
        .one(db)
        .await?)
}

/// Whether `person` manages organisation `organisation_id`.
async fn manages(
    db: &impl ConnectionTrait,
    person: &user::Model,
    organisation_id: i64,
) -> ApiResult<bool> {
    Ok(membership(db, person.id)
        .await?
        .is_some_and(|m| m.organisation_id == organisation_id && m.role == Role::Manager))
}

/// The organisation, for its members and staff; NOT_FOUND for anyone else.
pub async fn visible(
    db: &impl ConnectionTrait,
    id: i64,
    person: &user::Model,
) -> ApiResult<organisation::Model> {
    let member = membership(db, person.id)
        .await?
        .is_some_and(|m| m.organisation_id == id);
    if !(member || is_staff(person)) {
        return Err(ApiError::NotFound("organisation"));
    }
    db::get::<organisation::Entity>(db, id, "organisation").await
}

async fn join(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    person_id: i64,
    role: Role,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    organisation_member::ActiveModel {
        user_id: Set(person_id),
        organisation_id: Set(organisation_id),
        role: Set(role),
        added_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Staff create any organisation; a partner belonging to none creates its own and becomes
/// its MANAGER.
pub async fn create(
    db: &DatabaseConnection,
    draft: OrganisationDraft,
    by: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<organisation::Model> {
    let draft = draft.checked()?;
    let tx = begin_write(db).await?;
    let staff = Staff::of(by);
    if staff.is_none() && membership(&tx, by.id).await?.is_some() {
        return Err(ApiError::conflict("you belong to an organisation already"));
    }
    let created = organisation::ActiveModel {
        name: Set(draft.name),
        sector: Set(draft.sector),
        commune: Set(draft.commune),
        website: Set(draft.website),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    match staff {
        Some(staff) => {
            audit::record(
                &tx,
                staff.person(),
                Action::OrganisationCreated,
                [created.id],
                Some(&created.name),
                now,
            )
            .await?;
        }
        None => join(&tx, created.id, by.id, Role::Manager, now).await?,
    }
    tx.commit().await?;
    Ok(created)
}

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
    let adding = if is_staff(by) {
        Adding::AtOnce
    } else if manages(&tx, by, organisation.id).await? {
        Adding::ByInvitation
    } else {
        return Err(ApiError::Forbidden);
    };
    let person = people::service::get(&tx, person_id).await?;
    if person.deleted_at.is_some() {
        return Err(ApiError::NotFound("user"));
    }
    if is_staff(&person) {
        return Err(ApiError::bad_input(
            "userId",
            "staff accounts do not belong to partner organisations",
        ));
    }
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
        let offered = offer_place(
            &tx,
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
                &tx,
                mailer,
                "organisation_invitation",
                person,
                &organisation,
                by.person(),
                now,
            )
            .await?;
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

/// A MANAGER registers a member of its organisation under the usual seat, audience and
/// waiting-list rules; anyone else: FORBIDDEN (judged before anything is looked up).
pub async fn register_colleague(
    db: &DatabaseConnection,
    mailer: &Mailer,
    activity_id: i64,
    colleague_id: i64,
    manager: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<registration::Model> {
    let Some(managed) = membership(db, manager.id).await? else {
        return Err(ApiError::Forbidden);
    };
    let theirs = membership(db, colleague_id).await?;
    if managed.role != Role::Manager
        || theirs.is_none_or(|m| m.organisation_id != managed.organisation_id)
    {
        return Err(ApiError::Forbidden);
    }
    let colleague = people::service::get(db, colleague_id).await?;
    registrations::service::register(
        db,
        mailer,
        activity_id,
        &colleague,
        Placement::Colleague(manager),
        now,
    )
    .await
}

/// What a person may see of an organisation's life: staff and its managers all of it, a
/// member only what is its own; anyone else nothing (FORBIDDEN).
pub enum Sight {
    Everything,
    Own(i64),
}

pub fn sight(person: &user::Model, members: &[organisation_member::Model]) -> ApiResult<Sight> {
    if is_staff(person) {
        return Ok(Sight::Everything);
    }
    match members.iter().find(|m| m.user_id == person.id) {
        Some(m) if m.role == Role::Manager => Ok(Sight::Everything),
        Some(_) => Ok(Sight::Own(person.id)),
        None => Err(ApiError::Forbidden),
    }
}

/// The registrations the members made since each joined, as far as `sight` reaches: what a
/// person did before joining is not the organisation's.
pub fn registrations_of(organisation_id: i64, sight: Sight) -> Select<registration::Entity> {
    use organisation_member::Column as Member;
    let since_joining = Query::select()
        .expr(Expr::val(1))
        .from(organisation_member::Entity)
        .and_where(
            Expr::col((organisation_member::Entity, Member::UserId))
                .equals((registration::Entity, registration::Column::UserId)),
        )
        .and_where(
            Expr::col((organisation_member::Entity, Member::OrganisationId)).eq(organisation_id),
        )
        .and_where(
            Expr::col((organisation_member::Entity, Member::AddedAt)).lte(Expr::col((
                registration::Entity,
                registration::Column::CreatedAt,
            ))),
        )
        .to_owned();
    let select = registration::Entity::find().filter(Expr::exists(since_joining));
    match sight {
        Sight::Everything => select,
        Sight::Own(person) => select.filter(registration::Column::UserId.eq(person)),
    }
}

pub fn directory(sector: Option<Sector>) -> Select<organisation::Entity> {
    let select = organisation::Entity::find();
    match sector {
        Some(sector) => select.filter(organisation::Column::Sector.eq(sector)),
        None => select,
    }
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
    .on_conflict(on_conflict.to_owned())
    .exec_without_returning(db)
    .await?;
    Ok(written == 1)
}
