use sea_orm_migration::prelude::*;

/// What an office's spreadsheet says of a partner, kept until the partner has an account:
/// `invitations` gain the name, phone, language and organisation an import gave, and the
/// account created from the invitation takes them (`users.phone` is new).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::Phone).string_len(32))
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in [
            ColumnDef::new(Invitations::Name).string_len(120).to_owned(),
            ColumnDef::new(Invitations::Phone).string_len(32).to_owned(),
            ColumnDef::new(Invitations::Locale).string_len(8).to_owned(),
            ColumnDef::new(Invitations::OrganisationId)
                .big_integer()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Invitations::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Invitations::Name,
            Invitations::Phone,
            Invitations::Locale,
            Invitations::OrganisationId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Invitations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::Phone)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Phone,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Name,
    Phone,
    Locale,
    OrganisationId,
}
