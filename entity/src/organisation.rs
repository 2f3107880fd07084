use sea_orm::entity::prelude::*;

/// A partner business: a hotel, a restaurant, a farm, a shop, an association.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub sector: Sector,
    pub commune: Option<String>,
    pub website: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Sector {
    #[sea_orm(string_value = "ACCOMMODATION")]
    Accommodation,
    #[sea_orm(string_value = "FOOD")]
    Food,
    #[sea_orm(string_value = "PRODUCER")]
    Producer,
    #[sea_orm(string_value = "SHOP")]
    Shop,
    #[sea_orm(string_value = "LEISURE")]
    Leisure,
    #[sea_orm(string_value = "ASSOCIATION")]
    Association,
    #[sea_orm(string_value = "INSTITUTION")]
    Institution,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
