use sea_orm::entity::prelude::*;

/// One dated sitting of an activity.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub activity_id: i64,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::activity::Entity",
        from = "Column::ActivityId",
        to = "super::activity::Column::Id",
        on_delete = "Cascade"
    )]
    Activity,
}

impl Related<super::activity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Activity.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

/// An activity's sessions in date order: the one query every area that lists them uses.
pub fn of_activity(activity_id: i64) -> Select<Entity> {
    use sea_orm::QueryOrder;
    Entity::find()
        .filter(Column::ActivityId.eq(activity_id))
        .order_by_asc(Column::StartsAt)
        .order_by_asc(Column::Id)
}
